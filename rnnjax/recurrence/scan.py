"""The reference backends: `lax.scan` over the cell's own `step` with autodiff ("scan"), and a
Python loop over steps ("static", TensorFlow's static_rnn: the graph unrolled at trace time)."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from rnnjax.recurrence.call import Call, row_mask
from rnnjax.typing import Array


def masked_step(cell, weights, h_mask: Array | None):
  """Wraps cell.step: applies the recurrent-dropout mask and freezes finished rows.

  Returns body(state, (gx_t [B, G*H], valid_t [B] or None)) -> (state, y_t [B, H]) (frames:
  gx_t [B, *S, G*H], y_t [B, *S, H]).
  """
  def body(state, inputs):
    gx_t, valid_t = inputs
    new_state, y_t = cell.step(weights, state, gx_t, h_mask)
    if valid_t is None:
      return jax.tree.map(lambda n, o: n.astype(o.dtype), new_state, state), y_t
    state = jax.tree.map(lambda n, o: jnp.where(row_mask(valid_t, o), n.astype(o.dtype), o),
                         new_state, state)
    return state, jnp.where(row_mask(valid_t, y_t), y_t, jnp.zeros_like(y_t))

  return body


def default_chunk(time: int) -> int:
  """sqrt(T) steps per rematerialised chunk: O(sqrt(T)) memory for the saved states."""
  return max(1, int(math.isqrt(time)))


def _biased_inputs(call: Call) -> Array:
  gx, bias = call.projected_inputs()
  return gx if bias is None else gx + bias.reshape((1,) * (gx.ndim - 1) + (-1,)).astype(gx.dtype)


def _remat_scan(body, state0, gx: Array, valid: Array | None, unroll: int, chunk: int):
  """lax.scan in chunks of `chunk` steps, each rematerialised (jax.checkpoint) when
  differentiated."""
  time = gx.shape[0]
  chunks = -(-time // chunk)
  pad = chunks * chunk - time                                           # padded steps are invalid
  if valid is None:                     # every real step is valid; the padded ones below are not
    valid = jnp.ones(gx.shape[:2], bool)
  gx = jnp.pad(gx, [(0, pad)] + [(0, 0)] * (gx.ndim - 1))
  valid = jnp.pad(valid, [(0, pad), (0, 0)])
  split = lambda a: a.reshape((chunks, chunk) + a.shape[1:])           # noqa: E731

  @jax.checkpoint
  def chunk_body(state, inputs):
    return jax.lax.scan(body, state, inputs, unroll=unroll)

  final, ys = jax.lax.scan(chunk_body, state0, (split(gx), split(valid)))
  ys = ys.reshape((chunks * chunk,) + ys.shape[2:])
  return final, ys[:time]


class ScanBackend:
  """`jax.lax.scan` over `cell.step`, gradients by autodiff: the reference every other backend
  is tested against. Runs every cell and option (unroll, remat)."""
  name = "scan"
  auto = True

  def supports(self, call: Call) -> str | None:
    del call
    return None

  def run(self, call: Call):
    gx, valid = _biased_inputs(call), call.valid      # projecting first creates the parameters
    body = masked_step(call.cell, call.cell.weights(), call.h_mask)
    if call.remat_chunk:
      final, ys = _remat_scan(body, call.state0, gx, valid, call.unroll, call.remat_chunk)
    else:
      final, ys = jax.lax.scan(body, call.state0, (gx, valid), unroll=call.unroll)
    return final, call.in_time_order(ys)


class StaticBackend:
  """A Python loop over the steps (TensorFlow's static_rnn): the whole recurrence unrolled into
  one graph at trace time, for inspection and tests; compile time grows with T."""
  name = "static"
  auto = False

  def supports(self, call: Call) -> str | None:
    if call.remat_chunk:
      return "remat needs the scan backend"
    return None

  def run(self, call: Call):
    gx, valid = _biased_inputs(call), call.valid
    body = masked_step(call.cell, call.cell.weights(), call.h_mask)
    state, ys = call.state0, []
    for t in range(gx.shape[0]):
      state, y_t = body(state, (gx[t], None if valid is None else valid[t]))
      ys.append(y_t)
    return state, call.in_time_order(jnp.stack(ys))
