"""Free-running generation: feed each prediction back as the next input (Simplilearn's
"generating a new sequence"; sampling text from a character model).

  primed, outputs = generate(model, variables, prime [B, T0, D], steps=200)          # regression
  ids = generate(model, variables, prime_ids, steps=50, mode="sample", key=key,
                 temperature=0.8, top_k=5)[1]

The model must be a stateful per-step model (models.SequenceTagger): called as
model.apply(variables, inputs, lengths, initial_state=..., return_state=True).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from rnnjax.typing import Array, PRNGKey

MODES = ("regression", "greedy", "sample")


def choose(outputs_t: Array, mode: str, key: PRNGKey | None = None, temperature: float = 1.0,
           top_k: int | None = None) -> Array:
  """One step's prediction from its outputs [B, C]: the outputs themselves (regression), the
  most likely class (greedy) or a class drawn from softmax(outputs / temperature), restricted
  to the top_k most likely (sample) -> [B, C] or ids [B]."""
  if mode == "regression":
    return outputs_t
  if mode == "greedy":
    return jnp.argmax(outputs_t, axis=-1)
  logits = outputs_t / temperature
  if top_k is not None:
    kth = jax.lax.top_k(logits, top_k)[0][:, -1:]                        # [B, 1]
    logits = jnp.where(logits < kth, -jnp.inf, logits)
  return jax.random.categorical(key, logits, axis=-1)


def default_feed(model: Any, mode: str, num_outputs: int) -> Callable[[Array], Array]:
  """How a prediction becomes the next input [B, ...] (without the time axis): regression
  outputs as they are; class ids as ids for a model that embeds them, else one-hot."""
  if mode == "regression":
    return lambda y: y
  if getattr(model, "vocab_size", None) is not None:
    return lambda ids: ids
  return lambda ids: jax.nn.one_hot(ids, num_outputs)


@functools.partial(jax.jit, static_argnames=("model", "steps", "mode", "temperature", "top_k",
                                             "feed"))
def generate(model: Any, variables: Any, prime: Array, steps: int, *,
             prime_lengths: Array | None = None, mode: str = "regression",
             key: PRNGKey | None = None, temperature: float = 1.0, top_k: int | None = None,
             feed: Callable[[Array], Array] | None = None) -> tuple[Array, Array]:
  """Runs `model` over `prime` [B, T0, ...] (its last valid step per row, with prime_lengths),
  then `steps` more steps, each fed the previous prediction.

  Returns (the model's outputs over the prime [B, T0, C], the predictions [B, steps, C] for
  regression or class ids [B, steps]). `feed` maps a prediction to the next input (default:
  `default_feed`); mode "sample" needs `key` (one key per step is folded in from it).
  """
  if mode not in MODES:
    raise ValueError(f"mode must be one of {MODES}; got {mode!r}.")
  if mode == "sample" and key is None:
    raise ValueError('mode="sample" needs a PRNG key: generate(..., key=jax.random.key(0)).')
  primed, state = model.apply(variables, prime, prime_lengths, return_state=True)  # [B, T0, C]
  if prime_lengths is None:
    last = primed[:, -1]
  else:
    last = jnp.take_along_axis(primed, jnp.maximum(prime_lengths - 1, 0)[:, None, None],
                               axis=1)[:, 0]                                   # [B, C]
  feed = feed or default_feed(model, mode, primed.shape[-1])
  keys = jax.random.split(key if key is not None else jax.random.key(0), steps)
  first = choose(last, mode, keys[0], temperature, top_k)

  def body(carry, key_t):
    state, previous = carry
    outputs, state = model.apply(variables, feed(previous)[:, None], None, initial_state=state,
                                 return_state=True)                        # [B, 1, C]
    chosen = choose(outputs[:, 0], mode, key_t, temperature, top_k)
    return (state, chosen), chosen

  _, rest = jax.lax.scan(body, (state, first), keys[1:])                  # [steps - 1, B, ...]
  predictions = jnp.concatenate([first[None], rest], axis=0)
  return primed, jnp.swapaxes(predictions, 0, 1)
