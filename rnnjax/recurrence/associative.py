"""The "associative" backend: a linear recurrence run as a parallel prefix scan over time.

For cells with a linear recurrence h_t = a_t * h_{t-1} + b_t whose a_t, b_t depend on the inputs
only (`rnnjax.cells.linear.LinearRecurrentCell`: minGRU, minLSTM, LRU), the pairs (a_t, b_t)
compose associatively, so `jax.lax.associative_scan` computes every prefix (A_t, B_t) in
O(log T) depth (Blelloch 1990; as in Smith et al. 2023, S5, and Orvieto et al. 2023, LRU) and
h_t = A_t * h_0 + B_t. The cell supplies the pieces (`linear_recurrence`, `readout` and the
`algebra` of its products: real, complex or log space); this module only runs them, so its
numbers equal the sequential scan over the same cell's `step`.

Lengths: in processing order (after `reverse` has flipped each row's valid prefix) the padding
comes after every valid step, and a prefix scan is causal, so the padding cannot reach a valid
output; outputs past each length are zeroed and the final state is read at the last valid step
(h_0 for length 0). The engine has zeroed the padded inputs, so NaN or inf there reaches no
value and no gradient.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from rnnjax.recurrence.call import Call
from rnnjax.typing import Array


def last_valid(hs: Array, lengths: Array, h0: Array) -> Array:
  """hs [T, B, ...] -> hs[lengths[b] - 1, b] [B, ...], or h0[b] where lengths[b] == 0."""
  index = jnp.maximum(lengths - 1, 0).reshape((1, -1) + (1,) * (hs.ndim - 2))   # [1, B, 1..]
  last = jnp.take_along_axis(hs, index, axis=0)[0]                             # [B, ...]
  keep = (lengths > 0).reshape((-1,) + (1,) * (hs.ndim - 2))
  return jnp.where(keep, last, h0.astype(last.dtype))


class AssociativeBackend:
  """`jax.lax.associative_scan` over the cell's linear recurrence, for cells that define
  `linear_recurrence` (LinearRecurrentCell). Preferred by "auto" for them: on 2 CPU cores it
  trains minGRU at T=4096 many times faster than the scan (benchmarks/bench_scan.py), and it
  never applies to LSTM or GRU cells."""
  name = "associative"
  auto = True

  def supports(self, call: Call) -> str | None:
    if not hasattr(call.cell, "linear_recurrence"):
      return (f"{type(call.cell).__name__} has no linear recurrence (the associative scan runs "
              "MinGRUCell, MinLSTMCell, LRUCell: cells.linear.LinearRecurrentCell)")
    if call.h_mask is not None:
      return "these cells have no recurrent matmul for recurrent dropout to act on"
    if call.remat_chunk:
      return "remat needs the scan backend"
    if call.unroll != 1:
      return f"the associative scan does not unroll (unroll={call.unroll}); the scan does"
    return None

  def run(self, call: Call):
    cell = call.cell
    gx, bias = call.projected_inputs()                                # [T, B, G*H]
    if bias is not None:
      gx = gx + bias.reshape((1, 1, -1)).astype(gx.dtype)
    weights = cell.weights()
    a, b = cell.linear_recurrence(weights, gx)                        # fields [T, B, S]
    a_cum, b_cum = jax.lax.associative_scan(cell.algebra.combine, (a, b), axis=0)
    h0 = tuple(s[None].astype(x.dtype) for s, x in zip(call.state0, b))   # [1, B, S]
    hs = cell.algebra.evaluate(a_cum, b_cum, h0)                      # fields [T, B, S]
    ys = cell.readout(weights, hs, gx)                                # [T, B, H]
    if call.masked:
      ys = jnp.where(call.valid[:, :, None], ys, jnp.zeros_like(ys))
      final = tuple(last_valid(h, call.lengths, s) for h, s in zip(hs, call.state0))
    else:
      final = tuple(h[-1] for h in hs)
    return call.final_state(final), call.in_time_order(ys)
