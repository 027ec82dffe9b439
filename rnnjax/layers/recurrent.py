"""`Recurrent`: runs one cell over time through the recurrence engine.

Public APIs are batch-major ([B, T, D] in, [B, T, H] out) unless `time_major=True`. Right-padded
batches are described by `seq_lengths` [B]: outputs past a sequence's length are zero, and the
returned state is the state at its last valid step (the initial state for length 0).
"""
from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from rnnjax import recurrence
from rnnjax.typing import Array


def check_inputs(xs: Array, seq_lengths: Array | None, time_major: bool,
                 spatial_dims: int = 0) -> Array:
  """Validates xs [B, T, D] ([T, B, D] time-major; [B, T, *S, D] with `spatial_dims` frame axes
  S, for cells that step over frames) and seq_lengths [B]; returns int32 lengths.

  Shape and dtype errors are raised at trace time. Length values are checked when they are
  concrete (given as numpy or as a JAX array closed over, also inside `jit`); lengths that are
  traced (arguments of a jitted function) cannot be checked and are clipped to [0, T].
  """
  if xs.ndim != 3 + spatial_dims:
    step = "*S, D" if spatial_dims else "D"
    layout = f"[T, B, {step}]" if time_major else f"[B, T, {step}]"
    frames = f" with {spatial_dims} spatial axes S (this cell steps over frames)" * (
        spatial_dims > 0)
    raise ValueError(f"xs must have rank {3 + spatial_dims}, {layout}{frames}; got shape "
                     f"{xs.shape}.")
  t, b = (xs.shape[0], xs.shape[1]) if time_major else (xs.shape[1], xs.shape[0])
  if seq_lengths is None:
    return jnp.full((b,), t, jnp.int32)
  seq_lengths = jnp.asarray(seq_lengths) if not isinstance(seq_lengths, jax.Array) else seq_lengths
  if seq_lengths.shape != (b,):
    raise ValueError(f"seq_lengths must have shape [B] = ({b},) for xs of shape {xs.shape}; "
                     f"got {seq_lengths.shape}.")
  if not jnp.issubdtype(seq_lengths.dtype, jnp.integer):
    raise TypeError(f"seq_lengths must be an integer array; got dtype {seq_lengths.dtype}.")
  if not isinstance(seq_lengths, jax.core.Tracer) and seq_lengths.size:
    host = np.asarray(seq_lengths)     # concrete (also when closed over inside a jit): on host
    low, high = int(host.min()), int(host.max())
    if low < 0 or high > t:
      raise ValueError(f"seq_lengths must lie in [0, T={t}]; got values in [{low}, {high}].")
  return jnp.clip(seq_lengths.astype(jnp.int32), 0, t)


def check_state(state, expected, what: str):
  """state cast to `expected`'s dtypes; a clear error when its structure or shapes differ."""
  got = jax.tree.map(jnp.shape, state)
  want = jax.tree.map(jnp.shape, expected)
  if jax.tree.structure(state) != jax.tree.structure(expected) or got != want:
    raise ValueError(f"{what} must match the cell's state {want}; got {got}.")
  return jax.tree.map(lambda s, e: s.astype(e.dtype), state, expected)


def rows(v: Array, like: Array) -> Array:
  """v [B] -> [B, 1, ..., 1] of like's rank, to select or scale whole rows of like [B, ...]."""
  return v.reshape(v.shape + (1,) * (like.ndim - 1))


def last_output(ys: Array, lengths: Array, reverse: bool) -> Array:
  """ys [B, T, ..., H] -> the output of each row's last processed valid step [B, ..., H] (step
  lengths[b] - 1, or step 0 when running in reverse); 0 for length 0."""
  index = jnp.zeros_like(lengths) if reverse else jnp.maximum(lengths - 1, 0)   # [B]
  last = jnp.take_along_axis(ys, rows(index, ys), axis=1)[:, 0]        # [B, ..., H]
  return jnp.where(rows(lengths > 0, last), last, jnp.zeros_like(last))


def zero_state(cell: nn.Module, batch_size: int, frame_shape: tuple[int, ...] = ()) -> Any:
  """The cell's zero state for `batch_size` rows; a cell that steps over frames (ConvLSTMCell)
  also takes their spatial shape S."""
  return cell.initial_state(batch_size, frame_shape) if frame_shape else cell.initial_state(
      batch_size)


def own_cell(cell: nn.Module, layer: nn.Module) -> nn.Module:
  """The layer's own copy of its cell, named `cell`. A cell built inside another module's
  compact method belongs to that module (Flax's rule; nn.RNN has it too); a clone makes the
  parameters live under `<layer>/cell` wherever the cell was built."""
  return cell if cell.parent is layer else cell.clone(parent=layer, name="cell")


def detached(cell: nn.Module) -> nn.Module:
  """An unbound copy of a cell held as a field, so that its parameters live under the layer
  that runs it (`forward/cell`, `layer_0/cell`) rather than under the field's name."""
  return cell.clone(parent=None, name=None)


class Recurrent(nn.Module):
  """Runs `cell` over time: xs [B, T, D] -> outputs [B, T, H] (or the last output [B, H]).
  A cell that steps over frames (ConvLSTMCell) takes xs [B, T, *S, D] -> [B, T, *S, H].

  The cell's input projection is hoisted out of the loop (one matmul over all steps); the loop
  (`rnnjax.recurrence`, whichever backend runs it) runs only the recurrent part. Call as
  `layer(xs, seq_lengths=None, initial_state=None, train=False)`; returns the outputs, or
  `(final_state, outputs)` with `return_state`.

  Attributes:
    cell: an rnnjax cell (or `FlaxCell(flax_cell)`).
    return_sequences: outputs for every step [B, T, H], else only the last valid one [B, H].
    return_state: also return the final state (the state at each row's last valid step).
    reverse: run from each row's last valid step back to step 0 (only the valid prefix is
      reversed); outputs are given back in the original time order.
    time_major: xs is [T, B, D] and outputs [T, B, H].
    unroll: steps per scan iteration (`jax.lax.scan`'s unroll; the fused loops do not unroll,
      so unroll > 1 runs the scan backend).
    recurrent_dropout: variational dropout rate on h before the recurrent matmul: one mask per
      sequence, reused at every step (Gal & Ghahramani 2016; Keras `recurrent_dropout`). Active
      only with `train=True`; draws from the "dropout" PRNG stream.
    implementation: the recurrence backend: "auto" (the fastest exact one for the call),
      "scan" (`lax.scan` with autodiff, the reference), "static" (a Python loop, TensorFlow's
      static_rnn), "fused" (hand-written VJPs: plain LSTM, reset-after GRU) or "cudnn" (GPU
      only, a plain float32 LSTMCell without recurrent dropout). A named backend that cannot
      run the call raises its reason.
    remat: recompute the forward pass in chunks of `remat_chunk` steps (default sqrt(T)) during
      the backward pass to save memory on long sequences (scan backend).
    input_dropout: dropout rate on the layer's inputs x_t (Keras `dropout=`): one mask per
      sequence [B, D] (or [B, *S, D]), reused at every step, as Keras draws it; train only,
      from the "dropout" PRNG stream.
  """
  cell: nn.Module
  return_sequences: bool = True
  return_state: bool = False
  reverse: bool = False
  time_major: bool = False
  unroll: int = 1
  recurrent_dropout: float = 0.0
  implementation: str = "auto"
  remat: bool = False
  remat_chunk: int = 0
  input_dropout: float = 0.0

  @nn.compact
  def __call__(self, xs: Array, seq_lengths: Array | None = None, initial_state: Any = None, *,
               train: bool = False):
    recurrence.engine.check_implementation(self.implementation)
    cell = own_cell(self.cell, self)
    lengths = check_inputs(xs, seq_lengths, self.time_major,
                           getattr(cell, "spatial_dims", 0))                # [B]
    xs_tm = xs if self.time_major else jnp.swapaxes(xs, 0, 1)            # [T, B, D]
    xs_tm = self._input_dropout(xs_tm, train)
    state0 = zero_state(cell, xs_tm.shape[1], xs_tm.shape[2:-1])
    if initial_state is not None:
      state0 = check_state(initial_state, state0, "initial_state")
    final, ys = recurrence.run(
        cell, xs_tm, None if seq_lengths is None else lengths, state0,
        h_mask=self._recurrent_mask(state0, train), reverse=self.reverse,
        implementation=self.implementation, unroll=self.unroll, remat=self.remat,
        remat_chunk=self.remat_chunk, initializing=self.is_initializing())   # ys [T, B, H]
    if self.return_sequences:
      out = ys if self.time_major else jnp.swapaxes(ys, 0, 1)
    elif cell.output_is_h and final.h.dtype == ys.dtype:
      # The last valid output is the final h: no gather, and the loop's backward pass then gets
      # no per-step output gradients at all (the fused loops skip that work).
      out = jnp.where(rows(lengths > 0, final.h), final.h, 0).astype(ys.dtype)  # [B, H]
    else:
      out = last_output(jnp.swapaxes(ys, 0, 1), lengths, self.reverse)  # [B, H]
    return (final, out) if self.return_state else out

  def _input_dropout(self, xs_tm: Array, train: bool) -> Array:
    """xs [T, B, ...] times one keep mask [B, ...] / (1 - rate) for every step (train only)."""
    rate = self.input_dropout
    if not 0.0 <= rate < 1.0:
      raise ValueError(f"input_dropout must be in [0, 1); got {rate}.")
    if not train or rate == 0.0:
      return xs_tm
    keep = jax.random.bernoulli(self.make_rng("dropout"), 1.0 - rate, xs_tm.shape[1:])
    return xs_tm * (keep.astype(xs_tm.dtype) / (1.0 - rate))[None]       # [T, B, D]

  def _recurrent_mask(self, state0, train: bool) -> Array | None:
    rate = self.recurrent_dropout
    if not 0.0 <= rate < 1.0:
      raise ValueError(f"recurrent_dropout must be in [0, 1); got {rate}.")
    if not train or rate == 0.0:
      return None
    if not hasattr(state0, "h"):
      raise TypeError("recurrent_dropout needs an rnnjax cell whose state has an `h` field; "
                      f"got state {type(state0).__name__}.")
    keep = jax.random.bernoulli(self.make_rng("dropout"), 1.0 - rate, state0.h.shape)
    return keep.astype(state0.h.dtype) / (1.0 - rate)                   # [B, H]
