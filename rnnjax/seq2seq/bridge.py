"""From the encoder's final state to the decoder's initial state.

Sutskever et al. 2014 start the decoder from the encoder's final state; when the sizes or the
directions differ (a bidirectional encoder, a GRU encoder under an LSTM decoder) a Dense layer
maps one to the other, as Bahdanau et al. 2015 start from tanh(W_s h_1-backward) and Britz et al.
2017 ("Massive exploration of neural machine translation architectures") call a "bridge".
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from rnnjax.typing import Array

BRIDGES = ("auto", "dense", "zeros")


def encoder_layers(state: Any) -> list[list[Any]]:
  """An rnnjax encoder's final state -> [layer][direction] cell states.

  `Recurrent` gives one state, `Bidirectional` a (forward, backward) pair, `Stacked` a list of
  either. Cell states are NamedTuples (LSTMState, HiddenState).
  """
  layers = state if isinstance(state, list) else [state]
  out = []
  for layer in layers:
    directions = list(layer) if _is_pair(layer) else [layer]
    for s in directions:
      if not hasattr(s, "_fields"):
        raise TypeError("the bridge reads rnnjax cell states (NamedTuples such as LSTMState); got "
                        f"{type(s).__name__}. Use bridge='zeros' with other cells.")
    out.append(directions)
  return out


def _is_pair(state: Any) -> bool:
  return isinstance(state, tuple) and not hasattr(state, "_fields")


class Bridge(nn.Module):
  """Maps the encoder's final state onto the decoder's L initial states.

  Decoder layer l starts from encoder layer l when both have L layers, else every decoder layer
  starts from the encoder's top layer. For each field of the decoder cell's state (h, and c for
  an LSTM) the encoder layer's same field (its h where it has none), over both directions, is
  copied when it already has the decoder's shape and `mode` is "auto"; otherwise it goes
  through a Dense layer (tanh for h; none for an LSTM's unbounded c).
  Parameters: `layer_<l>_<field>`.

  Attributes:
    mode: "auto" (copy where shapes allow, else Dense), "dense" (always Dense) or "zeros" (the
      decoder starts from zeros, as is common with attention).
  """
  mode: str = "auto"

  @nn.compact
  def __call__(self, encoder_state: Any, templates: Sequence[Any]) -> tuple:
    """encoder_state: as the encoder returns it; templates: the decoder's zero states -> the
    decoder's initial states (a tuple of L cell states)."""
    if self.mode not in BRIDGES:
      raise ValueError(f"bridge must be one of {BRIDGES}; got {self.mode!r}.")
    if self.mode == "zeros":
      return tuple(templates)
    layers = encoder_layers(encoder_state)
    states = []
    for index, template in enumerate(templates):
      if not hasattr(template, "_fields"):
        raise TypeError("the bridge writes rnnjax cell states (NamedTuples); decoder layer "
                        f"{index}'s state is a {type(template).__name__}. Use bridge='zeros'.")
      source = layers[index] if len(layers) == len(templates) else layers[-1]
      fields = {}
      for field in template._fields:
        want = getattr(template, field)                                  # [B, size]
        parts = [getattr(s, field) if field in s._fields else s.h for s in source]
        fields[field] = self._map(parts, want, f"layer_{index}_{field}", field != "c")
      states.append(type(template)(**fields))
    return tuple(states)

  def _map(self, parts: list[Array], want: Array, name: str, squash: bool) -> Array:
    if self.mode == "auto" and len(parts) == 1 and parts[0].shape == want.shape:
      return parts[0].astype(want.dtype)
    joined = jnp.concatenate(parts, axis=-1)                             # [B, sum of sizes]
    out = nn.Dense(want.shape[-1], name=name)(joined)                    # [B, size]
    return (jnp.tanh(out) if squash else out).astype(want.dtype)
