"""Jena's seasonal split: blocks that cycle through the year, windows that never straddle two
parts, training-only statistics, argument checks, and the lazily gathered WindowArray."""
import os
import tempfile

import numpy as np
from absl.testing import absltest, parameterized

import conftest
from rnnjax.data import jena, windows
from test_data_jena import fixture_values, write_csv

SEASONAL = dict(lookback=12, step=3, delay=4, stride=2, block_rows=(30, 20, 20))
SEASONAL_R = 200                                  # cycles of 70 rows; the last one is cut short


class JenaSeasonalSplitTest(parameterized.TestCase):
  """split="seasonal": cycles of train / validation / test blocks (here 30 / 20 / 20 rows)."""

  def setUp(self):
    super().setUp()
    tmp = tempfile.TemporaryDirectory()
    self.addCleanup(tmp.cleanup)
    self.root = tmp.name
    self.values = fixture_values(rows=SEASONAL_R)  # column 1 (T) = the row index
    write_csv(os.path.join(self.root, jena.KERAS_FILE), self.values)

  def rows_of(self, data, split):
    """(first input row [N], label row [N]) of every window, read back from T = row index."""
    s = getattr(data.spec, split)
    first = np.asarray(s.inputs)[:, 0, 1] * data.std[1] + data.mean[1]
    label = s.labels * data.target_std + data.target_mean
    return np.round(first).astype(int), np.round(label).astype(int)

  def test_blocks_cycle_from_row_zero(self):
    data = jena.load(self.root, **SEASONAL)
    self.assertEqual(data.blocks, {
        "train": ((0, 30), (70, 100), (140, 170)),
        "validation": ((30, 50), (100, 120), (170, 190)),
        "test": ((50, 70), (120, 140), (190, 200))})          # the last test block is cut
    # Per block (30 - 1 - 16) // 2 + 1 = 7 train windows, (20 - 1 - 16) // 2 + 1 = 2 others;
    # the 10-row test block at the end is too short for a window.
    self.assertEqual([len(data.spec.train), len(data.spec.validation), len(data.spec.test)],
                     [21, 6, 4])

  def test_windows_never_straddle_parts(self):
    data = jena.load(self.root, **SEASONAL)
    extent = SEASONAL["lookback"] + SEASONAL["delay"]
    used = {}
    for split in ("train", "validation", "test"):
      first, label = self.rows_of(data, split)
      np.testing.assert_array_equal(label - first, extent)
      inside = [any(a <= f and l < b for a, b in data.blocks[split])
                for f, l in zip(first, label)]
      self.assertTrue(all(inside), split)          # each window inside one block of its part
      used[split] = (set(np.concatenate([np.arange(f, l + 1) for f, l in zip(first, label)])),
                     label)
    for a, b in (("train", "validation"), ("train", "test"), ("validation", "test")):
      self.assertEmpty(used[a][0] & used[b][0], f"{a} and {b} share rows")
      gaps = np.abs(used[a][1][:, None] - used[b][1][None, :])
      self.assertGreater(gaps.min(), extent)         # labels > lookback + delay rows apart

  def test_windows_and_labels_align(self):
    data = jena.load(self.root, **SEASONAL)
    norm = ((self.values - data.mean) / data.std).astype(np.float32)   # [R, F]
    for split in ("train", "validation", "test"):
      s = getattr(data.spec, split)
      first, label = self.rows_of(data, split)
      for k in range(len(s)):
        np.testing.assert_allclose(s.inputs[k], norm[first[k]:first[k] + 12:3], rtol=1e-6)
        self.assertAlmostEqual(float(s.labels[k]), float(norm[label[k], 1]), places=5)
      np.testing.assert_array_equal(s.lengths, np.full(len(s), 4))
      self.assertEqual(s.inputs.shape, (len(s), 4, 14))
      self.assertEqual(s.inputs.dtype, np.float32)

  def test_normalisation_uses_training_blocks_only(self):
    data = jena.load(self.root, **SEASONAL)
    rows = np.concatenate([np.arange(a, b) for a, b in data.blocks["train"]])
    np.testing.assert_allclose(data.mean, self.values[rows].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(data.std, self.values[rows].std(axis=0), rtol=1e-6)

  def test_seasonal_is_the_default_and_split_rows_means_chronological(self):
    with self.assertRaisesRegex(ValueError, r"split='seasonal' leaves no validation and no test "
                                            r"window in the 200 rows.*block_rows=\(6048, 3024, "
                                            r"3024\).*split='chronological'"):
      jena.load(self.root, lookback=12, step=3, delay=4)
    self.assertEqual(jena.SEASONAL_BLOCK_ROWS, (6048, 3024, 3024))   # 6 / 3 / 3 weeks of rows
    data = jena.load(self.root, lookback=12, step=3, delay=4, split_rows=(100, 150))
    self.assertEqual(data.blocks["validation"], ((100, 150),))

  def test_a_validation_block_of_zero_rows_refits_on_training_and_validation_rows(self):
    held_out = jena.load(self.root, **SEASONAL)
    refit = jena.load(self.root, **{**SEASONAL, "block_rows": (50, 0, 20)})
    self.assertIsNone(refit.spec.validation)
    self.assertEqual(refit.blocks["test"], held_out.blocks["test"])       # the same test rows
    self.assertEqual(refit.blocks["train"], ((0, 50), (70, 120), (140, 190)))
    np.testing.assert_array_equal(refit.spec.test.labels * refit.target_std + refit.target_mean,
                                  held_out.spec.test.labels * held_out.target_std
                                  + held_out.target_mean)
    # Per 50-row block (50 - 1 - 16) // 2 + 1 = 17 windows: more than the 7 + 2 held out.
    self.assertLen(refit.spec.train, 51)
    first, label = self.rows_of(refit, "train")
    self.assertTrue(all(any(a <= f and l < b for a, b in refit.blocks["train"])
                        for f, l in zip(first, label)))
    self.assertEqual(jena.REFIT_BLOCK_ROWS, (9072, 0, 3024))   # SEASONAL_BLOCK_ROWS' 6 + 3 weeks

  def test_folds_move_the_validation_block_through_the_training_rows_never_the_test_block(self):
    rows = {f: jena.load(self.root, **{**SEASONAL, "block_rows": (40, 20, 20)}, fold=f).blocks
            for f in range(3)}
    self.assertEqual(windows.seasonal_folds((40, 20, 20)), 3)
    self.assertEqual(rows[1], {"train": ((0, 20), (40, 60), (80, 100), (120, 140), (160, 180)),
                               "validation": ((20, 40), (100, 120), (180, 200)),
                               "test": ((60, 80), (140, 160))})
    self.assertEqual(rows[2]["validation"], ((0, 20), (80, 100), (160, 180)))
    self.assertEqual(rows[2]["train"], ((20, 60), (100, 140), (180, 200)))
    for f in (1, 2):
      self.assertEqual(rows[f]["test"], rows[0]["test"])
    # The three folds' validation blocks tile each cycle's rows outside its test block.
    held = sorted(r for f in range(3) for r in rows[f]["validation"])
    outside_test = sorted((a, b) for a, b in rows[0]["train"] + rows[0]["validation"])
    self.assertEqual([r for r in held if r[0] < 160],
                     [(a, a + 20) for a, b in outside_test if a < 160 for a in range(a, b, 20)])
    data = jena.load(self.root, **{**SEASONAL, "block_rows": (40, 20, 20)}, fold=1)
    for split in ("train", "validation"):
      first, label = self.rows_of(data, split)
      self.assertTrue(all(any(a <= f and l < b for a, b in data.blocks[split])
                          for f, l in zip(first, label)), split)

  @parameterized.named_parameters(
      ("past_the_training_rows", dict(fold=2), r"fold=2 must be an integer in \[0, 2\)"),
      ("negative", dict(fold=-1), r"fold=-1 must be an integer in \[0, 2\)"),
      ("without_validation", dict(fold=1, block_rows=(50, 0, 20)), "no validation block"),
      ("chronological", dict(fold=1, split="chronological", block_rows=None),
       "fold=1 applies to split='seasonal'"))
  def test_bad_folds_are_named_before_reading(self, kwargs, pattern):
    with self.assertRaisesRegex(ValueError, pattern):
      jena.load(os.path.join(self.root, "missing"), **{**SEASONAL, **kwargs})

  def test_derived_features_follow_the_tensorflow_tutorial(self):
    plain = jena.load(self.root, **SEASONAL)
    data = jena.load(self.root, **SEASONAL, derived=("wind", "day", "year"))
    names = list(jena.KERAS_FEATURES[:11]) + ["Wx (m/s)", "Wy (m/s)", "max. Wx (m/s)",
                                              "max. Wy (m/s)", "day sin", "day cos",
                                              "year sin", "year cos"]
    self.assertEqual(data.feature_names, tuple(names))
    self.assertEqual(data.spec.feature_dim, 19)
    self.assertEqual(data.spec.train.inputs.shape[-1], 19)
    self.assertEqual(data.target_index, plain.target_index)
    np.testing.assert_array_equal(data.spec.test.labels, plain.spec.test.labels)
    # Row 0 in the raw units: wind components from speed and direction; 2009-01-01 00:10.
    raw = np.asarray(data.spec.train.inputs)[0, 0] * data.std + data.mean            # [F]
    wv, max_wv, wd = self.values[0, 11], self.values[0, 12], np.deg2rad(self.values[0, 13])
    np.testing.assert_allclose(raw[11:15], [wv * np.cos(wd), wv * np.sin(wd),
                                            max_wv * np.cos(wd), max_wv * np.sin(wd)],
                               rtol=1e-4, atol=1e-4)
    day = 2 * np.pi * 10 / (24 * 60)
    np.testing.assert_allclose(raw[15:17], [np.sin(day), np.cos(day)], atol=1e-5)
    seconds = np.datetime64("2009-01-01T00:10:00", "s").astype(np.int64)
    year = 2 * np.pi * seconds / (365.2425 * 86400)
    np.testing.assert_allclose(raw[17:], [np.sin(year), np.cos(year)], atol=1e-5)

  @parameterized.named_parameters(
      ("unknown", dict(derived=("wind", "moon")), r"derived=\['wind', 'moon'\] must name each"),
      ("twice", dict(derived=("day", "day")), "at most once"),
      ("wind_without_direction", dict(derived=("wind",), features=("T", "wv")),
       "derived 'wind' needs the features wd"))
  def test_bad_derived_features_are_named(self, kwargs, pattern):
    with self.assertRaisesRegex(ValueError, pattern):
      jena.load(self.root, **{**SEASONAL, **kwargs})

  @parameterized.named_parameters(
      ("unknown_split", dict(split="random"), r"split='random' must be one of \['seasonal', "
                                              r"'chronological'\]"),
      ("rows_with_seasonal", dict(split="seasonal", split_rows=(40, 60)),
       "split_rows=.* applies to split='chronological'"),
      ("blocks_with_chronological", dict(split="chronological", block_rows=(30, 20, 20)),
       "block_rows=.* applies to split='seasonal'"),
      ("block_too_short", dict(block_rows=(30, 16, 20)), r"each > lookback \+ delay = 16"),
      ("train_block_zero", dict(block_rows=(0, 30, 20)), r"validation may be 0"),
      ("test_block_zero", dict(block_rows=(30, 20, 0)), r"validation may be 0"),
      ("two_blocks", dict(block_rows=(30, 20)), "must be three integers"),
      ("fractional_rows", dict(split_rows=(40.5, 60)), "must be two positive integers"),
      ("lookback_zero", dict(lookback=0), "lookback=0 must be an integer >= 1"),
      ("negative_delay", dict(delay=-1), "delay=-1 must be an integer >= 0"),
      ("fractional_stride", dict(stride=1.5), "stride=1.5 must be an integer >= 1"),
      ("step_over_lookback", dict(step=13), "step=13 must be <= lookback=12"),
  )
  def test_bad_split_arguments_are_named_before_reading(self, kwargs, pattern):
    args = {**SEASONAL, **kwargs}
    if "block_rows" not in kwargs and ("split_rows" in kwargs or
                                       kwargs.get("split") == "chronological"):
      del args["block_rows"]
    with self.assertRaisesRegex(ValueError, pattern):
      jena.load(os.path.join(self.root, "missing"), **args)   # no file read first

  def test_window_array_indexes_like_the_array_it_stands_for(self):
    inputs = jena.load(self.root, **SEASONAL).spec.train.inputs
    self.assertIsInstance(inputs, windows.WindowArray)
    full = np.asarray(inputs)                       # [N, T, F]
    self.assertEqual((full.shape, full.dtype), (inputs.shape, inputs.dtype))
    mask = np.arange(len(inputs)) % 3 == 0
    for key in (3, -1, slice(2, 9, 3), np.array([4, 0, 2]), [1, 1], mask, (slice(None), -1, 1),
                (np.array([1, 2]), slice(None), np.array([0, 2])), (slice(1, 3), 0, [0, 2]),
                (5, slice(None), [3, 1]), (Ellipsis, 0)):
      np.testing.assert_array_equal(inputs[key], full[key], err_msg=str(key))


class JenaSeasonalRealDataTest(absltest.TestCase):

  def test_real_seasonal_split_trains_on_every_season(self):
    path = conftest.shared_data("jena_climate", "weather_2020.csv.xz")
    data = jena.load(os.path.dirname(path), stride=1)               # the default: seasonal
    months = jena.read_csv(path, fill=False).times.astype("datetime64[M]").astype(int) % 12 + 1
    extent = 1440 + 144
    for split in ("train", "validation", "test"):
      labelled = np.concatenate([np.arange(a + extent, b) for a, b in data.blocks[split]])
      self.assertLen(getattr(data.spec, split), len(labelled))      # stride 1: one per row
      seasons = {(m % 12) // 3 for m in months[labelled].tolist()}   # DJF, MAM, JJA, SON
      self.assertEqual(seasons, {0, 1, 2, 3}, split)                  # labels in every season
    self.assertEqual(data.spec.train.inputs.shape[1:], (240, 14))
    self.assertBetween(data.to_degrees(data.naive_mae("test")), 1.5, 4.5)


if __name__ == "__main__":
  absltest.main()
