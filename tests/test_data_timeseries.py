"""One-step-ahead windows (rnnjax.data.timeseries): shifted targets, windows inside one block,
the naive baseline, continuations, the synthetic series and the Jena hourly temperature."""
import os
import tempfile

import numpy as np
from absl.testing import absltest

import conftest
from rnnjax.data import jena, timeseries, windows
from test_data_jena import write_csv

STEPS, STEP = 4, 3


def block_of(blocks, row):
  """(part, index) of the block holding `row`."""
  return next((part, i) for part, ranges in blocks.items() for i, (a, b) in enumerate(ranges)
              if a <= row < b)


class WindowsTest(absltest.TestCase):

  def test_targets_are_the_inputs_one_step_later(self):
    series = np.arange(100, dtype=np.float32) * 0.5
    inputs, targets = timeseries.shifted_windows(series, np.array([0, 7]), STEPS, STEP)
    self.assertEqual(inputs.shape, (2, STEPS, 1))
    np.testing.assert_array_equal(inputs[1, :, 0], series[7:7 + STEPS * STEP:STEP])
    np.testing.assert_array_equal(targets[:, :-1], inputs[:, 1:])
    np.testing.assert_array_equal(targets[1, -1, 0], series[7 + STEPS * STEP])

  def test_no_window_uses_rows_of_two_blocks(self):
    series = np.arange(90, dtype=np.float32)
    blocks = windows.seasonal_blocks(90, (30, 15, 15))
    spec, starts = timeseries.window_splits(series, blocks, steps=STEPS, step=STEP, stride=1)
    for part in ("train", "validation", "test"):
      split = getattr(spec, part)
      self.assertLen(split, len(starts[part]))
      for s, window, target in zip(starts[part], split.inputs, split.labels):
        self.assertEqual(block_of(blocks, s), block_of(blocks, int(target[-1, 0])))
        self.assertEqual(block_of(blocks, s)[0], part)
        self.assertEqual(window[0, 0], s)                            # series[row] == row

  def test_a_block_too_short_for_one_window_names_the_part(self):
    blocks = windows.seasonal_blocks(60, (40, 10, 10))
    with self.assertRaisesRegex(ValueError, "No validation window"):
      timeseries.window_splits(np.zeros(60), blocks, steps=STEPS, step=STEP, stride=1)

  def test_naive_mse_is_the_mean_squared_one_step_change(self):
    series = np.arange(50, dtype=np.float32) ** 2
    spec, _ = timeseries.window_splits(series, windows.seasonal_blocks(50, (20, 15, 15)),
                                       steps=2, step=1, stride=1)
    diffs = np.diff(series) ** 2                                     # (2r + 1)^2 at row r
    starts = np.arange(35, 48)                                       # the test windows
    want = np.mean([diffs[s:s + 2] for s in starts])
    np.testing.assert_allclose(timeseries.naive_mse(spec.test), want, rtol=1e-6)


  def test_burn_in_steps_are_not_scored_by_the_model_or_the_naive_forecast(self):
    series = np.arange(50, dtype=np.float32) ** 2
    blocks = windows.seasonal_blocks(50, (20, 15, 15))
    spec, _ = timeseries.window_splits(series, blocks, steps=4, step=1, stride=1, burn_in=2)
    np.testing.assert_array_equal(spec.train.weights[:, :2], 0.0)
    np.testing.assert_array_equal(spec.train.weights[:, 2:], 1.0)
    batch = spec.train.train_batch(0, 3, seed=0)
    self.assertEqual(batch["weights"].shape, (3, 4))
    errors = np.square(spec.test.inputs - spec.test.labels)[:, 2:]   # steps 3 and 4
    np.testing.assert_allclose(timeseries.naive_mse(spec.test), errors.mean(), rtol=1e-6)
    with self.assertRaisesRegex(ValueError, "burn_in=4"):
      timeseries.window_splits(series, blocks, steps=4, step=1, stride=1, burn_in=4)


class SyntheticTest(absltest.TestCase):

  def test_the_lessons_series_in_held_out_blocks(self):
    data = timeseries.load_synthetic(t_max=12.0, resolution=0.1, oversample=2, steps=5,
                                     block_t=(4.0, 2.0, 2.0))
    t = np.array([0.0, 1.0, 2.5])
    np.testing.assert_allclose(timeseries.synthetic_series(t),
                               t * np.sin(t) / 3 + 2 * np.sin(5 * t))
    split = data.spec.test
    first = data.times[data.starts["test"][0]]
    self.assertAlmostEqual(first, 6.0)
    np.testing.assert_allclose(split.inputs[0, :, 0],
                               timeseries.synthetic_series(first + 0.1 * np.arange(5)),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(split.labels[0, :, 0],
                               timeseries.synthetic_series(first + 0.1 * np.arange(1, 6)),
                               rtol=1e-5, atol=1e-5)
    self.assertEqual(data.spec.num_classes, 0)
    prime, truth, row = data.continuation("validation", prime_steps=3, steps=10)
    np.testing.assert_allclose(np.concatenate([prime, truth]),
                               timeseries.synthetic_series(4.0 + 0.1 * np.arange(13)),
                               rtol=1e-5, atol=1e-5)
    self.assertEqual(row, data.blocks["validation"][0][0])
    with self.assertRaisesRegex(ValueError, "Ask for fewer steps"):
      data.continuation("test", prime_steps=3, steps=1000)


class JenaHourlyTest(absltest.TestCase):

  def test_hourly_temperature_normalised_with_the_training_rows(self):
    rows = 240
    values = np.random.default_rng(0).normal(size=(rows, 14)).round(2)
    values[:, 1] = np.arange(rows) % 50                      # T (degC)
    with tempfile.TemporaryDirectory() as tmp:
      write_csv(os.path.join(tmp, "weather_2020.csv"), values, keras=False)
      data = timeseries.load_jena(tmp, steps=3, step=6, stride=6, block_rows=(60, 30, 30))
    train_rows = np.concatenate([values[a:b, 1] for a, b in data.blocks["train"]])
    self.assertAlmostEqual(data.offset, train_rows.mean(), places=4)
    self.assertAlmostEqual(data.scale, train_rows.std(), places=4)
    degrees = data.offset + data.scale * data.spec.test.inputs[0, :, 0]
    first = data.starts["test"][0]
    np.testing.assert_allclose(degrees, values[first:first + 18:6, 1], atol=1e-3)
    np.testing.assert_allclose(data.times[6], 1.0)                  # hours
    self.assertEqual(data.value_unit, "T (degC)")

  def test_real_file_gives_hourly_windows_in_every_part(self):
    path = conftest.shared_data("jena_climate")
    data = timeseries.load_jena(path)
    for part in ("train", "validation", "test"):
      split = getattr(data.spec, part)
      self.assertEqual(split.inputs.shape[1:], (20, 1))
      self.assertGreater(len(split), 1000)
      self.assertBetween(timeseries.naive_mse(split), 0.005, 0.05)   # ~1 degC an hour
    self.assertEqual(data.blocks["test"][0][0], sum(jena.SEASONAL_BLOCK_ROWS[:2]))


if __name__ == "__main__":
  absltest.main()
