"""The time-series report (rnnjax.reports.timeseries): steps within the tolerance, the
continuation after a prime, and the figure."""
import os
import tempfile

import jax
import numpy as np
from absl.testing import absltest
import pytest

from rnnjax import models, train
from rnnjax.data import timeseries
from rnnjax.reports import timeseries as series_report

# setUpClass trains once for the whole class: keep its tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("reports_timeseries")

STEPS, H, GENERATE = 5, 3, 12


class StepsWithinTest(absltest.TestCase):

  def test_counts_the_steps_before_the_first_one_outside(self):
    truth = np.zeros(6)
    self.assertEqual(series_report.steps_within(np.array([0, .1, -.2, .5, 0, 0]), truth, .3), 3)
    self.assertEqual(series_report.steps_within(np.full(6, .3), truth, .3), 6)   # never leaves
    self.assertEqual(series_report.steps_within(np.full(6, 1.0), truth, .3), 0)


class ReportTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.data = timeseries.load_synthetic(t_max=12.0, oversample=2, steps=STEPS,
                                         block_t=(4.0, 2.0, 2.0))
    cls.model = models.build_tagger("gru", num_outputs=1, hidden_size=H)
    batch = cls.data.spec.train.batch(np.arange(3))
    cls.state = train.create_train_state(cls.model, jax.random.key(0), batch,
                                         train.make_optimizer("adam", 1e-3))

  def test_the_continuation_starts_with_the_prediction_after_the_prime(self):
    run = series_report.continuation(self.model, self.state, self.data, "validation",
                                     prime_steps=STEPS, steps=GENERATE, tolerance=0.1)
    self.assertEqual(run["generated"].shape, (GENERATE,))
    after_prime = series_report.predict_window(self.model, self.state, run["prime"][:, None])
    self.assertAlmostEqual(run["generated"][0], after_prime[-1], places=5)
    band = 0.1 * self.data.value_range
    self.assertEqual(run["within"], series_report.steps_within(run["generated"], run["truth"],
                                                               band))

  def test_split_predictions_are_one_row_per_window_with_or_without_burn_in(self):
    want = series_report.predict_window(self.model, self.state, self.data.spec.test.inputs[2])
    for burn_in in (0, 2):
      data = timeseries.load_synthetic(t_max=12.0, oversample=2, steps=STEPS, burn_in=burn_in,
                                       block_t=(4.0, 2.0, 2.0))
      predicted = series_report.predict_split(self.model, self.state, data.spec.test,
                                              batch_size=4)           # a padded last batch
      self.assertEqual(predicted.shape, (len(data.spec.test), STEPS))
      np.testing.assert_allclose(predicted[2], want, rtol=1e-5, atol=1e-6)

  def test_report_writes_the_figure_and_counts_both_parts(self):
    summaries = {"validation": {"mse": 0.5}, "test": {"mse": 0.25}}
    with tempfile.TemporaryDirectory() as tmp, self.assertLogs(level="INFO") as logs:
      rows = series_report.report(self.model, self.state, self.data, summaries, tmp,
                                  prime_steps=STEPS, generate_steps=GENERATE)
      self.assertGreater(os.path.getsize(rows["figure"]["path"]), 1000)
    for part in ("validation", "test"):
      self.assertBetween(rows[part]["within_steps"], 0, GENERATE)
      self.assertEqual(rows[part]["naive_mse"], timeseries.naive_mse(getattr(self.data.spec,
                                                                             part)))
    self.assertIn("Test MSE: model 0.25", "\n".join(logs.output))


if __name__ == "__main__":
  absltest.main()
