"""One time loop with a hand-written VJP, shared by every fused cell family.

A family (`Family`: the LSTM's in lstm.py, the GRU's in gru.py) supplies its forward step and
the gradient of one step; this module does the rest: the forward scan, the residuals, masking,
the reverse scan, the recurrent-dropout mask's gradient and the call into the family's weight
gradients. See rnnjax.recurrence.fused for why this is faster than autodiff of `lax.scan`.

Carries are tuples whose first element is h [B, H] (LSTM (h, c), GRU (h,)). The recurrent term
of every family is `(h * h_mask) @ w (+ b)` with w [H, K] in the family's loop layout
(`Family.to_loop`), so the gradient that flows back into h through it, `d_rec @ w^T`, is
computed here once for all families.

The input projection lives here too (`w_ih`): differentiated, the forward pass projects every
step at once (gx = xs @ w_ih, one [T*B, D] x [D, G*H] matmul) and the backward pass turns d gx
into dw_ih and dxs with one matmul each; not differentiated (inference), each step projects its
own x_t inside the loop, in the same matmul as the recurrent term ([x_t, h] @ [w_ih; w]): no
[T, B, G*H] buffer is written and read back, which made large-batch inference faster on CPU (in
an A/B run whose output was not kept).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from rnnjax.recurrence.fused.common import (as_mask, cast_inputs, compute_dtype, dot, dot_tn,
                                            io_marker, keep, masked, shift_in,
                                            zeros_if_symbolic)
from rnnjax.typing import Array


class Family(NamedTuple):
  """What a cell family gives the fused loop. Shapes: B batch, H hidden, G*H the input term,
  K the recurrent term's columns.

  to_loop(w_hh [H, K], b_hh [K] | None) -> (w, b): the recurrent weights in the loop's layout.
  forward(w, b, carry, gx_t [B, G*H], bias [G*H] | None, h_mask [B, H] | None, save)
      -> (new carry, saved_t): one step, before masking; saved_t (what backward needs of the
      step) only when save, else None.
  backward(saved_t, d_h [B, H], d_rest, extra, valid_t [B] | None)
      -> (d_x [B, G*H], d_rec [B, K], d_h_direct [B, H] | None, d_rest_prev, extra_prev, out_t):
      d_h is the gradient w.r.t. the new h (its output's included), d_rest those w.r.t. the
      other carry parts. Returns the gradients of the input term and of the recurrent term
      (both 0 where valid_t is False), the part of h's gradient that does not go through the
      recurrent matmul (None: none), the other carry parts' gradients before the step (already
      kept where invalid), the family's backward carry (`extra`) before the step and a per-step
      output of the reverse scan (or None).
  start_extra(final carry) -> extra after the last step.
  weight_grads(h_prev_m [T, B, H], d_x [T, B, G*H], outs, dtype) -> (d_w_hh, d_b_hh | None) in
      the cell's layout.
  cell_args(cell weights, cell state) -> (w_hh, b_hh | None, carry): what the loop takes from
      the cell; the carry holds the state's fields in order.
  join(w_ih [D, G*H], w, b, bias) -> (w_cat [D + H, N], b_cat [N]): the input and recurrent
      weights as one matrix for `infer` (loop layout).
  infer(w_cat, b_cat, carry, x_t [B, D], h_mask) -> new carry: one step of inference from the
      raw inputs, `[x_t, h * h_mask] @ w_cat + b_cat` its only matmul.
  """
  cell_args: Callable
  to_loop: Callable
  forward: Callable
  backward: Callable
  start_extra: Callable
  weight_grads: Callable
  join: Callable
  infer: Callable


def _scan(family: Family, gx, w, b, carry0, valid, h_mask, bias, save: bool):
  """The forward loop. save=False: (carry, hs [T, B, H]); save=True: (carry, (h states
  [T, B, H], saved))."""

  def step(carry, inputs):
    gx_t, valid_t = inputs                                             # [B, G*H], [B]
    new, saved_t = family.forward(w, b, carry, gx_t.astype(w.dtype), bias, h_mask, save)
    new = tuple(keep(valid_t, n, o) for n, o in zip(new, carry))
    return new, ((new[0], saved_t) if save else keep(valid_t, new[0], 0))

  return jax.lax.scan(step, carry0, (gx, valid))


def _scan_projecting(family: Family, xs, w_ih, w, b, carry0, valid, h_mask, bias):
  """The inference loop from the raw inputs xs [T, B, D]: (carry, hs [T, B, H])."""
  w_cat, b_cat = family.join(w_ih, w, b, bias)

  def step(carry, inputs):
    x_t, valid_t = inputs                                              # [B, D], [B]
    new = family.infer(w_cat, b_cat, carry, x_t, h_mask)
    new = tuple(keep(valid_t, n, o) for n, o in zip(new, carry))
    return new, keep(valid_t, new[0], 0)

  return jax.lax.scan(step, carry0, (xs, valid))


def project(xs: Array, w_ih: Array | None) -> Array:
  """xs [T, B, D] @ w_ih [D, G*H] -> gx [T, B, G*H] as one 2-D matmul in xs' dtype (as the
  cell's own projection computes it); xs itself when w_ih is None (xs is then gx)."""
  if w_ih is None:
    return xs
  time, batch, features = xs.shape
  return jnp.dot(xs.reshape(-1, features), w_ih).reshape(time, batch, -1)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1))
def _fused(family, in_loop, xs, w_ih, w, b, carry0, valid, h_mask, bias):
  w_loop, b_loop = family.to_loop(w, b)
  if in_loop:
    carry, hs = _scan_projecting(family, xs, w_ih.astype(w.dtype), w_loop, b_loop, carry0, valid,
                                 h_mask, bias)
  else:
    carry, hs = _scan(family, project(xs, w_ih), w_loop, b_loop, carry0, valid, h_mask, bias,
                      save=False)
  return hs, carry


def _value(primal):
  return None if primal is None else primal.value


def _perturbed(primal) -> bool:
  return primal is not None and primal.perturbed


def _fused_fwd(family, in_loop, *primals):
  del in_loop                      # differentiated: the projection is hoisted (one matmul)
  xs_grad, w_ih_grad, mask_grad = (_perturbed(primals[i]) for i in (0, 1, 6))
  xs, w_ih, w, b, carry0, valid, h_mask, bias = (
      jax.tree.map(_value, p, is_leaf=lambda x: hasattr(x, "perturbed")) for p in primals)
  w_loop, b_loop = family.to_loop(w, b)
  gx = project(xs, w_ih)                                               # [T, B, G*H]
  carry, (h_states, saved) = _scan(family, gx, w_loop, b_loop, carry0, valid, h_mask, bias,
                                   save=True)
  hs = h_states if valid is None else jnp.where(valid[:, :, None], h_states, 0)  # [T, B, H]
  # What the input gradients need: dw_ih = xs^T @ d gx, dxs = d gx @ w_ih^T.
  projection = (None if w_ih is None else
                (xs if w_ih_grad else None, w_ih if xs_grad else None))
  residuals = (saved, shift_in(carry0[0], h_states), valid, w_loop, h_mask, mask_grad or None,
               bias, io_marker(gx), family.start_extra(carry), projection)
  return (hs, carry), residuals


def _fused_bwd(family, in_loop, residuals, cotangents):
  del in_loop
  saved, h_prev, valid, w, h_mask, mask_grad, bias, io, extra, projection = residuals
  d_hs, d_carry = cotangents
  shape, dtype = h_prev.shape[1:], h_prev.dtype
  d_carry = tuple(zeros_if_symbolic(d, shape, dtype) for d in d_carry)
  with_d_hs = not isinstance(d_hs, SymbolicZero)
  w_t = w.T                                                            # [K, H]

  def step(carry, inputs):
    d_carry, extra, d_mask = carry           # gradients w.r.t. the carry after step t
    saved_t, valid_t, d_out, h_prev_t = inputs
    d_h = d_carry[0] if d_out is None else d_carry[0] + d_out.astype(dtype)
    d_x, d_rec, d_h_direct, d_rest, extra, out_t = family.backward(saved_t, d_h, d_carry[1:],
                                                                   extra, valid_t)
    d_hm = dot(d_rec, w_t)                                             # [B, H]
    if d_mask is not None:
      d_mask = d_mask + d_hm * h_prev_t
    d_h_prev = masked(d_hm, h_mask)
    if d_h_direct is not None:
      d_h_prev = d_h_direct + d_h_prev
    d_h_prev = keep(valid_t, d_h_prev, d_carry[0])
    return ((d_h_prev, *d_rest), extra, d_mask), (d_x.astype(io.dtype), out_t)

  d_mask0 = jnp.zeros(shape, dtype) if mask_grad else None
  xs = (saved, valid, d_hs if with_d_hs else None, h_prev if mask_grad else None)
  (d_carry0, _, d_mask), (d_x, outs) = jax.lax.scan(step, (d_carry, extra, d_mask0), xs,
                                                    reverse=True)
  d_w, d_b = family.weight_grads(masked(h_prev, h_mask), d_x, outs, dtype)
  d_bias = None if bias is None else d_x.sum(axis=(0, 1), dtype=dtype)
  d_xs, d_w_ih = _input_grads(projection, d_x)
  return d_xs, d_w_ih, d_w, d_b, d_carry0, None, d_mask, d_bias


def _input_grads(projection, d_gx: Array):
  """(d xs, d w_ih) from d gx [T, B, G*H]: one matmul each, None where not differentiated."""
  if projection is None:                                               # xs was gx itself
    return d_gx, None
  xs, w_ih = projection
  d_w_ih = None if xs is None else dot_tn(xs, d_gx)                    # [D, G*H]
  if w_ih is None:
    return None, d_w_ih
  d_xs = dot(d_gx.reshape(-1, d_gx.shape[-1]), w_ih.T)                 # [T*B, D]
  return d_xs.reshape(d_gx.shape[:2] + (-1,)), d_w_ih


_fused.defvjp(_fused_fwd, _fused_bwd, symbolic_zeros=True)


def recurrence(family: Family, gx: Array, w_hh: Array, b_hh: Array | None,
               carry0: tuple[Array, ...], valid: Array | None, h_mask: Array | None = None,
               bias: Array | None = None, *, w_ih: Array | None = None,
               project_in_loop: bool = False) -> tuple[Array, tuple[Array, ...]]:
  """Runs `family` over gx [T, B, G*H] (or, with w_ih [D, G*H], over the inputs gx = xs
  [T, B, D], projected as xs @ w_ih) -> (hs [T, B, H], final carry).

  Computes in float32 when gx is 16-bit (the cell state keeps its precision, and XLA:CPU runs
  16-bit elementwise code slower), else in gx's dtype; outputs come back in gx's dtype.
  The projection runs in gx's dtype, as the cell's own does. project_in_loop: when nothing is
  differentiated, project each step inside the loop (32- and 64-bit inputs only: 16-bit ones are
  projected in 16 bits first, as the cell would).
  """
  dtype = compute_dtype(gx.dtype)
  in_loop = project_in_loop and w_ih is not None and dtype == gx.dtype
  w, b, h_mask, bias = cast_inputs(dtype, w_hh, b_hh, h_mask, bias)
  w_ih = None if w_ih is None else w_ih.astype(gx.dtype)
  hs, carry = _fused(family, in_loop, gx, w_ih, w, b, cast_inputs(dtype, *carry0),
                     as_mask(valid), h_mask, bias)
  return hs.astype(gx.dtype), tuple(c.astype(gx.dtype) for c in carry)


def no_extra(carry: Any) -> None:
  """`Family.start_extra` of a family that carries nothing backwards."""
  del carry
  return None
