"""Process-level settings that make JAX on CPU faster: `tune_malloc`.

XLA:CPU allocates every temporary buffer of a compiled step with malloc and frees it at the end
of the step. With glibc's default thresholds, buffers of a few MiB are served by fresh `mmap`s
(or the heap top is trimmed and regrown), so every step page-faults its temporaries in again
and spends kernel time doing so. Keeping freed memory in the heap removes those page faults. The
cost is that freed memory is kept by the process (its peak resident size is reached anyway, on
the next step). The effect can be measured with `python benchmarks/bench_rnn.py --malloc default`
against `--malloc tuned` (full commands in benchmarks/README.md's table); no output of them is
committed yet.

`rnnjax.trainer.fit`, the experiments and the benchmarks call `tune_malloc()`; call it yourself at
the start of your own CPU training scripts. It does nothing off glibc (macOS, musl, Windows)
or when RNNJAX_TUNE_MALLOC=0, and the same can be had without it by starting Python with
MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824 in the environment.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

# glibc's mallopt parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLDS = (1 << 30, 32 << 20)           # the second for glibc that refuses the first
_OTHER_SETTINGS = ((M_TRIM_THRESHOLD, 1 << 30), (M_TOP_PAD, 64 << 20))
_done = False


def tune_malloc() -> bool:
  """Makes glibc keep freed buffers below 1 GiB for reuse; True if the settings were applied.

  Idempotent and cheap; safe to call before or after JAX starts.
  """
  global _done
  if _done:
    return True
  if not sys.platform.startswith("linux") or os.environ.get("RNNJAX_TUNE_MALLOC", "1") == "0":
    return False
  try:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    mallopt = libc.mallopt
  except (OSError, AttributeError):   # not glibc
    return False
  mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
  # Older glibc refuses an mmap threshold above 32 MiB (HEAP_MAX_SIZE / 2): fall back to that.
  applied = any(mallopt(M_MMAP_THRESHOLD, value) == 1 for value in _MMAP_THRESHOLDS)
  for param, value in _OTHER_SETTINGS:
    mallopt(param, value)
  _done = applied
  return _done
