"""Cells whose recurrence is linear in the state: h_t = a_t * h_{t-1} + b_t, with a_t and b_t
computed from the inputs alone (minGRU, minLSTM, LRU).

Such a recurrence can run in parallel over time (Blelloch 1990, "Prefix sums and their
applications"): the pairs e_t = (a_t, b_t) compose associatively,

  (a_1, b_1) then (a_2, b_2) = (a_2 * a_1, a_2 * b_1 + b_2),

so a prefix scan gives every (A_t, B_t) = e_1 then ... then e_t in O(log T) depth, and
h_t = A_t * h_0 + B_t. A cell opts in by subclassing `LinearRecurrentCell`: it maps its hoisted
inputs to (a, b) (`linear_recurrence`) and its states to outputs (`readout`), and names the
algebra its products live in (`algebra`): real elementwise (`REAL`), complex elementwise on
(re, im) pairs (`COMPLEX`, the LRU), or real in log space (`LOG`: a and b given as their logs,
the log-space form of Feng et al. 2024, "Were RNNs All We Needed?"). Its `step` is written once
here from those pieces, so the sequential backends ("scan", "static") and the parallel one
(`rnnjax.recurrence.associative`) run the same equations.

a, b and states are tuples with one array per field of the cell's state (REAL, LOG) or the
(re, im) pair of a complex state (COMPLEX); leading dims [B] in a step, [T, B] over time.
"""
from __future__ import annotations

from typing import Any, ClassVar

import flax.linen as nn
import jax.numpy as jnp

from rnnjax.cells.base import RecurrentCell
from rnnjax.typing import Array

Fields = tuple[Array, ...]


class RealAlgebra:
  """h = a * h + b elementwise, per state field."""

  @staticmethod
  def combine(first: tuple[Fields, Fields], second: tuple[Fields, Fields]):
    (a1, b1), (a2, b2) = first, second
    return (tuple(x * y for x, y in zip(a2, a1)),
            tuple(x * y + z for x, y, z in zip(a2, b1, b2)))

  @staticmethod
  def evaluate(a: Fields, b: Fields, h: Fields) -> Fields:
    return tuple(x * y + z for x, y, z in zip(a, h, b))


class ComplexAlgebra:
  """h = a * h + b with a, b, h complex, each held as its (re, im) pair of real arrays (so that
  bfloat16 parameters and float checks work: there is no complex bfloat16)."""

  @staticmethod
  def _mul(x: Fields, y: Fields) -> Fields:
    (xr, xi), (yr, yi) = x, y
    return (xr * yr - xi * yi, xr * yi + xi * yr)

  @staticmethod
  def combine(first: tuple[Fields, Fields], second: tuple[Fields, Fields]):
    (a1, b1), (a2, b2) = first, second
    ab = ComplexAlgebra._mul(a2, b1)
    return ComplexAlgebra._mul(a2, a1), (ab[0] + b2[0], ab[1] + b2[1])

  @staticmethod
  def evaluate(a: Fields, b: Fields, h: Fields) -> Fields:
    ah = ComplexAlgebra._mul(a, h)
    return (ah[0] + b[0], ah[1] + b[1])


class LogAlgebra:
  """a and b given as log a, log b (a, b > 0): pairs compose as (log a_1 + log a_2,
  logaddexp(log a_2 + log b_1, log b_2)), the log-space scan of Feng et al. 2024 (after Heinsen
  2023). The state itself stays linear (h = exp(log a) * h + exp(log b)), so any initial state,
  including 0 and negative values, is exact."""

  @staticmethod
  def combine(first: tuple[Fields, Fields], second: tuple[Fields, Fields]):
    (a1, b1), (a2, b2) = first, second
    return (tuple(x + y for x, y in zip(a2, a1)),
            tuple(jnp.logaddexp(x + y, z) for x, y, z in zip(a2, b1, b2)))

  @staticmethod
  def evaluate(a: Fields, b: Fields, h: Fields) -> Fields:
    return tuple(jnp.exp(x) * y + jnp.exp(z) for x, y, z in zip(a, h, b))


REAL, COMPLEX, LOG = RealAlgebra(), ComplexAlgebra(), LogAlgebra()


class LinearRecurrentCell(RecurrentCell):
  """Base of the cells with a linear recurrence (module docstring). A subclass defines
  `linear_recurrence`, optionally `readout` (default: y_t = the state's first field) and
  `algebra` (default REAL); `step` and the parallel backend follow from them.

  There is no recurrent matmul, so there is nothing for variational recurrent dropout
  (`h_mask`) to act on: use dropout between layers instead.
  """
  algebra: ClassVar[Any] = REAL

  def weights(self) -> Any:
    """Nothing: the gates depend on the inputs only."""
    return ()

  @nn.nowrap
  def linear_recurrence(self, weights: Any, gx: Array) -> tuple[Fields, Fields]:
    """gx [..., G*H] (hoisted inputs, bias included) -> (a, b), tuples of [..., S] arrays; a's
    leading dims may be 1 where it does not vary (same rank as b: it broadcasts)."""
    raise NotImplementedError

  @nn.nowrap
  def readout(self, weights: Any, h: Fields, gx: Array) -> Array:
    """States h (fields [..., S]) and gx [..., G*H] -> y [..., output_size] in gx's dtype."""
    del weights
    return h[0].astype(gx.dtype)

  @nn.nowrap
  def check_no_mask(self, h_mask: Array | None) -> None:
    if h_mask is not None:
      raise ValueError(f"recurrent_dropout cannot act on {type(self).__name__}: its state "
                       "enters no recurrent matmul (the gates depend on the inputs only). Use "
                       "dropout between layers (--dropout) instead.")

  @nn.nowrap
  def step(self, weights: Any, state: Any, gx_t: Array,
           h_mask: Array | None = None) -> tuple[Any, Array]:
    """One step: gx_t [B, G*H] -> (state with h_t = a_t h_{t-1} + b_t, y_t [B, output_size])."""
    self.check_no_mask(h_mask)
    a, b = self.linear_recurrence(weights, gx_t)
    h = self.algebra.evaluate(a, b, tuple(s.astype(x.dtype) for s, x in zip(state, b)))
    new_state = type(state)(*(x.astype(s.dtype) for x, s in zip(h, state)))
    return new_state, self.readout(weights, h, gx_t)


class GatedLinearCell(LinearRecurrentCell):
  """Base of minGRU and minLSTM (Feng et al. 2024): gates and candidate come from one input
  projection [D, G*H] (G = num_gates) and nothing recurrent; the recurrence runs in linear space
  (REAL) or, with log_space, in log space (LOG). A subclass gives `coefficients`, the (a, b)
  of its gates' pre-activations.

  Attributes:
    log_space: the paper's log-space form (positive candidate, scanned in log space).
    hidden_size, kernel_init, dtype, param_dtype: see `RecurrentCell`.
  """
  log_space: bool = False

  def setup(self):
    self.input = self.input_projection()

  @nn.nowrap
  def linear_recurrence(self, weights, gx: Array):
    """gx [..., G*H] -> (a,), (b,) [..., H] (their logs with log_space)."""
    del weights                                                      # nothing recurrent
    return self.coefficients(*jnp.split(gx, self.num_gates, axis=-1))

  def coefficients(self, *pre_activations: Array) -> tuple[tuple[Array], tuple[Array]]:
    """The G gate pre-activations [..., H] -> (a,), (b,) [..., H] (logs with log_space)."""
    raise NotImplementedError

  @property
  def algebra(self):
    return LOG if self.log_space else REAL
