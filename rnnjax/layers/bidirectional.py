"""`Bidirectional`: a forward and a backward `Recurrent` over the same input, merged.

With implementation="fused_pair" the two directions run through one engine call
(`recurrence.run_pair`): the fused loops then run both directions in one time loop."""
from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from rnnjax import recurrence
from rnnjax.layers.recurrent import (Recurrent, check_inputs, check_state, detached,
                                     last_output)
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
    implementation: as `Recurrent`, or "fused_pair": both directions in one fused loop (same
      numbers as two "fused" loops; not picked by "auto": on 2 CPU cores it was slower than two
      loops in an A/B run whose output was not kept; one loop halves the kernel launches per
      step on GPU/TPU, untimed).
      Input dropout and cells without a fused loop fall back to two loops.
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
    if self.implementation == "fused_pair" and not (self.input_dropout and train):
      return self._pair(xs, seq_lengths, initial_state, train)
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

  def _pair(self, xs, seq_lengths, initial_state, train):
    recurrence.engine.check_implementation(self.implementation)
    lengths = check_inputs(xs, seq_lengths, self.time_major)            # [B]
    kwargs = dict(return_sequences=self.return_sequences, return_state=True,
                  time_major=self.time_major, recurrent_dropout=self.recurrent_dropout,
                  implementation=self.implementation, remat=self.remat)
    # The two directions keep their own modules (parameters under forward/cell and
    # backward/cell); the engine runs their cells together (recurrence.run_pair).
    layers = (Recurrent(detached(self.forward_cell), name="forward", **kwargs),
              Recurrent(detached(self.backward_cell), reverse=True, name="backward", **kwargs))
    cells = tuple(layer.cell for layer in layers)
    xs_tm = xs if self.time_major else jnp.swapaxes(xs, 0, 1)            # [T, B, D]
    states0 = tuple(
        self._initial_state(cell, xs_tm.shape[1], given)
        for cell, given in zip(cells, (None, None) if initial_state is None else initial_state))
    h_masks = tuple(layer._recurrent_mask(state0, train)              # noqa: SLF001
                    for layer, state0 in zip(layers, states0))
    finals, ys = recurrence.run_pair(
        cells, xs_tm, None if seq_lengths is None else lengths, states0, h_masks=h_masks,
        implementation=self.implementation, remat=self.remat,
        initializing=self.is_initializing())                             # ys [T, B, H] each
    if self.return_sequences:
      out = merge(*ys, self.merge_mode)                                  # [T, B, 2H or H]
      out = out if self.time_major else jnp.swapaxes(out, 0, 1)
    else:
      out = merge(*(last(cell, final, y, lengths, layer.reverse)
                    for cell, final, y, layer in zip(cells, finals, ys, layers)), self.merge_mode)
    return (finals, out) if self.return_state else out

  @staticmethod
  def _initial_state(cell, batch: int, given: Any):
    state0 = cell.initial_state(batch)
    return state0 if given is None else check_state(given, state0, "initial_state")


def last(cell, final, ys: Array, lengths: Array, reverse: bool) -> Array:
  """A direction's output at its last processed valid step [B, H] (as `Recurrent` with
  return_sequences=False): its final h where that is the output, else gathered from ys
  [T, B, H]."""
  if cell.output_is_h and final.h.dtype == ys.dtype:
    return jnp.where((lengths > 0)[:, None], final.h, 0).astype(ys.dtype)
  return last_output(jnp.swapaxes(ys, 0, 1), lengths, reverse)
