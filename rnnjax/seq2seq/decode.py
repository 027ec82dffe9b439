"""Decoding a `Seq2Seq` under `jit`: greedy and beam search, batched, each row stopping at its own
`<eos>` or at `max_length`.

Both run the model's `decode_step` through `model.apply` inside `jax.lax.scan` for `max_length`
steps (rows that have finished emit `<pad>`). `<pad>` and `<go>` are never emitted: their
log-probabilities are -inf (log_softmax over the other tokens).

  decode_fn = jax.jit(functools.partial(greedy, model, max_length=12))
  result = decode_fn(variables, src, src_lengths)        # DecodeResult of [B, ...] arrays

Beam search keeps k hypotheses per row. At each step every live hypothesis is extended by every
token, a finished one is carried over unchanged, and the k best candidates are kept by
log p / length^alpha (`length_penalty` alpha: 0 ranks by log-probability, 1 by the mean per
token; as OpenNMT, the normalised score ranks candidates at every step). With k = 1 this is
greedy decoding.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from rnnjax.seq2seq.model import Seq2Seq
from rnnjax.text.vocab import Vocab
from rnnjax.typing import Array, PyTree

PAD, GO, EOS = Vocab.pad_id, Vocab.go_id, Vocab.eos_id


class DecodeResult(NamedTuple):
  """tokens [B, T] int32 (<pad> after <eos>); lengths [B] int32: tokens up to and including the
  <eos> (T when a row has none); log_probs [B]: the sum of those tokens' log-probabilities;
  attention [B, T, S]: the weights at each emitted step (0 after <eos>, and everywhere without
  attention). Beam search with all_beams=True adds a K axis after B, best first."""
  tokens: Array
  lengths: Array
  log_probs: Array
  attention: Array


def _step_fn(model: Seq2Seq, variables: PyTree, memory):
  """(carry, tokens [N]) -> (carry, log_probs [N, V] (<pad>, <go>: -inf), weights [N, S])."""
  def step(carry, tokens):
    carry, logits, weights = model.apply(variables, memory, carry, tokens,
                                         method=Seq2Seq.decode_step)
    banned = jnp.zeros(logits.shape[-1], bool).at[jnp.array([PAD, GO])].set(True)   # [V]
    logits = jnp.where(banned[None, :], -jnp.inf, logits.astype(jnp.float32))
    return carry, jax.nn.log_softmax(logits, axis=-1), weights
  return step


def greedy(model: Seq2Seq, variables: PyTree, src: Array, src_lengths: Array, *,
           max_length: int) -> DecodeResult:
  """The most likely next token at every step. src [B, S], src_lengths [B] -> DecodeResult."""
  memory, carry = model.apply(variables, src, src_lengths, method=Seq2Seq.encode)
  step = _step_fn(model, variables, memory)
  batch = src.shape[0]

  def body(state, _):
    carry, tokens, finished, total = state
    carry, log_probs, weights = step(carry, tokens)                     # [B, V], [B, S]
    best = jnp.argmax(log_probs, axis=-1).astype(jnp.int32)             # [B]
    chosen = jnp.take_along_axis(log_probs, best[:, None], axis=-1)[:, 0]
    emitted = ~finished
    tokens = jnp.where(emitted, best, PAD)
    total = total + jnp.where(emitted, chosen, 0.0)
    weights = jnp.where(emitted[:, None], weights, 0.0)
    return (carry, tokens, finished | (tokens == EOS), total), (tokens, emitted, weights)

  start = (carry, jnp.full((batch,), GO, jnp.int32), jnp.zeros((batch,), bool),
           jnp.zeros((batch,), jnp.float32))
  (_, _, _, total), (tokens, emitted, weights) = jax.lax.scan(body, start, None, max_length)
  return DecodeResult(tokens.T, emitted.sum(0).astype(jnp.int32), total,
                      jnp.swapaxes(weights, 0, 1))                      # [B, T], ..., [B, T, S]


def _tile(tree: PyTree, k: int) -> PyTree:
  """Every leaf [B, ...] -> [B*k, ...], each row repeated k times (row b's beams together)."""
  return jax.tree.map(lambda x: jnp.repeat(x, k, axis=0), tree)


def _pick(tree: PyTree, parents: Array) -> PyTree:
  """Every leaf [B*k, ...] -> the rows of parents [B, k] (beam indices within each row)."""
  batch, k = parents.shape
  rows = (jnp.arange(batch)[:, None] * k + parents).reshape(-1)         # [B*k]
  return jax.tree.map(lambda x: x[rows], tree)


def beam_search(model: Seq2Seq, variables: PyTree, src: Array, src_lengths: Array, *,
                beam_size: int, max_length: int, length_penalty: float = 0.0,
                all_beams: bool = False) -> DecodeResult:
  """Beam search with k = beam_size (see the module docstring). src [B, S], src_lengths [B] ->
  the best hypothesis per row (all k, best first, with all_beams)."""
  if beam_size < 1:
    raise ValueError(f"beam_size must be >= 1; got {beam_size}.")
  k = beam_size
  memory, carry = model.apply(variables, src, src_lengths, method=Seq2Seq.encode)
  step = _step_fn(model, variables, _tile(memory, k))
  batch, steps = src.shape[0], memory.mask.shape[1]
  normalise = functools.partial(_normalise, alpha=length_penalty)

  def body(state, t):
    carry, last, total, lengths, finished, tokens, attention = state
    carry, log_probs, weights = step(carry, last.reshape(-1))           # [B*k, V], [B*k, S]
    vocab = log_probs.shape[-1]
    log_probs = log_probs.reshape(batch, k, vocab)
    stay = jnp.where(jnp.arange(vocab) == PAD, 0.0, -jnp.inf)[None, None, :]   # finished rows
    scores = total[..., None] + jnp.where(finished[..., None], stay, log_probs)   # [B, k, V]
    new_lengths = jnp.broadcast_to((lengths + ~finished)[..., None], scores.shape)
    keys = normalise(scores, new_lengths).reshape(batch, k * vocab)
    _, index = jax.lax.top_k(keys, k)                                   # [B, k]
    parents, token = index // vocab, (index % vocab).astype(jnp.int32)
    total = jnp.take_along_axis(scores.reshape(batch, -1), index, axis=1)
    lengths = jnp.take_along_axis(new_lengths.reshape(batch, -1), index, axis=1)
    was_finished = jnp.take_along_axis(finished, parents, axis=1)       # [B, k]
    token = jnp.where(was_finished, PAD, token)
    tokens = jnp.take_along_axis(tokens, parents[..., None], axis=1).at[:, :, t].set(token)
    picked = jnp.take_along_axis(weights.reshape(batch, k, steps), parents[..., None], axis=1)
    picked = jnp.where(was_finished[..., None], 0.0, picked)            # [B, k, S]
    attention = jnp.take_along_axis(attention, parents[..., None, None], axis=1)
    attention = attention.at[:, :, t].set(picked)
    state = (_pick(carry, parents), token, total, lengths, was_finished | (token == EOS),
             tokens, attention)
    return state, None

  first = jnp.where(jnp.arange(k) == 0, 0.0, -jnp.inf)                  # one live beam at first
  start = (_tile(carry, k), jnp.full((batch, k), GO, jnp.int32),
           jnp.broadcast_to(first, (batch, k)), jnp.zeros((batch, k), jnp.int32),
           jnp.zeros((batch, k), bool), jnp.full((batch, k, max_length), PAD, jnp.int32),
           jnp.zeros((batch, k, max_length, steps), jnp.float32))
  (_, _, total, lengths, _, tokens, attention), _ = jax.lax.scan(
      body, start, jnp.arange(max_length))
  order = jnp.argsort(-normalise(total, lengths), axis=1)               # best first, [B, k]

  def take(x):                                                          # [B, k, ...] by order
    return jnp.take_along_axis(x, order.reshape(order.shape + (1,) * (x.ndim - 2)), axis=1)

  result = DecodeResult(take(tokens), take(lengths), take(total), take(attention))
  return result if all_beams else jax.tree.map(lambda x: x[:, 0], result)


def _normalise(scores: Array, lengths: Array, alpha: float) -> Array:
  """log p / length^alpha (length >= 1)."""
  if alpha == 0.0:
    return scores
  return scores / jnp.maximum(lengths, 1).astype(scores.dtype) ** alpha


def exact_match(tokens: Array, lengths: Array, targets: Array, target_lengths: Array) -> Array:
  """[B] bool: the decoded tokens [B, T] up to lengths [B] equal targets [B, T'] up to
  target_lengths (both counting the <eos>)."""
  width = max(tokens.shape[1], targets.shape[1])
  pad = lambda x: jnp.pad(x, ((0, 0), (0, width - x.shape[1])))         # noqa: E731
  mask = jnp.arange(width)[None, :] < target_lengths[:, None]           # [B, T]
  same = jnp.where(mask, pad(tokens) == pad(targets), True).all(axis=1)
  return same & (lengths == target_lengths)
