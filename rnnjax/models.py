"""Task heads and the model presets selected by `--model` flags."""
from __future__ import annotations

from typing import Callable

import flax.linen as nn
import jax.numpy as jnp

from rnnjax import cells, layers
from rnnjax.modules import Embedding
from rnnjax.typing import Array


READOUTS = ("last", "mean")


def masked_mean(ys: Array, lengths: Array) -> Array:
  """ys [B, T, H], lengths [B] -> the mean over each row's first lengths[b] steps [B, H]
  (0 for length 0)."""
  lengths = jnp.clip(lengths, 0, ys.shape[1])      # as the layers clip traced lengths
  mask = (jnp.arange(ys.shape[1])[None, :] < lengths[:, None]).astype(ys.dtype)   # [B, T]
  total = jnp.einsum("bth,bt->bh", ys, mask)
  return total / jnp.maximum(lengths, 1).astype(ys.dtype)[:, None]


class SequenceClassifier(nn.Module):
  """[optional Embedding] -> recurrent encoder -> readout -> [dropout] -> Dense.

  inputs [B, T, D] float (or [B, T] int token ids with `vocab_size`), lengths [B] ->
  logits [B, C] (C = 1 for a binary sigmoid task or a scalar regression).

  Attributes:
    encoder: a layer called as encoder(xs, lengths, train=train); with readout "last" it returns
      the last output [B, H] (e.g. `Recurrent(..., return_sequences=False)`), with "mean" every
      output [B, T, H].
    num_classes: C.
    vocab_size, embed_dim: embed token ids first when set.
    dropout: rate on the readout before the classifier (train only).
    readout: "last" (the encoder's last valid output; the seeds') or "mean" (the mean of the
      outputs over the valid steps).
  """
  encoder: nn.Module
  num_classes: int
  vocab_size: int | None = None
  embed_dim: int | None = None
  dropout: float = 0.0
  readout: str = "last"

  @nn.compact
  def __call__(self, inputs: Array, lengths: Array | None = None, *, train: bool = False):
    xs = inputs
    if self.vocab_size is not None:
      xs = Embedding(self.vocab_size, self.embed_dim or 32, name="embedding")(inputs)  # [B,T,E]
    if self.readout not in READOUTS:
      raise ValueError(f"readout must be one of {READOUTS}; got {self.readout!r}.")
    h = self.encoder(xs, lengths, train=train)                           # [B, H] or [B, T, H]
    if self.readout == "mean":
      lengths = jnp.full(h.shape[:1], h.shape[1], jnp.int32) if lengths is None else lengths
      h = masked_mean(h, lengths)                                        # [B, H]
    if self.dropout > 0.0:
      h = nn.Dropout(self.dropout, deterministic=not train)(h)
    return nn.Dense(self.num_classes, name="classifier")(h)              # [B, C]


def _recurrent(cell_cls, bidirectional: bool, depth: int | None) -> Callable[..., nn.Module]:
  def make(hidden_size: int, num_layers: int, dropout: float, recurrent_dropout: float,
           return_sequences: bool = False, **cell_kwargs) -> nn.Module:
    layers_ = depth or num_layers
    common = dict(return_sequences=return_sequences, recurrent_dropout=recurrent_dropout)
    if layers_ == 1 and not bidirectional:
      return layers.Recurrent(cell_cls(hidden_size, **cell_kwargs), **common)
    if layers_ == 1:
      return layers.Bidirectional(cell_cls(hidden_size, **cell_kwargs),
                                  cell_cls(hidden_size, **cell_kwargs), **common)
    return layers.Stacked([cell_cls(hidden_size, **cell_kwargs) for _ in range(layers_)],
                          bidirectional=bidirectional, dropout=dropout, **common)
  return make


# name -> encoder factory(hidden_size, num_layers, dropout, recurrent_dropout, return_sequences,
# **cell_kwargs).
ENCODERS = {
    "rnn": _recurrent(cells.SimpleRNNCell, False, 1),
    "lstm": _recurrent(cells.LSTMCell, False, 1),
    "gru": _recurrent(cells.GRUCell, False, 1),
    "bilstm": _recurrent(cells.LSTMCell, True, 1),
    "bigru": _recurrent(cells.GRUCell, True, 1),
    "lstm2": _recurrent(cells.LSTMCell, False, 2),
    "multilstm": _recurrent(cells.LSTMCell, False, None),
    "multigru": _recurrent(cells.GRUCell, False, None),
}
MODELS = tuple(ENCODERS)


def build(name: str, *, num_classes: int, hidden_size: int = 32, num_layers: int = 2,
          dropout: float = 0.0, recurrent_dropout: float = 0.0, vocab_size: int | None = None,
          embed_dim: int | None = None, readout: str = "last",
          **cell_kwargs) -> SequenceClassifier:
  """The `name` preset as a SequenceClassifier: inputs [B, T, D] (or ids [B, T]) -> [B, C].

  `num_layers` applies to the multi* presets; `dropout` is applied between stacked layers and
  before the classifier; `readout` is SequenceClassifier's; `cell_kwargs` go to every cell
  (e.g. `layer_norm=True`).
  """
  if name not in ENCODERS:
    raise ValueError(f"Unknown model {name!r}; choose one of {sorted(ENCODERS)}.")
  if readout not in READOUTS:
    raise ValueError(f"readout must be one of {READOUTS}; got {readout!r}.")
  encoder = ENCODERS[name](hidden_size, num_layers, dropout, recurrent_dropout,
                           return_sequences=readout != "last", **cell_kwargs)
  return SequenceClassifier(encoder, num_classes, vocab_size=vocab_size, embed_dim=embed_dim,
                            dropout=dropout, readout=readout)
