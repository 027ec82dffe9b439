"""Two-step smoke runs of every program in experiments/ on tiny fixtures in the original formats,
on 2 devices, and har.py with its default batch on 8 devices (rounded up to divide by them).

Adding an experiment is one entry in EXPERIMENTS: the script, a fixture writer (tmp folder ->
the flags that point the script at the fixture), flags that make the run tiny, and the files
its workdir must hold afterwards. Each run is a subprocess, so every script parses its own flags.
The first entry of a program with a notebook runs in that notebook (tests/test_colab.py) instead.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from absl.testing import absltest, parameterized

import conftest
import seed_fixtures
from seed_fixtures import EXPERIMENTS as SEED_EXPERIMENTS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAR_CHANNELS = ("body_acc_x", "body_acc_y", "body_acc_z", "body_gyro_x", "body_gyro_y",
                "body_gyro_z", "total_acc_x", "total_acc_y", "total_acc_z")
HAR_ACTIVITIES = ("WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING",
                  "LAYING")


def write_uci_har(root: str, n_train: int = 12) -> dict[str, str]:
  """An n_train-train / 6-test UCI HAR in the original layout under root/"UCI HAR Dataset"."""
  folder = os.path.join(root, "UCI HAR Dataset")
  rng = np.random.default_rng(0)
  for split, n in (("train", n_train), ("test", 6)):
    signals = os.path.join(folder, split, "Inertial Signals")
    os.makedirs(signals)
    for channel in HAR_CHANNELS:
      np.savetxt(os.path.join(signals, f"{channel}_{split}.txt"), rng.normal(size=(n, 128)),
                 fmt="%.7e")
    np.savetxt(os.path.join(folder, split, f"y_{split}.txt"), np.arange(n) % 6 + 1, fmt="%d")
    np.savetxt(os.path.join(folder, split, f"subject_{split}.txt"), np.arange(n) % 3 + 1, fmt="%d")
  with open(os.path.join(folder, "activity_labels.txt"), "w") as f:
    f.writelines(f"{i} {name}\n" for i, name in enumerate(HAR_ACTIVITIES, start=1))
  return {"data_dir": root}


TINY_RUN = ["--num_steps=2", "--eval_every=1", "--batch_size=4", "--hidden_size=4",
            "--validation_subjects=1"]
EXPERIMENTS = [
    dict(testcase_name="har", script="har.py", fixture=write_uci_har,
         flags=TINY_RUN + ["--model=lstm"],
         outputs=["metrics.jsonl", "curves.png", "checkpoints"],
         log_lines=["step 0002 : loss is", "Final validation accuracy", "Final test accuracy",
                    "WALKING_UPSTAIRS"]),
    dict(testcase_name="har_grid", script="har_grid.py", fixture=write_uci_har,
         flags=TINY_RUN + ["--models=rnn", "--optimizers=sgd", "--learning_rates=0.1",
                           "--hidden_sizes=4"],
         outputs=["grid.csv", "grid.png", "rnn_sgd_lr0.1_h4/metrics.jsonl"],
         log_lines=["Grid point rnn_sgd_lr0.1_h4: test accuracy"]),
]

EXPERIMENTS += SEED_EXPERIMENTS


def run_by_a_notebook(entry: dict) -> bool:
  """Whether tests/test_colab.py runs this entry: the first entry of each program that has a
  notebook, with the same fixture, flags and checks (on 2 devices, through `run(argv)`)."""
  name = entry["script"][:-len(".py")]
  first = next(e for e in EXPERIMENTS if e["script"] == entry["script"])
  return entry is first and os.path.exists(os.path.join(ROOT, "colab", name + ".ipynb"))


# The command-line runs: every entry the notebooks do not run (har, the headline program, also
# runs from its command line on 8 devices below). Running the others again here would double
# their CI time.
COMMAND_LINE = [e for e in EXPERIMENTS if not run_by_a_notebook(e)]


class ExperimentSmokeTest(parameterized.TestCase):

  @parameterized.named_parameters(*COMMAND_LINE)
  def test_runs_two_steps_on_fixture(self, script, fixture, flags, outputs, log_lines):
    with tempfile.TemporaryDirectory() as tmp:
      data_flags = fixture(os.path.join(tmp, "data"))
      workdir = os.path.join(tmp, "workdir")
      env = {**os.environ, "JAX_PLATFORMS": "cpu", "RNNJAX_DATA_DIR": os.path.join(tmp, "cache"),
             "XLA_FLAGS": conftest.xla_flags(2)}   # 8: EightDeviceTest
      command = [sys.executable, os.path.join(ROOT, "experiments", script),
                 f"--workdir={workdir}", *flags, *(f"--{k}={v}" for k, v in data_flags.items())]
      done = subprocess.run(command, env=env, cwd=tmp, capture_output=True, text=True,
                            timeout=300)
      self.assertEqual(done.returncode, 0, done.stderr[-4000:])
      for output in outputs:
        self.assertTrue(os.path.exists(os.path.join(workdir, output)), output)
      for line in log_lines:
        self.assertIn(line, done.stderr)
      metrics = os.path.join(workdir, "metrics.jsonl")
      if os.path.exists(metrics):                    # a grid writes one per point instead
        with open(metrics) as f:
          self.assertIn(2, [json.loads(line).get("step") for line in f])


class EightDeviceTest(absltest.TestCase):
  """The seeds' default batch of 100 on 8 devices (Colab/Kaggle TPU v5e-8), from har.py's
  command line: rounded up to 104 with a warning, and the run finishes. (The rounding is the
  trainer's, the same for every experiment: tests/test_trainer.py.)"""

  def test_default_batch_sizes_run_on_eight_devices(self):
    for script, fixture, flags in (
        ("har.py", lambda d: write_uci_har(d, n_train=160), ["--num_steps=1"]),):
      with tempfile.TemporaryDirectory() as tmp:
        data_flags = fixture(os.path.join(tmp, "data"))
        env = {**os.environ, "JAX_PLATFORMS": "cpu",
               "XLA_FLAGS": conftest.xla_flags(8)}
        done = subprocess.run(
            [sys.executable, os.path.join(ROOT, "experiments", script), "--hidden_size=4",
             f"--workdir={os.path.join(tmp, 'run')}", "--validation_subjects=1" if script ==
             "har.py" else "--seed=0", *flags, f"--data_dir={data_flags['data_dir']}"],
            env=env, cwd=tmp, capture_output=True, text=True, timeout=300)
        self.assertEqual(done.returncode, 0, done.stderr[-3000:])
        self.assertIn("training with batches of 104 (13 per device)", done.stderr)
        self.assertIn("Final test accuracy", done.stderr)


if __name__ == "__main__":
  absltest.main()
