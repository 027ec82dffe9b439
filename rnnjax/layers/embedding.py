"""`Embedding`: token ids -> vectors, initialised as Keras' Embedding."""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from rnnjax.typing import Array


def _keras_uniform(key, shape, dtype=jnp.float32):
  return jax.random.uniform(key, shape, dtype, -0.05, 0.05)


class Embedding(nn.Module):
  """Token ids [B, T] int -> vectors [B, T, E]; table `embedding` [V, E] (V*E parameters).

  Initialised uniform in [-0.05, 0.05] as Keras' Embedding. Ids outside [0, V) raise at trace
  time when concrete (also when closed over inside `jit`); when traced they cannot be checked
  and give NaN vectors (JAX's gather fills out-of-range rows), so a bad id shows up as a
  non-finite loss, which stops training, instead of silently reading another word's vector.

  Attributes:
    vocab_size: V. features: E.
  """
  vocab_size: int
  features: int
  param_dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, ids: Array) -> Array:
    if not jnp.issubdtype(jnp.asarray(ids).dtype, jnp.integer):
      raise TypeError(f"Embedding expects integer token ids; got dtype {jnp.asarray(ids).dtype}.")
    table = self.param("embedding", _keras_uniform, (self.vocab_size, self.features),
                       self.param_dtype)                                # [V, E]
    if not isinstance(ids, jax.core.Tracer) and ids.size:
      host = np.asarray(ids)             # concrete (also when closed over inside a jit): on host
      low, high = int(host.min()), int(host.max())
      if low < 0 or high >= self.vocab_size:
        raise ValueError(f"token ids must lie in [0, {self.vocab_size}); got [{low}, {high}].")
    return jnp.take(table, ids, axis=0, mode="fill", fill_value=jnp.nan)  # [B, T, E]
