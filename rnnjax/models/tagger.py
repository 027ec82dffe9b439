"""`SequenceTagger`: one prediction per step, with the recurrent state in and out.

The head of Simplilearn's time-series lesson (an RNN with TF's OutputProjectionWrapper: a
linear map of every step's output) and of Hallström's Echo-RNN (a softmax at every step, the
state carried from one truncated chunk to the next).
"""
from __future__ import annotations

from typing import Any

import flax.linen as nn

from rnnjax.layers import Embedding, OutputProjection
from rnnjax.typing import Array


class SequenceTagger(nn.Module):
  """[optional Embedding] -> recurrent encoder (every step) -> [dropout] -> per-step Dense.

  inputs [B, T, D] float (or [B, T] int ids with `vocab_size`), lengths [B] -> outputs
  [B, T, C] (0 past each length); with `return_state=True` also the encoder's final state,
  which `initial_state=` takes back (stateful training, `models.generation`).

  Attributes:
    encoder: a layer called as encoder(xs, lengths, initial_state, train=train) that returns
      (final state, outputs [B, T, H]) (`Recurrent`/`Stacked` with return_sequences and
      return_state).
    num_outputs: C (classes, or regression targets per step).
    vocab_size, embed_dim: embed token ids first when set.
    dropout: rate on the encoder's outputs before the projection (train only).
  """
  encoder: nn.Module
  num_outputs: int
  vocab_size: int | None = None
  embed_dim: int | None = None
  dropout: float = 0.0

  @nn.compact
  def __call__(self, inputs: Array, lengths: Array | None = None, initial_state: Any = None, *,
               train: bool = False, return_state: bool = False):
    xs = inputs
    if self.vocab_size is not None:
      xs = Embedding(self.vocab_size, self.embed_dim or 32, name="embedding")(inputs)  # [B,T,E]
    state, ys = self.encoder(xs, lengths, initial_state, train=train)   # ys [B, T, H]
    if self.dropout > 0.0:
      ys = nn.Dropout(self.dropout, deterministic=not train)(ys)
    outputs = OutputProjection(self.num_outputs, name="projection")(ys, lengths)   # [B, T, C]
    return (outputs, state) if return_state else outputs
