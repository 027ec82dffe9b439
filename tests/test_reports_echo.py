"""The Echo-RNN figure (rnnjax.reports.echo) and the per-step training losses it draws
(TrainConfig.step_losses): one loss per step, equal to the train step's own."""
import os
import tempfile

import jax
import numpy as np
from absl.testing import absltest
import pytest

from rnnjax import metrics, models, trainer
from rnnjax.data import echo
from rnnjax.reports import echo as echo_report

# setUpClass trains once for the whole class: keep its tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("reports_echo")

LENGTH, ECHO, ROWS, CHUNK, H = 24, 2, 2, 4, 3    # rows of 12 steps: 3 chunks


def tagger():
  return models.build_tagger("rnn", num_outputs=echo.NUM_CLASSES, hidden_size=H)


class EchoReportTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.tmp = tempfile.TemporaryDirectory()
    cls.data = echo.load(LENGTH, ECHO, ROWS, CHUNK, seed=0)
    cls.config = trainer.TrainConfig(optimizer="adagrad", learning_rate=0.3, batch_size=ROWS,
                                     num_steps=5, eval_every=3, seed=0, step_losses=True)
    cls.result = trainer.fit(tagger(), cls.data, cls.config, cls.tmp.name,
                             devices=jax.devices()[:1])

  @classmethod
  def tearDownClass(cls):
    cls.tmp.cleanup()
    super().tearDownClass()

  def test_every_step_loss_is_recorded_and_is_the_train_steps_loss(self):
    losses = echo_report.step_losses(self.tmp.name)
    self.assertLen(losses, self.config.num_steps)                     # records at 3 and 5
    init_key, _ = jax.random.split(jax.random.key(self.config.seed))   # as trainer.fit
    params_key, _ = jax.random.split(init_key)                         # as create_train_state
    batch = self.data.train.train_batch(0, ROWS, 0)
    model = tagger()
    params = model.init(params_key, batch["inputs"], batch["lengths"])
    logits = model.apply(params, batch["inputs"], batch["lengths"])          # [R, T, 2]
    want = metrics.softmax_cross_entropy(logits, batch["labels"]).mean()     # before step 1
    self.assertAlmostEqual(losses[0], float(want), places=5)

  def test_a_run_without_step_losses_is_an_error_that_says_how(self):
    with tempfile.TemporaryDirectory() as tmp:
      with open(os.path.join(tmp, "metrics.jsonl"), "w") as f:
        f.write('{"hparams": {}}\n{"step": 1, "train/loss": 0.5}\n')
      with self.assertRaisesRegex(ValueError, "step_losses=True"):
        echo_report.step_losses(tmp)

  def test_row_predictions_are_the_chunk_by_chunk_predictions(self):
    predicted = echo_report.predict_rows(tagger(), self.result.state, self.data.test)
    self.assertEqual(predicted.shape, (ROWS, LENGTH // ROWS))
    model, params = tagger(), {"params": self.result.state.params}
    carry = jax.tree.map(np.zeros_like, self.result.state.carry)
    for c in range(self.data.test.num_chunks):
      batch = self.data.test.chunk_batch(c)
      out, carry = model.apply(params, batch["inputs"], None, initial_state=carry,
                               return_state=True)
      np.testing.assert_array_equal(predicted[:, c * CHUNK:(c + 1) * CHUNK],
                                    np.argmax(out, axis=-1))

  def test_figure_is_written_and_a_bad_chunk_is_refused(self):
    predicted = np.zeros((ROWS, LENGTH // ROWS), np.int32)
    path = os.path.join(self.tmp.name, "echo.png")
    echo_report.figure(np.linspace(1.0, 0.1, 12), self.data.test, predicted, chunk=1,
                       png_path=path, steps_per_epoch=3)
    self.assertGreater(os.path.getsize(path), 1000)
    with self.assertRaisesRegex(ValueError, "chunk=3"):
      echo_report.figure(np.ones(3), self.data.test, predicted, chunk=3, png_path=path)


if __name__ == "__main__":
  absltest.main()
