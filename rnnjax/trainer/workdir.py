"""A workdir belongs to one run: its configuration is saved there, a second run is locked out.

  with workdir.claim(path, hparams, overwrite=False):   # checks, then trains
    ...

`claim` makes the folder (failing at once, with the path, when it cannot be written), takes an
exclusive lock (a second run on the same workdir fails with the first one's pid; the lock goes
with the process, also on kill -9), and compares the run's hyperparameters with the
`config.json` a previous run left: a difference is refused with the differing settings and the
two ways out (another --workdir, or --overwrite to start over). `overwrite` deletes the previous
run's checkpoints, metrics and figures first.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from typing import Any

import jax
import numpy as np
from absl import logging

CONFIG_FILE = "config.json"
LOCK_FILE = ".lock"
# Settings that do not change what a run computes: a resumed run may change them.
FREE = frozenset({"eval_every", "checkpoint_every", "eval_batch_size", "devices", "workdir",
                  "tensorboard", "train_seconds"})


class WorkdirError(RuntimeError):
  """The workdir cannot be used for this run (locked, another configuration, not writable)."""


def _jsonable(hparams: Mapping[str, Any]) -> dict[str, Any]:
  return json.loads(json.dumps(dict(hparams), default=str))


def differences(saved: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
  """'name: saved -> current' for every setting that differs (FREE ones excepted)."""
  keys = sorted((set(saved) | set(current)) - FREE)
  missing = "(not set)"
  return [f"{k}: {saved.get(k, missing)!r} -> {current.get(k, missing)!r}" for k in keys
          if saved.get(k, missing) != current.get(k, missing)]


def _writable(path: str) -> None:
  try:
    os.makedirs(path, exist_ok=True)
    # One probe per process: the processes of a multi-host run check the same folder at once.
    probe = os.path.join(path, f".write_test.{jax.process_index()}.{os.getpid()}")
    with open(probe, "w") as f:
      f.write("ok")
    os.remove(probe)
  except OSError as e:
    raise WorkdirError(f"workdir {path} cannot be written ({e.strerror or e}): pass a writable "
                       "--workdir.") from None


def _lock(path: str):
  handle = open(os.path.join(path, LOCK_FILE), "a+")
  try:
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
  except OSError:
    handle.seek(0)
    owner = handle.read().strip() or "unknown"
    handle.close()
    raise WorkdirError(f"workdir {path} is in use by another run (pid {owner}): wait for it, or "
                       "pass another --workdir.") from None
  handle.seek(0)
  handle.truncate()
  handle.write(str(os.getpid()))
  handle.flush()
  return handle


def _start_over(path: str) -> None:
  """Removes what a previous run left in the workdir (not the lock)."""
  for name in os.listdir(path):
    if name == LOCK_FILE:
      continue
    target = os.path.join(path, name)
    shutil.rmtree(target) if os.path.isdir(target) else os.remove(target)
  logging.warning("--overwrite: removed the previous run's files from %s.", path)


def _check_config(path: str, hparams: dict[str, Any]) -> None:
  config_path = os.path.join(path, CONFIG_FILE)
  if os.path.exists(config_path):
    with open(config_path) as f:
      saved = json.load(f)
    diff = differences(saved, hparams)
    if diff:
      raise WorkdirError(
          f"workdir {path} holds a run with another configuration; it differs in:\n  "
          + "\n  ".join(diff) + "\nPass another --workdir for the new run, or --overwrite to "
          "delete the old run and start over.")
    return
  with open(config_path, "w") as f:
    json.dump(hparams, f, indent=1, sort_keys=True)


def _agree(ok: bool) -> None:
  """On several processes, process 0's verdict on the workdir reaches all of them, so that the
  others stop too (instead of waiting in a collective until JAX's timeout)."""
  if jax.process_count() == 1:
    return
  from jax.experimental import multihost_utils  # noqa: PLC0415
  if not bool(multihost_utils.broadcast_one_to_all(np.asarray(ok))):
    raise WorkdirError("process 0 refused the workdir; see its log for why.")


@contextlib.contextmanager
def claim(path: str, hparams: Mapping[str, Any], *, overwrite: bool = False) -> Iterator[None]:
  """Holds `path` for one run with `hparams` (see the module docstring); process 0 alone
  checks and writes (and tells the others), every process checks the folder can be written."""
  _writable(path)
  if jax.process_index() != 0:
    _agree(True)
    yield
    return
  try:
    handle = _lock(path)
  except WorkdirError:
    _agree(False)
    raise
  try:
    try:
      if overwrite:
        _start_over(path)
      _check_config(path, _jsonable(hparams))
    except Exception:
      _agree(False)
      raise
    _agree(True)
    yield
  finally:
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()
