"""Devices for data-parallel training: the mesh, batch placement, multi-host start-up.

`trainer.fit` uses these.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import jax
import numpy as np
from absl import logging
from jax.sharding import NamedSharding, PartitionSpec as P

from rnnjax.typing import Batch

DISTRIBUTED_ENV = "RNNJAX_DISTRIBUTED"


def init_distributed(enabled: bool = False) -> None:
  """Calls jax.distributed.initialize() for multi-host runs when `enabled` (the --distributed
  flag), $RNNJAX_DISTRIBUTED=1 or $JAX_COORDINATOR_ADDRESS is set. The coordinator, process count
  and id come from JAX_COORDINATOR_ADDRESS / JAX_NUM_PROCESSES / JAX_PROCESS_ID when set, else
  from JAX's cluster auto-detection (TPU pods, SLURM, Open MPI, ...). Call before any jax use."""
  env = os.environ
  if not (enabled or env.get(DISTRIBUTED_ENV, "") in ("1", "true") or
          env.get("JAX_COORDINATOR_ADDRESS")):
    return
  kwargs = {}
  if "JAX_NUM_PROCESSES" in env:
    kwargs["num_processes"] = int(env["JAX_NUM_PROCESSES"])
  if "JAX_PROCESS_ID" in env:
    kwargs["process_id"] = int(env["JAX_PROCESS_ID"])
  jax.distributed.initialize(**kwargs)
  logging.info("jax.distributed: process %d of %d, %d global devices.",
               jax.process_index(), jax.process_count(), jax.device_count())


def make_mesh(devices: Sequence[jax.Device] | None = None) -> jax.sharding.Mesh:
  """A 1-D ("data",) mesh over `devices` (default: every device of every process). The axis is
  Auto (sharding propagated by the compiler), not Explicit, so models need no sharding hints."""
  devices = list(devices) if devices is not None else jax.devices()
  return jax.make_mesh((len(devices),), ("data",), (jax.sharding.AxisType.Auto,), devices=devices)


def check_batch_size(batch_size: int, mesh: jax.sharding.Mesh, what: str = "batch_size") -> None:
  """Raises a ValueError naming the fix when a batch does not split evenly over the mesh."""
  n = mesh.devices.size
  if batch_size % n:
    raise ValueError(f"{what}={batch_size} does not divide by the {n} devices of the data-parallel "
                     f"mesh; pick a multiple of {n} (e.g. {batch_size + n - batch_size % n}).")


def one_step_in_flight(mesh: jax.sharding.Mesh) -> bool:
  """Whether to wait for each step before dispatching the next: on XLA:CPU a multi-device mesh
  deadlocks in its collectives (all-reduce / all-gather rendezvous timeout) once several steps
  are queued (seen with jax 0.10.2 and 2-4 host devices). GPUs and TPUs keep async dispatch."""
  return mesh.devices.size > 1 and mesh.devices.flat[0].platform == "cpu"


def shard_batch(batch: Batch, mesh: jax.sharding.Mesh) -> Batch:
  """Places a global numpy batch on the mesh, split along "data" ([B, ...] -> B/n rows each).
  Every process holds the same global batch and hands over only its own rows."""
  sharding = NamedSharding(mesh, P("data"))
  procs, index = jax.process_count(), jax.process_index()

  def put(x):
    x = np.asarray(x)
    rows = len(x) // procs
    return jax.make_array_from_process_local_data(
        sharding, x[index * rows:(index + 1) * rows], x.shape)
  return jax.tree.map(put, batch)                  # inputs may be a dict of arrays
