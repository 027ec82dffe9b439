"""Fused LSTM / GRU time loops with hand-written VJPs: the "fused" backend.

The cell hoists its input projection `gx = x @ W_ih` out of the loop (one big matmul whose
autodiff already gives `dW_ih` as one big matmul). What is left, the recurrence, is what these
loops compute. Autodiff of `lax.scan` is slow on CPU: its backward loop runs many small per-step
ops and accumulates `dW_hh` with one small matmul per step. Here the forward scan saves what the
backward needs in a few stacked arrays (LSTM: the four gate activations and c, each [T, B, H];
GRU: gradient coefficients [T, B, 5H]) plus the h states, the reverse scan computes only the
per-step pre-activation gradients and `dh_{t-1}`, and the weight gradient is ONE matmul over all
steps: `dW_hh = H_prev^T @ dZ` ([H, T*B] x [T*B, G*H]). Zero cotangents are skipped (symbolic
zeros): a loss on the final state only never builds per-step output gradients.

Masking: on an invalid step the state is frozen and the output is 0; in the backward pass such
a step passes the state gradient straight through and contributes nothing to any weight
gradient. Variational recurrent dropout: `h_mask` [B, H] multiplies h only where it enters the
recurrent matmul; its gradient is exact (computed only when h_mask is differentiated).

`skeleton.py` holds the loop and its VJP once; a cell family (lstm.py, gru.py) supplies one
step forward and backward. A cell opts in through its `fused_family` property.
"""
from __future__ import annotations

import jax

from rnnjax.recurrence.call import Call, reverse_padded
from rnnjax.recurrence.fused import pair
from rnnjax.recurrence.fused.gru import GRU, gru_recurrence
from rnnjax.recurrence.fused.lstm import LSTM, lstm_recurrence
from rnnjax.recurrence.fused.skeleton import Family, recurrence
from rnnjax.typing import Array

FAMILIES: dict[str, Family] = {"lstm": LSTM, "gru": GRU}

__all__ = ["FAMILIES", "Family", "FusedBackend", "FusedPairBackend", "gru_recurrence",
           "loop_support", "lstm_recurrence", "recurrence"]


class FusedBackend:
  """The fused loops, for cells whose `fused_family` names one of FAMILIES (the plain LSTM and
  the reset-after GRU without layer norm). Preferred by "auto": in benchmarks/results/results.md
  (CPU, 2 cores, 2026-12-03: `rnnjax_*` against `scan_*`) it takes 0.30-0.68x the scan's time
  at inference and 0.52-0.86x at LSTM training; GRU training 0.67-0.95x, except at HAR (1.02x)
  and row-MNIST (1.14x) shapes, where the run of 2026-12-02 measured 0.90x and 0.97x: there
  the two are about even. Unmeasured on GPU."""
  name = "fused"
  auto = True

  def supports(self, call: Call) -> str | None:
    return loop_support(call, "fused loop", FAMILIES)

  def run(self, call: Call):
    family = FAMILIES[call.cell.fused_family]
    xs, w_ih, bias = raw_inputs(call)
    w_hh, b_hh, carry0 = family.cell_args(call.cell.weights(), call.state0)
    hs, carry = recurrence(family, xs, w_hh, b_hh, carry0, call.valid, call.h_mask, bias,
                           w_ih=w_ih, project_in_loop=project_in_loop())
    return call.final_state(carry), call.in_time_order(hs)

  def supports_pair(self, fw: Call, bw: Call) -> str | None:
    """None if `run_pair` can run both directions in one loop, else the reason it cannot."""
    for call in (fw, bw):
      reason = self.supports(call)
      if reason is not None:
        return reason
    cells = (fw.cell, bw.cell)
    for attribute in ("fused_family", "hidden_size", "dtype", "param_dtype"):
      values = {getattr(cell, attribute) for cell in cells}
      if len(values) > 1:
        return f"the two cells differ in {attribute} ({' vs '.join(map(str, values))})"
    if fw.reverse or not bw.reverse:
      return "a pair is a forward call and a reverse call"
    if (fw.h_mask is None) != (bw.h_mask is None):
      return "recurrent dropout in one direction only"
    return None

  def run_pair(self, fw: Call, bw: Call):
    """Both directions in one loop (pair.py) -> ((fw state, bw state), (fw ys, bw ys)), ys
    [T, B, H] in the inputs' time order."""
    family = FAMILIES[fw.cell.fused_family]
    (xs_f, w_ih_f, bias_f), (xs_b, w_ih_b, bias_b) = raw_inputs(fw), raw_inputs(bw)
    w_f, b_f, carry_f = family.cell_args(fw.cell.weights(), fw.state0)
    w_b, b_b, carry_b = family.cell_args(bw.cell.weights(), bw.state0)
    gates = w_f.shape[1] // fw.cell.hidden_size
    hs, carry = recurrence(
        family, pair.concat(xs_f, xs_b), pair.block_diagonal(w_f, w_b, gates),
        pair.optional(pair.interleave, b_f, b_b, gates),
        tuple(pair.concat(f, b) for f, b in zip(carry_f, carry_b)), fw.valid,
        pair.optional(pair.concat, fw.h_mask, bw.h_mask), pair.interleave(bias_f, bias_b, gates),
        w_ih=pair.block_diagonal(w_ih_f, w_ih_b, gates), project_in_loop=project_in_loop())
    hs_f, hs_b = pair.split_halves(hs)                                 # [T, B, H] each
    halves = [pair.split_halves(c) for c in carry]
    return ((fw.final_state(tuple(f for f, _ in halves)),
             bw.final_state(tuple(b for _, b in halves))),
            (hs_f, bw.in_time_order(hs_b)))


class FusedPairBackend(FusedBackend):
  """The fused loops, with the two directions of a bidirectional layer in ONE loop (pair.py:
  a block-diagonal cell of width 2H): implementation="fused_pair"; single directions run as
  "fused". Same numbers as two fused loops.

  Not chosen by "auto": on CPU (2 cores) the HAR classifier's full training step (B=100, T=128,
  H=32) takes 1.21-1.23x the time of two loops with LSTM cells and 1.09-1.11x with GRU cells
  (benchmarks/results/pair/ and pair/run2/, 10 interleaved rounds each, 2026-12-03): XLA:CPU's
  small matmuls cost in proportion to their flops, and the block-diagonal kernel doubles them,
  which outweighs the per-step overhead that one loop saves. Unmeasured on GPU/TPU, where one loop
  halves the kernel launches per step (benchmarks/gpu_check.sh times it there).
  """
  name = "fused_pair"
  auto = False


def loop_support(call: Call, kind: str, families) -> str | None:
  """Why a hand-written loop over a cell family (`kind`: "fused loop", "Pallas kernel") cannot
  run `call`, or None: the cell's `fused_family` must be in `families`, and remat and unroll
  are the scan's."""
  if getattr(call.cell, "fused_family", None) not in families:
    return (f"{type(call.cell).__name__} with these options has no {kind} ({kind}s: LSTMCell "
            "without peepholes, proj_size, layer_norm or clipping; GRUCell with reset_after "
            "and without layer_norm)")
  if call.remat_chunk:
    return "remat needs the scan backend"
  if call.unroll != 1:
    return f"the {kind}s do not unroll (unroll={call.unroll}); the scan backend does"
  return None


def raw_inputs(call: Call) -> tuple[Array, Array, Array]:
  """(xs [T, B, D] in processing order and the projection's dtype, w_ih [D, G*H], bias [G*H]):
  the cell's input projection taken apart, so that the loop can run it (see skeleton.py)."""
  # A projection of no steps: at initialisation it creates the parameters, and it checks the
  # feature size (with the cell's own error); it gives the projection's dtype and costs nothing.
  dtype = call.cell.project_inputs(call.xs[:0], add_bias=False).dtype
  xs = call.xs.astype(dtype)
  if call.reverse:
    xs = reverse_padded(xs, call.lengths, time_axis=0)
  return xs, call.cell.input_kernel().astype(dtype), call.cell.input_bias().astype(dtype)


def project_in_loop() -> bool:
  """Whether inference projects each step inside the loop: on CPU (faster at large batch in an
  A/B run whose output was not kept); elsewhere unmeasured, so the projection stays one matmul
  before the loop."""
  return jax.default_backend() == "cpu"
