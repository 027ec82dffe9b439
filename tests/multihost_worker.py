"""One process of a multi-process `fit`, for tests/test_multihost.py.

  JAX_COORDINATOR_ADDRESS=localhost:PORT JAX_NUM_PROCESSES=2 JAX_PROCESS_ID=0 \
  XLA_FLAGS=--xla_force_host_platform_device_count=2 JAX_PLATFORMS=cpu \
  python tests/multihost_worker.py WORKDIR OUT.npz [--hang_at_step=N] [--interleave]

Joins the cluster through `trainer.init_distributed` (the path of the experiments' --distributed
flag) with gloo CPU collectives, trains tests/test_trainer.py's fixture task with its CONFIG and
writes the final parameters, EMA parameters, test summary and the batch rows this process fed to
OUT.npz. --hang_at_step=N blocks when the loop asks for step N's batch (the checkpoints of the
earlier steps requested), for the test to kill the process there. --interleave orders the mesh
[process 0 device 0, process 1 device 0, process 0 device 1, ...], so that each process feeds
two separate blocks of every batch (jax.make_mesh may order TPU pod devices like that).
"""
import argparse
import time

import jax
from absl import logging

logging.set_verbosity(logging.INFO)    # progress lines to stderr (the test checks which process)
jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.config.update("jax_numpy_rank_promotion", "raise")

from rnnjax import trainer  # noqa: E402

trainer.init_distributed()    # before anything touches the devices

import numpy as np  # noqa: E402

from rnnjax.data import splits  # noqa: E402
from rnnjax.trainer import devices as devices_lib  # noqa: E402
from test_trainer import CONFIG, TinyClassifier, tiny_data  # noqa: E402

HANG_S = 600


def _interleaved() -> list[jax.Device]:
  by_process = [[d for d in jax.devices() if d.process_index == p]
                for p in range(jax.process_count())]
  return [d for group in zip(*by_process) for d in group]


def _hang_at(step_to_hang: int) -> None:
  real_batch = splits.Split.train_batch

  def hanging(split, step, batch_size, seed):
    if step == step_to_hang:
      print(f"process {jax.process_index()} waits at step {step}", flush=True)
      time.sleep(HANG_S)
    return real_batch(split, step, batch_size, seed)
  splits.Split.train_batch = hanging


def main() -> None:
  parser = argparse.ArgumentParser()
  parser.add_argument("workdir")
  parser.add_argument("out")
  parser.add_argument("--hang_at_step", type=int)
  parser.add_argument("--interleave", action="store_true")
  args = parser.parse_args()
  if args.hang_at_step is not None:
    _hang_at(args.hang_at_step)
  devices = _interleaved() if args.interleave else jax.devices()
  result = trainer.fit(TinyClassifier(dropout=0.2), tiny_data(), CONFIG, args.workdir,
                       devices=devices)
  leaves = jax.tree.leaves(jax.device_get((result.state.params, result.state.ema_params)))
  rows = devices_lib.process_rows(trainer.make_mesh(devices), CONFIG.batch_size)
  np.savez(args.out, *leaves, accuracy=result.eval["accuracy"],
           confusion=result.eval["confusion"], processes=jax.process_count(),
           devices=jax.device_count(), history=np.array([r["step"] for r in result.history]),
           rows=rows)


if __name__ == "__main__":
  main()
