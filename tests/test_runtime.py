"""rnnjax.tune_malloc: applies glibc's settings once, and can be switched off."""
import subprocess
import sys

import pytest

import rnnjax


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_tune_malloc_applies_and_is_idempotent():
  assert rnnjax.tune_malloc() is True
  assert rnnjax.tune_malloc() is True


def test_tune_malloc_can_be_switched_off():
  code = "import rnnjax; print(rnnjax.tune_malloc())"
  out = subprocess.run([sys.executable, "-c", code], env={"RNNJAX_TUNE_MALLOC": "0",
                       "PATH": ""}, capture_output=True, text=True, check=True)
  assert out.stdout.strip() == "False"
