"""Shared flags reach the run: mnist.py --num_steps overrides --epochs with the seed-003
optimiser flags, --implementation reaches the recurrent layers, --tensorboard writes event
files. Subprocess runs on the MNIST IDX fixture of tests/seed_fixtures.py."""
import glob
import json
import os
import subprocess
import sys
import tempfile

from absl.testing import absltest

from rnnjax.trainer import tensorboard
from seed_fixtures import ROOT, write_mnist


def run_mnist(tmp: str, *flags: str) -> tuple[subprocess.CompletedProcess, str]:
  data = write_mnist(os.path.join(tmp, "data"))["data_dir"]
  workdir = os.path.join(tmp, "workdir")
  env = {**os.environ, "JAX_PLATFORMS": "cpu", "RNNJAX_DATA_DIR": os.path.join(tmp, "cache")}
  command = [sys.executable, os.path.join(ROOT, "experiments", "mnist.py"), f"--data_dir={data}",
             f"--workdir={workdir}", "--hidden_size=4", "--batch_size=4", "--validation=4",
             *flags]
  return subprocess.run(command, env=env, cwd=tmp, capture_output=True, text=True,
                        timeout=300), workdir


class ExperimentFlagsTest(absltest.TestCase):

  def test_num_steps_overrides_epochs_with_the_seed_003_optimiser(self):
    with tempfile.TemporaryDirectory() as tmp:
      done, workdir = run_mnist(tmp, "--model=mgu", "--epochs=50", "--num_steps=3",
                                "--learning_rate=1e-3", "--schedule=constant",
                                "--implementation=scan", "--input_dropout=0.1",
                                f"--tensorboard={tensorboard.available()}")
      self.assertEqual(done.returncode, 0, done.stderr[-4000:])
      with open(os.path.join(workdir, "metrics.jsonl")) as f:
        lines = [json.loads(line) for line in f]
      hparams = lines[0]["hparams"]
      self.assertEqual((hparams["num_steps"], hparams["learning_rate"], hparams["schedule"]),
                       (3, 1e-3, "constant"))
      self.assertEqual([r["step"] for r in lines if "step" in r], [1, 2, 3])  # 1 step per epoch
      events = glob.glob(os.path.join(workdir, "events.out.tfevents.*"))
      self.assertLen(events, 1 if tensorboard.available() else 0)

  def test_implementation_reaches_the_recurrent_layers(self):
    with tempfile.TemporaryDirectory() as tmp:
      done, _ = run_mnist(tmp, "--model=rnn", "--num_steps=1", "--implementation=fused")
      self.assertNotEqual(done.returncode, 0)
      self.assertIn('implementation="fused" cannot run this call', done.stderr)


if __name__ == "__main__":
  absltest.main()
