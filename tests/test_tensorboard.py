"""TensorBoard event files (rnnjax.trainer.tensorboard), read back with the `tensorboard`
package's own event reader (EventAccumulator), which needs no TensorFlow: every scalar of every
metrics record at its step, list metrics per entry, the hyperparameters as an HParams session.
"""
import dataclasses
import importlib.util
import json
import os
import shutil
import tempfile

from absl.testing import absltest

from rnnjax import trainer
from rnnjax.trainer import tensorboard
from test_trainer import CONFIG, tiny_data
from test_train import TinyClassifier

READER = importlib.util.find_spec("tensorboard") is not None
HPARAMS = {"optimizer": "adam", "learning_rate": 1e-3, "batch_size": 128, "ema": False,
           "loss": None, "devices": (2,)}
RECORDS = [
    {"step": 3, "train/loss": 0.5, "eval/accuracy": 0.25, "eval/per_class_accuracy": [0.5, 1.0],
     "eval/confusion": [[1, 0], [0, 1]], "steps_per_sec": 12.5},
    {"step": 6, "train/loss": 0.25, "eval/accuracy": 0.75, "eval/per_class_accuracy": [1.0, 0.5],
     "eval/confusion": [[1, 0], [1, 0]], "steps_per_sec": 10.0},
    {"final_step": 6, "test/accuracy": 0.625},
]


def read_events(logdir: str):
  from tensorboard.backend.event_processing import event_accumulator  # noqa: PLC0415
  accumulator = event_accumulator.EventAccumulator(logdir)
  accumulator.Reload()
  return accumulator


def read_hparams(accumulator) -> dict:
  from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: PLC0415
  content = accumulator.PluginTagToContent("hparams")["_hparams_/session_start_info"]
  values = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info.hparams
  return {k: getattr(v, v.WhichOneof("kind")) for k, v in values.items()}


@absltest.skipUnless(tensorboard.available() and READER,
                     "needs tensorboardX (a dependency) and tensorboard (the [test] extra)")
class TensorBoardTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.workdir = tempfile.mkdtemp()
    self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)

  def test_every_scalar_of_every_record_at_its_step_and_the_hparams(self):
    writer = trainer.MetricsWriter(self.workdir, HPARAMS, tensorboard=True)
    for record in RECORDS:
      writer.write(record)
    writer.close()
    events = read_events(self.workdir)
    self.assertCountEqual(events.Tags()["scalars"], [
        "train/loss", "eval/accuracy", "eval/per_class_accuracy/0", "eval/per_class_accuracy/1",
        "steps_per_sec", "test/accuracy"])                      # the confusion matrix stays out
    series = lambda tag: [(e.step, e.value) for e in events.Scalars(tag)]  # noqa: E731
    self.assertEqual(series("train/loss"), [(3, 0.5), (6, 0.25)])
    self.assertEqual(series("eval/per_class_accuracy/1"), [(3, 1.0), (6, 0.5)])
    self.assertEqual(series("test/accuracy"), [(6, 0.625)])
    self.assertEqual(read_hparams(events), {"optimizer": "adam", "learning_rate": 1e-3,
                                            "batch_size": 128.0, "ema": False,
                                            "devices": "(2,)"})   # None left out

  def test_off_writes_no_event_files(self):
    writer = trainer.MetricsWriter(self.workdir, HPARAMS, tensorboard=False)
    writer.write(RECORDS[0])
    writer.close()
    self.assertEqual(os.listdir(self.workdir), [trainer.METRICS_FILE])

  def test_fit_writes_event_files_that_match_metrics_jsonl(self):
    config = dataclasses.replace(CONFIG, tensorboard=True, ema_decay=0.0)
    trainer.fit(TinyClassifier(), tiny_data(), config, self.workdir)
    with open(os.path.join(self.workdir, trainer.METRICS_FILE)) as f:
      lines = [json.loads(line) for line in f]
    events = read_events(self.workdir)
    got = [(e.step, e.value) for e in events.Scalars("eval/accuracy")]
    want = [(r["step"], r["eval/accuracy"]) for r in lines if "step" in r]
    self.assertEqual([s for s, _ in got], [3, 6])
    for (step, value), (want_step, want_value) in zip(got, want):
      self.assertEqual(step, want_step)
      self.assertAlmostEqual(value, want_value, places=6)
    self.assertEqual(read_hparams(events)["learning_rate"], CONFIG.learning_rate)


if __name__ == "__main__":
  absltest.main()
