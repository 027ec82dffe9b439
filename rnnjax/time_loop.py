"""The time loop behind `rnnjax.layers`: pure functions on time-major arrays.

`run` takes a cell's pure step, its weights and the hoisted inputs gx [T, B, G*H], and returns
(final state, outputs [T, B, H]). Steps where `valid` [T, B] is False leave the state as it was
and output zeros; valid=None means every step is valid (no masking at all). Three implementations give the same numbers:
  "scan": `jax.lax.scan` with autodiff (the reference);
  "loop": a Python loop over steps (TF's static_rnn), for inspection and tests;
  "auto": a fused path with a hand-written backward pass where one exists for the cell
          (`rnnjax.fast`), else "scan".
"""
from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from rnnjax import cells, fast
from rnnjax.typing import Array

IMPLEMENTATIONS = ("auto", "scan", "loop")


def reverse_padded(xs: Array, lengths: Array, time_axis: int = 1) -> Array:
  """Reverses the first lengths[b] steps of every row, leaving the padding in place.

  xs [B, T, ...] (time_axis=1) or [T, B, ...] (time_axis=0); lengths [B]. Its own inverse.
  """
  time = xs.shape[time_axis]
  t = jnp.arange(time)[:, None]                                         # [T, 1]
  index = jnp.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)  # [T, B]
  if time_axis == 1:
    index = index.T                                                     # [B, T]
  index = index.reshape(index.shape + (1,) * (xs.ndim - 2))
  return jnp.take_along_axis(xs, index, axis=time_axis)


def masked_step(step, weights, h_mask: Array | None):
  """Wraps a cell step: applies the recurrent-dropout mask, freezes finished rows.

  Returns body(state, (gx_t [B, G*H], valid_t [B])) -> (state, y_t [B, H]).
  """
  def body(state, inputs):
    gx_t, valid_t = inputs
    if h_mask is None:
      new_state, y_t = step(weights, state, gx_t)
    else:
      new_state, y_t = step(weights, state, gx_t, h_mask=h_mask)
    if valid_t is None:
      return jax.tree.map(lambda n, o: n.astype(o.dtype), new_state, state), y_t
    keep = valid_t[:, None]                                             # [B, 1]
    state = jax.tree.map(lambda n, o: jnp.where(keep, n.astype(o.dtype), o), new_state, state)
    return state, jnp.where(keep, y_t, jnp.zeros_like(y_t))

  return body


def default_chunk(time: int) -> int:
  """sqrt(T) steps per rematerialised chunk: O(sqrt(T)) memory for the saved states."""
  return max(1, int(math.isqrt(time)))


def _scan(body, state0, gx: Array, valid: Array, unroll: int, remat_chunk: int):
  if not remat_chunk:
    return jax.lax.scan(body, state0, (gx, valid), unroll=unroll)
  time = gx.shape[0]
  chunks = -(-time // remat_chunk)
  pad = chunks * remat_chunk - time                                     # padded steps are invalid
  if valid is None:                     # every real step is valid; the padded ones below are not
    valid = jnp.ones(gx.shape[:2], bool)
  gx = jnp.pad(gx, [(0, pad)] + [(0, 0)] * (gx.ndim - 1))
  valid = jnp.pad(valid, [(0, pad), (0, 0)])
  split = lambda a: a.reshape((chunks, remat_chunk) + a.shape[1:])     # noqa: E731

  @jax.checkpoint
  def chunk_body(state, inputs):
    return jax.lax.scan(body, state, inputs, unroll=unroll)

  final, ys = jax.lax.scan(chunk_body, state0, (split(gx), split(valid)))
  ys = ys.reshape((chunks * remat_chunk,) + ys.shape[2:])
  return final, ys[:time]


def run(cell, weights: Any, gx: Array, state0: Any, valid: Array | None, *,
        h_mask: Array | None = None,
        bias: Array | None = None, implementation: str = "auto", unroll: int = 1,
        remat_chunk: int = 0):
  """Runs `cell`'s step over gx [T, B, G*H] -> (final state, ys [T, B, H]); see module doc.

  bias [G*H], if given, is an input bias that gx leaves out: the fast path adds it inside the
  loop (on XLA:CPU a separate `gx + bias` pass over [T, B, G*H] costs up to 2x), the others first.
  """
  if implementation not in IMPLEMENTATIONS:
    raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}; got {implementation!r}.")
  if implementation == "auto" and not remat_chunk:
    fast = _fast_path(cell, weights)
    if fast is not None:
      return fast(weights, gx, state0, valid, h_mask, bias)
  if bias is not None:
    gx = gx + bias.reshape((1, 1, -1)).astype(gx.dtype)
  body = masked_step(cell.step_fn(), weights, h_mask)
  if implementation == "loop":
    state, ys = state0, []
    for t in range(gx.shape[0]):
      state, y_t = body(state, (gx[t], None if valid is None else valid[t]))
      ys.append(y_t)
    return state, jnp.stack(ys)
  return _scan(body, state0, gx, valid, unroll, remat_chunk)


def _fast_lstm(w, gx, state0, valid, h_mask, bias):
  hs, (h, c) = fast.lstm_recurrence(gx, w.w_hh, state0.h, state0.c, valid, h_mask, bias)
  return cells.LSTMState(h=h.astype(state0.h.dtype), c=c.astype(state0.c.dtype)), hs


def _fast_gru(w, gx, state0, valid, h_mask, bias):
  hs, h = fast.gru_recurrence(gx, w.w_hh, w.b_hh, state0.h, valid, h_mask, bias)
  return cells.HiddenState(h.astype(state0.h.dtype)), hs


def _fast_path(cell, weights):
  """The fused implementation (`rnnjax.fast`) for this cell configuration, or None.

  Covers the plain LSTM (no peepholes, projection or layer norm) and the reset-after GRU without
  layer norm; other configurations run the scan.
  """
  step = cell.step_fn()
  if step is cells.lstm_step and weights.peepholes is None and weights.projection is None \
      and weights.recurrent_norm_scale is None and weights.cell_norm is None:
    return _fast_lstm
  if step is cells.gru_step and weights.b_hh is not None and weights.recurrent_norm_scale is None:
    return _fast_gru
  return None
