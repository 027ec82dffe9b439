"""`SequenceClassifier`: a recurrent encoder read out into one prediction per sequence."""
from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from rnnjax.layers import Embedding
from rnnjax.layers.augment import augment
from rnnjax.typing import Array


READOUTS = ("last", "mean", "max")


def _valid_steps(ys: Array, lengths: Array) -> tuple[Array, Array]:
  """(lengths clipped to [0, T] as the layers clip traced lengths, mask [B, T] bool of each
  row's first lengths[b] steps) for ys [B, T, ...]."""
  lengths = jnp.clip(lengths, 0, ys.shape[1])
  return lengths, jnp.arange(ys.shape[1])[None, :] < lengths[:, None]


def masked_mean(ys: Array, lengths: Array) -> Array:
  """ys [B, T, H], lengths [B] -> the mean over each row's first lengths[b] steps [B, H]
  (0 for length 0)."""
  lengths, mask = _valid_steps(ys, lengths)
  total = jnp.einsum("bth,bt->bh", ys, mask.astype(ys.dtype))
  return total / jnp.maximum(lengths, 1).astype(ys.dtype)[:, None]


def masked_max(ys: Array, lengths: Array) -> Array:
  """ys [B, T, H], lengths [B] -> the maximum over each row's first lengths[b] steps [B, H]
  (0 for length 0): global max pooling over time, as Keras' GlobalMaxPooling1D after an LSTM
  with return_sequences (the padding, NaN or inf included, is never read: its gradient is 0)."""
  lengths, mask = _valid_steps(ys, lengths)
  peak = jnp.max(jnp.where(mask[..., None], ys, -jnp.inf), axis=1)              # [B, H]
  return jnp.where(lengths[:, None] > 0, peak, jnp.zeros_like(peak))


def last_valid(xs: Array, lengths: Array | None) -> Array:
  """xs [B, T], lengths [B] or None -> xs[b, lengths[b] - 1] [B]: 0 for a row of length 0 (it
  observed nothing; its padding is never read), the last step without lengths."""
  if lengths is None:
    return xs[:, -1]
  index = jnp.clip(lengths - 1, 0, xs.shape[1] - 1)
  value = jnp.take_along_axis(xs, index[:, None], axis=1)[:, 0]
  return jnp.where(lengths > 0, value, jnp.zeros_like(value))


class SequenceClassifier(nn.Module):
  """[optional Embedding or input augmentation] -> recurrent encoder -> readout -> [dropout]
  -> Dense.

  inputs [B, T, D] float (or [B, T] int token ids with `vocab_size`), lengths [B] ->
  logits [B, C] (C = 1 for a binary sigmoid task or a scalar regression).

  Attributes:
    encoder: a layer called as encoder(xs, lengths, train=train); with readout "last" it returns
      the last output [B, H] (e.g. `Recurrent(..., return_sequences=False)`), with "mean" or
      "max" every output [B, T, H].
    num_classes: C.
    vocab_size, embed_dim: embed token ids first when set.
    dropout: rate on the readout before the classifier (train only).
    readout: "last" (the encoder's last valid output; the seeds'), "mean" (the mean of the
      outputs over the valid steps) or "max" (their elementwise maximum: global max pooling).
    input_scaling, input_noise: training-time augmentation of float inputs (the standard
      deviations of `layers.RandomScaling` and `layers.GaussianNoise`, in that order; 0: off).
    skip_feature: for regression on float inputs: add input feature `skip_feature` at each
      row's last valid step to every output (a persistence skip: the network learns the change
      from the last observed value, and with a zero classifier the model is the naive
      "tomorrow = today" forecast of Chollet's Jena tutorial). None: no skip.
  """
  encoder: nn.Module
  num_classes: int
  vocab_size: int | None = None
  embed_dim: int | None = None
  dropout: float = 0.0
  readout: str = "last"
  skip_feature: int | None = None
  input_scaling: float = 0.0
  input_noise: float = 0.0

  @nn.compact
  def __call__(self, inputs: Array, lengths: Array | None = None, *, train: bool = False):
    xs = inputs
    if self.vocab_size is not None:
      xs = Embedding(self.vocab_size, self.embed_dim or 32, name="embedding")(inputs)  # [B,T,E]
    if not 0.0 <= self.dropout < 1.0:
      raise ValueError(f"dropout must be in [0, 1); got {self.dropout}.")
    if self.readout not in READOUTS:
      raise ValueError(f"readout must be one of {READOUTS}; got {self.readout!r}.")
    if self.skip_feature is not None and (self.vocab_size is not None or inputs.ndim != 3 or
                                          not 0 <= self.skip_feature < inputs.shape[-1]):
      raise ValueError(f"skip_feature={self.skip_feature} must index the D features of float "
                       f"inputs [B, T, D]; got inputs of shape {inputs.shape}"
                       + (" (token ids)" if self.vocab_size is not None else "") + ".")
    if (self.input_scaling or self.input_noise) and self.vocab_size is not None:
      raise ValueError("input_scaling and input_noise augment float inputs [B, T, D]; this "
                       "model embeds token ids (vocab_size is set): leave them at 0.")
    xs = augment(xs, self.input_scaling, self.input_noise, train)
    h = self.encoder(xs, lengths, train=train)                           # [B, H] or [B, T, H]
    if self.readout != "last":
      steps = jnp.full(h.shape[:1], h.shape[1], jnp.int32) if lengths is None else lengths
      h = (masked_mean if self.readout == "mean" else masked_max)(h, steps)   # [B, H]
    if self.dropout > 0.0:
      h = nn.Dropout(self.dropout, deterministic=not train)(h)
    out = nn.Dense(self.num_classes, name="classifier")(h)               # [B, C]
    if self.skip_feature is not None:
      out = out + last_valid(inputs[..., self.skip_feature], lengths)[:, None].astype(out.dtype)
    return out
