"""What the fast LSTM and GRU loops share: matmuls, masking, dtypes, the in-loop projection."""
from typing import Optional

import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from rnnjax.typing import Array


def dot(a: Array, b: Array) -> Array:
  """a @ b in a's dtype, accumulated in at least float32."""
  acc = jnp.float32 if jnp.dtype(a.dtype).itemsize < 4 else a.dtype
  return jnp.dot(a, b, preferred_element_type=acc).astype(a.dtype)


def dot_tn(a: Array, b: Array) -> Array:
  """sum over the leading axes: a [..., M]^T @ b [..., N] -> [M, N], as ONE 2-D matmul."""
  return dot(a.reshape(-1, a.shape[-1]).T, b.reshape(-1, b.shape[-1]))


def masked(h: Array, h_mask: Optional[Array]) -> Array:
  """h [..., B, H] * h_mask [B, H] (or h when there is no mask)."""
  return h if h_mask is None else h * h_mask.reshape((1,) * (h.ndim - 2) + h_mask.shape)


def keep(valid_t: Optional[Array], new: Array, old) -> Array:
  """new where valid_t [B] else old (an array [B, K] or a scalar); new when valid_t is None."""
  return new if valid_t is None else jnp.where(valid_t[:, None], new, old)


def as_mask(valid) -> Optional[Array]:
  """The [T, B] bool mask, or None (every step valid: the loops then skip all masking)."""
  return None if valid is None else jnp.asarray(valid, bool)


def shift_in(first: Array, states: Array) -> Array:
  """[B, H], [T, B, H] -> [T, B, H]: the state *before* each step (first, s_0, ..., s_{T-2})."""
  return jnp.concatenate([first[None], states[:-1]], axis=0)


def zeros_if_symbolic(ct, like_shape, dtype):
  return jnp.zeros(like_shape, dtype) if isinstance(ct, SymbolicZero) else ct


def compute_dtype(dtype) -> jnp.dtype:
  """float32 for 16-bit floats (XLA:CPU runs bfloat16 elementwise code ~10x slower), else dtype."""
  return jnp.dtype(jnp.float32) if jnp.dtype(dtype).itemsize < 4 else jnp.dtype(dtype)


def cast_inputs(dtype, *arrays):
  return tuple(None if a is None else jnp.asarray(a).astype(dtype) for a in arrays)


def project(gx_t: Array, w_ih: Optional[Array], dtype) -> Array:
  """The step's input term: gx_t [B, G*H] itself, or x_t [B, D] @ w_ih [D, G*H] (in-loop mode)."""
  return gx_t.astype(dtype) if w_ih is None else dot(gx_t.astype(dtype), w_ih)


def project_all(gx: Array, w_ih: Optional[Array], dtype) -> Array:
  """The references' input term for all steps: gx, or x [T, B, D] @ w_ih as one matmul."""
  if w_ih is None:
    return gx.astype(dtype)
  return dot(gx.reshape(-1, gx.shape[-1]).astype(dtype), w_ih).reshape(gx.shape[:2] + (-1,))


def input_grads(proj, d_gx: Array, dtype):
  """(grad of the first argument, grad of w_ih) from d gx [T, B, G*H]: two big matmuls."""
  if proj is None:
    return d_gx, None
  x, w_ih = proj
  d_x = dot(d_gx.reshape(-1, d_gx.shape[-1]).astype(dtype), w_ih.T)            # [T*B, D]
  return d_x.reshape(x.shape).astype(x.dtype), dot_tn(x.astype(dtype), d_gx)


def io_marker(gx: Array) -> Array:
  """A 0-size residual that carries gx's dtype to the backward pass (dgx must have it)."""
  return jnp.zeros((0,), gx.dtype)


def sigmoid(x: Array) -> Array:
  """sigmoid(x) = (1 + tanh(x / 2)) / 2: one vectorised tanh, no exp + divide."""
  return 0.5 * jnp.tanh(0.5 * x) + 0.5
