"""Devices for data-parallel training: the mesh, batch placement, multi-host start-up.

`trainer.fit` uses these.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from absl import logging
from jax.sharding import NamedSharding, PartitionSpec as P

from rnnjax.typing import Batch

DISTRIBUTED_ENV = "RNNJAX_DISTRIBUTED"


def init_distributed(enabled: bool = False) -> None:
  """Calls jax.distributed.initialize() for multi-host runs when `enabled` (the --distributed
  flag), $RNNJAX_DISTRIBUTED=1 or $JAX_COORDINATOR_ADDRESS is set; does nothing when JAX's
  distributed system is already up. The coordinator, process count and id come from
  JAX_COORDINATOR_ADDRESS / JAX_NUM_PROCESSES / JAX_PROCESS_ID when set, else from JAX's cluster
  auto-detection (Cloud TPU, SLURM, Open MPI). Call it in every process, before
  anything touches the devices. CPU-only clusters need cross-process CPU collectives: gloo, the
  default of jax 0.10 (JAX_CPU_COLLECTIVES_IMPLEMENTATION=gloo where a JAX has no default)."""
  env = os.environ
  if not (enabled or env.get(DISTRIBUTED_ENV, "") in ("1", "true") or
          env.get("JAX_COORDINATOR_ADDRESS")):
    return
  if jax.distributed.is_initialized():
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


def process_rows(mesh: jax.sharding.Mesh, batch_size: int) -> np.ndarray:
  """The rows of a [batch_size, ...] batch split along "data" that this process's devices hold,
  in increasing order: a process feeds exactly these (`shard_batch`). One process: all rows.

  The mesh's device order decides which rows go where (jax.make_mesh may order devices by their
  physical topology, so process p's rows need not be block p of the batch)."""
  sharding = NamedSharding(mesh, P("data"))
  blocks = sorted({index[0].indices(batch_size)[:2]
                   for index in sharding.addressable_devices_indices_map((batch_size,)).values()})
  return np.concatenate([np.arange(start, stop) for start, stop in blocks])


def shard_batch(batch: Batch, mesh: jax.sharding.Mesh) -> Batch:
  """Places a global numpy batch on the mesh, split along "data" ([B, ...] -> B/n rows each).
  Every process holds the same global batch (training and evaluation batches are pure
  functions of the step and the split) and hands over only the rows of its own devices."""
  sharding = NamedSharding(mesh, P("data"))
  size = {len(x) for x in jax.tree.leaves(batch)}   # inputs may be a dict of arrays
  if len(size) != 1:
    raise ValueError(f"batch arrays have different leading sizes {sorted(size)}; every entry "
                     "of a batch needs the same number of rows.")
  rows = process_rows(mesh, size.pop())

  def put(x):
    x = np.asarray(x)
    return jax.make_array_from_process_local_data(sharding, x[rows], x.shape)
  return jax.tree.map(put, batch)


def replicate(tree: Any, mesh: jax.sharding.Mesh) -> Any:
  """Places `tree` (host values or single-device arrays, the same on every process: e.g. a
  train state initialised from the same seed) whole on every device of `mesh`.

  Unlike jax.device_put, it also works across processes for typed PRNG keys and committed
  arrays, and does not all-gather every leaf to check that the processes agree."""
  sharding = NamedSharding(mesh, P())

  def put(x):
    if isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
      return jax.random.wrap_key_data(put(jax.random.key_data(x)), impl=jax.random.key_impl(x))
    host = np.asarray(jnp.asarray(x))          # python scalars take JAX's default dtype
    return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])
  return jax.tree.map(put, tree)
