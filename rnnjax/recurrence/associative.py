"""Backends for cells whose recurrence is linear in the state (`cells.linear`: minGRU, minLSTM,
LRU): "associative", a parallel prefix scan over time, and "linear", the same recurrence
evaluated step by step after hoisting its coefficients.

Such a cell maps its hoisted inputs to h_t = a_t * h_{t-1} + b_t with a_t, b_t independent of the
state (`linear_recurrence`). The pairs (a_t, b_t) compose associatively, so
`jax.lax.associative_scan` computes every prefix (A_t, B_t) in O(log T) depth (Blelloch 1990;
as in Smith et al. 2023, S5, and Orvieto et al. 2023, LRU) and h_t = A_t * h_0 + B_t: that is
the "associative" backend, the form that makes these cells fast on GPUs and TPUs. The "linear"
backend computes a_t, b_t for every step at once too, but then runs only h = a * h + b in a
`lax.scan`. The cell supplies the pieces (`linear_recurrence`, `readout` and the `algebra` of
its products: real, complex or log space); these backends only run them, so their numbers equal
the scan over the same cell's `step`.

Which one "auto" picks: "associative" on accelerators; "linear" on CPU, where the parallel
scan's extra passes over [T, B, H] arrays cost more than the loop it removes (on 2 cores, for
T=128/784/4096, the sequential loop trains minGRU 3.4/2.2/2.4x faster, and the tree takes 6-10x
longer to compile: benchmarks/results/scan/results.md, by benchmarks/bench_scan.py). For minGRU
and minLSTM, "linear" is also faster than the scan over `step` there (1.3-1.8x and 2.0-2.5x: the
gates run vectorised over all steps instead of inside the loop); for the LRU the scan over
`step` was slightly faster on CPU (1.04-1.16x).

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


def parallel_states(algebra, a, b, h0):
  """States h_t for all t, fields [T, B, S], by `jax.lax.associative_scan` (depth log T).

  a, b: fields [T, B, S]; a may have leading dims of 1 (a time-invariant a, the LRU's lambda).
  """
  a = tuple(jnp.broadcast_to(x, y.shape) for x, y in zip(a, b))
  a_cum, b_cum = jax.lax.associative_scan(algebra.combine, (a, b), axis=0)
  return algebra.evaluate(a_cum, b_cum, tuple(h[None] for h in h0))


def sequential_states(algebra, a, b, h0):
  """States h_t for all t, fields [T, B, S], by a `lax.scan` of h = a * h + b; a time-invariant
  a (leading dim 1) stays out of the loop's inputs."""
  constant = all(x.shape[0] == 1 for x in a)

  def body(h, ab):
    a_t, b_t = ab
    h = algebra.evaluate(tuple(x[0] for x in a) if constant else a_t, b_t, h)
    return h, h
  return jax.lax.scan(body, h0, (None if constant else a, b))[1]


def last_valid(hs: Array, lengths: Array, h0: Array) -> Array:
  """hs [T, B, ...] -> hs[lengths[b] - 1, b] [B, ...], or h0[b] where lengths[b] == 0."""
  index = jnp.maximum(lengths - 1, 0).reshape((1, -1) + (1,) * (hs.ndim - 2))   # [1, B, 1..]
  last = jnp.take_along_axis(hs, index, axis=0)[0]                             # [B, ...]
  keep = (lengths > 0).reshape((-1,) + (1,) * (hs.ndim - 2))
  return jnp.where(keep, last, h0.astype(last.dtype))


class AssociativeBackend:
  """`jax.lax.associative_scan` over the cell's linear recurrence (cells that define
  `linear_recurrence`: cells.linear.LinearRecurrentCell). Picked by "auto" for them on
  accelerators only (module docstring); never for LSTM or GRU cells."""
  name = "associative"
  states = staticmethod(parallel_states)

  @property
  def auto(self) -> bool:
    return jax.default_backend() != "cpu"

  def supports(self, call: Call) -> str | None:
    if not hasattr(call.cell, "linear_recurrence"):
      return (f"{type(call.cell).__name__} has no linear recurrence (the {self.name} backend "
              "runs MinGRUCell, MinLSTMCell, LRUCell: cells.linear.LinearRecurrentCell)")
    if call.h_mask is not None:
      return "these cells have no recurrent matmul for recurrent dropout to act on"
    if call.remat_chunk:
      return "remat needs the scan backend"
    if call.unroll != 1:
      return f"the {self.name} backend does not unroll (unroll={call.unroll}); the scan does"
    return None

  def run(self, call: Call):
    cell = call.cell
    gx, bias = call.projected_inputs()                                # [T, B, G*H]
    if bias is not None:
      gx = gx + bias.reshape((1, 1, -1)).astype(gx.dtype)
    weights = cell.weights()
    a, b = cell.linear_recurrence(weights, gx)                        # fields [T, B, S]
    h0 = tuple(s.astype(x.dtype) for s, x in zip(call.state0, b))     # [B, S]
    hs = self.states(cell.algebra, a, b, h0)                          # fields [T, B, S]
    ys = cell.readout(weights, hs, gx)                                # [T, B, H]
    if call.masked:
      ys = jnp.where(call.valid[:, :, None], ys, jnp.zeros_like(ys))
      final = tuple(last_valid(h, call.lengths, s) for h, s in zip(hs, call.state0))
    else:
      final = tuple(h[-1] for h in hs)
    return call.final_state(final), call.in_time_order(ys)


class LinearBackend(AssociativeBackend):
  """The same linear recurrence with its coefficients hoisted and h = a * h + b run in a
  `lax.scan`: what "auto" picks for these cells on CPU (module docstring)."""
  name = "linear"
  states = staticmethod(sequential_states)
  auto = True
