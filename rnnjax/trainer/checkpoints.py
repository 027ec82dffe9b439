"""Checkpoints of a run's train state in workdir/checkpoints (orbax), and resuming from them.

In a multi-process run every process calls these: orbax saves and restores collectively, with
barriers between the processes (one process writes each replicated array, process 0 commits each
step), so the workdir must be one folder that every process sees at the same path (NFS, Lustre,
GCSFuse, ...).
"""
from __future__ import annotations

import os

import jax
import numpy as np
import orbax.checkpoint as ocp
from absl import logging
from jax.experimental import multihost_utils

from rnnjax import train


def manager(workdir: str) -> ocp.CheckpointManager:
  """The run's checkpoint manager: workdir/checkpoints, the newest two kept."""
  return ocp.CheckpointManager(os.path.abspath(os.path.join(workdir, "checkpoints")),
                               options=ocp.CheckpointManagerOptions(max_to_keep=2))


class CheckpointError(RuntimeError):
  """No checkpoint of the workdir can be read."""


def restore(checkpoints: ocp.CheckpointManager, state: train.TrainState) -> train.TrainState:
  """The state of the newest readable checkpoint (laid out like `state`), or `state` when there
  is none. A checkpoint that cannot be read (truncated, half written) is skipped with a warning
  naming its step; when none can be read, CheckpointError says what to delete."""
  steps = sorted(checkpoints.all_steps(), reverse=True)
  check_same_step(steps[0] if steps else None, checkpoints.directory)
  abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, state)
  for step in steps:
    try:
      restored = checkpoints.restore(step, args=ocp.args.StandardRestore(abstract))
    except Exception as e:  # noqa: BLE001  (orbax and TensorStore raise many kinds)
      text = " ".join(str(e).split())[:300]
      logging.warning("The checkpoint of step %d in %s cannot be read (%s: %s); trying an older "
                      "one. Delete %s to stop seeing this.", step, checkpoints.directory,
                      type(e).__name__, text, os.path.join(checkpoints.directory, str(step)))
      continue
    logging.info("Resuming from the checkpoint of step %d in %s.", step, checkpoints.directory)
    return restored
  if steps:
    raise CheckpointError(f"None of the checkpoints {steps} in {checkpoints.directory} can be "
                          "read: delete that folder (or pass --overwrite) to start over.")
  return state


def check_same_step(step: int | None, directory) -> None:
  """Raises a ValueError when the processes of a multi-process run see different newest
  checkpoints (a workdir on each host's own disk): they would otherwise hang or diverge."""
  if jax.process_count() == 1:
    return
  steps = multihost_utils.process_allgather(np.int32(-1 if step is None else step)).tolist()
  if len(set(steps)) > 1:
    found = ", ".join(f"process {i}: {'none' if s < 0 else s}" for i, s in enumerate(steps))
    raise ValueError(f"The processes see different newest checkpoints in {directory} ({found}); "
                     "the workdir must be one folder that every process shares at the same path "
                     "(NFS, Lustre, GCSFuse, ...).")


def save(checkpoints: ocp.CheckpointManager, step: int, state: train.TrainState) -> None:
  checkpoints.save(step, args=ocp.args.StandardSave(state))
