"""Fast LSTM/GRU time loops with hand-written VJPs (pure functions, time-major).

The layer hoists the input projection `gx = x @ W_ih + b_ih` out of the loop (one big matmul whose
autodiff already gives `dW_ih` as one big matmul). What is left, the recurrence, is what these
functions compute. Autodiff of `lax.scan` is slow on CPU: its backward loop runs many small
per-step ops and accumulates `dW_hh` with one small matmul per step. Here the forward scan saves
what the backward needs in a few stacked arrays (LSTM: the four gate activations and c, each
[T, B, H]; GRU: gradient coefficients [T, B, 5H]) plus the h states, the reverse scan computes only the
per-step pre-activation gradients `dz_t` and `dh_{t-1} = dz_t @ W_hh^T`, and the weight gradient
is ONE matmul over all steps: `dW_hh = H_prev^T @ dZ` ([H, T*B] x [T*B, G*H]).
Zero cotangents are skipped (symbolic zeros): a loss on the final state only never builds dhs.

Masking: `valid[t, b]` says whether step t of sequence b is real. On an invalid step the state is
frozen and the output is 0; in the backward pass such a step passes the state gradient straight
through and contributes nothing to any weight gradient. Any mask works, not only prefixes.

Variational recurrent dropout: `h_mask` [B, H] multiplies h only where it enters the recurrent
matmul; the state itself is not masked. Gradients w.r.t. `h_mask` are exact (computed only when
`h_mask` is being differentiated).

Dtypes: the loop computes in float32 when `gx` is bfloat16/float16 (XLA:CPU runs 16-bit
elementwise code about 10x slower, and the cell state keeps its precision), else in `gx`'s dtype
(float32, or float64 under `jax.enable_x64`). `w_hh`, `h0`, ... are cast to that dtype; outputs
and dgx come back in `gx`'s dtype, the other gradients in their arguments' dtypes. The references
follow the same rule, so fast == reference in every dtype.

Gate orders: LSTM i, f, g, o on every 4H axis; GRU r, z, n on every 3H axis (reset-after, the
cuDNN/PyTorch formulation).
"""
from typing import Optional

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from rnnjax.typing import Array


def _dot(a: Array, b: Array) -> Array:
  """a @ b in a's dtype, accumulated in at least float32."""
  acc = jnp.float32 if jnp.dtype(a.dtype).itemsize < 4 else a.dtype
  return jnp.dot(a, b, preferred_element_type=acc).astype(a.dtype)


def _dot_tn(a: Array, b: Array) -> Array:
  """sum over the leading axes: a [..., M]^T @ b [..., N] -> [M, N], as ONE 2-D matmul."""
  return _dot(a.reshape(-1, a.shape[-1]).T, b.reshape(-1, b.shape[-1]))


def _masked(h: Array, h_mask: Optional[Array]) -> Array:
  """h [..., B, H] * h_mask [B, H] (or h when there is no mask)."""
  return h if h_mask is None else h * h_mask.reshape((1,) * (h.ndim - 2) + h_mask.shape)


def _keep(valid_t: Array, new: Array, old) -> Array:
  """new where valid_t [B] else old (an array [B, K] or a scalar)."""
  return jnp.where(valid_t[:, None], new, old)


def _shift_in(first: Array, states: Array) -> Array:
  """[B, H], [T, B, H] -> [T, B, H]: the state *before* each step (first, s_0, ..., s_{T-2})."""
  return jnp.concatenate([first[None], states[:-1]], axis=0)


def _zeros_if_symbolic(ct, like_shape, dtype):
  return jnp.zeros(like_shape, dtype) if isinstance(ct, SymbolicZero) else ct


def _compute_dtype(dtype) -> jnp.dtype:
  """float32 for 16-bit floats (XLA:CPU runs bfloat16 elementwise code ~10x slower), else dtype."""
  return jnp.dtype(jnp.float32) if jnp.dtype(dtype).itemsize < 4 else jnp.dtype(dtype)


def _cast_inputs(dtype, *arrays):
  return tuple(None if a is None else jnp.asarray(a).astype(dtype) for a in arrays)


def _project(gx_t: Array, w_ih: Optional[Array], dtype) -> Array:
  """The step's input term: gx_t [B, G*H] itself, or x_t [B, D] @ w_ih [D, G*H] (in-loop mode)."""
  return gx_t.astype(dtype) if w_ih is None else _dot(gx_t.astype(dtype), w_ih)


def _project_all(gx: Array, w_ih: Optional[Array], dtype) -> Array:
  """The references' input term for all steps: gx, or x [T, B, D] @ w_ih as one matmul."""
  if w_ih is None:
    return gx.astype(dtype)
  return _dot(gx.reshape(-1, gx.shape[-1]).astype(dtype), w_ih).reshape(gx.shape[:2] + (-1,))


def _input_grads(proj, d_gx: Array, dtype):
  """(grad of the first argument, grad of w_ih) from d gx [T, B, G*H]: two big matmuls."""
  if proj is None:
    return d_gx, None
  x, w_ih = proj
  d_x = _dot(d_gx.reshape(-1, d_gx.shape[-1]).astype(dtype), w_ih.T)            # [T*B, D]
  return d_x.reshape(x.shape).astype(x.dtype), _dot_tn(x.astype(dtype), d_gx)


def _io_marker(gx: Array) -> Array:
  """A 0-size residual that carries gx's dtype to the backward pass (dgx must have it)."""
  return jnp.zeros((0,), gx.dtype)


# ----------------------------------------------------------------------------------------------
# LSTM
# ----------------------------------------------------------------------------------------------


def _sigmoid(x: Array) -> Array:
  """sigmoid(x) = (1 + tanh(x / 2)) / 2: one vectorised tanh, no exp + divide."""
  return 0.5 * jnp.tanh(0.5 * x) + 0.5


def _lstm_step(w, h_mask, bias, h, c, gx_t, per_gate):
  """One step -> (gate activations (i, f, g, o), each [B, H]; c' [B, H]; h' [B, H]).

  per_gate=True (training) activates the gates one [B, H] slice at a time; they are saved for
  the backward pass anyway, and XLA:CPU keeps these small fusions on one thread (a [B, 4H] one is
  split across threads, which costs more than it saves on 2 loaded cores). per_gate=False
  (inference) runs one tanh over the whole [B, 4H] row instead: with per-gate slices XLA fuses
  the whole step into one loop with 5 tanh per element, ~2x slower (see benchmarks/README.md).
  """
  z = gx_t + _dot(_masked(h, h_mask), w)                              # [B, 4H]
  if bias is not None:
    z = z + bias[None, :]
  if per_gate:
    i, f, g, o = jnp.split(z, 4, axis=-1)                             # each [B, H]
    i, f, g, o = _sigmoid(i), _sigmoid(f), jnp.tanh(g), _sigmoid(o)
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
    act, c_new, h_new = _lstm_step(w, h_mask, bias, h, c, _project(gx_t, w_ih, w.dtype),
                                   per_gate=save)
    h_new, c_new_kept = _keep(valid_t, h_new, h), _keep(valid_t, c_new, c)
    out = (h_new, act, c) if save else _keep(valid_t, h_new, 0)
    return (h_new, c_new_kept), out

  return jax.lax.scan(step, (h0, c0), (gx, valid))


def lstm_recurrence_reference(gx: Array, w_hh: Array, h0: Array, c0: Array, valid: Array,
                              h_mask: Optional[Array] = None, bias: Optional[Array] = None, *,
                              w_ih: Optional[Array] = None) -> tuple[Array, tuple[Array, Array]]:
  """Plain LSTM loop: lax.scan, gradients by autodiff. Same contract as `lstm_recurrence`."""
  dtype = _compute_dtype(gx.dtype)
  w, h0, c0, h_mask, bias, w_ih = _cast_inputs(dtype, w_hh, h0, c0, h_mask, bias, w_ih)
  z_in = _project_all(gx, w_ih, dtype)                                 # [T, B, 4H]

  def step(carry, inputs):
    h, c = carry
    gx_t, valid_t = inputs
    z = gx_t + _dot(_masked(h, h_mask), w)
    if bias is not None:
      z = z + bias[None, :]
    i, f, g, o = jnp.split(z, 4, axis=-1)
    c_new = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
    h_new = jax.nn.sigmoid(o) * jnp.tanh(c_new)
    return (_keep(valid_t, h_new, h), _keep(valid_t, c_new, c)), _keep(valid_t, h_new, 0)

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
  hs = jnp.where(valid[:, :, None], h_states, 0)                       # [T, B, H]
  h_prev = _shift_in(h0, h_states)                                     # [T, B, H]
  proj = None if w_ih is None else (gx, w_ih)
  return (hs, (h, c)), (act, c_prev, c, h_prev, valid, w, h_mask, mask_grad or None, bias,
                        _io_marker(gx), proj)


def _lstm_bwd(res, cotangents):
  act, c_prev, c_last, h_prev, valid, w, h_mask, mask_grad, bias, io, proj = res
  d_hs, (d_h, d_c) = cotangents
  shape, dtype = c_last.shape, c_last.dtype
  d_h, d_c = _zeros_if_symbolic(d_h, shape, dtype), _zeros_if_symbolic(d_c, shape, dtype)
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
    d_z = _keep(valid_t, d_z, 0)                                       # [B, 4H]
    d_hm = _dot(d_z, w_t)                                             # [B, H]
    if d_mask is not None:
      d_mask = d_mask + d_hm * h_prev_t
    d_h_prev = _keep(valid_t, _masked(d_hm, h_mask), d_h)
    d_z_out = d_z if proj is not None else d_z.astype(io.dtype)
    return (d_h_prev, _keep(valid_t, d_cn * f, d_c), c_prev_t, d_mask), d_z_out

  d_mask0 = jnp.zeros(shape, dtype) if mask_grad else None
  xs = (act, c_prev, valid, d_hs if with_d_hs else None, h_prev if mask_grad else None)
  (d_h0, d_c0, _, d_mask), d_z = jax.lax.scan(step, (d_h, d_c, c_last, d_mask0), xs, reverse=True)
  d_w = _dot_tn(_masked(h_prev, h_mask), d_z)                          # [H, 4H]: one matmul
  d_bias = None if bias is None else d_z.sum(axis=(0, 1), dtype=dtype)
  d_gx, d_w_ih = _input_grads(proj, d_z, dtype)
  return d_gx, d_w, d_h0, d_c0, None, d_mask, d_bias, d_w_ih


_lstm.defvjp(_lstm_fwd, _lstm_bwd, symbolic_zeros=True)


def lstm_recurrence(gx: Array, w_hh: Array, h0: Array, c0: Array, valid: Array,
                    h_mask: Optional[Array] = None, bias: Optional[Array] = None, *,
                    w_ih: Optional[Array] = None) -> tuple[Array, tuple[Array, Array]]:
  """LSTM time loop with a hand-written VJP.

  Args:
    gx: [T, B, 4H] hoisted input term `x @ W_ih (+ b)`; gate order i, f, g, o.
    w_hh: [H, 4H] recurrent kernel.
    h0, c0: [B, H] initial state.
    valid: [T, B] bool; False freezes the state and zeroes the output at that step.
    h_mask: optional [B, H] recurrent dropout mask; the matmul uses (h * h_mask) @ w_hh.
    bias: optional [4H], added inside the loop. Passing the bias here instead of adding it to gx
      saves one [T, B, 4H] temporary (XLA:CPU does not add it in place).
    w_ih: optional [D, 4H]. If given, `gx` holds the raw inputs x [T, B, D] and every step
      computes x_t @ w_ih itself, so no [T, B, 4H] input buffer is ever materialised (dx and
      dw_ih are still one matmul each). Faster on CPU when D is small (pixel-MNIST, D=1).

  Returns:
    hs [T, B, H] (0 where not valid) and the final state (h [B, H], c [B, H]).
  """
  w, h0, c0, h_mask, bias, w_ih = _cast_inputs(_compute_dtype(gx.dtype), w_hh, h0, c0, h_mask,
                                                bias, w_ih)
  hs, (h, c) = _lstm(gx, w, h0, c0, jnp.asarray(valid, bool), h_mask, bias, w_ih)
  return hs.astype(gx.dtype), (h.astype(gx.dtype), c.astype(gx.dtype))


# ----------------------------------------------------------------------------------------------
# GRU (reset-after)
# ----------------------------------------------------------------------------------------------


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
    gx_t = _project(gx_t, w_ih, w_nru.dtype)                           # [B, 3H]
    if bias is not None:
      gx_t = gx_t + bias[None, :]
    hh = _dot(_masked(h, h_mask), w_nru) + b_nru[None, :]              # [B, 3H]: (n, r, z)
    hh_n = hh[:, :hidden]
    if save:   # per-gate [B, H] ops: the coefficients below then fuse with them
      r = _sigmoid(gx_t[:, :hidden] + hh[:, hidden:2 * hidden])
      u = _sigmoid(gx_t[:, hidden:2 * hidden] + hh[:, 2 * hidden:])
    else:
      # One tanh over the full [B, 3H] row (its n third, tanh(hh_n), is unused): XLA:CPU then
      # emits it as its own fusion. Per-gate slices made XLA fuse the whole inference step into
      # one loop with three tanh per element, ~2x slower (see benchmarks/README.md).
      pre = hh + jnp.concatenate([jnp.zeros_like(hh_n), gx_t[:, :2 * hidden]], axis=-1)
      t = jnp.tanh(pre * scale)                                        # [B, 3H]
      r, u = 0.5 * t[:, hidden:2 * hidden] + 0.5, 0.5 * t[:, 2 * hidden:] + 0.5
    n = jnp.tanh(gx_t[:, 2 * hidden:] + r * hh_n)                     # [B, H]
    h_new = _keep(valid_t, n + u * (h - n), h)
    if not save:
      return h_new, _keep(valid_t, h_new, 0)
    d_pre_n = (1 - u) * (1 - n * n)
    coef = jnp.concatenate([d_pre_n * r, d_pre_n * hh_n * r * (1 - r), (h - n) * u * (1 - u),
                            d_pre_n, u], axis=-1)                      # [B, 5H]
    return h_new, (h_new, coef)

  return jax.lax.scan(step, h0, (gx, valid))


def gru_recurrence_reference(gx: Array, w_hh: Array, b_hh: Array, h0: Array, valid: Array,
                             h_mask: Optional[Array] = None, bias: Optional[Array] = None, *,
                             w_ih: Optional[Array] = None) -> tuple[Array, Array]:
  """Plain GRU loop: lax.scan, gradients by autodiff. Same contract as `gru_recurrence`."""
  dtype = _compute_dtype(gx.dtype)
  w, b, h0, h_mask, bias, w_ih = _cast_inputs(dtype, w_hh, b_hh, h0, h_mask, bias, w_ih)
  z_in = _project_all(gx, w_ih, dtype)                                 # [T, B, 3H]

  def step(h, inputs):
    gx_t, valid_t = inputs
    if bias is not None:
      gx_t = gx_t + bias[None, :]
    x_r, x_z, x_n = jnp.split(gx_t, 3, axis=-1)
    h_r, h_z, h_n = jnp.split(_dot(_masked(h, h_mask), w) + b[None, :], 3, axis=-1)
    r, u = jax.nn.sigmoid(x_r + h_r), jax.nn.sigmoid(x_z + h_z)
    n = jnp.tanh(x_n + r * h_n)
    h_new = (1 - u) * n + u * h
    return _keep(valid_t, h_new, h), _keep(valid_t, h_new, 0)

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
  hs = jnp.where(valid[:, :, None], h_states, 0)                       # [T, B, H]
  proj = None if w_ih is None else (gx, w_ih)
  return (hs, h), (coef, _shift_in(h0, h_states), valid, w_nru, h_mask, mask_grad or None,
                   bias, _io_marker(gx), proj)


def _gru_bwd(res, cotangents):
  coef, h_prev, valid, w_nru, h_mask, mask_grad, bias, io, proj = res
  d_hs, d_h = cotangents
  shape, dtype = h_prev.shape[1:], h_prev.dtype
  hidden = shape[-1]
  d_h = _zeros_if_symbolic(d_h, shape, dtype)
  with_d_hs = not isinstance(d_hs, SymbolicZero)
  w_t = w_nru.T                                                        # [3H, H]

  def step(carry, inputs):
    d_h, d_mask = carry                                                # grad w.r.t. state after t
    coef_t, valid_t, d_out, h_prev_t = inputs
    d_hn = d_h if d_out is None else d_h + d_out.astype(dtype)
    # (d hh_n, d pre_r, d pre_z, d pre_n) [B, 4H]; its first 3H are d hh in (n, r, z) order.
    d_all = _keep(valid_t, coef_t[:, :4 * hidden] * jnp.concatenate([d_hn] * 4, axis=-1), 0)
    d_hm = _dot(d_all[:, :3 * hidden], w_t)                           # [B, H]
    if d_mask is not None:
      d_mask = d_mask + d_hm * h_prev_t
    d_h_prev = _keep(valid_t, d_hn * coef_t[:, 4 * hidden:] + _masked(d_hm, h_mask), d_h)
    d_gx = d_all[:, hidden:] if proj is not None else d_all[:, hidden:].astype(io.dtype)
    return (d_h_prev, d_mask), (d_gx, d_all[:, :hidden])

  d_mask0 = jnp.zeros(shape, dtype) if mask_grad else None
  xs = (coef, valid, d_hs if with_d_hs else None, h_prev if mask_grad else None)
  (d_h0, d_mask), (d_gx, d_hh_n) = jax.lax.scan(step, (d_h, d_mask0), xs, reverse=True)
  h_prev_m = _masked(h_prev, h_mask)                                   # [T, B, H]
  d_w = jnp.concatenate([_dot_tn(h_prev_m, d_gx[..., :2 * hidden]),  # [H, 3H] (r, z, n)
                         _dot_tn(h_prev_m, d_hh_n)], axis=-1)
  d_b = jnp.concatenate([d_gx[..., :2 * hidden].sum(axis=(0, 1), dtype=dtype),
                         d_hh_n.sum(axis=(0, 1))])
  d_bias = None if bias is None else d_gx.sum(axis=(0, 1), dtype=dtype)
  d_first, d_w_ih = _input_grads(proj, d_gx, dtype)
  return d_first, d_w, d_b, d_h0, None, d_mask, d_bias, d_w_ih


_gru.defvjp(_gru_fwd, _gru_bwd, symbolic_zeros=True)


def gru_recurrence(gx: Array, w_hh: Array, b_hh: Array, h0: Array, valid: Array,
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
    valid: [T, B] bool; False freezes the state and zeroes the output at that step.
    h_mask: optional [B, H] recurrent dropout mask.
    bias: optional [3H] input bias b_ih, added to gx inside the loop (saves a [T, B, 3H]
      temporary, as for `lstm_recurrence`).
    w_ih: optional [D, 3H]; if given, `gx` holds the raw inputs x [T, B, D] and the projection
      runs inside the loop, as for `lstm_recurrence`.

  Returns:
    hs [T, B, H] (0 where not valid) and the final state h [B, H].
  """
  w, b, h0, h_mask, bias, w_ih = _cast_inputs(_compute_dtype(gx.dtype), w_hh, b_hh, h0, h_mask,
                                               bias, w_ih)
  hs, h = _gru(gx, w, b, h0, jnp.asarray(valid, bool), h_mask, bias, w_ih)
  return hs.astype(gx.dtype), h.astype(gx.dtype)
