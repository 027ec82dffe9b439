"""No silent wrong results, a clear error for every bad input, runs that never mix: one test per
row of docs/reliability.md (the data loaders' rows are tested in tests/test_data_*.py)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from unittest import mock

from absl.testing import absltest, parameterized
import jax
import jax.numpy as jnp
import numpy as np
import optax

from rnnjax import cells, layers, models, train, trainer
from rnnjax.data import splits
from rnnjax.reports import curves
from rnnjax.trainer import checkpoints, workdir as workdir_lib
from test_experiments import ROOT, write_uci_har
from test_train import TinyClassifier
from test_trainer import tiny_data

CONFIG = trainer.TrainConfig(learning_rate=0.05, batch_size=8, num_steps=4, eval_every=2,
                             checkpoint_every=1, eval_batch_size=4)


def _tempdir(test) -> str:
  path = tempfile.mkdtemp()
  test.addCleanup(shutil.rmtree, path, ignore_errors=True)
  return path


def _leaves(state):
  return [np.asarray(x) for x in jax.tree.leaves(jax.device_get(state.params))]


class SilentWrongResultsTest(parameterized.TestCase):

  def test_nan_and_inf_in_the_padding_do_not_reach_the_bilstm_training_step(self):
    model = models.build("bilstm", num_classes=3, hidden_size=4)
    rng = np.random.default_rng(0)
    lengths = np.array([6, 2, 4, 1], np.int32)
    pad = np.arange(6)[None, :, None] >= lengths[:, None, None]
    xs = rng.normal(size=(4, 6, 3)).astype(np.float32)
    batch = {"inputs": np.where(pad, 0.0, xs), "lengths": lengths, "labels": np.arange(4) % 3}
    dirty = {**batch, "inputs": np.where(pad, np.where(rng.random(xs.shape) > 0.5, np.nan,
                                                       np.inf), xs).astype(np.float32)}
    state = train.create_train_state(model, jax.random.key(0), batch,
                                     train.make_optimizer("adam", 1e-2))
    step = jax.jit(train.train_step)
    clean, _ = step(state, batch, jax.random.key(1))
    poisoned, _ = step(state, dirty, jax.random.key(1))
    for a, b in zip(_leaves(poisoned), _leaves(clean)):
      self.assertTrue(np.all(np.isfinite(a)))
      np.testing.assert_array_equal(a, b)

  @parameterized.parameters(-1.0, 0.0)
  def test_a_clip_norm_at_or_below_zero_means_no_clipping(self, clip_norm):
    params = {"w": jnp.array([3.0, -4.0])}
    grads = {"w": jnp.array([0.6, 0.8])}
    tx = train.make_optimizer("sgd", 0.1, clip_norm=clip_norm)
    updates, _ = tx.update(grads, tx.init(params), params)
    want, _ = optax.sgd(0.1).update(grads, optax.sgd(0.1).init(params), params)
    np.testing.assert_allclose(updates["w"], want["w"], rtol=1e-7)

  def test_a_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint(self):
    data = tiny_data()
    inputs = data.train.inputs.copy()
    inputs[:] = np.nan                                   # every batch's loss is NaN from step 1
    bad = splits.DataSpec(train=splits.Split(inputs, data.train.labels, data.train.lengths),
                          test=data.test, num_classes=3, feature_dim=inputs.shape[-1])
    with self.assertRaisesRegex(trainer.NonFiniteLossError,
                                r"training loss is nan at step 1: training stopped"):
      trainer.fit(TinyClassifier(), bad, CONFIG, _tempdir(self))


class BadArgumentTest(parameterized.TestCase):

  @parameterized.named_parameters(
      ("learning_rate_zero", {"learning_rate": 0.0}, "learning_rate"),
      ("learning_rate_negative", {"learning_rate": -0.1}, "learning_rate"),
      ("learning_rate_nan", {"learning_rate": float("nan")}, "learning_rate"),
      ("batch_size_zero", {"batch_size": 0}, "batch_size"),
      ("batch_size_negative", {"batch_size": -4}, "batch_size"),
      ("eval_every_zero", {"eval_every": 0}, "eval_every"),
      ("num_steps_negative", {"num_steps": -1}, "num_steps"),
      ("ema_decay_one", {"ema_decay": 1.0}, "ema_decay"),
      ("clip_norm_nan", {"clip_norm": float("nan")}, "clip_norm"),
      ("optimizer_unknown", {"optimizer": "adamax"}, "optimizer"),
      ("loss_unknown", {"loss": "hinge"}, "loss"),
  )
  def test_bad_training_settings_fail_when_the_config_is_made(self, values, name):
    with self.assertRaisesRegex(ValueError, rf"TrainConfig.{name} \(flag --{name}\) must be"):
      trainer.TrainConfig(**values)

  @parameterized.named_parameters(
      ("hidden_size_zero", lambda: cells.LSTMCell(0), "hidden_size must be an integer >= 1"),
      ("hidden_size_negative", lambda: cells.GRUCell(-3), "hidden_size must be an integer >= 1"),
      ("hidden_size_fraction", lambda: cells.SimpleRNNCell(2.5),
       "hidden_size must be an integer >= 1"),
      ("num_classes_zero", lambda: models.build("lstm", num_classes=0),
       "num_classes must be an integer >= 1"),
      ("num_layers_zero", lambda: models.build("multilstm", num_classes=2, num_layers=0),
       "num_layers must be an integer >= 1"),
      ("dropout_one", lambda: models.build("lstm", num_classes=2, dropout=1.0),
       r"dropout must be in \[0, 1\)"),
      ("dropout_above_one", lambda: models.build("lstm", num_classes=2, dropout=1.5),
       r"dropout must be in \[0, 1\)"),
      ("recurrent_dropout_one", lambda: models.build("gru", num_classes=2, recurrent_dropout=1.0),
       r"recurrent_dropout must be in \[0, 1\)"),
  )
  def test_bad_model_sizes_and_rates_name_the_argument(self, make, message):
    with self.assertRaisesRegex(ValueError, message):
      make()

  def test_an_empty_batch_with_lengths_gives_empty_outputs(self):
    layer = layers.Recurrent(cells.LSTMCell(3))
    xs = jnp.zeros((0, 5, 2))
    variables = layer.init(jax.random.key(0), jnp.zeros((1, 5, 2)))
    self.assertEqual(layer.apply(variables, xs, np.zeros((0,), np.int32)).shape, (0, 5, 3))

  def test_lengths_closed_over_in_jit_are_checked_and_used(self):
    layer = layers.Recurrent(cells.GRUCell(3), return_sequences=False)
    xs = jax.random.normal(jax.random.key(0), (2, 5, 2))
    variables = layer.init(jax.random.key(1), xs)
    lengths = jnp.array([5, 2])
    got = jax.jit(lambda v: layer.apply(v, xs, lengths))(variables)
    np.testing.assert_allclose(got, layer.apply(variables, xs, np.array([5, 2])), rtol=1e-6)
    too_long = jnp.array([6, 2])
    with self.assertRaisesRegex(ValueError, r"seq_lengths must lie in \[0, T=5\]"):
      jax.jit(lambda v: layer.apply(v, xs, too_long))(variables)


class WorkdirTest(parameterized.TestCase):

  def setUp(self):
    super().setUp()
    self.workdir = os.path.join(_tempdir(self), "run")
    self.model, self.data = TinyClassifier(), tiny_data()

  def test_another_configuration_is_refused_naming_the_settings_and_the_ways_out(self):
    trainer.fit(self.model, self.data, CONFIG, self.workdir)
    other = trainer.TrainConfig(**{**CONFIG.__dict__, "seed": 1, "learning_rate": 0.01})
    with self.assertRaises(workdir_lib.WorkdirError) as caught:
      trainer.fit(self.model, self.data, other, self.workdir)
    message = str(caught.exception)
    for part in ("seed: 0 -> 1", "learning_rate: 0.05 -> 0.01", "--workdir", "--overwrite"):
      self.assertIn(part, message)
    with self.assertRaisesRegex(workdir_lib.WorkdirError, "hidden_size: 8 -> 16"):
      trainer.fit(TinyClassifier(hidden_size=16), self.data, CONFIG, self.workdir)
    redone = trainer.fit(self.model, self.data, other, self.workdir, overwrite=True)
    self.assertEqual(int(redone.state.step), CONFIG.num_steps)
    with open(os.path.join(self.workdir, workdir_lib.CONFIG_FILE)) as f:
      self.assertEqual(json.load(f)["seed"], 1)

  def test_a_second_run_on_the_same_workdir_is_locked_out(self):
    with workdir_lib.claim(self.workdir, {"run": "first"}):
      with self.assertRaisesRegex(workdir_lib.WorkdirError, rf"in use by another run \(pid "
                                  rf"{os.getpid()}\)"):
        trainer.fit(self.model, self.data, CONFIG, self.workdir)

  def test_an_unwritable_workdir_fails_before_training(self):
    blocker = os.path.join(_tempdir(self), "a_file")
    open(blocker, "w").close()
    with mock.patch.object(train, "create_train_state") as create:
      with self.assertRaisesRegex(workdir_lib.WorkdirError, "cannot be written"):
        trainer.fit(self.model, self.data, CONFIG, os.path.join(blocker, "run"))
    create.assert_not_called()

  def test_a_corrupt_latest_checkpoint_falls_back_to_the_previous_one(self):
    reference = trainer.fit(self.model, self.data, CONFIG, self.workdir)
    latest = os.path.join(self.workdir, "checkpoints", "4")
    for root, _, files in os.walk(latest):                     # truncate every file of step 4
      for name in files:
        open(os.path.join(root, name), "w").close()
    with self.assertLogs("absl", level="WARNING") as logs:
      resumed = trainer.fit(self.model, self.data, CONFIG, self.workdir)
    self.assertTrue(any("checkpoint of step 4" in r.getMessage() and "cannot be read"
                        in r.getMessage() for r in logs.records))
    for a, b in zip(_leaves(resumed.state), _leaves(reference.state)):
      np.testing.assert_array_equal(a, b)
    shutil.rmtree(os.path.join(self.workdir, "checkpoints", "3"))
    for root, _, files in os.walk(os.path.join(self.workdir, "checkpoints")):
      for name in files:
        open(os.path.join(root, name), "w").close()
    with self.assertRaisesRegex(checkpoints.CheckpointError, "None of the checkpoints"):
      trainer.fit(self.model, self.data, CONFIG, self.workdir)

  def test_a_failing_figure_never_loses_the_final_result(self):
    with mock.patch.object(curves, "training_curves", side_effect=OSError("disk full")):
      with self.assertLogs("absl", level="INFO") as logs:
        result = trainer.fit(self.model, self.data, CONFIG, self.workdir)
    messages = [r.getMessage() for r in logs.records]
    final = next(i for i, m in enumerate(messages) if m.startswith("Final test accuracy"))
    warned = next(i for i, m in enumerate(messages) if "Could not draw" in m)
    self.assertLess(final, warned)
    self.assertIn("accuracy", result.eval)


_FLAG_SCRIPT = """
import json, sys
sys.argv = ["har.py"]
import har
from absl import flags
out = {}
for args in json.loads(sys.argv_json):
  try:
    flags.FLAGS.unparse_flags()
    flags.FLAGS(["har.py"] + args)
    config = har.config(flags.FLAGS.model)
    out[" ".join(args)] = "ok lr=%r steps=%d" % (config.learning_rate, config.num_steps)
    if "--show_dropouts" in sys.argv_extra:
      out[" ".join(args)] += " %r readout=%s" % (sorted(har.dropouts(flags.FLAGS.model).items()),
                                                 har.preset_value("readout", flags.FLAGS.model))
  except Exception as e:
    out[" ".join(args)] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(out))
"""


def _parse_har_flags(cases: list[list[str]], show_dropouts: bool = False) -> dict[str, str]:
  """har.py's flags parsed with each argument list in turn (one subprocess): "ok lr=..." (and
  the dropout rates) or the error."""
  script = _FLAG_SCRIPT.replace("sys.argv_json", repr(json.dumps(cases))).replace(
      "sys.argv_extra", repr(["--show_dropouts"] if show_dropouts else []))
  return json.loads(_run_with_experiments(script).strip().splitlines()[-1])


def _run_with_experiments(script: str) -> str:
  """stdout of python -c `script` with experiments/ importable (one subprocess)."""
  env = {**os.environ, "JAX_PLATFORMS": "cpu",
         "PYTHONPATH": os.pathsep.join([os.path.join(ROOT, "experiments"), ROOT])}
  done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                        text=True, timeout=120)
  assert done.returncode == 0, done.stderr[-3000:]
  return done.stdout


class CommandLineTest(absltest.TestCase):

  def test_har_presets_have_their_own_defaults_and_flags_given_win(self):
    # args -> (learning rate, steps, dropout, input_dropout, recurrent_dropout, readout)
    expected = {
        "--model=bilstm": ("0.003", 10000, 0.3, 0.1, 0.2, "max"),
        "--model=bilstm --dropout=0": ("0.003", 10000, 0.0, 0.1, 0.2, "max"),
        "--model=bilstm --num_steps=5000": ("0.003", 5000, 0.3, 0.1, 0.2, "max"),
        "--model=lstm": ("0.001", 5000, 0.0, 0.0, 0.0, "last"),
        "--model=bilstm --readout=last": ("0.003", 10000, 0.3, 0.1, 0.2, "last"),
        "--model=bilstm --input_dropout=0": ("0.003", 10000, 0.3, 0.0, 0.2, "max")}
    out = _parse_har_flags([args.split() for args in expected], show_dropouts=True)
    for args, (lr, steps, dropout, input_dropout, recurrent_dropout, readout) in expected.items():
      self.assertEqual(out[args], f"ok lr={lr} steps={steps} [('dropout', {dropout}), "
                                  f"('input_dropout', {input_dropout}), "
                                  f"('recurrent_dropout', {recurrent_dropout})] "
                                  f"readout={readout}", args)

  def test_imdb_lstm_has_its_own_input_dropout_and_digits_and_flags_given_win(self):
    script = ("import sys; sys.argv = ['imdb.py']; import imdb; from absl import flags\n"
              "for args in (['--model=lstm'], ['--model=lstm', '--input_dropout=0', '--nodigits'],"
              " ['--model=gru'], ['--model=rnn', '--input_dropout=0.2', '--digits']):\n"
              "  flags.FLAGS.unparse_flags(); flags.FLAGS(['imdb.py'] + args)\n"
              "  print('%s,%s' % tuple(imdb.preset_value(name, flags.FLAGS.model)\n"
              "                       for name in ('input_dropout', 'digits')))")
    self.assertEqual(_run_with_experiments(script).split()[-4:],
                     ["0.3,True", "0.0,False", "0.0,False", "0.2,True"])

  def test_bad_flags_are_refused_at_parse_time_naming_the_flag(self):
    cases = [["--learning_rate=0"], ["--learning_rate=-0.1"], ["--learning_rate=nan"],
             ["--dropout=1.0"], ["--dropout=1.5"], ["--recurrent_dropout=1"],
             ["--hidden_size=0"], ["--batch_size=0"], ["--eval_every=0"], ["--num_steps=-1"],
             ["--num_layers=0"], ["--clip_norm=-1"], ["--learning_rate=0.01"]]
    out = _parse_har_flags(cases)
    for args in cases[:-2]:
      flag = args[0].split("=")[0]
      self.assertIn(f"flag {flag}=", out[" ".join(args)])
    self.assertEqual(out["--clip_norm=-1"], "ok lr=0.001 steps=5000")   # -1: no clipping, accepted
    self.assertEqual(out["--learning_rate=0.01"], "ok lr=0.01 steps=5000")   # explicit lr wins

  def test_rerunning_with_other_flags_in_the_same_workdir_is_refused(self):
    tmp = _tempdir(self)
    data = write_uci_har(os.path.join(tmp, "data"))["data_dir"]
    base = [sys.executable, os.path.join(ROOT, "experiments", "har.py"), f"--data_dir={data}",
            f"--workdir={os.path.join(tmp, 'run')}", "--num_steps=1", "--batch_size=4",
            "--hidden_size=4", "--model=rnn", "--validation_subjects=1"]
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "RNNJAX_DATA_DIR": os.path.join(tmp, "cache")}
    first = subprocess.run(base, env=env, capture_output=True, text=True, timeout=300)
    self.assertEqual(first.returncode, 0, first.stderr[-3000:])
    second = subprocess.run(base + ["--seed=1"], env=env, capture_output=True, text=True,
                            timeout=300)
    self.assertNotEqual(second.returncode, 0)
    self.assertIn("seed: 0 -> 1", second.stderr)
    self.assertIn("--overwrite", second.stderr)
    self.assertNotIn("First train step", second.stderr)          # refused before compiling


if __name__ == "__main__":
  absltest.main()
