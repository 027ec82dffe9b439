"""The encoder-decoder (Sutskever et al. 2014, "Sequence to sequence learning with neural
networks"; Cho et al. 2014), with optional attention (see `attention`).

  src [B, S] -> source embedding -> encoder (any rnnjax layer: Recurrent, Bidirectional, Stacked)
     -> outputs [B, S, M] (attention memory) and final state -> bridge -> decoder states
  tgt_in [B, T] (<go> + target[:-1], teacher forcing) -> target embedding -> decoder stack, one
     step at a time (`DecoderCore`) -> logits [B, T, V]

Training runs the decoder step under a lifted `nn.scan` over T; decoding (`rnnjax.seq2seq.decode`)
runs the same step through `model.apply(..., method=Seq2Seq.decode_step)` inside `jax.lax.scan`,
as Flax's seq2seq and wmt examples do, so both use one set of parameters and one step function.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import flax.linen as nn
import jax.numpy as jnp

from rnnjax.layers import Embedding
from rnnjax.seq2seq.attention import ATTENTIONS, Attention, Memory, source_mask
from rnnjax.seq2seq.batch import DECODER_INPUTS, SOURCE, TARGET_LENGTHS
from rnnjax.seq2seq.bridge import Bridge
from rnnjax.typing import Array


def cell_step(cell: nn.Module, state: Any, x: Array) -> tuple[Any, Array]:
  """One step of an rnnjax cell on x [B, D] -> (state, y [B, H]). The only call of the cell
  contract's per-step function in this package."""
  gx = cell.project_inputs(x)                                           # [B, G*H]
  return cell.step(cell.weights(), state, gx)


class DecoderCarry(NamedTuple):
  """states: one cell state per decoder layer; feed [B, A]: Luong's attentional vector of the
  previous step (input feeding), [B, 0] when unused."""
  states: tuple
  feed: Array


class DecoderCore(nn.Module):
  """One decoder step: (memory, carry, x_t [B, E]) -> (carry, (logits [B, V], weights [B, S])).

  "none": y_t = stack(x_t); logits = W_o y_t.
  "dot" / "general" (Luong): h_t = stack([x_t; h~_{t-1}]) ([x_t] without input feeding);
     c_t = attend(h_t); h~_t = tanh(W_c [c_t; h_t]); logits = W_o h~_t.
  "bahdanau": c_t = attend(s_{t-1}) with s the top layer's h; s_t = stack([x_t; c_t]);
     logits = W_o [s_t; c_t].
  Without attention the weights are zeros [B, S].
  """
  cells: Sequence[nn.Module]
  vocab_size: int
  attention: str = "none"
  attention_size: int | None = None
  input_feeding: bool = True
  dropout: float = 0.0

  def setup(self):
    if self.attention not in ATTENTIONS:
      raise ValueError(f"attention must be one of {ATTENTIONS}; got {self.attention!r}.")
    if not self.cells:
      raise ValueError("decoder_cells must hold at least one cell.")
    self.layers = [cell.clone(parent=None, name=None) for cell in self.cells]
    top = self.layers[-1].output_size
    if self.attention != "none":
      self.attend = Attention(self.attention, top, self.attention_size)
    if self.luong:
      self.combine = nn.Dense(self.attention_size or top, use_bias=False)
    self.output = nn.Dense(self.vocab_size)
    self.drop = nn.Dropout(self.dropout)

  @property
  def luong(self) -> bool:
    return self.attention in ("dot", "general")

  def keys(self, values: Array) -> Array:
    """Encoder outputs [B, S, M] -> the attention keys [B, S, K] ([B, S, 0] without attention)."""
    if self.attention == "none":
      return values[..., :0]
    return self.attend.keys(values)

  def zero_states(self, batch_size: int) -> tuple:
    return tuple(layer.initial_state(batch_size) for layer in self.layers)

  def initial_carry(self, states: tuple, batch_size: int) -> DecoderCarry:
    width = (self.attention_size or self.layers[-1].output_size) if (
        self.luong and self.input_feeding) else 0
    return DecoderCarry(tuple(states), jnp.zeros((batch_size, width), jnp.float32))

  def __call__(self, memory: Memory, carry: DecoderCarry, x_t: Array, train: bool = False):
    batch, steps = memory.mask.shape
    weights = jnp.zeros((batch, steps), jnp.float32)                    # [B, S]
    inputs = x_t                                                        # [B, E]
    if self.attention == "bahdanau":
      context, weights = self.attend(_top_h(carry.states[-1]), memory)  # [B, M], [B, S]
      inputs = jnp.concatenate([x_t, context.astype(x_t.dtype)], -1)
    elif self.luong and self.input_feeding:
      inputs = jnp.concatenate([x_t, carry.feed.astype(x_t.dtype)], -1)
    states, y = [], inputs
    for index, (layer, state) in enumerate(zip(self.layers, carry.states)):
      if index > 0:
        y = self.drop(y, deterministic=not train)
      state, y = cell_step(layer, state, y)                             # [B, H]
      states.append(state)
    feed = carry.feed
    if self.luong:
      context, weights = self.attend(y, memory)                         # [B, M], [B, S]
      y = jnp.tanh(self.combine(jnp.concatenate([context.astype(y.dtype), y], -1)))  # [B, A]
      feed = y.astype(feed.dtype) if self.input_feeding else feed
    elif self.attention == "bahdanau":
      y = jnp.concatenate([y, context.astype(y.dtype)], -1)             # [B, H + M]
    logits = self.output(self.drop(y, deterministic=not train))         # [B, V]
    return DecoderCarry(tuple(states), feed), (logits, weights)


def _top_h(state: Any) -> Array:
  if not hasattr(state, "h"):
    raise TypeError('attention="bahdanau" queries with the top decoder layer\'s state.h; got a '
                    f"state of type {type(state).__name__}.")
  return state.h


def _scan_decoder(core: DecoderCore, carry: DecoderCarry, xs: Array, memory: Memory, train: bool):
  body = lambda module, c, x, m: module(m, c, x, train)   # noqa: E731
  scan = nn.scan(body, variable_broadcast="params", split_rngs={"params": False, "dropout": True},
                 in_axes=(1, nn.broadcast), out_axes=1)
  return scan(core, carry, xs, memory)


class Seq2Seq(nn.Module):
  """Encoder-decoder over token ids.

  `model(src [B, S], src_lengths [B], tgt_in [B, T], tgt_lengths [B] = None, train=False)`
  -> logits [B, T, V_tgt] for teacher forcing: tgt_in is <go> + target[:-1] (`batch.shift_right`)
  and logits[:, t] scores target[t]; steps at or past tgt_lengths are zero. The training engine
  (rnnjax.train, rnnjax.trainer.fit) calls `model(batch["inputs"], batch["lengths"], train=...)`
  with inputs a dict {"source", "decoder_inputs", "target_lengths"} and the source lengths.

  Attributes:
    encoder: an rnnjax layer over [B, S, E] (Recurrent, Bidirectional or Stacked; it is run with
      return_state=True and return_sequences=True whatever it was built with).
    decoder_cells: the L decoder cells (rnnjax cells), bottom first.
    src_vocab_size, tgt_vocab_size: V_src, V_tgt.
    embed_dim: E for both embeddings.
    share_embeddings: one table for source and target (needs V_src == V_tgt).
    attention: "none", "dot" / "general" (Luong) or "bahdanau".
    attention_size: Luong's attentional vector and Bahdanau's hidden size (default: the top
      decoder layer's size).
    input_feeding: Luong's input feeding (h~_{t-1} joins the next step's input).
    bridge: "auto", "dense" or "zeros" (see `bridge.Bridge`).
    dropout: rate on the embeddings, between decoder layers and before the output layer.
  Parameters: `source_embedding` / `target_embedding` (or `embedding`), `encoder`, `bridge`,
  `decoder` (`layers_<l>`, `attend`, `combine`, `output`).
  """
  encoder: nn.Module
  decoder_cells: Sequence[nn.Module]
  src_vocab_size: int
  tgt_vocab_size: int
  embed_dim: int = 32
  share_embeddings: bool = False
  attention: str = "none"
  attention_size: int | None = None
  input_feeding: bool = True
  bridge: str = "auto"
  dropout: float = 0.0

  def __post_init__(self):
    # The encoder must give its outputs (the attention memory) and its final state (the bridge).
    if isinstance(self.encoder, nn.Module) and not (
        getattr(self.encoder, "return_state", True) and
        getattr(self.encoder, "return_sequences", True)):
      object.__setattr__(self, "encoder",
                         self.encoder.clone(return_state=True, return_sequences=True))
    super().__post_init__()

  def setup(self):
    if self.share_embeddings:
      if self.src_vocab_size != self.tgt_vocab_size:
        raise ValueError("share_embeddings needs src_vocab_size == tgt_vocab_size; got "
                         f"{self.src_vocab_size} and {self.tgt_vocab_size}.")
      self.embedding = Embedding(self.src_vocab_size, self.embed_dim)
    else:
      self.source_embedding = Embedding(self.src_vocab_size, self.embed_dim)
      self.target_embedding = Embedding(self.tgt_vocab_size, self.embed_dim)
    self.bridge_layer = Bridge(self.bridge, name="bridge")
    self.decoder = DecoderCore(
        [c.clone(parent=None, name=None) for c in self.decoder_cells], self.tgt_vocab_size,
        self.attention, self.attention_size, self.input_feeding, self.dropout)
    self.drop = nn.Dropout(self.dropout)

  def _embed(self, ids: Array, source: bool, train: bool) -> Array:
    table = self.embedding if self.share_embeddings else (
        self.source_embedding if source else self.target_embedding)
    return self.drop(table(ids), deterministic=not train)                # [B, ..., E]

  def encode(self, src: Array, src_lengths: Array, train: bool = False
             ) -> tuple[Memory, DecoderCarry]:
    """src [B, S] int, src_lengths [B] -> (attention memory, the decoder's first carry)."""
    xs = self._embed(src, True, train)                                  # [B, S, E]
    final, outputs = self.encoder(xs, src_lengths, train=train)   # outputs [B, S, M]
    memory = Memory(outputs, self.decoder.keys(outputs), source_mask(src_lengths, src.shape[1]))
    states = self.bridge_layer(final, self.decoder.zero_states(src.shape[0]))
    return memory, self.decoder.initial_carry(states, src.shape[0])

  def decode_step(self, memory: Memory, carry: DecoderCarry, tokens: Array, train: bool = False):
    """tokens [B] (the previous output, <go> first) -> (carry, logits [B, V], weights [B, S])."""
    carry, (logits, weights) = self.decoder(memory, carry, self._embed(tokens, False, train),
                                            train)
    return carry, logits, weights

  def teacher_forced(self, src: Array, src_lengths: Array, tgt_in: Array,
                     tgt_lengths: Array | None = None, train: bool = False):
    """As `__call__`, also returning the attention weights [B, T, S] (zero past tgt_lengths)."""
    memory, carry = self.encode(src, src_lengths, train)
    xs = self._embed(tgt_in, False, train)                              # [B, T, E]
    _, (logits, weights) = _scan_decoder(self.decoder, carry, xs, memory, train)
    if tgt_lengths is not None:
      valid = source_mask(tgt_lengths, tgt_in.shape[1])[:, :, None]     # [B, T, 1]
      logits = jnp.where(valid, logits, jnp.zeros_like(logits))         # [B, T, V]
      weights = jnp.where(valid, weights, jnp.zeros_like(weights))      # [B, T, S]
    return logits, weights

  def __call__(self, inputs: Array | Mapping[str, Array], lengths: Array,
               decoder_inputs: Array | None = None, target_lengths: Array | None = None, *,
               train: bool = False) -> Array:
    """Teacher-forced logits [B, T, V_tgt].

    inputs: the source ids [B, S], with decoder_inputs [B, T] (and optionally target_lengths
      [B]) as the next arguments; or, as rnnjax.train's steps pass batch["inputs"], a dict
      {"source": [B, S], "decoder_inputs": [B, T], "target_lengths": [B] (optional)}
      (`batch.encode_split` builds such splits).
    lengths: the source lengths [B].
    """
    src, tgt_in, tgt_lengths = unpack_inputs(inputs, decoder_inputs, target_lengths)
    return self.teacher_forced(src, lengths, tgt_in, tgt_lengths, train)[0]


def unpack_inputs(inputs: Array | Mapping[str, Array], decoder_inputs: Array | None,
                  target_lengths: Array | None) -> tuple[Array, Array, Array | None]:
  """`Seq2Seq.__call__`'s two ways of passing the arrays -> (source, decoder inputs, target
  lengths or None)."""
  if not isinstance(inputs, Mapping):
    if decoder_inputs is None:
      raise ValueError("Seq2Seq needs decoder_inputs [B, T] (<go> + target[:-1]) after the "
                       "source ids, or inputs as a dict with keys "
                       f"{(SOURCE, DECODER_INPUTS, TARGET_LENGTHS)}.")
    return inputs, decoder_inputs, target_lengths
  if decoder_inputs is not None or target_lengths is not None:
    raise ValueError("pass decoder_inputs and target_lengths either inside the inputs dict or "
                     "as arguments, not both.")
  missing = [k for k in (SOURCE, DECODER_INPUTS) if k not in inputs]
  unknown = sorted(set(inputs) - {SOURCE, DECODER_INPUTS, TARGET_LENGTHS})
  if missing or unknown:
    raise ValueError(f"inputs dict must hold {SOURCE!r} and {DECODER_INPUTS!r} (and optionally "
                     f"{TARGET_LENGTHS!r}); missing {missing}, unknown {unknown}.")
  return inputs[SOURCE], inputs[DECODER_INPUTS], inputs.get(TARGET_LENGTHS)
