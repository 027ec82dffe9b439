"""`Bidirectional`: a forward and a backward `Recurrent` over the same input, merged."""
from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from rnnjax.layers.recurrent import Recurrent, detached
from rnnjax.typing import Array

MERGE_MODES = ("concat", "sum", "mul", "ave")


def merge(fw: Array, bw: Array, mode: str) -> Array:
  """Combines forward and backward outputs [..., H] -> [..., 2H] (concat) or [..., H]."""
  if mode == "concat":
    return jnp.concatenate([fw, bw], axis=-1)
  if mode == "sum":
    return fw + bw
  if mode == "mul":
    return fw * bw
  if mode == "ave":
    return (fw + bw) / 2
  raise ValueError(f"merge_mode must be one of {MERGE_MODES}; got {mode!r}.")


class Bidirectional(nn.Module):
  """A forward and a backward `Recurrent` over the same input, merged.

  xs [B, T, D] (or frames [B, T, *S, D]) -> [B, T, 2H] (concat) or [B, T, H] (sum, mul, ave); with
  `return_sequences=False` the merged last outputs [B, 2H]: the forward layer's output at the
  last valid step and the backward layer's at step 0. With `return_state` returns
  `((forward_state, backward_state), outputs)`; `initial_state` is such a pair too.
  Parameters live under `forward` and `backward`.

  Attributes:
    forward_cell, backward_cell: the two cells (distinct instances).
    merge_mode: "concat", "sum", "mul" or "ave".
    other attributes: as `Recurrent` (each direction draws its own dropout masks).
  """
  forward_cell: nn.Module
  backward_cell: nn.Module
  merge_mode: str = "concat"
  return_sequences: bool = True
  return_state: bool = False
  time_major: bool = False
  recurrent_dropout: float = 0.0
  implementation: str = "auto"
  remat: bool = False
  input_dropout: float = 0.0

  @nn.compact
  def __call__(self, xs: Array, seq_lengths: Array | None = None, initial_state: Any = None, *,
               train: bool = False):
    if self.merge_mode not in MERGE_MODES:
      raise ValueError(f"merge_mode must be one of {MERGE_MODES}; got {self.merge_mode!r}.")
    init_fw, init_bw = (None, None) if initial_state is None else initial_state
    kwargs = dict(return_sequences=self.return_sequences, return_state=True,
                  time_major=self.time_major, recurrent_dropout=self.recurrent_dropout,
                  implementation=self.implementation, remat=self.remat,
                  input_dropout=self.input_dropout)
    state_fw, out_fw = Recurrent(detached(self.forward_cell), name="forward", **kwargs)(
        xs, seq_lengths, init_fw, train=train)
    state_bw, out_bw = Recurrent(detached(self.backward_cell), reverse=True, name="backward",
                                 **kwargs)(
        xs, seq_lengths, init_bw, train=train)
    out = merge(out_fw, out_bw, self.merge_mode)
    return ((state_fw, state_bw), out) if self.return_state else out
