"""Forecasting windows over a time series data [R, F], and the row blocks that split it.

A window ending at row i (exclusive) holds rows i - lookback, i - lookback + step, ..., i - step
([lookback / step] steps = T) and its label is column `target_index` of row i + delay (Chollet's
generator, "Deep Learning with Python" ch. 6.3). Windows are built only INSIDE a block of rows
[start, end): the first input row is >= start and the label row < end, so no window ever uses
rows of two blocks, and the labels of two neighbouring blocks are more than lookback + delay
rows apart. Consecutive windows of a block start `stride` rows apart.

Inputs cost no memory until batches index them: one block gives a read-only numpy stride-trick
view [N, T, F] (as before the seasonal split existed); several blocks give a `WindowArray`,
which gathers just the windows asked for.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnnjax.data import splits

PARTS = ("train", "validation", "test")
SPLITS = ("seasonal", "chronological")
Blocks = dict[str, tuple[tuple[int, int], ...]]   # part -> row ranges [start, end)


class WindowArray:
  """Read-only windows [N, T, F] of a series: `view` [W, T, F] holds every window of the series
  (a stride-trick view) and `starts` [N] picks this split's. `inputs[index]` copies only the
  windows it names, like indexing an array; `np.asarray(inputs)` copies them all."""

  def __init__(self, view: np.ndarray, starts: np.ndarray):
    self._view, self._starts = view, starts
    self.shape = (len(starts),) + view.shape[1:]
    self.dtype, self.ndim = view.dtype, view.ndim

  def __len__(self) -> int:
    return len(self._starts)

  def __getitem__(self, key):
    key = key if isinstance(key, tuple) else (key,)
    first, rest = key[0], key[1:]
    if first is Ellipsis or first is None:
      return np.asarray(self)[key]
    if isinstance(first, slice) and any(np.ndim(k) > 0 for k in rest):
      return self[first][(slice(None),) + rest]  # numpy: a slice does not broadcast with arrays
    return self._view[(self._starts[first],) + rest]

  def __array__(self, dtype=None, copy=None):
    del copy                                      # always a fresh array
    out = self._view[self._starts]
    return out if dtype is None else out.astype(dtype)


def chronological_blocks(rows: int, split_rows: tuple[int, int]) -> Blocks:
  """Rows [0, a) train, [a, b) validation, [b, rows) test."""
  a, b = split_rows
  return {"train": ((0, a),), "validation": ((a, b),), "test": ((b, rows),)}


def seasonal_blocks(rows: int, block_rows: Sequence[int], fold: int = 0) -> Blocks:
  """Cycles of block_rows = (train, validation, test) rows from row 0, repeated to the end;
  the last cycle is cut at `rows`.

  fold f moves each cycle's validation block f validation-block lengths earlier, into the
  training rows (see `seasonal_folds`); the test blocks never move. With (6, 3, 3) weeks:
  fold 0 = train 6, val 3, test 3; fold 1 = train 3, val 3, train 3, test 3; fold 2 = val 3,
  train 6, test 3. When validation divides training, the folds' validation blocks tile the
  rows outside the test blocks: K-fold cross-validation that never reads a test row."""
  train, val, test = block_rows
  if fold:
    check_fold(block_rows, fold)
  cycle = (("train", train - fold * val), ("validation", val), ("train", fold * val),
           ("test", test))
  out = {part: [] for part in PARTS}
  start = 0
  while start < rows:
    for part, n in cycle:
      end = min(start + n, rows)
      if end > start:
        out[part].append((start, end))
      start = end
  return {part: tuple(ranges) for part, ranges in out.items()}


def seasonal_folds(block_rows: Sequence[int]) -> int:
  """How many folds `seasonal_blocks` offers for block_rows: train // validation + 1 (each
  fold's validation block one position earlier in the cycle); 1 without a validation block."""
  train, val, _ = block_rows
  return train // val + 1 if val else 1


def check_fold(block_rows: Sequence[int], fold: int) -> None:
  """ValueError naming `fold` unless 0 <= fold < seasonal_folds(block_rows)."""
  folds = seasonal_folds(block_rows)
  if not _is_int(fold) or not 0 <= fold < folds:
    raise ValueError(f"fold={fold!r} must be an integer in [0, {folds}): block_rows="
                     f"{tuple(block_rows)} places the validation block at {folds} positions "
                     "before each test block" + ("" if block_rows[1] else
                                                  " (no validation block: only fold 0)") + ".")


def window_starts(blocks: Sequence[tuple[int, int]], *, lookback: int, delay: int,
                  stride: int) -> np.ndarray:
  """[N] int64 first input row of every window inside `blocks`, in order."""
  extent = lookback + delay                       # label row - first input row
  return np.concatenate([np.arange(a, b - extent, stride, dtype=np.int64) for a, b in blocks]
                        + [np.zeros(0, np.int64)])


def window_split(data: np.ndarray, blocks: Sequence[tuple[int, int]], *, lookback: int,
                 step: int, delay: int, stride: int, target_index: int) -> splits.Split:
  """The windows of `blocks` of data [R, F] (see the module docstring) as one Split:
  inputs [N, T, F] (a view or a WindowArray), labels [N] (copied), lengths [N] = T."""
  starts = window_starts(blocks, lookback=lookback, delay=delay, stride=stride)   # [N]
  every = np.lib.stride_tricks.sliding_window_view(data, lookback, axis=0)   # [W, F, lookback]
  every = every[:, :, ::step].transpose(0, 2, 1)                              # [W, T, F]
  if len(blocks) == 1 and len(starts):
    inputs = every[starts[0]:starts[-1] + 1:stride]                            # [N, T, F] view
  else:
    inputs = WindowArray(every, starts)
  labels = data[starts + lookback + delay, target_index]                      # [N]
  return splits.Split(inputs, labels, splits.full_lengths(len(starts), every.shape[1]))


def check_split(split: str | None, split_rows, block_rows, *, lookback: int, step: int,
                delay: int, stride: int) -> str:
  """The split to use, "seasonal" or "chronological" (None: chronological when split_rows is
  given, else seasonal); ValueError naming any bad argument, so callers check before I/O."""
  for name, value, low in (("lookback", lookback, 1), ("step", step, 1), ("delay", delay, 0),
                           ("stride", stride, 1)):
    if not _is_int(value) or value < low:
      raise ValueError(f"{name}={value!r} must be an integer >= {low}.")
  if step > lookback:
    raise ValueError(f"step={step} must be <= lookback={lookback} (a window has "
                     "lookback // step steps).")
  if split is None:
    split = "chronological" if split_rows is not None else "seasonal"
  if split not in SPLITS:
    raise ValueError(f"split={split!r} must be one of {list(SPLITS)}.")
  if split == "seasonal" and split_rows is not None:
    raise ValueError(f"split_rows={split_rows} applies to split='chronological', not "
                     "'seasonal' (use block_rows= there).")
  if split == "chronological" and block_rows is not None:
    raise ValueError(f"block_rows={block_rows} applies to split='seasonal', not "
                     "'chronological' (use split_rows= there).")
  if split_rows is not None and not _ints(split_rows, 2, 1):
    raise ValueError(f"split_rows={split_rows!r} must be two positive integers "
                     "(train_end, val_end).")
  extent = lookback + delay
  if block_rows is not None and not (
      _ints(block_rows, 3, 0) and block_rows[0] > extent and block_rows[2] > extent
      and (block_rows[1] == 0 or block_rows[1] > extent)):
    raise ValueError(f"block_rows={block_rows!r} must be three integers (train, validation, "
                     f"test rows per cycle), each > lookback + delay = {extent} so that every "
                     "block holds a window; validation may be 0 (no validation split).")
  return split


def _is_int(value) -> bool:
  return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _ints(values, n: int, low: int) -> bool:
  return (isinstance(values, (tuple, list)) and len(values) == n
          and all(_is_int(v) and v >= low for v in values))
