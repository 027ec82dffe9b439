"""Checkpoints of a run's train state in workdir/checkpoints (orbax), and resuming from them."""
from __future__ import annotations

import os

import jax
import orbax.checkpoint as ocp
from absl import logging

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


def save(checkpoints: ocp.CheckpointManager, step: int, state: train.TrainState) -> None:
  checkpoints.save(step, args=ocp.args.StandardSave(state))
