"""The Echo-RNN task (Hallström, "How to build a Recurrent Neural Network in TensorFlow"): a
random binary series whose labels are the series echoed `echo_step` steps later.

  x_t ~ Bernoulli(0.5),  y_t = x_{t - echo_step} (y_t = 0 for t < echo_step)

As the tutorial does, the series is cut into `rows` contiguous pieces (`splits.cut`) read in
chunks of the truncation length T with the state carried from chunk to chunk (`splits.Stream`).
The first echo_step labels of a row (but the first) echo steps that end the previous row, which
the row's state never saw: the tutorial trains on them anyway (the loss spikes at every epoch
start), while a held-out stream gives them weight 0 (`score_from`), so that its accuracy
measures only what the network can know.

  data = echo.load(series_length=50_000, echo_step=3, rows=5, chunk=15, seed=0)
  data.train.chunk_batch(0)   # inputs [5, 15, 1] float32, labels [5, 15] int32, reset [5]
"""
from __future__ import annotations

import numpy as np

from rnnjax.data import splits

NUM_CLASSES = 2


def echo_series(length: int, echo_step: int, seed) -> tuple[np.ndarray, np.ndarray]:
  """The tutorial's generateData before the reshape: x [L] int32 in {0, 1} (p = 0.5 each) and
  y [L] = x shifted right by echo_step, with the first echo_step labels 0. seed: an int or a
  sequence of ints (numpy's default_rng)."""
  if length < 1 or not 0 <= echo_step < length:
    raise ValueError(f"echo_step={echo_step} must be in [0, length={length}) and length >= 1.")
  x = np.random.default_rng(seed).integers(0, 2, length, dtype=np.int32)
  y = np.roll(x, echo_step)
  y[:echo_step] = 0
  return x, y


def stream(length: int, echo_step: int, rows: int, chunk: int, seed, *,
           score_from: int = 0) -> splits.Stream:
  """A seeded echo series cut into `rows` rows read in chunks of `chunk` steps: inputs
  [rows, L, 1] float32, labels [rows, L] int32 with L = length // rows. score_from: the first
  score_from steps of every row get weight 0 (none when 0)."""
  x, y = echo_series(length, echo_step, seed)
  inputs = splits.cut(x.astype(np.float32)[:, None], rows)             # [R, L, 1]
  labels = splits.cut(y, rows)                                          # [R, L]
  if labels.shape[1] < chunk:
    raise ValueError(f"A series of {length} steps in {rows} rows gives rows of "
                     f"{labels.shape[1]} steps, shorter than chunk={chunk}: pass a longer "
                     "series, fewer rows or a shorter truncation length.")
  weights = None
  if score_from:
    weights = np.ones(labels.shape, np.float32)
    weights[:, :score_from] = 0.0
  return splits.Stream(inputs, labels, chunk, weights=weights)


def load(series_length: int = 50_000, echo_step: int = 3, rows: int = 5, chunk: int = 15,
         seed: int = 0) -> splits.DataSpec:
  """Training, validation and test streams of three independent series (numpy seeds
  [seed, 0], [seed, 1] and [seed, 2]), each series_length steps long. Training scores every
  step (the tutorial's loss); validation and test score each row from step echo_step on."""
  held_out = dict(score_from=echo_step)
  return splits.DataSpec(
      train=stream(series_length, echo_step, rows, chunk, [seed, 0]),
      validation=stream(series_length, echo_step, rows, chunk, [seed, 1], **held_out),
      test=stream(series_length, echo_step, rows, chunk, [seed, 2], **held_out),
      num_classes=NUM_CLASSES, feature_dim=1, class_names=("0", "1"))
