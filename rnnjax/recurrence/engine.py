"""The recurrence engine's one entry point, `run`: picks a backend for the call and runs it."""
from __future__ import annotations

import warnings
from typing import Any

import jax.numpy as jnp

from rnnjax.recurrence.associative import AssociativeBackend, LinearBackend
from rnnjax.recurrence.call import Backend, Call
from rnnjax.recurrence.cudnn import CudnnBackend
from rnnjax.recurrence.fused import FusedBackend, FusedPairBackend
from rnnjax.recurrence.pallas import PallasBackend
from rnnjax.recurrence.scan import ScanBackend, StaticBackend, default_chunk
from rnnjax.typing import Array

# In the order "auto" tries them; it takes the first with `auto` set that supports the call.
# The scan runs everything, so "auto" always finds one.
BACKENDS: dict[str, Backend] = {b.name: b for b in (CudnnBackend(), FusedBackend(),
                                                    FusedPairBackend(), PallasBackend(),
                                                    AssociativeBackend(), LinearBackend(),
                                                    ScanBackend(), StaticBackend())}
IMPLEMENTATIONS = ("auto",) + tuple(BACKENDS)
RENAMED = {"loop": "static"}


def check_implementation(implementation: str) -> str:
  """The backend name for `implementation` (old names warn); a clear error for unknown ones."""
  if implementation in RENAMED:
    warnings.warn(f'implementation="{implementation}" is now "{RENAMED[implementation]}".',
                  DeprecationWarning, stacklevel=3)
    implementation = RENAMED[implementation]
  if implementation not in IMPLEMENTATIONS:
    raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}; got {implementation!r}.")
  return implementation


def select(call: Call, implementation: str = "auto", *, initializing: bool = False) -> Backend:
  """The backend that runs `call`: for "auto" the first preferred one that supports it, else
  the one named, or a ValueError with its reason. While a model is initialised only its
  parameters matter, and they are created by the cell's projection: initialisation always
  runs "auto" (so a model for a GPU backend can be initialised on a host without one)."""
  implementation = check_implementation(implementation)
  if implementation == "auto" or initializing:
    return next(b for b in BACKENDS.values() if b.auto and b.supports(call) is None)
  backend = BACKENDS[implementation]
  reason = backend.supports(call)
  if reason is None:
    return backend
  raise ValueError(f'implementation="{implementation}" cannot run this call: {reason}. '
                   'Use implementation="auto" (it picks a backend that can).')


def run(cell, xs: Array, lengths: Array | None, state0: Any, *, h_mask: Array | None = None,
        reverse: bool = False, implementation: str = "auto", unroll: int = 1,
        remat: bool = False, remat_chunk: int = 0,
        initializing: bool = False) -> tuple[Any, Array]:
  """Runs a bound `cell` over xs [T, B, D] (time-major) -> (final state, ys [T, B, H]); a cell
  that steps over frames takes xs [T, B, *S, D] -> ys [T, B, *S, H].

  Args:
    cell: a bound rnnjax cell (or FlaxCell).
    xs: [T, B, D] inputs (or [T, B, *S, D]).
    lengths: [B] valid steps of each right-padded row, or None (every step valid). Steps past a
      length leave the state as it was and output 0; whatever they hold (NaN, inf) reaches no
      value and no gradient.
    state0: the initial state, rows [B].
    h_mask: [B, H] (or [B, *S, H]) recurrent-dropout mask on h where it enters the recurrent
      matmul, or None.
    reverse: process each row from its last valid step back to step 0; ys come back in the
      inputs' time order and the final state is the one after step 0.
    implementation: "auto" or a name in BACKENDS ("fused", "scan", "static", "cudnn").
    unroll: steps per scan iteration. remat: recompute the forward pass in chunks of
      remat_chunk steps (default sqrt(T)) in the backward pass, to save memory.
    initializing: the model is being initialised (see `select`).
  """
  xs, lengths, masked = _masked_inputs(xs, lengths)
  call = Call(cell=cell, xs=xs, lengths=lengths, masked=masked, state0=state0, h_mask=h_mask,
              reverse=reverse, unroll=unroll, remat_chunk=_chunk(xs, remat, remat_chunk))
  return select(call, implementation, initializing=initializing).run(call)


def run_pair(cells: tuple[Any, Any], xs: Array, lengths: Array | None,
             states0: tuple[Any, Any], *, h_masks: tuple[Array | None, Array | None] = (None, None),
             implementation: str = "auto", unroll: int = 1, remat: bool = False,
             remat_chunk: int = 0,
             initializing: bool = False) -> tuple[tuple[Any, Any], tuple[Array, Array]]:
  """Runs a forward and a backward cell over the same xs [T, B, D] (a bidirectional layer)
  -> ((forward state, backward state), (forward ys, backward ys)), ys [T, B, H] in the inputs'
  time order; the same numbers as `run(forward)` and `run(backward, reverse=True)`.

  A backend that has `run_pair` and whose `supports_pair(forward call, backward call)` returns
  None runs both directions at once (the fused backend: one loop, see fused/pair.py); otherwise
  each direction runs on its own, each on the backend `select` picks for it. Arguments as `run`,
  one cell, state and h_mask per direction.
  """
  xs, lengths, masked = _masked_inputs(xs, lengths)
  fw, bw = (Call(cell=cell, xs=xs, lengths=lengths, masked=masked, state0=state0, h_mask=h_mask,
                 reverse=reverse, unroll=unroll, remat_chunk=_chunk(xs, remat, remat_chunk))
            for cell, state0, h_mask, reverse in zip(cells, states0, h_masks, (False, True)))
  backend_fw, backend_bw = (select(c, implementation, initializing=initializing) for c in (fw, bw))
  if (backend_fw is backend_bw and hasattr(backend_fw, "run_pair")
      and backend_fw.supports_pair(fw, bw) is None):
    return backend_fw.run_pair(fw, bw)
  (state_fw, ys_fw), (state_bw, ys_bw) = backend_fw.run(fw), backend_bw.run(bw)
  return (state_fw, state_bw), (ys_fw, ys_bw)


def _masked_inputs(xs: Array, lengths: Array | None) -> tuple[Array, Array, bool]:
  """(xs with its padding zeroed, lengths [B] (T each when None), whether lengths were given)."""
  time = xs.shape[0]
  if lengths is None:
    return xs, jnp.full(xs.shape[1:2], time, jnp.int32), False
  valid = jnp.arange(time)[:, None] < lengths[None, :]                 # [T, B]
  valid = valid.reshape(valid.shape + (1,) * (xs.ndim - 2))            # [T, B, 1, ...]
  return jnp.where(valid, xs, jnp.zeros_like(xs)), lengths, True


def _chunk(xs: Array, remat: bool, remat_chunk: int) -> int:
  return (remat_chunk or default_chunk(xs.shape[0])) if remat else 0
