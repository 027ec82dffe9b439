"""Fast LSTM/GRU time loops with hand-written VJPs (pure functions, time-major).

The layer hoists the input projection `gx = x @ W_ih + b_ih` out of the loop (one big matmul whose
autodiff already gives `dW_ih` as one big matmul). What is left, the recurrence, is what these
functions compute. Autodiff of `lax.scan` is slow on CPU: its backward loop re-derives many small
per-step ops and accumulates `dW_hh` with one small matmul per step. Here the forward scan saves
the gate activations and the previous state in a few stacked arrays, the reverse scan computes only
the per-step pre-activation gradients `dz_t` and `dh_{t-1} = dz_t @ W_hh^T`, and the weight
gradient is ONE matmul over all steps: `dW_hh = H_prev^T @ dZ` ([H, T*B] x [T*B, G*H]).

Masking: `valid[t, b]` says whether step t of sequence b is real. On an invalid step the state is
frozen and the output is 0; in the backward pass such a step passes the state gradient straight
through and contributes nothing to any weight gradient. Any mask works, not only prefixes.

Variational recurrent dropout: `h_mask` [B, H] multiplies h only where it enters the recurrent
matmul; the state itself is not masked. Gradients w.r.t. `h_mask` are computed exactly.

Dtypes: the whole computation (state, gates, matmul results) runs in the dtype of `gx`; `w_hh`,
`h0`, ... are cast to it (so a float32 `w_hh` with bfloat16 `gx` gives a bfloat16 loop and a float32
`dW_hh`). Matmuls accumulate in float32 for bfloat16/float16 inputs (`preferred_element_type`),
then round to the compute dtype. float64 works under `jax.enable_x64`.

Gate orders: LSTM i, f, g, o on every 4H axis; GRU r, z, n on every 3H axis (reset-after, the
cuDNN/PyTorch formulation).
"""
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp

from rnnjax.typing import Array


def _acc_type(dtype):
  """Matmul accumulation dtype: float32 for 16-bit floats, else the dtype itself."""
  return jnp.float32 if jnp.dtype(dtype).itemsize < 4 else dtype


def _dot(a: Array, b: Array) -> Array:
  """a @ b in a's dtype, accumulated in at least float32."""
  return jnp.dot(a, b, preferred_element_type=_acc_type(a.dtype)).astype(a.dtype)


def _masked(h: Array, h_mask: Optional[Array]) -> Array:
  return h if h_mask is None else h * h_mask


def _freeze(keep: Array, new: Array, old: Array) -> Array:
  """new where keep [B] else old, for [B, H] arrays."""
  return jnp.where(keep[:, None], new, old)


# ----------------------------------------------------------------------------------------------
# LSTM
# ----------------------------------------------------------------------------------------------


def _lstm_gates(z: Array) -> Array:
  """Pre-activations [B, 4H] -> activations [B, 4H]: sigmoid on i, f, o and tanh on g."""
  hidden = z.shape[-1] // 4
  col = jnp.arange(4 * hidden)
  is_g = (col >= 2 * hidden) & (col < 3 * hidden)                     # [4H]
  return jnp.where(is_g, jnp.tanh(z), jax.nn.sigmoid(z))              # [B, 4H]


def _lstm_cell(z: Array, c: Array) -> tuple[Array, Array, Array]:
  """z [B, 4H], c [B, H] -> (activations [B, 4H], c' [B, H], h' [B, H])."""
  act = _lstm_gates(z)
  i, f, g, o = jnp.split(act, 4, axis=-1)                            # each [B, H]
  c_new = f * c + i * g
  h_new = o * jnp.tanh(c_new)
  return act, c_new, h_new


def _lstm_inputs(gx, w_hh, h0, c0, h_mask):
  dtype = gx.dtype
  h_mask = None if h_mask is None else h_mask.astype(dtype)
  return w_hh.astype(dtype), h0.astype(dtype), c0.astype(dtype), h_mask


def lstm_recurrence_reference(gx: Array, w_hh: Array, h0: Array, c0: Array, valid: Array,
                              h_mask: Optional[Array] = None) -> tuple[Array, tuple[Array, Array]]:
  """Plain LSTM loop (lax.scan, gradients by autodiff). Same contract as `lstm_recurrence`."""
  w, h0, c0, h_mask = _lstm_inputs(gx, w_hh, h0, c0, h_mask)

  def step(carry, inputs):
    h, c = carry                                                      # [B, H] each
    gx_t, keep = inputs                                               # [B, 4H], [B]
    _, c_new, h_new = _lstm_cell(gx_t + _dot(_masked(h, h_mask), w), c)
    h, c = _freeze(keep, h_new, h), _freeze(keep, c_new, c)
    return (h, c), jnp.where(keep[:, None], h_new, 0)

  (h, c), hs = jax.lax.scan(step, (h0, c0), (gx, valid))             # hs [T, B, H]
  return hs, (h, c)


@jax.custom_vjp
def _lstm(gx, w_hh, h0, c0, valid, h_mask):
  return lstm_recurrence_reference(gx, w_hh, h0, c0, valid, h_mask)


class _LSTMResiduals(NamedTuple):
  act: Array      # [T, B, 4H] gate activations (i, f, g, o)
  c_prev: Array   # [T, B, H] cell state before each step
  h_prev: Array   # [T, B, H] hidden state before each step (unmasked)
  valid: Array    # [T, B]
  w_hh: Array     # [H, 4H] in compute dtype
  h_mask: Optional[Array]


def _lstm_fwd(gx, w_hh, h0, c0, valid, h_mask):
  w = w_hh

  def step(carry, inputs):
    h, c = carry                                                      # [B, H] each
    gx_t, keep = inputs                                               # [B, 4H], [B]
    act, c_new, h_new = _lstm_cell(gx_t + _dot(_masked(h, h_mask), w), c)
    out = (act, c, h, jnp.where(keep[:, None], h_new, 0))
    return (_freeze(keep, h_new, h), _freeze(keep, c_new, c)), out

  (h, c), (act, c_prev, h_prev, hs) = jax.lax.scan(step, (h0, c0), (gx, valid))
  return (hs, (h, c)), _LSTMResiduals(act, c_prev, h_prev, valid, w, h_mask)


def _lstm_bwd(res: _LSTMResiduals, cotangents):
  d_hs, (d_h, d_c) = cotangents                                       # [T, B, H], [B, H] x2
  w_t = res.w_hh.T                                                    # [4H, H]

  def step(carry, inputs):
    d_h, d_c = carry                                                  # grads w.r.t. state after t
    act, c_prev, keep, d_out = inputs
    i, f, g, o = jnp.split(act, 4, axis=-1)                          # each [B, H]
    tanh_c = jnp.tanh(f * c_prev + i * g)
    d_hn = d_h + d_out
    d_cn = d_c + d_hn * o * (1 - tanh_c * tanh_c)
    d_z = jnp.concatenate([d_cn * g * i * (1 - i), d_cn * c_prev * f * (1 - f),
                           d_cn * i * (1 - g * g), d_hn * tanh_c * o * (1 - o)], axis=-1)
    d_z = jnp.where(keep[:, None], d_z, 0)                            # [B, 4H]
    d_hm = _dot(d_z, w_t)                                             # [B, H]
    d_h_prev = _freeze(keep, _masked(d_hm, res.h_mask), d_h)
    d_c_prev = _freeze(keep, d_cn * f, d_c)
    return (d_h_prev, d_c_prev), (d_z, None if res.h_mask is None else d_hm)

  (d_h0, d_c0), (d_z, d_hm) = jax.lax.scan(
      step, (d_h, d_c), (res.act, res.c_prev, res.valid, d_hs), reverse=True)
  hm_prev = _masked(res.h_prev, res.h_mask)                           # [T, B, H]
  d_w = jnp.einsum("tbh,tbg->hg", hm_prev, d_z,
                   preferred_element_type=_acc_type(d_z.dtype))       # [H, 4H]: one matmul
  d_mask = None
  if res.h_mask is not None:
    d_mask = jnp.einsum("tbh,tbh->bh", d_hm, res.h_prev,
                        preferred_element_type=_acc_type(d_z.dtype)).astype(d_z.dtype)
  return d_z, d_w.astype(d_z.dtype), d_h0, d_c0, None, d_mask


_lstm.defvjp(_lstm_fwd, _lstm_bwd)


def lstm_recurrence(gx: Array, w_hh: Array, h0: Array, c0: Array, valid: Array,
                    h_mask: Optional[Array] = None) -> tuple[Array, tuple[Array, Array]]:
  """LSTM time loop with a hand-written VJP.

  Args:
    gx: [T, B, 4H] hoisted input term `x @ W_ih + b` (gate order i, f, g, o).
    w_hh: [H, 4H] recurrent kernel.
    h0, c0: [B, H] initial state.
    valid: [T, B] bool; False freezes the state and zeroes the output at that step.
    h_mask: optional [B, H] recurrent dropout mask; the matmul uses (h * h_mask) @ w_hh.

  Returns:
    hs [T, B, H] (0 where not valid) and the final state (h [B, H], c [B, H]).
  """
  w, h0, c0, h_mask = _lstm_inputs(gx, w_hh, h0, c0, h_mask)   # casts are outside the custom VJP
  return _lstm(gx, w, h0, c0, valid, h_mask)
