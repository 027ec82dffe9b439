"""The per-step cross-entropy of teacher forcing, masked past each target's `<eos>`."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from rnnjax.typing import Array


def length_weights(lengths: Array, steps: int) -> Array:
  """lengths [B] -> weights [B, T] float32: 1 for t < lengths[b] (the target's tokens up to and
  including its <eos>), 0 after."""
  return (jnp.arange(steps)[None, :] < lengths[:, None]).astype(jnp.float32)


def sequence_loss(logits: Array, targets: Array, lengths: Array | None = None,
                  weights: Array | None = None, label_smoothing: float = 0.0
                  ) -> tuple[Array, Array]:
  """Mean cross-entropy per target token.

  logits [B, T, V], targets [B, T] int, and either lengths [B] or weights [B, T] (0 past the
  <eos>, and on padding rows) -> (loss: sum of weighted token losses / sum of weights, the sum
  of weights). With label_smoothing eps the target distribution is (1 - eps) one-hot + eps / V
  (Szegedy et al. 2016).
  """
  if (lengths is None) == (weights is None):
    raise ValueError("pass exactly one of lengths [B] and weights [B, T].")
  if logits.shape[:2] != targets.shape:
    raise ValueError(f"logits [B, T, V] and targets [B, T] disagree: {logits.shape} and "
                     f"{targets.shape}.")
  if weights is None:
    weights = length_weights(lengths, targets.shape[1])
  if weights.shape != targets.shape:
    raise ValueError(f"weights must have the targets' shape {targets.shape}; got {weights.shape}.")
  logits = logits.astype(jnp.float32)
  if label_smoothing:
    vocab = logits.shape[-1]
    labels = optax.smooth_labels(jax.nn.one_hot(targets, vocab), label_smoothing)
    per_token = optax.softmax_cross_entropy(logits, labels)            # [B, T]
  else:
    per_token = optax.softmax_cross_entropy_with_integer_labels(logits, targets)   # [B, T]
  weights = weights.astype(jnp.float32)
  total = weights.sum()
  return (per_token * weights).sum() / jnp.maximum(total, 1e-8), total

