"""The driver: files in the workdir, resume after a kill, data parallelism, batch checks."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from unittest import mock

import jax
import numpy as np
from absl import flags
from absl.testing import absltest, parameterized

from rnnjax import train, trainer
from rnnjax.trainer import devices, progress, training
from rnnjax.data import splits
import conftest
from test_train import TinyClassifier

T, D, C = 7, 5, 3
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = trainer.TrainConfig(learning_rate=0.05, l2=1e-3, batch_size=8, num_steps=6, eval_every=3,
                          checkpoint_every=2, eval_batch_size=4, ema_decay=0.9)


def tiny_data(seed: int = 0) -> splits.DataSpec:
  """32 train / 10 test rows, labels from the sign of two channel means, lengths 1..T."""
  rng = np.random.default_rng(seed)

  def split(n):
    x = rng.normal(size=(n, T, D)).astype(np.float32)
    y = (x[:, :, 0].mean(1) > 0).astype(np.int32) + (x[:, :, 1].mean(1) > 0)
    return splits.Split(x, y.astype(np.int32), rng.integers(1, T + 1, n).astype(np.int32))
  return splits.DataSpec(train=split(32), test=split(10), num_classes=C, feature_dim=D,
                         class_names=("low", "mid", "high"))


def _tempdir(test: absltest.TestCase) -> str:
  """A fresh folder removed after the test (create_tempdir needs parsed absl flags)."""
  path = tempfile.mkdtemp()
  test.addCleanup(shutil.rmtree, path, ignore_errors=True)
  return path


def _leaves(state):
  """The parameters and their moving average (the resume test checks both)."""
  return [np.asarray(x) for x in jax.tree.leaves(jax.device_get((state.params,
                                                                 state.ema_params)))]


class FitTest(parameterized.TestCase):

  def test_writes_metrics_curves_checkpoints_and_seed_progress_lines(self):
    workdir = _tempdir(self)
    with self.assertLogs("absl", level="INFO") as logs:
      result = trainer.fit(TinyClassifier(dropout=0.1), tiny_data(), CONFIG, workdir)
    progress = [r.getMessage() for r in logs.records if r.getMessage().startswith("step ")]
    self.assertLen(progress, 2)
    self.assertRegex(progress[-1], r"^step 0006 : loss is \d{3}\.\d\d, accuracy on training set "
                     r"\d+\.\d %, accuracy on test set \d+\.\d\d % \(.* steps/s, ETA .*\)$")
    with open(os.path.join(workdir, trainer.METRICS_FILE)) as f:
      lines = [json.loads(line) for line in f]
    self.assertEqual(lines[0]["hparams"]["optimizer"], "adam")
    self.assertEqual(lines[0]["hparams"]["hidden_size"], 8)
    self.assertEqual([r["step"] for r in lines[1:]], [3, 6])
    for key in ("train/objective", "train/accuracy", "eval/accuracy", "steps_per_sec"):
      self.assertIn(key, lines[-1])
    self.assertAlmostEqual(lines[-1]["eval/accuracy"], result.eval["accuracy"], places=6)
    self.assertTrue(os.path.getsize(os.path.join(workdir, training.CURVES_FILE)) > 1000)
    self.assertCountEqual(os.listdir(os.path.join(workdir, "checkpoints")), ["4", "6"])
    self.assertEqual(np.asarray(result.eval["confusion"]).sum(), 10)

  def test_resume_after_kill_matches_uninterrupted_run(self):
    model, data = TinyClassifier(dropout=0.3), tiny_data()
    reference = trainer.fit(model, data, CONFIG, _tempdir(self))
    workdir = _tempdir(self)
    real_batch = splits.Split.train_batch

    def killed_at_step_3(split, step, batch_size, seed):
      if step == 3:
        raise KeyboardInterrupt("simulated kill")
      return real_batch(split, step, batch_size, seed)

    with mock.patch.object(splits.Split, "train_batch", killed_at_step_3):
      with self.assertRaises(KeyboardInterrupt):
        trainer.fit(model, data, CONFIG, workdir)                 # last checkpoint: step 2
    with mock.patch.object(splits.Split, "train_batch", autospec=True,
                           side_effect=real_batch) as spy:
      resumed = trainer.fit(model, data, CONFIG, workdir)          # restores step 2
    self.assertEqual([c.args[1] for c in spy.call_args_list], [0, 2, 3, 4, 5])  # 0: init sample
    self.assertEqual(int(resumed.state.step), CONFIG.num_steps)
    for a, b in zip(_leaves(resumed.state), _leaves(reference.state)):
      np.testing.assert_array_equal(a, b)
    self.assertEqual([r["step"] for r in resumed.history], [3, 6])
    again = trainer.fit(model, data, CONFIG, workdir)              # finished: nothing to train
    self.assertEqual(again.history, [])
    with open(os.path.join(workdir, trainer.METRICS_FILE)) as f:
      self.assertEqual(sum("hparams" in line for line in f), 1)

  def test_a_batch_that_does_not_divide_by_the_devices_is_rounded_up_and_logged(self):
    self.assertEqual(jax.device_count(), 2)                    # tests/conftest.py
    config = trainer.TrainConfig(batch_size=7, num_steps=1)
    with self.assertLogs("absl", level="WARNING") as logs:
      result = trainer.fit(TinyClassifier(), tiny_data(), config, _tempdir(self))
    self.assertTrue(any("training with batches of 8 (4 per device)" in r.getMessage()
                        for r in logs.records))
    self.assertEqual(int(result.state.step), 1)

  def test_a_spent_time_budget_stops_training_then_checkpoints_and_tests(self):
    config = trainer.TrainConfig(batch_size=8, num_steps=6, eval_every=3, train_seconds=1e-6)
    workdir = _tempdir(self)
    with self.assertLogs("absl", level="INFO") as logs:
      result = trainer.fit(TinyClassifier(), tiny_data(), config, workdir)
    self.assertEqual(int(result.state.step), 1)               # the first step spends it all
    self.assertTrue(any("Time budget of 1e-06 s (--train_seconds) spent after step 1 of 6"
                        in r.getMessage() for r in logs.records))
    self.assertEqual([r["step"] for r in result.history], [1])
    self.assertCountEqual(os.listdir(os.path.join(workdir, "checkpoints")), ["1"])
    self.assertEqual(np.asarray(result.eval["confusion"]).sum(), 10)
    with self.assertRaisesRegex(ValueError, r"TrainConfig.train_seconds \(flag --train_seconds\)"):
      trainer.TrainConfig(train_seconds=-1.0)

  def test_init_params_start_a_fresh_run_from_the_given_subtrees(self):
    given = {"kernel": np.full((D, 8), 0.5, np.float32), "bias": np.zeros(8, np.float32)}
    config = trainer.TrainConfig(optimizer="sgd", learning_rate=1e-4, batch_size=8, num_steps=1,
                                 eval_every=1)
    result = trainer.fit(TinyClassifier(), tiny_data(), config, _tempdir(self),
                         init_params={"Dense_0": given})
    np.testing.assert_allclose(result.state.params["Dense_0"]["kernel"], 0.5, atol=1e-3)

  def test_with_params_replaces_named_subtrees_and_the_average_and_names_mismatches(self):
    import optax                                          # noqa: PLC0415  (only this test)
    from test_train import tiny_batch                     # noqa: PLC0415
    state = train.create_train_state(TinyClassifier(), jax.random.key(0), tiny_batch(),
                                     optax.sgd(0.1), ema_decay=0.9)
    first = jax.tree.map(lambda a: np.ones(a.shape, a.dtype), state.params["Dense_0"])
    new = training.with_params(state, {"Dense_0": first})
    for tree in (new.params, new.ema_params):
      np.testing.assert_array_equal(tree["Dense_0"]["kernel"], 1.0)
      np.testing.assert_array_equal(tree["Dense_1"]["kernel"], state.params["Dense_1"]["kernel"])
    with self.assertRaisesRegex(ValueError, r"names 'encoder', which the model does not have; "
                                r"its parameters are \['Dense_0', 'Dense_1'\]"):
      training.with_params(state, {"encoder": first})
    with self.assertRaisesRegex(ValueError, r"init_params\['Dense_1'\] does not match"):
      training.with_params(state, {"Dense_1": first})
    self.assertIs(training.with_params(state, None), state)

  def test_eta_of_a_day_or_more_prints_days(self):
    self.assertEqual(progress.format_eta(52.4), "0:00:52")
    self.assertEqual(progress.format_eta(3 * 86400 + 7384), "3 days, 2:03:04")

  def test_shard_batch_splits_rows_over_devices(self):
    mesh = trainer.make_mesh()
    batch = splits.train_batch(tiny_data().train, 0, 8, seed=0)
    sharded = trainer.shard_batch(batch, mesh)
    shards = sharded["inputs"].addressable_shards
    self.assertLen(shards, 2)
    self.assertEqual(shards[0].data.shape, (4, T, D))
    np.testing.assert_array_equal(np.asarray(sharded["labels"]), batch["labels"])

  def test_multi_device_cpu_mesh_waits_for_each_step(self):
    # XLA:CPU collectives deadlock with several multi-device steps queued; reproducing it needs
    # HAR-sized steps and a 40 s rendezvous timeout, so only the switch is tested here.
    self.assertTrue(devices.one_step_in_flight(trainer.make_mesh()))
    self.assertFalse(devices.one_step_in_flight(trainer.make_mesh(jax.devices()[:1])))

  def test_eval_batch_size_is_rounded_to_the_devices(self):
    config = trainer.TrainConfig(batch_size=8, num_steps=1, eval_every=1, eval_batch_size=3)
    result = trainer.fit(TinyClassifier(), tiny_data(), config, _tempdir(self))
    self.assertEqual(np.asarray(result.eval["confusion"]).sum(), 10)


_MULTI_DEVICE_SCRIPT = textwrap.dedent("""
    import json, sys, tempfile
    import jax, numpy as np
    from rnnjax import trainer
    from test_trainer import CONFIG, TinyClassifier, tiny_data
    model, data = TinyClassifier(dropout=0.2), tiny_data()
    runs = [trainer.fit(model, data, CONFIG, tempfile.mkdtemp(), devices=devices)
            for devices in (jax.devices(), jax.devices()[:1])]
    leaves = [jax.tree.leaves(jax.device_get(r.state.params)) for r in runs]
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(*leaves))
    print(json.dumps({"devices": jax.device_count(), "max_abs_diff": diff,
                      "accuracy": [r.eval["accuracy"] for r in runs]}))
""")


class MultiDeviceTest(absltest.TestCase):

  def test_four_devices_give_the_one_device_parameters(self):
    env = {**os.environ, "XLA_FLAGS": conftest.xla_flags(4),
           "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": os.pathsep.join([ROOT, os.path.join(ROOT, "tests")])}
    done = subprocess.run([sys.executable, "-c", _MULTI_DEVICE_SCRIPT], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    self.assertEqual(done.returncode, 0, done.stderr[-3000:])
    report = json.loads(done.stdout.strip().splitlines()[-1])
    self.assertEqual(report["devices"], 4)
    self.assertLess(report["max_abs_diff"], 1e-5)
    self.assertEqual(report["accuracy"][0], report["accuracy"][1])


class ConfigTest(absltest.TestCase):

  def test_from_flags_takes_same_named_flags_and_overrides(self):
    values = flags.FlagValues()
    flags.DEFINE_float("learning_rate", 0.5, "", flag_values=values)
    flags.DEFINE_integer("batch_size", 10, "", flag_values=values)
    flags.DEFINE_string("model", "lstm", "", flag_values=values)     # not a config field
    values(["prog"])
    config = trainer.TrainConfig.from_flags(values, batch_size=20)
    self.assertEqual((config.learning_rate, config.batch_size, config.optimizer),
                     (0.5, 20, "adam"))

  def test_default_workdir_is_one_folder_per_task_and_model(self):
    self.assertEqual(trainer.default_workdir("har", "bilstm"), os.path.join("runs", "har", "bilstm"))


if __name__ == "__main__":
  absltest.main()
