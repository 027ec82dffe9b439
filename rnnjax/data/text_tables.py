"""Whitespace-separated numeric text tables (UCI HAR's format), read fast and checked.

Every error names the file and the line (and, for a non-finite value, the column and what it
holds), so a damaged download points at the bad spot instead of a numpy traceback.
"""
from __future__ import annotations

import numpy as np


def read_table(path: str, width: int, what: str = "value") -> np.ndarray:
  """A whitespace-separated text table -> float32 [N, width]; errors name the file, line and
  column (and `what` the column holds); 'nan' and 'inf' are refused like any other bad token."""
  with open(path, "rb") as f:
    text = f.read()
  rows = text.splitlines()
  while rows and not rows[-1].strip():
    rows.pop()
  for i, row in enumerate(rows):
    if len(row.split()) != width:
      raise ValueError(f"{path}, line {i + 1}: expected {width} values, found "
                       f"{len(row.split())}.")
  try:
    values = np.array(text.split(), dtype=np.float64)  # C-speed parse of all tokens at once
  except ValueError:
    for i, row in enumerate(rows):
      for token in row.split():
        try:
          float(token)
        except ValueError:
          raise ValueError(f"{path}, line {i + 1}: {token.decode(errors='replace')!r} "
                           "is not a number.") from None
    raise
  with np.errstate(over="ignore"):                     # 1e39 overflows float32: refused below
    values = values.reshape(len(rows), width).astype(np.float32)          # [N, width]
  bad = ~np.isfinite(values)
  if bad.any():
    i, j = (int(k) for k in np.argwhere(bad)[0])
    raise ValueError(f"{path}, line {i + 1}, column {j + 1} ({what}): "
                     f"{rows[i].split()[j].decode(errors='replace')!r} is not a finite number "
                     f"({int(bad.sum())} such values in the file). Fix or re-extract the file.")
  return values


def read_ints(path: str, low: int, high: int | None) -> np.ndarray:
  """A one-column file of integers in [low, high] -> int32 [N]."""
  values = read_table(path, 1, "value")[:, 0]
  bad = (values != np.round(values)) | (values < low)
  if high is not None:
    bad |= values > high
  if bad.any():
    i = int(np.argmax(bad))
    expected = f"{low}..{high}" if high is not None else f">= {low}"
    raise ValueError(f"{path}, line {i + 1}: {values[i]:g} is not an integer in {expected}.")
  return values.astype(np.int32)
