"""The LSTM time loop with a hand-written VJP (see rnnjax.fast). Gate order i, f, g, o."""
from typing import Optional

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from rnnjax.fast.common import (as_mask, cast_inputs, compute_dtype, dot, dot_tn, input_grads,
                               io_marker, keep, masked, project, project_all, shift_in, sigmoid,
                               zeros_if_symbolic)
from rnnjax.typing import Array


def _lstm_step(w, h_mask, bias, h, c, gx_t, per_gate):
  """One step -> (gate activations (i, f, g, o), each [B, H]; c' [B, H]; h' [B, H]).

  per_gate=True (training) activates the gates one [B, H] slice at a time; they are saved for
  the backward pass anyway, and XLA:CPU keeps these small fusions on one thread (a [B, 4H] one is
  split across threads, which costs more than it saves on 2 loaded cores). per_gate=False
  (inference) runs one tanh over the whole [B, 4H] row instead: with per-gate slices XLA fuses
  the whole step into one loop with 5 tanh per element, ~2x slower (see benchmarks/README.md).
  """
  z = gx_t + dot(masked(h, h_mask), w)                              # [B, 4H]
  if bias is not None:
    z = z + bias[None, :]
  if per_gate:
    i, f, g, o = jnp.split(z, 4, axis=-1)                             # each [B, H]
    i, f, g, o = sigmoid(i), sigmoid(f), jnp.tanh(g), sigmoid(o)
  else:
    hidden = z.shape[-1] // 4
    col = jnp.arange(4 * hidden)[None, :]
    is_g = (col >= 2 * hidden) & (col < 3 * hidden)                    # [1, 4H]
    t = jnp.tanh(z * jnp.where(is_g, 1.0, 0.5).astype(z.dtype))      # sigmoid via tanh
    i, f, g, o = jnp.split(jnp.where(is_g, t, 0.5 * t + 0.5), 4, axis=-1)
  c_new = f * c + i * g
  return (i, f, g, o), c_new, o * jnp.tanh(c_new)


def _lstm_scan(gx, w, h0, c0, valid, h_mask, bias, w_ih, save):
  """Forward loop. save=False: hs [T, B, H]; save=True: (h states, (i, f, g, o), c before step)."""

  def step(carry, inputs):
    h, c = carry
    gx_t, valid_t = inputs                                             # [B, 4H] or [B, D], [B]
    act, c_new, h_new = _lstm_step(w, h_mask, bias, h, c, project(gx_t, w_ih, w.dtype),
                                   per_gate=save)
    h_new, c_new_kept = keep(valid_t, h_new, h), keep(valid_t, c_new, c)
    out = (h_new, act, c) if save else keep(valid_t, h_new, 0)
    return (h_new, c_new_kept), out

  return jax.lax.scan(step, (h0, c0), (gx, valid))


def lstm_recurrence_reference(gx: Array, w_hh: Array, h0: Array, c0: Array,
                              valid: Optional[Array],
                              h_mask: Optional[Array] = None, bias: Optional[Array] = None, *,
                              w_ih: Optional[Array] = None) -> tuple[Array, tuple[Array, Array]]:
  """Plain LSTM loop: lax.scan, gradients by autodiff. Same contract as `lstm_recurrence`."""
  dtype = compute_dtype(gx.dtype)
  w, h0, c0, h_mask, bias, w_ih = cast_inputs(dtype, w_hh, h0, c0, h_mask, bias, w_ih)
  z_in = project_all(gx, w_ih, dtype)                                 # [T, B, 4H]

  def step(carry, inputs):
    h, c = carry
    gx_t, valid_t = inputs
    z = gx_t + dot(masked(h, h_mask), w)
    if bias is not None:
      z = z + bias[None, :]
    i, f, g, o = jnp.split(z, 4, axis=-1)
    c_new = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
    h_new = jax.nn.sigmoid(o) * jnp.tanh(c_new)
    return (keep(valid_t, h_new, h), keep(valid_t, c_new, c)), keep(valid_t, h_new, 0)

  (h, c), hs = jax.lax.scan(step, (h0, c0), (z_in, valid))
  return hs.astype(gx.dtype), (h.astype(gx.dtype), c.astype(gx.dtype))


@jax.custom_vjp
def _lstm(gx, w, h0, c0, valid, h_mask, bias, w_ih):
  (h, c), hs = _lstm_scan(gx, w, h0, c0, valid, h_mask, bias, w_ih, save=False)
  return hs, (h, c)


def _lstm_fwd(*primals):
  mask_grad = primals[5] is not None and primals[5].perturbed
  gx, w, h0, c0, valid, h_mask, bias, w_ih = (None if p is None else p.value for p in primals)
  (h, c), (h_states, act, c_prev) = _lstm_scan(gx, w, h0, c0, valid, h_mask, bias, w_ih,
                                               save=True)
  hs = h_states if valid is None else jnp.where(valid[:, :, None], h_states, 0)  # [T, B, H]
  h_prev = shift_in(h0, h_states)                                     # [T, B, H]
  proj = None if w_ih is None else (gx, w_ih)
  return (hs, (h, c)), (act, c_prev, c, h_prev, valid, w, h_mask, mask_grad or None, bias,
                        io_marker(gx), proj)


def _lstm_bwd(res, cotangents):
  act, c_prev, c_last, h_prev, valid, w, h_mask, mask_grad, bias, io, proj = res
  d_hs, (d_h, d_c) = cotangents
  shape, dtype = c_last.shape, c_last.dtype
  d_h, d_c = zeros_if_symbolic(d_h, shape, dtype), zeros_if_symbolic(d_c, shape, dtype)
  with_d_hs = not isinstance(d_hs, SymbolicZero)
  w_t = w.T                                                            # [4H, H]

  def step(carry, inputs):
    d_h, d_c, c, d_mask = carry            # grads w.r.t. the state after step t; c = c after t
    act_t, c_prev_t, valid_t, d_out, h_prev_t = inputs
    i, f, g, o = act_t                                                 # each [B, H]
    tanh_c = jnp.tanh(c)
    d_hn = d_h if d_out is None else d_h + d_out.astype(dtype)
    d_cn = d_c + d_hn * o * (1 - tanh_c * tanh_c)
    d_z = jnp.concatenate([d_cn * g * i * (1 - i), d_cn * c_prev_t * f * (1 - f),
                           d_cn * i * (1 - g * g), d_hn * tanh_c * o * (1 - o)], axis=-1)
    d_z = keep(valid_t, d_z, 0)                                       # [B, 4H]
    d_hm = dot(d_z, w_t)                                             # [B, H]
    if d_mask is not None:
      d_mask = d_mask + d_hm * h_prev_t
    d_h_prev = keep(valid_t, masked(d_hm, h_mask), d_h)
    d_z_out = d_z if proj is not None else d_z.astype(io.dtype)
    return (d_h_prev, keep(valid_t, d_cn * f, d_c), c_prev_t, d_mask), d_z_out

  d_mask0 = jnp.zeros(shape, dtype) if mask_grad else None
  xs = (act, c_prev, valid, d_hs if with_d_hs else None, h_prev if mask_grad else None)
  (d_h0, d_c0, _, d_mask), d_z = jax.lax.scan(step, (d_h, d_c, c_last, d_mask0), xs, reverse=True)
  d_w = dot_tn(masked(h_prev, h_mask), d_z)                          # [H, 4H]: one matmul
  d_bias = None if bias is None else d_z.sum(axis=(0, 1), dtype=dtype)
  d_gx, d_w_ih = input_grads(proj, d_z, dtype)
  return d_gx, d_w, d_h0, d_c0, None, d_mask, d_bias, d_w_ih


_lstm.defvjp(_lstm_fwd, _lstm_bwd, symbolic_zeros=True)


def lstm_recurrence(gx: Array, w_hh: Array, h0: Array, c0: Array, valid: Optional[Array],
                    h_mask: Optional[Array] = None, bias: Optional[Array] = None, *,
                    w_ih: Optional[Array] = None) -> tuple[Array, tuple[Array, Array]]:
  """LSTM time loop with a hand-written VJP.

  Args:
    gx: [T, B, 4H] hoisted input term `x @ W_ih (+ b)`; gate order i, f, g, o.
    w_hh: [H, 4H] recurrent kernel.
    h0, c0: [B, H] initial state.
    valid: [T, B] bool; False freezes the state and zeroes the output at that step. None: every
      step is valid, and the loop skips all masking (on a GPU that made inference ~3x faster).
    h_mask: optional [B, H] recurrent dropout mask; the matmul uses (h * h_mask) @ w_hh.
    bias: optional [4H], added inside the loop. Passing the bias here instead of adding it to gx
      saves one [T, B, 4H] temporary (XLA:CPU does not add it in place).
    w_ih: optional [D, 4H]. If given, `gx` holds the raw inputs x [T, B, D] and every step
      computes x_t @ w_ih itself, so no [T, B, 4H] input buffer is ever materialised (dx and
      dw_ih are still one matmul each). Faster on CPU when D is small (pixel-MNIST, D=1).

  Returns:
    hs [T, B, H] (0 where not valid) and the final state (h [B, H], c [B, H]).
  """
  w, h0, c0, h_mask, bias, w_ih = cast_inputs(compute_dtype(gx.dtype), w_hh, h0, c0, h_mask,
                                                bias, w_ih)
  hs, (h, c) = _lstm(gx, w, h0, c0, as_mask(valid), h_mask, bias, w_ih)
  return hs.astype(gx.dtype), (h.astype(gx.dtype), c.astype(gx.dtype))
