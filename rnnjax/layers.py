"""Layers that run a cell over time: Recurrent, Bidirectional, Stacked.

Public APIs are batch-major ([B, T, D] in, [B, T, H] out) unless `time_major=True`; inside, the
time loop is always time-major. Right-padded batches are described by `seq_lengths` [B]: outputs
past a sequence's length are zero, and the returned state is the state at its last valid step
(the initial state for length 0).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax import cudnn, time_loop
from rnnjax.cells import LSTMCell, LSTMState
from rnnjax.cells.base import check_features
from rnnjax.time_loop import reverse_padded
from rnnjax.typing import Array

MERGE_MODES = ("concat", "sum", "mul", "ave")
IMPLEMENTATIONS = time_loop.IMPLEMENTATIONS + ("cudnn",)
__all__ = ["Bidirectional", "MERGE_MODES", "Recurrent", "Stacked", "reverse_padded"]


def check_inputs(xs: Array, seq_lengths: Array | None, time_major: bool) -> Array:
  """Validates xs [B, T, D] ([T, B, D] time-major) and seq_lengths [B]; returns int32 lengths.

  Shape and dtype errors are raised at trace time. Length values are checked only when they are
  concrete (not under `jit`); traced lengths are clipped to [0, T].
  """
  if xs.ndim != 3:
    layout = "[T, B, D]" if time_major else "[B, T, D]"
    raise ValueError(f"xs must have rank 3, {layout}; got shape {xs.shape}.")
  t, b = (xs.shape[0], xs.shape[1]) if time_major else (xs.shape[1], xs.shape[0])
  if seq_lengths is None:
    return jnp.full((b,), t, jnp.int32)
  seq_lengths = jnp.asarray(seq_lengths) if not isinstance(seq_lengths, jax.Array) else seq_lengths
  if seq_lengths.shape != (b,):
    raise ValueError(f"seq_lengths must have shape [B] = ({b},) for xs of shape {xs.shape}; "
                     f"got {seq_lengths.shape}.")
  if not jnp.issubdtype(seq_lengths.dtype, jnp.integer):
    raise TypeError(f"seq_lengths must be an integer array; got dtype {seq_lengths.dtype}.")
  if not isinstance(seq_lengths, jax.core.Tracer):
    low, high = int(seq_lengths.min()), int(seq_lengths.max())
    if low < 0 or high > t:
      raise ValueError(f"seq_lengths must lie in [0, T={t}]; got values in [{low}, {high}].")
  return jnp.clip(seq_lengths.astype(jnp.int32), 0, t)


def _check_state(state, expected, what: str):
  got = jax.tree.map(jnp.shape, state)
  want = jax.tree.map(jnp.shape, expected)
  if jax.tree.structure(state) != jax.tree.structure(expected) or got != want:
    raise ValueError(f"{what} must match the cell's state {want}; got {got}.")
  return jax.tree.map(lambda s, e: s.astype(e.dtype), state, expected)


def _last_output(ys: Array, lengths: Array) -> Array:
  """ys [B, T, H] in processing order -> the output of each row's last valid step [B, H]."""
  index = jnp.maximum(lengths - 1, 0)                                   # [B]
  last = jnp.take_along_axis(ys, index[:, None, None], axis=1)[:, 0]    # [B, H]
  return jnp.where((lengths > 0)[:, None], last, jnp.zeros_like(last))


class Recurrent(nn.Module):
  """Runs `cell` over time: xs [B, T, D] -> outputs [B, T, H] (or the last output [B, H]).

  The cell's input projection is hoisted out of the loop (one matmul over all steps); the loop
  runs only the recurrent part. Call as `layer(xs, seq_lengths=None, initial_state=None,
  train=False)`; returns the outputs, or `(final_state, outputs)` with `return_state`.

  Attributes:
    cell: an rnnjax cell (or `FlaxCell(flax_cell)`).
    return_sequences: outputs for every step [B, T, H], else only the last valid one [B, H].
    return_state: also return the final state (the state at each row's last valid step).
    reverse: run from each row's last valid step back to step 0 (only the valid prefix is
      reversed); outputs are given back in the original time order.
    time_major: xs is [T, B, D] and outputs [T, B, H].
    unroll: steps per scan iteration (`jax.lax.scan`'s unroll).
    recurrent_dropout: variational dropout rate on h before the recurrent matmul: one mask per
      sequence, reused at every step (Gal & Ghahramani 2016; Keras `recurrent_dropout`). Active
      only with `train=True`; draws from the "dropout" PRNG stream.
    implementation: "auto" (the fastest exact path for the cell), "scan" (plain `lax.scan` with
      autodiff, the reference), "loop" (a Python loop over steps, TF's static_rnn) or "cudnn"
      (`rnnjax.cudnn`: GPU only, a plain float32 LSTMCell without recurrent dropout; "auto"
      does not take it: it measured slower than "auto"'s fused loop, benchmarks/README.md).
    remat: recompute the forward pass in chunks of `remat_chunk` steps during the backward pass
      to save memory on long sequences (scan path only).
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

  @nn.compact
  def __call__(self, xs: Array, seq_lengths: Array | None = None, initial_state: Any = None, *,
               train: bool = False):
    if self.implementation not in IMPLEMENTATIONS:
      raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}; "
                       f"got {self.implementation!r}.")
    lengths = check_inputs(xs, seq_lengths, self.time_major)            # [B]
    cell = _own(self.cell, self)
    xs_tm = xs if self.time_major else jnp.swapaxes(xs, 0, 1)            # [T, B, D]
    time, batch = xs_tm.shape[:2]
    state0 = cell.initial_state(batch)
    if initial_state is not None:
      state0 = _check_state(initial_state, state0, "initial_state")
    h_mask = self._recurrent_mask(state0, train)
    if self._use_cudnn(cell, xs_tm, h_mask):
      final, ys = self._run_cudnn(cell, jnp.swapaxes(xs_tm, 0, 1), lengths, state0)
    else:
      split_bias = hasattr(cell, "input_bias")  # rnnjax cells: the loop adds the input bias
      gx = cell.project_inputs(xs_tm, add_bias=False) if split_bias else cell.project_inputs(xs_tm)
      bias = cell.input_bias().astype(gx.dtype) if split_bias else None  # [G*H]
      if self.reverse:
        gx = reverse_padded(gx, lengths, time_axis=0)
      # [T, B]; None without seq_lengths: no masking in the loop (~3x faster inference on GPU)
      valid = None if seq_lengths is None else jnp.arange(time)[:, None] < lengths[None, :]
      final, ys = time_loop.run(
          cell, cell.weights(), gx, state0, valid, h_mask=h_mask, bias=bias, unroll=self.unroll,
          implementation="auto" if self.implementation == "cudnn" else self.implementation,
          remat_chunk=(self.remat_chunk or time_loop.default_chunk(time)) if self.remat else 0)
      ys = jnp.swapaxes(ys, 0, 1)                                       # [B, T, H]
    if self.return_sequences:
      out = reverse_padded(ys, lengths) if self.reverse else ys
      out = jnp.swapaxes(out, 0, 1) if self.time_major else out
    elif getattr(cell, "output_is_h", False) and final.h.dtype == ys.dtype:
      # The last valid output is the final h: no gather, and the loop's backward pass then gets
      # no per-step output gradients at all (the fast path skips that work).
      out = jnp.where((lengths > 0)[:, None], final.h, 0).astype(ys.dtype)  # [B, H]
    else:
      out = _last_output(ys, lengths)                                   # [B, H]
    return (final, out) if self.return_state else out

  def _use_cudnn(self, cell, xs_tm: Array, h_mask: Array | None) -> bool:
    """Whether to run cuDNN: only when asked for ("cudnn"; an error where it cannot run). "auto"
    never takes it: on an H100, JAX's cuDNN LSTM was 1.0-3.2x slower than the fused loop
    (benchmarks/results/gpu). While initialising, the time loop runs instead: the parameters
    are the same, and a model for the GPU can be initialised on a host without one."""
    if self.implementation != "cudnn" or self.is_initializing():
      return False
    if not isinstance(cell, LSTMCell):
      raise ValueError('implementation="cudnn" runs rnnjax.cells.LSTMCell only; got '
                       f"{type(cell).__name__}.")
    weights = cell.weights()
    reason = cudnn.supported(weights, h_mask, xs_tm.dtype, weights.w_hh.dtype,
                             cell.initial_state(1).h.dtype)
    if reason:
      raise ValueError(f'implementation="cudnn" cannot run here: {reason}. Use "auto".')
    return True

  def _run_cudnn(self, cell, xs: Array, lengths: Array, state0):
    """The cuDNN LSTM (rnnjax.cudnn) on xs [B, T, D] -> (final state, ys [B, T, H])."""
    kernel = cell.input_kernel()
    check_features(kernel, xs, "This LSTMCell")
    if self.reverse:
      xs = reverse_padded(xs, lengths)
    ys, (h, c) = cudnn.lstm(xs, lengths, kernel, cell.weights().w_hh, cell.input_bias(),
                            state0.h, state0.c)
    return LSTMState(h=h, c=c), ys

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


def _own(cell: nn.Module, layer: nn.Module) -> nn.Module:
  """The layer's own copy of its cell, named `cell`. A cell built inside another module's
  compact method belongs to that module (Flax's rule; nn.RNN has it too); a clone makes the
  parameters live under `<layer>/cell` wherever the cell was built."""
  return cell if cell.parent is layer else cell.clone(parent=layer, name="cell")


def _detach(cell: nn.Module) -> nn.Module:
  """An unbound copy of a cell held as a field, so that its parameters live under the layer
  that runs it (`forward/cell`, `layer_0/cell`) rather than under the field's name."""
  return cell.clone(parent=None, name=None)


def merge(fw: Array, bw: Array, mode: str) -> Array:
  """Combines forward and backward outputs [..., H] -> [..., 2H] (concat) or [..., H]."""
  if mode == "concat":
    return jnp.concatenate([fw, bw], axis=-1)
  if mode == "sum":
    return fw + bw
  if mode == "mul":
    return fw * bw
  if mode == "ave":
    return (fw + bw) / 2
  raise ValueError(f"merge_mode must be one of {MERGE_MODES}; got {mode!r}.")


class Bidirectional(nn.Module):
  """A forward and a backward `Recurrent` over the same input, merged.

  xs [B, T, D] -> [B, T, 2H] (concat) or [B, T, H] (sum, mul, ave); with
  `return_sequences=False` the merged last outputs [B, 2H]: the forward layer's output at the
  last valid step and the backward layer's at step 0. With `return_state` returns
  `((forward_state, backward_state), outputs)`; `initial_state` is such a pair too.
  Parameters live under `forward` and `backward`.

  Attributes:
    forward_cell, backward_cell: the two cells (distinct instances).
    merge_mode: "concat", "sum", "mul" or "ave".
    other attributes: as `Recurrent`.
  """
  forward_cell: nn.Module
  backward_cell: nn.Module
  merge_mode: str = "concat"
  return_sequences: bool = True
  return_state: bool = False
  time_major: bool = False
  recurrent_dropout: float = 0.0
  implementation: str = "auto"
  remat: bool = False

  @nn.compact
  def __call__(self, xs: Array, seq_lengths: Array | None = None, initial_state: Any = None, *,
               train: bool = False):
    if self.merge_mode not in MERGE_MODES:
      raise ValueError(f"merge_mode must be one of {MERGE_MODES}; got {self.merge_mode!r}.")
    init_fw, init_bw = (None, None) if initial_state is None else initial_state
    kwargs = dict(return_sequences=self.return_sequences, return_state=True,
                  time_major=self.time_major, recurrent_dropout=self.recurrent_dropout,
                  implementation=self.implementation, remat=self.remat)
    state_fw, out_fw = Recurrent(_detach(self.forward_cell), name="forward", **kwargs)(
        xs, seq_lengths, init_fw, train=train)
    state_bw, out_bw = Recurrent(_detach(self.backward_cell), reverse=True, name="backward",
                                 **kwargs)(
        xs, seq_lengths, init_bw, train=train)
    out = merge(out_fw, out_bw, self.merge_mode)
    return ((state_fw, state_bw), out) if self.return_state else out


class Stacked(nn.Module):
  """L recurrent layers, each feeding the next, with dropout between layers.

  xs [B, T, D] -> [B, T, H_L] (or [B, H_L] with `return_sequences=False`). Layer l's
  parameters live under `layer_l`. With `return_state` returns `(states, outputs)`, states a
  list of L final states; `initial_state` is such a list.

  Attributes:
    cells: one cell per layer.
    bidirectional: make each layer a `Bidirectional` (its backward cell is a clone of the cell).
    merge_mode: for bidirectional layers.
    dropout: rate of standard dropout on each layer's outputs before the next layer (train only).
    recurrent_dropout: variational recurrent dropout inside every layer (train only).
    other attributes: as `Recurrent`.
  """
  cells: Sequence[nn.Module]
  bidirectional: bool = False
  merge_mode: str = "concat"
  dropout: float = 0.0
  recurrent_dropout: float = 0.0
  return_sequences: bool = True
  return_state: bool = False
  time_major: bool = False
  implementation: str = "auto"
  remat: bool = False

  @nn.compact
  def __call__(self, xs: Array, seq_lengths: Array | None = None, initial_state: Any = None, *,
               train: bool = False):
    if not self.cells:
      raise ValueError("Stacked needs at least one cell.")
    initial = initial_state if initial_state is not None else [None] * len(self.cells)
    if len(initial) != len(self.cells):
      raise ValueError(f"initial_state must hold {len(self.cells)} states; got {len(initial)}.")
    states, out = [], xs
    for index, cell in enumerate(self.cells):
      last = index == len(self.cells) - 1
      kwargs = dict(return_sequences=self.return_sequences or not last, return_state=True,
                    time_major=self.time_major, recurrent_dropout=self.recurrent_dropout,
                    implementation=self.implementation, remat=self.remat, name=f"layer_{index}")
      if index > 0 and self.dropout > 0.0:
        out = nn.Dropout(self.dropout, deterministic=not train)(out)
      if self.bidirectional:
        layer = Bidirectional(_detach(cell), _detach(cell), merge_mode=self.merge_mode, **kwargs)
      else:
        layer = Recurrent(_detach(cell), **kwargs)
      state, out = layer(out, seq_lengths, initial[index], train=train)
      states.append(state)
    return (states, out) if self.return_state else out
