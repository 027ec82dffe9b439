"""Test setup: 2 host CPU devices (so sharding code runs), fast compiles, strict rank promotion."""
import os
import re
import subprocess
import sys

# XLA:CPU's older elemental emitters compile 30-50 % faster than its MLIR fusion emitters (the
# default) on these tiny programs (benchmarks/results/xla_flags/emitters/compile_screen.log), and
# compiling is most of the suite's time: pytest took 426-466 s instead of 746-806 s on 2 cores, a
# fresh-clone .ci/run 515 s instead of 904 s (2026-12-03, jaxlib 0.10.2), every test passing both
# ways. Only the tests use it: the code it makes runs slower (LSTM inference at HAR's shapes 2.2x
# slower in bench_rnn.py: elemental_round*.json there against default_round*.json). The tests'
# subprocesses get it through `xla_flags`. XLA aborts on a flag it does not know, so the flag is
# used only where a probe process accepts it (a jaxlib that drops it runs the suite as before).
FAST_COMPILE_FLAG = "--xla_cpu_use_fusion_emitters=false"


def _xla_accepts(flag: str) -> bool:
  """Whether this jaxlib's XLA accepts `flag` (one short process: XLA aborts on unknown flags)."""
  env = {**os.environ, "XLA_FLAGS": flag, "JAX_PLATFORMS": "cpu"}
  probe = [sys.executable, "-c", "import jax; jax.numpy.zeros(1).block_until_ready()"]
  return subprocess.run(probe, env=env, capture_output=True, timeout=300).returncode == 0


if "XLA_FLAGS" not in os.environ:        # xdist's workers inherit the controller's
  os.environ["XLA_FLAGS"] = " ".join(
      ["--xla_force_host_platform_device_count=2"]
      + ([FAST_COMPILE_FLAG] if _xla_accepts(FAST_COMPILE_FLAG) else []))
os.environ.setdefault("JAX_PLATFORMS", "cpu")
# Compile without most XLA optimisations (here and in the subprocesses the tests start, which
# inherit it): on these tiny shapes running takes microseconds either way, and compiling is most
# of the suite's time (this cut it by ~40 %). JAX_DISABLE_MOST_OPTIMIZATIONS=0 turns it off.
os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")

import jax  # noqa: E402  (after XLA_FLAGS)
import pytest  # noqa: E402

jax.config.update("jax_numpy_rank_promotion", "raise")

SHARED_DATA = os.environ.get(
    "RNNJAX_SHARED_DATA",
    os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))


def xla_flags(devices: int) -> str:
  """XLA_FLAGS for a subprocess of a test: this session's flags with `devices` host devices."""
  flags = re.sub(r"--xla_force_host_platform_device_count=\d+", "", os.environ["XLA_FLAGS"])
  return " ".join([f"--xla_force_host_platform_device_count={devices}", *flags.split()])


def shared_data(*parts: str) -> str:
  """Path under the real-data folder; skips the test when it is absent."""
  path = os.path.join(SHARED_DATA, *parts)
  if not os.path.exists(path):
    pytest.skip(f"real data not found at {path} (set RNNJAX_SHARED_DATA)")
  return path
