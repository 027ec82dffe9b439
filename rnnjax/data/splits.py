"""Splits held in memory and the batches the trainer draws from them (host side, numpy).

Every loader returns a `DataSpec` of `Split`s (or `Stream`s). Batches are dicts:
  inputs  [B, T, D] float32 (or [B, T] int32 token ids, or a dict of such arrays)
  lengths [B] int32 (valid steps of each right-padded row)
  labels  [B] class ids or regression targets [B, ...] (one per sequence), or [B, T] /
          [B, T, F] (one per step)
  weights [B] (eval only: 0 marks the padding rows of the last batch), or [B, T] per-step
          weights (0: the step is ignored; padding, or steps the task does not score)
  reset   [B] bool (streams only: the row's carried state restarts at this batch)
The device only ever sees these batches.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np

Batch = dict[str, Any]


def _take(x, index):
  """x[index] for an array (or array-like) or for every array of a dict."""
  if isinstance(x, dict):
    return {k: _take(v, index) for k, v in x.items()}
  return x[index]


def _rows(x) -> int:
  return len(next(iter(x.values()))) if isinstance(x, dict) else len(x)


@dataclasses.dataclass(frozen=True)
class Split:
  """One split held in memory: N sequences.

  Attributes:
    inputs: [N, T, D] or [N, T] (or a dict of arrays with N rows, e.g. a source and a decoder
      input for sequence-to-sequence models).
    labels: [N] or [N, ...] (one per sequence), or [N, T] / [N, T, F] (one per step).
    lengths: [N] valid steps of each right-padded row.
    weights: optional [N, T] per-step weights (None: every valid step counts).
  """
  inputs: Any
  labels: np.ndarray
  lengths: np.ndarray
  weights: np.ndarray | None = None

  stateful = False           # batches are independent sequences (see Stream)

  def __post_init__(self):
    n = _rows(self.inputs)
    if len(self.labels) != n or len(self.lengths) != n or (
        self.weights is not None and len(self.weights) != n):
      raise ValueError(f"Split arrays disagree on N: inputs {n} rows, labels "
                       f"{np.shape(self.labels)}, lengths {np.shape(self.lengths)}, weights "
                       f"{None if self.weights is None else np.shape(self.weights)}.")

  def __len__(self) -> int:
    return len(self.lengths)

  def take(self, index: np.ndarray) -> Split:
    return Split(_take(self.inputs, index), self.labels[index], self.lengths[index],
                 None if self.weights is None else self.weights[index])

  def batch(self, index: np.ndarray) -> Batch:
    """The rows `index` as a batch dict."""
    batch = {"inputs": _take(self.inputs, index), "lengths": self.lengths[index],
             "labels": self.labels[index]}
    if self.weights is not None:
      batch["weights"] = self.weights[index]
    return batch

  def train_batch(self, step: int, batch_size: int, seed: int) -> Batch:
    """The training batch of `step`: a pure function of (step, seed), so a resumed run sees the
    same data as an uninterrupted one. Each epoch is a fresh permutation; the remainder is
    dropped."""
    if batch_size > len(self):
      raise ValueError(f"batch_size={batch_size} is larger than the {len(self)} training "
                       "examples.")
    per_epoch = len(self) // batch_size
    epoch, offset = divmod(step, per_epoch)
    order = np.random.default_rng([seed, epoch]).permutation(len(self))
    return self.batch(order[offset * batch_size:(offset + 1) * batch_size])

  def eval_batches(self, batch_size: int) -> Iterator[Batch]:
    """Fixed-size batches over the whole split in order; the last one is padded by repeating
    row 0, whose weights are 0, so one compiled eval step serves all batches."""
    n = len(self)
    for start in range(0, n, batch_size):
      index = np.arange(start, start + batch_size)
      real = index < n
      batch = self.batch(np.where(real, index, 0))
      if "weights" in batch:
        batch["weights"] = batch["weights"] * real[:, None].astype(batch["weights"].dtype)
      else:
        batch["weights"] = real.astype(np.float32)
      yield batch


@dataclasses.dataclass(frozen=True)
class Stream:
  """R long sequences read in consecutive chunks of T steps, for truncated backpropagation
  through time with the state carried from one chunk to the next (Hallström's Echo-RNN
  tutorial; Keras' stateful=True, but functional: the trainer keeps the carried state in the
  train state). Every batch holds chunk c of all R rows: batch_size is R.

  Attributes:
    inputs: [R, L, D] (or [R, L] ids); labels: [R, L] or [R, L, F] (one per step).
    chunk: T, the truncation length; the last L % T steps of each row are dropped.
    resets: optional [R, L // T] bool: row r starts afresh at chunk c (an episode or document
      boundary, as Haiku's ResetCore). Every row also starts afresh at chunk 0 of every epoch.
    weights: optional [R, L] per-step weights (0: the step is not scored).
  """
  inputs: np.ndarray
  labels: np.ndarray
  chunk: int
  resets: np.ndarray | None = None
  weights: np.ndarray | None = None

  stateful = True

  def __post_init__(self):
    rows, length = np.shape(self.inputs)[:2]
    if not 1 <= self.chunk <= length:
      raise ValueError(f"chunk={self.chunk} must be in [1, the rows' length {length}].")
    if np.shape(self.labels)[:2] != (rows, length):
      raise ValueError(f"labels {np.shape(self.labels)} must start with the inputs' [R, L] = "
                       f"{(rows, length)}.")
    if self.resets is not None and np.shape(self.resets) != (rows, self.num_chunks):
      raise ValueError(f"resets must have shape [R, L // chunk] = {(rows, self.num_chunks)}; "
                       f"got {np.shape(self.resets)}.")
    if self.weights is not None and np.shape(self.weights) != (rows, length):
      raise ValueError(f"weights must have shape [R, L] = {(rows, length)}; got "
                       f"{np.shape(self.weights)}.")

  @property
  def rows(self) -> int:
    return np.shape(self.inputs)[0]

  @property
  def num_chunks(self) -> int:
    return np.shape(self.inputs)[1] // self.chunk

  def __len__(self) -> int:
    """The number of chunk rows (R * L // T): what an epoch covers."""
    return self.rows * self.num_chunks

  def chunk_batch(self, c: int) -> Batch:
    """Chunk c of every row: inputs [R, T, ...], labels, lengths [R] = T, reset [R]."""
    steps = slice(c * self.chunk, (c + 1) * self.chunk)
    reset = np.full((self.rows,), c == 0)
    if self.resets is not None:
      reset = reset | self.resets[:, c]
    batch = {"inputs": self.inputs[:, steps], "labels": self.labels[:, steps],
             "lengths": np.full((self.rows,), self.chunk, np.int32), "reset": reset}
    if self.weights is not None:
      batch["weights"] = self.weights[:, steps]
    return batch

  def train_batch(self, step: int, batch_size: int, seed: int) -> Batch:
    """Chunk `step % num_chunks` of every row (epochs restart at chunk 0)."""
    del seed                     # a stream is read in order
    if batch_size != self.rows:
      raise ValueError(f"batch_size={batch_size} must equal the stream's rows ({self.rows}): "
                       "each batch holds one chunk of every row.")
    return self.chunk_batch(step % self.num_chunks)

  def eval_batches(self, batch_size: int) -> Iterator[Batch]:
    """Every chunk in order (batch_size is ignored: a batch holds all R rows)."""
    del batch_size
    for c in range(self.num_chunks):
      batch = self.chunk_batch(c)
      if "weights" not in batch:
        batch["weights"] = np.ones(np.shape(batch["labels"])[:2], np.float32)
      yield batch


def cut(series: np.ndarray, rows: int) -> np.ndarray:
  """A long series [L, ...] -> [rows, L // rows, ...]: `rows` contiguous pieces, as the Echo-RNN
  tutorial reshapes its series (the last L % rows steps are dropped)."""
  length = len(series) // rows
  if length < 1:
    raise ValueError(f"A series of {len(series)} steps cannot be cut into {rows} rows.")
  return np.asarray(series[:rows * length]).reshape((rows, length) + np.shape(series)[1:])


@dataclasses.dataclass(frozen=True)
class DataSpec:
  """A loaded data set.

  Attributes:
    train, test: the splits (or streams); validation is optional.
    num_classes: C for classification (1 for a binary/sigmoid task, 0 for regression).
    feature_dim: D for float inputs, the vocabulary size V for token inputs.
    class_names: optional names of the C classes.
  """
  train: Split | Stream
  test: Split | Stream
  num_classes: int
  feature_dim: int
  validation: Split | Stream | None = None
  class_names: tuple[str, ...] = ()


def full_lengths(n: int, t: int) -> np.ndarray:
  """[N] int32 lengths for N unpadded sequences of T steps."""
  return np.full((n,), t, np.int32)


def train_batch(split: Split | Stream, step: int, batch_size: int, seed: int) -> Batch:
  """`split.train_batch(step, batch_size, seed)`."""
  return split.train_batch(step, batch_size, seed)


def eval_batches(split: Split | Stream, batch_size: int) -> Iterator[Batch]:
  """`split.eval_batches(batch_size)`."""
  return split.eval_batches(batch_size)
