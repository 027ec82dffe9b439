"""The reset-after GRU time loop with a hand-written VJP (see rnnjax.fast). Gate order r, z, n."""
from typing import Optional

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from rnnjax.fast.common import (as_mask, cast_inputs, compute_dtype, dot, dot_tn, input_grads,
                               io_marker, keep, masked, project, project_all, shift_in, sigmoid,
                               zeros_if_symbolic)
from rnnjax.typing import Array


def _to_nru(a: Array, hidden: int) -> Array:
  """Gate blocks (r, z, n) -> (n, r, z) on the last axis (the internal order of the GRU loop)."""
  return jnp.concatenate([a[..., 2 * hidden:], a[..., :2 * hidden]], axis=-1)


def _from_nru(a: Array, hidden: int) -> Array:
  """Gate blocks (n, r, z) -> (r, z, n) on the last axis."""
  return jnp.concatenate([a[..., hidden:], a[..., :hidden]], axis=-1)


def _gru_scan(gx, w_nru, b_nru, h0, valid, h_mask, bias, w_ih, save):
  """Forward loop with the kernel in (n, r, z) order.

  save=False: hs [T, B, H]. save=True: (h states [T, B, H], coefficients [T, B, 5H]) where the
  coefficients turn dh' into the gate gradients with one multiply:
    [d hh_n, d pre_r, d pre_z, d pre_n] = coef[:, :4H] * (dh', dh', dh', dh'),  dh'/dh = coef[:, 4H:].
  """
  hidden = h0.shape[-1]
  scale = jnp.concatenate([jnp.ones((1, hidden)), jnp.full((1, 2 * hidden), 0.5)], axis=-1)
  scale = scale.astype(w_nru.dtype)                                   # [1, 3H]

  def step(h, inputs):
    gx_t, valid_t = inputs                                             # [B, 3H] or [B, D], [B]
    gx_t = project(gx_t, w_ih, w_nru.dtype)                           # [B, 3H]
    if bias is not None:
      gx_t = gx_t + bias[None, :]
    hh = dot(masked(h, h_mask), w_nru) + b_nru[None, :]              # [B, 3H]: (n, r, z)
    hh_n = hh[:, :hidden]
    if save:   # per-gate [B, H] ops: the coefficients below then fuse with them
      r = sigmoid(gx_t[:, :hidden] + hh[:, hidden:2 * hidden])
      u = sigmoid(gx_t[:, hidden:2 * hidden] + hh[:, 2 * hidden:])
    else:
      # One tanh over the full [B, 3H] row (its n third, tanh(hh_n), is unused): XLA:CPU then
      # emits it as its own fusion. Per-gate slices made XLA fuse the whole inference step into
      # one loop with three tanh per element, ~2x slower (see benchmarks/README.md).
      pre = hh + jnp.concatenate([jnp.zeros_like(hh_n), gx_t[:, :2 * hidden]], axis=-1)
      t = jnp.tanh(pre * scale)                                        # [B, 3H]
      r, u = 0.5 * t[:, hidden:2 * hidden] + 0.5, 0.5 * t[:, 2 * hidden:] + 0.5
    n = jnp.tanh(gx_t[:, 2 * hidden:] + r * hh_n)                     # [B, H]
    h_new = keep(valid_t, n + u * (h - n), h)
    if not save:
      return h_new, keep(valid_t, h_new, 0)
    d_pre_n = (1 - u) * (1 - n * n)
    coef = jnp.concatenate([d_pre_n * r, d_pre_n * hh_n * r * (1 - r), (h - n) * u * (1 - u),
                            d_pre_n, u], axis=-1)                      # [B, 5H]
    return h_new, (h_new, coef)

  return jax.lax.scan(step, h0, (gx, valid))


def gru_recurrence_reference(gx: Array, w_hh: Array, b_hh: Array, h0: Array,
                             valid: Optional[Array],
                             h_mask: Optional[Array] = None, bias: Optional[Array] = None, *,
                             w_ih: Optional[Array] = None) -> tuple[Array, Array]:
  """Plain GRU loop: lax.scan, gradients by autodiff. Same contract as `gru_recurrence`."""
  dtype = compute_dtype(gx.dtype)
  w, b, h0, h_mask, bias, w_ih = cast_inputs(dtype, w_hh, b_hh, h0, h_mask, bias, w_ih)
  z_in = project_all(gx, w_ih, dtype)                                 # [T, B, 3H]

  def step(h, inputs):
    gx_t, valid_t = inputs
    if bias is not None:
      gx_t = gx_t + bias[None, :]
    x_r, x_z, x_n = jnp.split(gx_t, 3, axis=-1)
    h_r, h_z, h_n = jnp.split(dot(masked(h, h_mask), w) + b[None, :], 3, axis=-1)
    r, u = jax.nn.sigmoid(x_r + h_r), jax.nn.sigmoid(x_z + h_z)
    n = jnp.tanh(x_n + r * h_n)
    h_new = (1 - u) * n + u * h
    return keep(valid_t, h_new, h), keep(valid_t, h_new, 0)

  h, hs = jax.lax.scan(step, h0, (z_in, valid))
  return hs.astype(gx.dtype), h.astype(gx.dtype)


@jax.custom_vjp
def _gru(gx, w, b, h0, valid, h_mask, bias, w_ih):
  hidden = h0.shape[-1]
  h, hs = _gru_scan(gx, _to_nru(w, hidden), _to_nru(b, hidden), h0, valid, h_mask, bias, w_ih,
                    save=False)
  return hs, h


def _gru_fwd(*primals):
  mask_grad = primals[5] is not None and primals[5].perturbed
  gx, w, b, h0, valid, h_mask, bias, w_ih = (None if p is None else p.value for p in primals)
  hidden = h0.shape[-1]
  w_nru = _to_nru(w, hidden)
  h, (h_states, coef) = _gru_scan(gx, w_nru, _to_nru(b, hidden), h0, valid, h_mask, bias, w_ih,
                                  save=True)
  hs = h_states if valid is None else jnp.where(valid[:, :, None], h_states, 0)  # [T, B, H]
  proj = None if w_ih is None else (gx, w_ih)
  return (hs, h), (coef, shift_in(h0, h_states), valid, w_nru, h_mask, mask_grad or None,
                   bias, io_marker(gx), proj)


def _gru_bwd(res, cotangents):
  coef, h_prev, valid, w_nru, h_mask, mask_grad, bias, io, proj = res
  d_hs, d_h = cotangents
  shape, dtype = h_prev.shape[1:], h_prev.dtype
  hidden = shape[-1]
  d_h = zeros_if_symbolic(d_h, shape, dtype)
  with_d_hs = not isinstance(d_hs, SymbolicZero)
  w_t = w_nru.T                                                        # [3H, H]

  def step(carry, inputs):
    d_h, d_mask = carry                                                # grad w.r.t. state after t
    coef_t, valid_t, d_out, h_prev_t = inputs
    d_hn = d_h if d_out is None else d_h + d_out.astype(dtype)
    # (d hh_n, d pre_r, d pre_z, d pre_n) [B, 4H]; its first 3H are d hh in (n, r, z) order.
    d_all = keep(valid_t, coef_t[:, :4 * hidden] * jnp.concatenate([d_hn] * 4, axis=-1), 0)
    d_hm = dot(d_all[:, :3 * hidden], w_t)                           # [B, H]
    if d_mask is not None:
      d_mask = d_mask + d_hm * h_prev_t
    d_h_prev = keep(valid_t, d_hn * coef_t[:, 4 * hidden:] + masked(d_hm, h_mask), d_h)
    d_gx = d_all[:, hidden:] if proj is not None else d_all[:, hidden:].astype(io.dtype)
    return (d_h_prev, d_mask), (d_gx, d_all[:, :hidden])

  d_mask0 = jnp.zeros(shape, dtype) if mask_grad else None
  xs = (coef, valid, d_hs if with_d_hs else None, h_prev if mask_grad else None)
  (d_h0, d_mask), (d_gx, d_hh_n) = jax.lax.scan(step, (d_h, d_mask0), xs, reverse=True)
  h_prev_m = masked(h_prev, h_mask)                                   # [T, B, H]
  d_w = jnp.concatenate([dot_tn(h_prev_m, d_gx[..., :2 * hidden]),  # [H, 3H] (r, z, n)
                         dot_tn(h_prev_m, d_hh_n)], axis=-1)
  d_b = jnp.concatenate([d_gx[..., :2 * hidden].sum(axis=(0, 1), dtype=dtype),
                         d_hh_n.sum(axis=(0, 1))])
  d_bias = None if bias is None else d_gx.sum(axis=(0, 1), dtype=dtype)
  d_first, d_w_ih = input_grads(proj, d_gx, dtype)
  return d_first, d_w, d_b, d_h0, None, d_mask, d_bias, d_w_ih


_gru.defvjp(_gru_fwd, _gru_bwd, symbolic_zeros=True)


def gru_recurrence(gx: Array, w_hh: Array, b_hh: Array, h0: Array, valid: Optional[Array],
                   h_mask: Optional[Array] = None, bias: Optional[Array] = None, *,
                   w_ih: Optional[Array] = None) -> tuple[Array, Array]:
  """Reset-after GRU time loop with a hand-written VJP.

  h' = (1 - u) * n + u * h with r = sigmoid(gx_r + hh_r), u = sigmoid(gx_z + hh_z),
  n = tanh(gx_n + r * hh_n), hh = (h * h_mask) @ w_hh + b_hh.

  Args:
    gx: [T, B, 3H] hoisted input term `x @ W_ih + b_ih`; gate order r, z, n.
    w_hh: [H, 3H] recurrent kernel.
    b_hh: [3H] recurrent bias (its n part sits inside r * (...)).
    h0: [B, H] initial state.
    valid: [T, B] bool; False freezes the state and zeroes the output at that step. None: every
      step is valid, and the loop skips all masking (on a GPU that made inference ~3x faster).
    h_mask: optional [B, H] recurrent dropout mask.
    bias: optional [3H] input bias b_ih, added to gx inside the loop (saves a [T, B, 3H]
      temporary, as for `lstm_recurrence`).
    w_ih: optional [D, 3H]; if given, `gx` holds the raw inputs x [T, B, D] and the projection
      runs inside the loop, as for `lstm_recurrence`.

  Returns:
    hs [T, B, H] (0 where not valid) and the final state h [B, H].
  """
  w, b, h0, h_mask, bias, w_ih = cast_inputs(compute_dtype(gx.dtype), w_hh, b_hh, h0, h_mask,
                                               bias, w_ih)
  hs, h = _gru(gx, w, b, h0, as_mask(valid), h_mask, bias, w_ih)
  return hs.astype(gx.dtype), h.astype(gx.dtype)
