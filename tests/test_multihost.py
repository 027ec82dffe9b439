"""Multi-host training: two JAX processes on this machine give the single-process numbers.

MultiHostTest.setUpClass trains tests/test_trainer.py's fixture task with the same global batch
and seed three times: in this process (the reference: 1 process, 2 devices), then as a cluster of
2 processes x 2 devices (a localhost coordinator, gloo CPU collectives; tests/multihost_worker.py)
that is SIGKILLed after the checkpoint of step 2, then as a second cluster that resumes from that
checkpoint and finishes, its mesh interleaved so that each process feeds two separate blocks of
every batch. The tests check what each left behind. Every wait has a deadline, so a hung
collective fails the tests instead of hanging them.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from unittest import mock

import jax
import numpy as np
from absl.testing import absltest
import pytest

from rnnjax import trainer
from rnnjax.trainer import checkpoints, devices
import conftest
from test_trainer import CONFIG, TinyClassifier, tiny_data

# setUpClass trains once for the whole class: keep its tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("multihost")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER = os.path.join(ROOT, "tests", "multihost_worker.py")
DEADLINE_S = 240          # per cluster; one takes ~25 CPU-seconds
DEVICES_PER_PROCESS = 2   # the batch is split within and across processes
HANG_AT_STEP = 3          # CONFIG checkpoints every 2 steps and evaluates every 3


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


class _Cluster:
  """Two worker processes on a fresh localhost coordinator, logs in files (no pipe to fill)."""

  def __init__(self, workdir: str, logdir: str, *flags: str):
    os.makedirs(logdir)
    self.outs = [os.path.join(logdir, f"result{i}.npz") for i in range(2)]
    self.logs = [os.path.join(logdir, f"process{i}.log") for i in range(2)]
    coordinator = f"127.0.0.1:{_free_port()}"       # bound there too: no IPv6 needed
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "MPLBACKEND": "Agg",
           "XLA_FLAGS": conftest.xla_flags(DEVICES_PER_PROCESS),
           "JAX_COORDINATOR_ADDRESS": coordinator, "JAX_COORDINATOR_BIND_ADDRESS": coordinator,
           "JAX_NUM_PROCESSES": "2",
           "PYTHONPATH": os.pathsep.join([ROOT, os.path.join(ROOT, "tests")])}
    self.procs = []
    for i in range(2):
      with open(self.logs[i], "w") as log:
        self.procs.append(subprocess.Popen(
            [sys.executable, WORKER, workdir, self.outs[i], *flags], cwd=ROOT,
            env={**env, "JAX_PROCESS_ID": str(i)}, stdout=log, stderr=subprocess.STDOUT))

  def log(self, i: int) -> str:
    with open(self.logs[i]) as f:
      return f.read()

  def kill(self) -> None:
    for p in self.procs:
      if p.poll() is None:
        p.kill()
      p.wait()

  def wait_until(self, done, what: str) -> None:
    """Polls `done()` until the deadline; kills both processes and fails with their logs if it
    never holds or a process fails."""
    deadline = time.monotonic() + DEADLINE_S
    while not done():
      failed = [p.returncode for p in self.procs if p.poll()]
      if failed or time.monotonic() > deadline:
        self.kill()
        raise AssertionError(f"{what}: not after {DEADLINE_S} s (exit codes {failed})\n" +
                             "\n".join(f"--- process {i}:\n{self.log(i)[-3000:]}"
                                       for i in range(2)))
      time.sleep(0.1)

  def finish(self) -> list[dict[str, np.ndarray]]:
    """Waits for both processes to exit with 0; returns what each saved."""
    self.wait_until(lambda: all(p.poll() == 0 for p in self.procs), "both processes exit with 0")
    return [dict(np.load(out)) for out in self.outs]


def _progress_lines(log: str) -> list[str]:
  return [line for line in log.splitlines() if line.startswith("INFO:absl:step ")]


class MultiHostTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.root = tempfile.mkdtemp()
    cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)   # also if setUp fails
    reference = trainer.fit(TinyClassifier(dropout=0.2), tiny_data(), CONFIG,
                            os.path.join(cls.root, "reference"))
    cls.reference = reference
    cls.reference_params = [np.asarray(x) for x in jax.tree.leaves(jax.device_get(
        (reference.state.params, reference.state.ema_params)))]
    cls.workdir = os.path.join(cls.root, "workdir")
    committed = os.path.join(cls.workdir, "checkpoints", "2", "commit_success.txt")
    cls.killed = _Cluster(cls.workdir, os.path.join(cls.root, "killed"),
                          f"--hang_at_step={HANG_AT_STEP}")
    cls.killed.wait_until(lambda: os.path.exists(committed) and all(
        f"waits at step {HANG_AT_STEP}" in cls.killed.log(i) for i in range(2)),
        "checkpoint 2 committed and both processes at step 3")
    cls.killed.kill()                                                # SIGKILL, mid-run
    with open(os.path.join(cls.workdir, trainer.METRICS_FILE)) as f:
      cls.records_when_killed = [json.loads(line) for line in f]
    cls.resumed = _Cluster(cls.workdir, os.path.join(cls.root, "resumed"), "--interleave")
    cls.saved = cls.resumed.finish()
    with open(os.path.join(cls.workdir, trainer.METRICS_FILE)) as f:
      cls.records = [json.loads(line) for line in f]

  def test_two_processes_give_the_single_process_metrics(self):
    self.assertEqual([p.returncode for p in self.killed.procs], [-9, -9])
    self.assertEqual(self.records_when_killed[0]["hparams"]["devices"], 4)
    first = self.records_when_killed[1]               # steps 0-2 trained, evaluated at step 3
    expected = self.reference.history[0]
    self.assertEqual(first["step"], expected["step"])
    for key in ("train/loss", "train/objective", "train/accuracy", "eval/loss", "eval/accuracy"):
      self.assertAlmostEqual(first[key], expected[key], places=5, msg=key)
    np.testing.assert_array_equal(first["eval/confusion"], expected["eval/confusion"])

  def test_resumed_processes_end_with_the_single_process_parameters(self):
    self.assertIn("Resuming from the checkpoint of step 2", self.resumed.log(0))
    self.assertCountEqual(os.listdir(os.path.join(self.workdir, "checkpoints")), ["4", "6"])
    for saved in self.saved:                          # every process holds the same result
      self.assertEqual((int(saved["processes"]), int(saved["devices"])), (2, 4))
      self.assertEqual(saved["history"].tolist(), [3, 6])
      params = [saved[f"arr_{i}"] for i in range(len(self.reference_params))]
      self.assertNotIn(f"arr_{len(params)}", saved)
      for a, b in zip(params, self.reference_params):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
      self.assertEqual(float(saved["accuracy"]), self.reference.eval["accuracy"])
      np.testing.assert_array_equal(saved["confusion"], self.reference.eval["confusion"])

  def test_each_process_feeds_the_rows_of_its_devices(self):
    # Interleaved mesh [p0, p1, p0, p1], 2 rows per device: process 0 holds blocks 0 and 2.
    self.assertEqual([s["rows"].tolist() for s in self.saved], [[0, 1, 4, 5], [2, 3, 6, 7]])

  def test_process_zero_alone_logs_and_writes_the_metrics_and_curves(self):
    self.assertEqual([len(_progress_lines(self.killed.log(i))) for i in range(2)], [1, 0])
    self.assertEqual([len(_progress_lines(self.resumed.log(i))) for i in range(2)], [2, 0])
    # One hparams line; step 3 again after the resume from step 2 (as in one process).
    self.assertEqual([r.get("step") for r in self.records], [None, 3, 3, 6])
    self.assertAlmostEqual(self.records[-1]["eval/accuracy"], self.reference.eval["accuracy"])
    self.assertTrue(os.path.exists(os.path.join(self.workdir, "curves.png")))


class HelpersTest(absltest.TestCase):
  """The multi-process helpers in one process (the multi-process cases are MultiHostTest's)."""

  def test_one_process_feeds_every_row(self):
    mesh = trainer.make_mesh(jax.devices()[::-1])
    np.testing.assert_array_equal(devices.process_rows(mesh, 6), np.arange(6))

  def test_replicate_puts_arrays_scalars_and_keys_on_every_device(self):
    mesh = trainer.make_mesh()
    key = jax.random.key(3)
    placed = devices.replicate({"x": np.arange(4.0), "step": 0, "key": key}, mesh)
    for leaf in (placed["x"], placed["step"]):
      self.assertLen(leaf.addressable_shards, 2)
      self.assertTrue(leaf.sharding.is_fully_replicated)
    self.assertEqual(placed["step"].dtype, np.int32)
    np.testing.assert_array_equal(placed["x"], np.arange(4.0))
    np.testing.assert_array_equal(jax.random.key_data(placed["key"]), jax.random.key_data(key))
    self.assertTrue(placed["key"].sharding.is_fully_replicated)

  def test_shard_batch_with_ragged_entries_is_an_error(self):
    batch = {"inputs": np.zeros((4, 2)), "labels": np.zeros(3)}
    with self.assertRaisesRegex(ValueError, r"different leading sizes \[3, 4\]"):
      trainer.shard_batch(batch, trainer.make_mesh())

  def test_init_distributed_starts_jax_distributed_once_and_only_when_asked(self):
    with mock.patch.object(jax.distributed, "initialize") as initialize, \
         mock.patch.dict(os.environ, {"JAX_NUM_PROCESSES": "2", "JAX_PROCESS_ID": "1"}):
      for name in ("RNNJAX_DISTRIBUTED", "JAX_COORDINATOR_ADDRESS"):
        os.environ.pop(name, None)
      trainer.init_distributed()                                  # not asked: nothing
      initialize.assert_not_called()
      with mock.patch.object(jax.distributed, "is_initialized", return_value=False):
        trainer.init_distributed(True)
      initialize.assert_called_once_with(num_processes=2, process_id=1)
      with mock.patch.object(jax.distributed, "is_initialized", return_value=True):
        trainer.init_distributed(True)                            # already up: nothing
      initialize.assert_called_once()

  def test_processes_that_see_different_checkpoints_is_an_error(self):
    # What a workdir on each host's own disk gives: process 1 finds no checkpoint.
    with mock.patch.object(jax, "process_count", return_value=2), \
         mock.patch.object(checkpoints.multihost_utils, "process_allgather",
                           return_value=np.array([2, -1], np.int32)):
      with self.assertRaisesRegex(ValueError, r"\(process 0: 2, process 1: none\); the workdir "
                                  r"must be one folder that every process shares"):
        checkpoints.check_same_step(2, "/runs/x/checkpoints")
    checkpoints.check_same_step(None, "/runs/x/checkpoints")      # one process: nothing to check


if __name__ == "__main__":
  absltest.main()
