"""What the engine hands a backend: one run of a cell over time (`Call`), and the helpers every
backend shares (the hoisted input projection, reversal of each row's valid prefix)."""
from __future__ import annotations

import dataclasses
from typing import Any, Protocol

import jax.numpy as jnp

from rnnjax.typing import Array


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


def row_mask(valid_t: Array, like: Array) -> Array:
  """valid_t [B] -> [B, 1, ..., 1] of like's rank: selects whole rows of like [B, ...] (h [B, H]
  or a frame state [B, *S, H])."""
  return valid_t.reshape(valid_t.shape + (1,) * (like.ndim - 1))


@dataclasses.dataclass(frozen=True)
class Call:
  """One run of `cell` over time.

  Attributes:
    cell: a bound cell (rnnjax.cells.base's contract).
    xs: [T, B, D] time-major inputs ([T, B, *S, D] for a cell that steps over frames); steps
      past a row's length are zero (the engine zeroes them, so that NaN or inf in the padding
      can reach no value and no gradient).
    lengths: [B] int32 valid steps of each row (T for every row when not `masked`).
    masked: whether lengths were given; False: every step is valid, and backends skip masking.
    state0: the initial state (the cell's state type, rows [B]).
    h_mask: [B, H] variational recurrent-dropout mask, or None.
    reverse: run each row from its last valid step back to step 0.
    unroll: steps per loop iteration (lax.scan's unroll).
    remat_chunk: recompute the forward pass in chunks of this many steps in the backward pass
      (0: off).
  """
  cell: Any
  xs: Array
  lengths: Array
  masked: bool
  state0: Any
  h_mask: Array | None = None
  reverse: bool = False
  unroll: int = 1
  remat_chunk: int = 0

  @property
  def valid(self) -> Array | None:
    """[T, B] bool: step t of row b is real; None when every step is."""
    if not self.masked:
      return None
    return jnp.arange(self.xs.shape[0])[:, None] < self.lengths[None, :]

  def projected_inputs(self) -> tuple[Array, Array | None]:
    """(gx [T, B, G*H] in processing order, without the input bias; the bias [G*H] or None).

    The bias comes apart so that a backend can add it inside its loop (on XLA:CPU a separate
    `gx + bias` pass over [T, B, G*H] is slower); one that cannot adds it first.
    """
    gx = self.cell.project_inputs(self.xs, add_bias=False)            # [T, B, G*H]
    bias = self.cell.input_bias()
    if bias is not None:
      bias = bias.astype(gx.dtype)                                     # [G*H]
    if self.reverse:
      gx = reverse_padded(gx, self.lengths, time_axis=0)
    return gx, bias

  def in_time_order(self, ys: Array) -> Array:
    """ys [T, B, ...] in processing order -> in the inputs' time order."""
    return reverse_padded(ys, self.lengths, time_axis=0) if self.reverse else ys

  def final_state(self, carry: tuple[Array, ...]) -> Any:
    """A backend's final carry (the state's fields, in order) as the cell's state type, in
    state0's dtypes."""
    return type(self.state0)(*(c.astype(s.dtype) for c, s in zip(carry, self.state0)))


class Backend(Protocol):
  """A way to run a cell over time (see rnnjax.recurrence).

  name: the `implementation=` string that asks for it.
  auto: whether `implementation="auto"` may pick it (where a benchmark shows it faster).
  """
  name: str
  auto: bool

  def supports(self, call: Call) -> str | None:
    """None if this backend can run `call` exactly, else the reason it cannot."""

  def run(self, call: Call) -> tuple[Any, Array]:
    """-> (final state, ys [T, B, H] in the inputs' time order, 0 past each row's length)."""
