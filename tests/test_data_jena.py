"""Jena climate loader: tiny CSVs in both date formats, cleaning, normalisation, windows."""
import datetime
import gzip
import lzma
import os
import tempfile
import urllib.request
import zipfile
from unittest import mock

import numpy as np
from absl.testing import absltest, parameterized

import conftest
from rnnjax.data import common, jena
from test_data_common import assert_short_and_unchained

R = 80                                            # rows in the fixture
WINDOWS = dict(lookback=12, step=3, delay=4, stride=2, split_rows=(40, 60))
STATION_EXTRA = ("rain (mm)", "SWDR (W/m\u00ef\u00bf\u00bd)", "OT")   # Latin-1 mojibake unit


def fixture_values(rows: int = R, columns: int = 14, seed: int = 0) -> np.ndarray:
  """[rows, columns]: smooth random walks; column 1 (T) = row index, for easy alignment checks."""
  values = np.cumsum(np.random.default_rng(seed).normal(size=(rows, columns)), axis=0)
  values[:, 1] = np.arange(rows)
  return np.round(values, 2)


def write_csv(path: str, values: np.ndarray, *, keras: bool = True,
              names: tuple[str, ...] = jena.KERAS_FEATURES, minutes: list[int] | None = None):
  """Writes a Jena CSV: Keras ('"Date Time"', dd.mm.yyyy) or station (date, ISO) flavour."""
  start = datetime.datetime(2009 if keras else 2020, 1, 1, 0, 10)
  minutes = minutes if minutes is not None else [10 * r for r in range(len(values))]
  fmt = "%d.%m.%Y %H:%M:%S" if keras else "%Y-%m-%d %H:%M:%S"
  header = ",".join(f'"{n}"' for n in ("Date Time",) + names) if keras else \
      ",".join(("date",) + names)
  lines = [header] + [
      ",".join([(start + datetime.timedelta(minutes=m)).strftime(fmt)] + [f"{v:g}" for v in row])
      for m, row in zip(minutes, values)]
  raw = ("\r\n" if not keras else "\n").join(lines).encode("latin-1")
  if path.endswith(".zip"):
    with zipfile.ZipFile(path, "w") as z:
      z.writestr(os.path.basename(path)[:-4], raw)
  else:
    opener = {".gz": gzip.open, ".xz": lzma.open}.get(os.path.splitext(path)[1], open)
    with opener(path, "wb") as f:
      f.write(raw)


class JenaTest(parameterized.TestCase):

  def setUp(self):
    super().setUp()
    tmp = tempfile.TemporaryDirectory()          # absltest's create_tempdir needs parsed flags
    self.addCleanup(tmp.cleanup)
    self.root = tmp.name

  def path(self, name: str = jena.KERAS_FILE) -> str:
    return os.path.join(self.root, name)

  def test_keras_format_reads_dates_and_columns(self):
    values = fixture_values()
    write_csv(self.path(), values)
    table = jena.read_csv(self.path())
    self.assertEqual(table.names, jena.KERAS_FEATURES)
    self.assertEqual(table.times[0], np.datetime64("2009-01-01T00:10:00"))
    self.assertEqual(table.times[-1] - table.times[-2], np.timedelta64(600, "s"))
    np.testing.assert_allclose(table.values, values)

  @parameterized.named_parameters(("plain", ""), ("gz", ".gz"), ("xz", ".xz"), ("zip", ".zip"))
  def test_station_format_and_compression(self, suffix):
    values = fixture_values(columns=17)
    names = jena.KERAS_FEATURES + STATION_EXTRA
    write_csv(self.path("weather_2020.csv" + suffix), values, keras=False, names=names)
    data = jena.load(self.root, features=("T", "swdr", "p"), target="t", **WINDOWS)
    self.assertEqual(data.feature_names, ("T (degC)", names[15], "p (mbar)"))
    self.assertEqual(data.target_index, 0)
    self.assertEqual(data.spec.train.inputs.shape, (12, 4, 3))   # (40-1-16)//2+1 windows
    self.assertEqual((data.spec.num_classes, data.spec.feature_dim), (0, 3))

  def test_sentinel_is_interpolated_in_time(self):
    values = fixture_values(rows=4)
    values[:, 11] = [0.0, -9999.0, 3.0, -9999]
    write_csv(self.path("weather.csv"), values, keras=False, minutes=[0, 10, 30, 40])
    filled = jena.read_csv(self.path("weather.csv")).values[:, 11]
    np.testing.assert_allclose(filled, [0.0, 1.0, 3.0, 3.0])    # in time (not 1.5); edge held

  def test_column_without_valid_values_raises(self):
    values = fixture_values()
    values[:, 12] = -9999.0
    write_csv(self.path(), values)
    with self.assertRaisesRegex(ValueError, "max. wv.*no valid value"):
      jena.load(self.root, **WINDOWS)
    jena.load(self.root, features=("p", "T"), **WINDOWS)           # unselected: fine

  def test_missing_feature_raises(self):
    write_csv(self.path(), fixture_values())
    with self.assertRaisesRegex(ValueError, "SWDR"):
      jena.load(self.root, features=("T", "SWDR"), **WINDOWS)

  def test_normalisation_uses_training_rows_only(self):
    values = fixture_values()
    values[40:, 0] += 1000.0                      # pressure jumps after the training rows
    write_csv(self.path(), values)
    data = jena.load(self.root, **WINDOWS)
    np.testing.assert_allclose(data.mean, values[:40].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(data.std, values[:40].std(axis=0), rtol=1e-6)
    self.assertAlmostEqual(data.target_mean, 19.5, places=5)     # T = row index 0..39
    self.assertAlmostEqual(data.target_std, np.arange(40).std(), places=5)

  def test_windows_and_targets_align_within_splits(self):
    values = fixture_values()
    write_csv(self.path(), values)
    data = jena.load(self.root, **WINDOWS)
    norm = ((values - data.mean) / data.std).astype(np.float32)   # [R, F]
    for name, start, end in (("train", 0, 40), ("validation", 40, 60), ("test", 60, R)):
      split = getattr(data.spec, name)
      self.assertEqual(split.inputs.dtype, np.float32)
      self.assertEqual(split.labels.dtype, np.float32)
      np.testing.assert_array_equal(split.lengths, np.full(len(split), 4))
      for k in range(len(split)):
        i = start + 12 + 2 * k                    # the window's exclusive end row
        np.testing.assert_allclose(split.inputs[k], norm[i - 12:i:3], rtol=1e-6)
        self.assertAlmostEqual(split.labels[k], norm[i + 4, 1], places=5)  # T, delay after
        self.assertLess(i + 4, end)
    self.assertEqual([len(data.spec.validation), len(data.spec.test)], [2, 2])
    self.assertAlmostEqual(data.spec.validation.labels[0] * data.target_std + data.target_mean,
                           40 + 12 + 4, places=3)  # T is the row index

  def test_naive_mae_uses_the_last_input_step(self):
    write_csv(self.path(), fixture_values())
    data = jena.load(self.root, **WINDOWS)
    # T = row index: the last input is row i - 3, the target row i + 4: 7 rows apart.
    self.assertAlmostEqual(data.naive_mae("train"), 7 / data.target_std, places=5)
    self.assertAlmostEqual(data.to_degrees(data.naive_mae("test")), 7.0, places=4)

  def test_chronological_split_defaults_to_the_seed_rows(self):
    write_csv(self.path(), fixture_values())
    with self.assertRaisesRegex(ValueError, "split_rows"):       # 80 rows < 200,000
      jena.load(self.root, split_rows=(50, 40))
    with self.assertRaisesRegex(ValueError, "leaves no validation and no test window.*rows "
                                            "train 0-60, validation 60-70, test 70-80"):
      jena.load(self.root, lookback=30, step=3, delay=4, split_rows=(60, 70))
    data = jena.load(self.root, lookback=6, step=3, delay=2, stride=1,
                     split="chronological")   # a short file: 50/25/25%
    self.assertLen(data.spec.train, 40 - 8)
    self.assertEqual(data.blocks, {"train": ((0, 40),), "validation": ((40, 60),),
                                   "test": ((60, R),)})
    self.assertIsInstance(data.spec.train.inputs, np.ndarray)   # one block: still a plain view
    self.assertFalse(data.spec.train.inputs.flags.writeable)

  def test_offline_empty_folder_names_flag_and_files(self):
    offline = mock.patch.object(urllib.request, "urlopen", side_effect=OSError("offline"))
    with offline, self.assertRaises(common.DataNotFoundError) as cm:
      jena.load(self.root)
    self.assertIn("--data_dir", str(cm.exception))
    self.assertIn("jena_climate_2009_2016.csv", str(cm.exception))
    self.assertIn("weather_2020.csv", str(cm.exception))
    assert_short_and_unchained(self, cm.exception)

  def test_missing_data_dir_is_not_created(self):
    missing = os.path.join(self.root, "nothing")
    with self.assertRaisesRegex(common.DataNotFoundError, "does not exist"):
      jena.load(missing)
    self.assertFalse(os.path.exists(missing))

  @parameterized.named_parameters(("nan", np.nan, "nan"), ("inf", np.inf, "inf"),
                                  ("minus_inf_is_no_sentinel", -np.inf, "-inf"))
  def test_non_finite_value_names_file_line_column_and_feature(self, value, shown):
    values = fixture_values()
    values[5, 3] = value
    write_csv(self.path(), values)
    with open(self.path()) as f:
      lines = f.read().split("\n")
    with open(self.path(), "w") as f:             # a blank line: line numbers count it
      f.write("\n".join(lines[:2] + [""] + lines[2:]))
    with self.assertRaisesRegex(ValueError, f"{jena.KERAS_FILE}, line 8, column 5 "
                                            f"\\('Tdew \\(degC\\)'\\): {shown} is not a finite "
                                            "number.*-9999") as cm:
      jena.load(self.root, features=("T", "p"), **WINDOWS)      # unselected columns too
    assert_short_and_unchained(self, cm.exception)

  def test_corrupt_files_raise_value_error(self):
    write_csv(self.path("weather.csv.xz"), fixture_values(), keras=False)
    os.truncate(self.path("weather.csv.xz"), 100)
    with self.assertRaisesRegex(ValueError, "truncated or corrupt") as cm:
      jena.read_csv(self.path("weather.csv.xz"))
    assert_short_and_unchained(self, cm.exception)
    with open(self.path("bad.csv"), "w") as f:
      f.write("date,p (mbar),T (degC)\n2020-01-01 00:10:00,1000.0,oops\n")
    with self.assertRaisesRegex(ValueError, "malformed") as cm:
      jena.read_csv(self.path("bad.csv"))
    assert_short_and_unchained(self, cm.exception)

  def test_several_csvs_need_a_filename(self):
    write_csv(self.path("a.csv"), fixture_values(), keras=False)
    write_csv(self.path("b.csv.gz"), fixture_values(), keras=False)
    with self.assertRaisesRegex(ValueError, "filename="):
      jena.load(self.root, **WINDOWS)
    self.assertLen(jena.load(self.root, filename="b.csv.gz", **WINDOWS).spec.test, 2)


class JenaRealDataTest(absltest.TestCase):

  def test_real_2020_file(self):
    path = conftest.shared_data("jena_climate", "weather_2020.csv.xz")
    raw = jena.read_csv(path, fill=False)
    self.assertEqual(raw.values.shape, (52696, 21))
    self.assertLen(raw.names, 21)                 # + the date column = 22
    self.assertEqual(int(np.isnan(raw.values).sum()), 81)   # -9999 sentinels (README)
    self.assertFalse(np.isnan(jena.fill_missing(raw).values).any())
    data = jena.load(os.path.dirname(path), split="chronological")
    self.assertEqual(data.spec.train.inputs.shape[1:], (240, 14))
    self.assertBetween(data.to_degrees(data.naive_mae("validation")), 1.5, 4.5)


if __name__ == "__main__":
  absltest.main()
