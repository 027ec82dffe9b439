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

from rnnjax.recurrence.call import Call
from rnnjax.recurrence.fused.gru import GRU, gru_recurrence
from rnnjax.recurrence.fused.lstm import LSTM, lstm_recurrence
from rnnjax.recurrence.fused.skeleton import Family, recurrence

FAMILIES: dict[str, Family] = {"lstm": LSTM, "gru": GRU}

__all__ = ["FAMILIES", "Family", "FusedBackend", "gru_recurrence", "lstm_recurrence",
           "recurrence"]


class FusedBackend:
  """The fused loops, for cells whose `fused_family` names one of FAMILIES (the plain LSTM and
  the reset-after GRU without layer norm). Preferred by "auto": faster than the scan on CPU and
  GPU (benchmarks/README.md)."""
  name = "fused"
  auto = True

  def supports(self, call: Call) -> str | None:
    family = getattr(call.cell, "fused_family", None)
    if family not in FAMILIES:
      return (f"{type(call.cell).__name__} with these options has no fused loop (fused loops: "
              "LSTMCell without peepholes, proj_size or layer_norm; GRUCell with reset_after "
              "and without layer_norm)")
    if call.remat_chunk:
      return "remat needs the scan backend"
    if call.unroll != 1:
      return f"the fused loops do not unroll (unroll={call.unroll}); the scan backend does"
    return None

  def run(self, call: Call):
    family = FAMILIES[call.cell.fused_family]
    gx, bias = call.projected_inputs()
    w_hh, b_hh, carry0 = family.cell_args(call.cell.weights(), call.state0)
    hs, carry = recurrence(family, gx, w_hh, b_hh, carry0, call.valid, call.h_mask, bias)
    return call.final_state(carry), call.in_time_order(hs)
