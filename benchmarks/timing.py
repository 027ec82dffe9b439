"""Interleaved timing of zero-argument step functions, shared by bench_rnn.py and worker.py.

Imports neither JAX nor torch, so a torch-only worker process stays torch-only.
"""
from __future__ import annotations

import os
import time
from typing import Callable

import numpy as np


def time_round_robin(fns: dict[str, Callable], repeats: int, warmup: int) -> dict[str, list]:
  """Calls every fn `warmup` times, then `repeats` rounds of one call each, the order rotated
  every round so that load from other processes hits all of them alike -> seconds per call."""
  for fn in fns.values():
    for _ in range(warmup):
      fn()
  names, times = list(fns), {name: [] for name in fns}
  for r in range(repeats):
    for name in names[r % len(names):] + names[:r % len(names)]:
      start = time.perf_counter()
      fns[name]()
      times[name].append(time.perf_counter() - start)
  return times


def timed_rows(fns: dict[str, Callable], compile_s: dict, repeats: int, warmup: int,
               **fields) -> list[dict]:
  """One result row per fn: median and min ms, the 1-min load average before and after."""
  load = os.getloadavg()[0]
  times = time_round_robin(fns, repeats, warmup)
  after = os.getloadavg()[0]
  return [dict(fields, competitor=name, median_ms=1e3 * float(np.median(ts)),
               min_ms=1e3 * float(np.min(ts)), compile_s=compile_s.get(name), repeats=len(ts),
               load_before=load, load_after=after) for name, ts in times.items()]
