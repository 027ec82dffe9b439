"""Persistent LSTM / GRU recurrence kernels in Pallas: the "pallas" backend.

The forward recurrence and the backward recurrence each run as ONE kernel (kernels.py) that
keeps the recurrent weights and the state on chip across all time steps, as cuDNN's persistent
RNN kernels do, instead of XLA's several kernel launches per step. GPU: Triton (the block
shapes are powers of 2, tl.dot tiles at least 16); TPU: Mosaic (tiles of (8, 128), time in
sequential chunks with the state in VMEM). The input projection (one big matmul) and the weight
gradients (one matmul over all steps) stay in XLA. Lengths are handled in the kernel (a row's
state freezes past its length); reverse runs through the engine's reversal of each row's valid
prefix, as for the fused loops.

Covered: the cells with a fused family ("lstm": plain LSTMCell; "gru": reset-after GRUCell),
float32 or bfloat16 inputs (computed in float32), with lengths, reverse and recurrent dropout.
Tested on CPU in Pallas interpret mode against the scan, values and gradients, with both kernel
structures (tests/test_pallas.py, `interpret()`), and lowered to Triton and Mosaic TPU.
Not chosen by `implementation="auto"`: no GPU or TPU measurement yet says it is faster than the
fused loops (the command to measure it is in benchmarks/README.md); ask for it with
implementation="pallas" on a GPU or TPU.
"""
from __future__ import annotations

import contextlib

import jax
import jax.numpy as jnp

from rnnjax.recurrence.call import Call
from rnnjax.recurrence.fused import FAMILIES as FUSED, loop_support
from rnnjax.recurrence.pallas import vjp
from rnnjax.recurrence.pallas.families import FAMILIES

PLATFORMS = {"gpu": "gpu", "cuda": "gpu", "rocm": "gpu", "tpu": "tpu"}
DTYPES = ("float32", "bfloat16")


@contextlib.contextmanager
def interpret(platform: str = "gpu"):
  """Within this context (at trace time), the "pallas" backend runs on any host, CPU included,
  in Pallas interpret mode with `platform`'s kernel structure and tiling ("gpu" or "tpu"): for
  tests. Functions jitted before keep what they were traced with."""
  if platform not in ("gpu", "tpu"):
    raise ValueError(f"platform must be 'gpu' or 'tpu'; got {platform!r}.")
  previous = PallasBackend.interpret_as
  PallasBackend.interpret_as = platform
  try:
    yield
  finally:
    PallasBackend.interpret_as = previous


class PallasBackend:
  """The Pallas kernels (see the module docstring); implementation="pallas"."""
  name = "pallas"
  auto = False
  interpret_as: str | None = None

  def supports(self, call: Call) -> str | None:
    reason = loop_support(call, "Pallas kernel", FAMILIES)
    if reason is not None:
      return reason
    dtypes = {jnp.dtype(a.dtype).name for a in (call.xs, *jax.tree.leaves(call.state0))}
    if not dtypes <= set(DTYPES):
      return f"the Pallas kernels take {' or '.join(DTYPES)} inputs; got {sorted(dtypes)}"
    if self.interpret_as is None and self._platform() is None:
      return (f"the Pallas kernels need a GPU or TPU; the default backend is "
              f"{jax.default_backend()!r} (tests run them on CPU in interpret mode: "
              "rnnjax.recurrence.pallas.interpret())")
    return None

  @staticmethod
  def _platform() -> str | None:
    return PLATFORMS.get(jax.default_backend())

  def run(self, call: Call):
    gx, bias = call.projected_inputs()                                 # [T, B, G*H]
    io = gx.dtype
    gx = gx.astype(jnp.float32)
    if bias is not None:
      gx = gx + bias.astype(jnp.float32)[None, None, :]
    name = call.cell.fused_family
    w_hh, b_hh, carry0 = FUSED[name].cell_args(call.cell.weights(), call.state0)
    platform = self.interpret_as or self._platform()
    h_states, carry = vjp.recurrence(name, platform, self.interpret_as is not None, gx, w_hh,
                                     b_hh, carry0, call.lengths, call.h_mask)
    ys = h_states if call.valid is None else jnp.where(call.valid[:, :, None], h_states, 0.0)
    return call.final_state(carry), call.in_time_order(ys.astype(io))
