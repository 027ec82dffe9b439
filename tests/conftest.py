"""Test setup: 2 host CPU devices (so sharding code runs) and strict rank promotion."""
import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
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


def shared_data(*parts: str) -> str:
  """Path under the real-data folder; skips the test when it is absent."""
  path = os.path.join(SHARED_DATA, *parts)
  if not os.path.exists(path):
    pytest.skip(f"real data not found at {path} (set RNNJAX_SHARED_DATA)")
  return path
