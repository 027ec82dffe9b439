"""The GRU family of the fused loop: rnnjax.cells.GRUCell with the reset gate after the matmul
(cuDNN / PyTorch) and no layer norm (its `fused_family` is "gru"). Gate order r, z, n; the loop
itself keeps the recurrent term in (n, r, z) order."""
from __future__ import annotations

import jax.numpy as jnp

from rnnjax.recurrence.fused.common import dot, dot_tn, keep, masked, sigmoid
from rnnjax.recurrence.fused.skeleton import Family, no_extra, recurrence
from rnnjax.typing import Array


def _to_nrz(a: Array, hidden: int) -> Array:
  """Gate blocks (r, z, n) -> (n, r, z) on the last axis."""
  return jnp.concatenate([a[..., 2 * hidden:], a[..., :2 * hidden]], axis=-1)


def _to_loop(w_hh: Array, b_hh: Array):
  hidden = w_hh.shape[0]
  return _to_nrz(w_hh, hidden), _to_nrz(b_hh, hidden)


def _forward(w, b, carry, gx_t, bias, h_mask, save):
  """One step with the recurrent term hh = (h * h_mask) @ w + b in (n, r, z) order.

  saved_t (save=True): coefficients [B, 5H] that turn dh' into the gate gradients with one
  multiply: [d hh_n, d pre_r, d pre_z, d pre_n] = coef[:, :4H] * (dh',) * 4, dh'/dh = coef[:, 4H:].
  """
  (h,) = carry
  hidden = h.shape[-1]
  if bias is not None:
    gx_t = gx_t + bias[None, :]
  hh = dot(masked(h, h_mask), w) + b[None, :]                         # [B, 3H]: (n, r, z)
  hh_n = hh[:, :hidden]
  if save:   # per-gate [B, H] ops: the coefficients below then fuse with them
    r = sigmoid(gx_t[:, :hidden] + hh[:, hidden:2 * hidden])
    z = sigmoid(gx_t[:, hidden:2 * hidden] + hh[:, 2 * hidden:])
  else:
    # One tanh over the full [B, 3H] row (its n third, tanh(hh_n), is unused): XLA:CPU then
    # emits it as its own fusion. Per-gate slices made XLA fuse the whole inference step into
    # one loop with three tanh per element, slower in an A/B run whose output was not kept.
    scale = jnp.concatenate([jnp.ones((1, hidden)), jnp.full((1, 2 * hidden), 0.5)], axis=-1)
    pre = hh + jnp.concatenate([jnp.zeros_like(hh_n), gx_t[:, :2 * hidden]], axis=-1)
    t = jnp.tanh(pre * scale.astype(w.dtype))                          # [B, 3H]
    r, z = 0.5 * t[:, hidden:2 * hidden] + 0.5, 0.5 * t[:, 2 * hidden:] + 0.5
  n = jnp.tanh(gx_t[:, 2 * hidden:] + r * hh_n)                       # [B, H]
  h_new = n + z * (h - n)
  if not save:
    return (h_new,), None
  d_pre_n = (1 - z) * (1 - n * n)
  coef = jnp.concatenate([d_pre_n * r, d_pre_n * hh_n * r * (1 - r), (h - n) * z * (1 - z),
                          d_pre_n, z], axis=-1)                        # [B, 5H]
  return (h_new,), coef


def _backward(coef_t, d_h, d_rest, extra, valid_t):
  hidden = d_h.shape[-1]
  # (d hh_n, d pre_r, d pre_z, d pre_n) [B, 4H]; its first 3H are d hh in (n, r, z) order.
  d_all = keep(valid_t, coef_t[:, :4 * hidden] * jnp.concatenate([d_h] * 4, axis=-1), 0)
  return (d_all[:, hidden:], d_all[:, :3 * hidden], d_h * coef_t[:, 4 * hidden:], d_rest, extra,
          d_all[:, :hidden])


def _weight_grads(h_prev_m, d_gx, d_hh_n, dtype):
  """d_gx [T, B, 3H] (r, z, n), d_hh_n [T, B, H] -> (d_w_hh [H, 3H], d_b_hh [3H]) in (r, z, n)."""
  hidden = d_hh_n.shape[-1]
  d_w = jnp.concatenate([dot_tn(h_prev_m, d_gx[..., :2 * hidden]), dot_tn(h_prev_m, d_hh_n)],
                        axis=-1)
  d_b = jnp.concatenate([d_gx[..., :2 * hidden].sum(axis=(0, 1), dtype=dtype),
                         d_hh_n.sum(axis=(0, 1))])
  return d_w, d_b


def _join(w_ih, w, b, bias):
  """-> w_cat [D + H, 4H] with columns (r, z, x_n, hh_n): the r and z terms summed by the matmul,
  the candidate's input and recurrent terms apart (r multiplies only the latter)."""
  hidden = w.shape[0]
  w_n, w_rz = w[:, :hidden], w[:, hidden:]                             # loop layout (n, r, z)
  top = jnp.concatenate([w_ih, jnp.zeros((w_ih.shape[0], hidden), w.dtype)], axis=-1)
  bottom = jnp.concatenate([w_rz, jnp.zeros((hidden, hidden), w.dtype), w_n], axis=-1)
  b_x = jnp.zeros((3 * hidden,), w.dtype) if bias is None else bias
  b_cat = jnp.concatenate([b_x[:2 * hidden] + b[hidden:], b_x[2 * hidden:], b[:hidden]])
  return jnp.concatenate([top, bottom], axis=0), b_cat


def _infer(w_cat, b_cat, carry, x_t, h_mask):
  (h,) = carry
  hidden = h.shape[-1]
  p = dot(jnp.concatenate([x_t, masked(h, h_mask)], axis=-1), w_cat) + b_cat[None, :]  # [B, 4H]
  r = sigmoid(p[:, :hidden])
  z = sigmoid(p[:, hidden:2 * hidden])
  n = jnp.tanh(p[:, 2 * hidden:3 * hidden] + r * p[:, 3 * hidden:])
  return (n + z * (h - n),)


GRU = Family(cell_args=lambda w, state: (w.w_hh, w.b_hh, (state.h,)), to_loop=_to_loop,
             forward=_forward, backward=_backward, start_extra=no_extra,
             weight_grads=_weight_grads, join=_join, infer=_infer)


def gru_recurrence(gx: Array, w_hh: Array, b_hh: Array, h0: Array, valid: Array | None,
                   h_mask: Array | None = None,
                   bias: Array | None = None) -> tuple[Array, Array]:
  """Reset-after GRU time loop with a hand-written VJP.

  h' = (1 - z) * n + z * h with r = sigmoid(gx_r + hh_r), z = sigmoid(gx_z + hh_z),
  n = tanh(gx_n + r * hh_n), hh = (h * h_mask) @ w_hh + b_hh.

  Args:
    gx: [T, B, 3H] hoisted input term `x @ W_ih (+ b_ih)`; gate order r, z, n.
    w_hh: [H, 3H] recurrent kernel. b_hh: [3H] recurrent bias (its n part sits inside r * (.)).
    h0: [B, H] initial state.
    valid, h_mask, bias: as for `lstm_recurrence`.

  Returns:
    hs [T, B, H] (0 where not valid) and the final state h [B, H].
  """
  hs, (h,) = recurrence(GRU, gx, w_hh, b_hh, (h0,), valid, h_mask, bias)
  return hs, h
