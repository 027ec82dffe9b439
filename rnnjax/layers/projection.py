"""`OutputProjection`: a Dense layer applied at every step (TF's OutputProjectionWrapper)."""
from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from rnnjax.typing import Array


class OutputProjection(nn.Module):
  """Per-step projection of recurrent outputs (TF's OutputProjectionWrapper).

  ys [B, T, H] -> [B, T, F] = ys @ kernel [H, F] + bias [F]; steps at or past
  seq_lengths [B] are zero.

  Attributes:
    features: F.
  """
  features: int

  @nn.compact
  def __call__(self, ys: Array, seq_lengths: Array | None = None) -> Array:
    out = nn.Dense(self.features, name="dense")(ys)                     # [B, T, F]
    if seq_lengths is None:
      return out
    valid = jnp.arange(ys.shape[1])[None, :] < seq_lengths[:, None]     # [B, T]
    return jnp.where(valid[:, :, None], out, jnp.zeros_like(out))
