"""Attention over the encoder outputs, masked by the source lengths.

  Luong et al. 2015, "Effective approaches to attention-based neural machine translation"
  (global attention):     dot      score(h_t, h_s) = h_t . h_s
                          general  score(h_t, h_s) = h_t . (W_a h_s)
  Bahdanau et al. 2015, "Neural machine translation by jointly learning to align and translate"
  (additive):             score(s_{t-1}, h_s) = v . tanh(W_a s_{t-1} + U_a h_s)

The part of each score that depends on the source alone (W_a h_s, U_a h_s) is computed once per
sentence by `keys` and kept in `Memory`; each decoder step then costs one [B, S, K] product.
Weights are exactly 0 on padded source steps (a row with no valid step gets all-zero weights and a
zero context).
"""
from __future__ import annotations

from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax.typing import Array

ATTENTIONS = ("none", "dot", "general", "bahdanau")


class Memory(NamedTuple):
  """What the decoder attends to, fixed for a sentence.

  values: encoder outputs [B, S, M]; keys: [B, S, K] (values for "dot", W_a values for "general",
  U_a values for "bahdanau"; [B, S, 0] without attention); mask: [B, S] True on valid steps.
  """
  values: Array
  keys: Array
  mask: Array


def source_mask(lengths: Array, steps: int) -> Array:
  """lengths [B] -> [B, S] bool, True where s < lengths[b]."""
  return jnp.arange(steps)[None, :] < lengths[:, None]


def masked_softmax(scores: Array, mask: Array) -> Array:
  """Softmax over the last axis of scores [B, S] restricted to mask [B, S]: exactly 0 where the
  mask is False (and everywhere in a row with no True)."""
  low = jnp.finfo(scores.dtype).min
  scores = jnp.where(mask, scores, low)
  weights = jax.nn.softmax(scores, axis=-1)
  return jnp.where(mask, weights, jnp.zeros_like(weights))


def context(weights: Array, values: Array) -> Array:
  """weights [B, S], values [B, S, M] -> the weighted sum [B, M]."""
  return jnp.einsum("bs,bsm->bm", weights, values)


class Attention(nn.Module):
  """One attention mechanism ("dot", "general" or "bahdanau").

  Call `keys(values [B, S, M])` once per sentence, then `attention(query [B, Q], memory)` at each
  step -> (context [B, M], weights [B, S]).

  Attributes:
    kind: "dot", "general" or "bahdanau".
    query_size: Q, the size of the decoder vector that queries (Luong: the top layer's output
      h_t; Bahdanau: the previous top state s_{t-1}). "dot" needs Q == M.
    units: Bahdanau's hidden size A (default Q).
  Parameters: "general": `key` [M, Q]; "bahdanau": `key` [M, A], `query` [Q, A] + bias [A],
  `score` v [A].
  """
  kind: str
  query_size: int
  units: int | None = None

  def setup(self):
    if self.kind not in ATTENTIONS[1:]:
      raise ValueError(f"kind must be one of {ATTENTIONS[1:]}; got {self.kind!r}.")
    if self.kind == "general":
      self.key = nn.Dense(self.query_size, use_bias=False)
    if self.kind == "bahdanau":
      units = self.units or self.query_size
      self.key = nn.Dense(units, use_bias=False)
      self.query = nn.Dense(units)
      self.score = self.param("score", nn.initializers.lecun_normal(), (units, 1))

  def keys(self, values: Array) -> Array:
    """values [B, S, M] -> keys [B, S, K]."""
    if self.kind == "dot":
      if values.shape[-1] != self.query_size:
        raise ValueError(f'attention="dot" needs encoder outputs of the decoder\'s size '
                         f"{self.query_size}; got {values.shape[-1]} (use \"general\").")
      return values
    return self.key(values)

  def __call__(self, query: Array, memory: Memory) -> tuple[Array, Array]:
    """query [B, Q] -> (context [B, M], weights [B, S])."""
    if self.kind == "bahdanau":
      hidden = jnp.tanh(memory.keys + self.query(query)[:, None, :])     # [B, S, A]
      scores = (hidden @ self.score.astype(hidden.dtype))[..., 0]        # [B, S]
    else:
      scores = jnp.einsum("bq,bsq->bs", query, memory.keys)              # [B, S]
    weights = masked_softmax(scores, memory.mask)
    return context(weights, memory.values), weights
