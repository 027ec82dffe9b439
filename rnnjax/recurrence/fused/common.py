"""Small pieces the fused loops share: matmuls, masking, dtypes."""
from __future__ import annotations

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


def masked(h: Array, h_mask: Array | None) -> Array:
  """h [..., B, H] * h_mask [B, H] (or h when there is no mask)."""
  return h if h_mask is None else h * h_mask.reshape((1,) * (h.ndim - 2) + h_mask.shape)


def keep(valid_t: Array | None, new: Array, old) -> Array:
  """new where valid_t [B] else old (an array [B, K] or a scalar); new when valid_t is None."""
  return new if valid_t is None else jnp.where(valid_t[:, None], new, old)


def as_mask(valid) -> Array | None:
  """The [T, B] bool mask, or None (every step valid: the loops then skip all masking)."""
  return None if valid is None else jnp.asarray(valid, bool)


def shift_in(first: Array, states: Array) -> Array:
  """[B, H], [T, B, H] -> [T, B, H]: the state *before* each step (first, s_0, ..., s_{T-2})."""
  return jnp.concatenate([first[None], states[:-1]], axis=0)


def zeros_if_symbolic(ct, like_shape, dtype):
  return jnp.zeros(like_shape, dtype) if isinstance(ct, SymbolicZero) else ct


def compute_dtype(dtype) -> jnp.dtype:
  """float32 for 16-bit floats (XLA:CPU runs bfloat16 elementwise code slower), else dtype."""
  return jnp.dtype(jnp.float32) if jnp.dtype(dtype).itemsize < 4 else jnp.dtype(dtype)


def cast_inputs(dtype, *arrays):
  return tuple(None if a is None else jnp.asarray(a).astype(dtype) for a in arrays)


def io_marker(gx: Array) -> Array:
  """A 0-size residual that carries gx's dtype to the backward pass (dgx must have it)."""
  return jnp.zeros((0,), gx.dtype)


def sigmoid(x: Array) -> Array:
  """sigmoid(x) = (1 + tanh(x / 2)) / 2: one vectorised tanh, no exp + divide."""
  return 0.5 * jnp.tanh(0.5 * x) + 0.5
