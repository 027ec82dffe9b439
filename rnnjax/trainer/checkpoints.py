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


def restore(checkpoints: ocp.CheckpointManager, state: train.TrainState) -> train.TrainState:
  """The state of the newest checkpoint (laid out like `state`), or `state` when there is none."""
  step = checkpoints.latest_step()
  if step is None:
    return state
  logging.info("Resuming from the checkpoint of step %d in %s.", step, checkpoints.directory)
  abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, state)
  return checkpoints.restore(step, args=ocp.args.StandardRestore(abstract))


def save(checkpoints: ocp.CheckpointManager, step: int, state: train.TrainState) -> None:
  checkpoints.save(step, args=ocp.args.StandardSave(state))
