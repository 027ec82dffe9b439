"""The LSTM family of the fused loop (gate order i, f, g, o): rnnjax.cells.LSTMCell without
peepholes, projection or layer norm (its `fused_family` is "lstm")."""
from __future__ import annotations

import jax.numpy as jnp

from rnnjax.recurrence.fused.common import dot, dot_tn, keep, masked, sigmoid
from rnnjax.recurrence.fused.skeleton import Family, recurrence
from rnnjax.typing import Array


def _activations(z: Array, per_gate: bool):
  """z [B, 4H] -> the gate activations (i, f, g, o), each [B, H].

  per_gate=True (training) activates one [B, H] slice at a time; they are saved for the
  backward pass anyway, and XLA:CPU keeps these small fusions on one thread (a [B, 4H] one is
  split across threads, which costs more than it saves on 2 loaded cores). per_gate=False
  (inference) runs one tanh over the whole [B, 4H] row instead: with per-gate slices XLA fuses
  the whole step into one loop with 5 tanh per element, slower in an A/B run whose output was
  not kept.
  """
  if per_gate:
    i, f, g, o = jnp.split(z, 4, axis=-1)                             # each [B, H]
    return sigmoid(i), sigmoid(f), jnp.tanh(g), sigmoid(o)
  hidden = z.shape[-1] // 4
  col = jnp.arange(4 * hidden)[None, :]
  is_g = (col >= 2 * hidden) & (col < 3 * hidden)                      # [1, 4H]
  t = jnp.tanh(z * jnp.where(is_g, 1.0, 0.5).astype(z.dtype))        # sigmoid via tanh
  return tuple(jnp.split(jnp.where(is_g, t, 0.5 * t + 0.5), 4, axis=-1))


def _to_loop(w_hh: Array, b_hh: None):
  return w_hh, b_hh


def _forward(w, b, carry, gx_t, bias, h_mask, save):
  del b
  h, c = carry
  z = gx_t + dot(masked(h, h_mask), w)                                # [B, 4H]
  if bias is not None:
    z = z + bias[None, :]
  i, f, g, o = act = _activations(z, per_gate=save)
  c_new = f * c + i * g
  return (o * jnp.tanh(c_new), c_new), ((act, c) if save else None)


def _backward(saved_t, d_h, d_rest, c, valid_t):
  """c: the cell state after the step (carried backwards, so only c before it is saved)."""
  (i, f, g, o), c_prev = saved_t
  (d_c,) = d_rest
  tanh_c = jnp.tanh(c)
  d_cn = d_c + d_h * o * (1 - tanh_c * tanh_c)
  d_z = jnp.concatenate([d_cn * g * i * (1 - i), d_cn * c_prev * f * (1 - f),
                         d_cn * i * (1 - g * g), d_h * tanh_c * o * (1 - o)], axis=-1)
  d_z = keep(valid_t, d_z, 0)                                         # [B, 4H]
  return d_z, d_z, None, (keep(valid_t, d_cn * f, d_c),), c_prev, None


def _join(w_ih, w, b, bias):
  del b
  w_cat = jnp.concatenate([w_ih, w], axis=0)                          # [D + H, 4H]
  return w_cat, jnp.zeros(w.shape[-1:], w.dtype) if bias is None else bias


def _infer(w_cat, b_cat, carry, x_t, h_mask):
  h, c = carry
  z = dot(jnp.concatenate([x_t, masked(h, h_mask)], axis=-1), w_cat) + b_cat[None, :]  # [B, 4H]
  i, f, g, o = _activations(z, per_gate=True)
  c_new = f * c + i * g
  return o * jnp.tanh(c_new), c_new


def _weight_grads(h_prev_m, d_z, outs, dtype):
  del outs, dtype
  return dot_tn(h_prev_m, d_z), None                                  # [H, 4H]: one matmul


LSTM = Family(cell_args=lambda w, state: (w.w_hh, None, (state.h, state.c)), to_loop=_to_loop,
              forward=_forward, backward=_backward, start_extra=lambda carry: carry[1],
              weight_grads=_weight_grads, join=_join, infer=_infer)


def lstm_recurrence(gx: Array, w_hh: Array, h0: Array, c0: Array, valid: Array | None,
                    h_mask: Array | None = None,
                    bias: Array | None = None) -> tuple[Array, tuple[Array, Array]]:
  """LSTM time loop with a hand-written VJP.

  Args:
    gx: [T, B, 4H] hoisted input term `x @ W_ih (+ b)`; gate order i, f, g, o.
    w_hh: [H, 4H] recurrent kernel.
    h0, c0: [B, H] initial state.
    valid: [T, B] bool; False freezes the state and zeroes the output at that step. None: every
      step is valid, and the loop skips all masking.
    h_mask: optional [B, H] recurrent dropout mask; the matmul uses (h * h_mask) @ w_hh.
    bias: optional [4H], added inside the loop. Passing the bias here instead of adding it to gx
      saves one [T, B, 4H] temporary (XLA:CPU does not add it in place).

  Returns:
    hs [T, B, H] (0 where not valid) and the final state (h [B, H], c [B, H]).
  """
  hs, (h, c) = recurrence(LSTM, gx, w_hh, None, (h0, c0), valid, h_mask, bias)
  return hs, (h, c)
