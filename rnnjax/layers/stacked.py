"""`Stacked`: L recurrent layers, each feeding the next, with dropout between layers."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from rnnjax.layers.bidirectional import Bidirectional
from rnnjax.layers.recurrent import Recurrent, check_inputs, detached, last_output
from rnnjax.typing import Array


class Stacked(nn.Module):
  """L recurrent layers, each feeding the next, with dropout between layers.

  xs [B, T, D] -> [B, T, H_L] (or [B, H_L] with `return_sequences=False`). Layer l's
  parameters live under `layer_l`. With `return_state` returns `(states, outputs)`, states a
  list of L final states; `initial_state` is such a list.

  Attributes:
    cells: one cell per layer.
    bidirectional: make each layer a `Bidirectional` (its backward cell is a clone of the cell).
    merge_mode: for bidirectional layers.
    dropout: rate of standard dropout on each layer's outputs before the next layer (train only).
    recurrent_dropout: variational recurrent dropout inside every layer (train only).
    residual: every layer after the first adds its input to its outputs (He et al. 2016's
      residual connection, as in the stacked residual BiLSTM for UCI HAR of Zhao et al. 2018);
      layers must then have equal output widths. With return_sequences=False the last output is
      taken from the summed sequence (a bidirectional layer's backward half at step 0).
    input_dropout: Keras' `dropout=` on every layer's inputs: one mask per sequence, reused at
      every step (train only; see `Recurrent`). With `dropout` too, layers after the first see
      both.
    other attributes: as `Recurrent`.
  """
  cells: Sequence[nn.Module]
  bidirectional: bool = False
  merge_mode: str = "concat"
  dropout: float = 0.0
  recurrent_dropout: float = 0.0
  residual: bool = False
  return_sequences: bool = True
  return_state: bool = False
  time_major: bool = False
  implementation: str = "auto"
  remat: bool = False
  input_dropout: float = 0.0

  @nn.compact
  def __call__(self, xs: Array, seq_lengths: Array | None = None, initial_state: Any = None, *,
               train: bool = False):
    if not self.cells:
      raise ValueError("Stacked needs at least one cell.")
    if not 0.0 <= self.dropout < 1.0:
      raise ValueError(f"Stacked dropout must be in [0, 1); got {self.dropout}.")
    initial = initial_state if initial_state is not None else [None] * len(self.cells)
    if len(initial) != len(self.cells):
      raise ValueError(f"initial_state must hold {len(self.cells)} states; got {len(initial)}.")
    states, out = [], xs
    for index, cell in enumerate(self.cells):
      last = index == len(self.cells) - 1
      sequences = self.return_sequences or not last or (self.residual and index > 0)
      kwargs = dict(return_sequences=sequences, return_state=True,
                    time_major=self.time_major, recurrent_dropout=self.recurrent_dropout,
                    implementation=self.implementation, remat=self.remat,
                    input_dropout=self.input_dropout, name=f"layer_{index}")
      if index > 0 and self.dropout > 0.0:
        out = nn.Dropout(self.dropout, deterministic=not train)(out)
      if self.bidirectional:
        layer = Bidirectional(detached(cell), detached(cell), merge_mode=self.merge_mode, **kwargs)
      else:
        layer = Recurrent(detached(cell), **kwargs)
      state, new = layer(out, seq_lengths, initial[index], train=train)
      if self.residual and index > 0:
        if new.shape != out.shape:
          raise ValueError(f"residual needs equal widths: layer {index} maps {out.shape} to "
                           f"{new.shape}.")
        new = new + out
      out = new
      states.append(state)
    if out.ndim == 3 and not self.return_sequences:             # residual: take the last output
      out = self._last(out, seq_lengths)
    return (states, out) if self.return_state else out

  def _last(self, ys: Array, seq_lengths: Array | None) -> Array:
    """The last output of a summed sequence [B, T, F] (time_major: [T, B, F])."""
    ys = jnp.swapaxes(ys, 0, 1) if self.time_major else ys
    lengths = check_inputs(ys, seq_lengths, False)
    if not self.bidirectional:
      return last_output(ys, lengths, False)
    if self.merge_mode != "concat":
      raise ValueError("residual with return_sequences=False needs merge_mode='concat' for "
                       "bidirectional layers (the halves' last steps differ).")
    half = ys.shape[-1] // 2
    return jnp.concatenate([last_output(ys[..., :half], lengths, False),
                            last_output(ys[..., half:], lengths, True)], axis=-1)
