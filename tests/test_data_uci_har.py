"""Tests for rnnjax.data.uci_har on a tiny fixture in the original "UCI HAR Dataset" layout."""
import io
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from unittest import mock

import numpy as np
import pytest
from absl.testing import absltest, parameterized

from rnnjax.data import common, uci_har
from conftest import shared_data
from test_data_common import assert_short_and_unchained

N = {"train": 10, "test": 6}

T, D = uci_har.NUM_STEPS, len(uci_har.CHANNELS)
TEST_OFFSET = 5.0  # test windows are shifted, so train and test statistics differ
NAMES = ("WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING")


def _labels(split):  # file labels 1..6
  return (np.arange(N[split]) % 6 + 1) if split == "train" else np.array([6, 5, 4, 3, 2, 1])


def _subjects(split):
  return np.array([1, 3, 5, 7, 1, 3, 5, 7, 1, 3]) if split == "train" else np.array([2, 4] * 3)


def _signals(split):
  """[N, T, D] float32: channel c holds values in 10c +- 1 (+ TEST_OFFSET on test)."""
  rng = np.random.default_rng(0 if split == "train" else 1)
  x = rng.uniform(-1, 1, (N[split], T, D)) + 10.0 * np.arange(D)
  return (x + (TEST_OFFSET if split == "test" else 0.0)).astype(np.float32)


def _write_dataset(parent):
  """Writes the fixture as `parent/UCI HAR Dataset/...`, '%15.7e' like the original files."""
  root = os.path.join(parent, uci_har.FOLDER)
  for split in uci_har.SPLITS:
    signals = os.path.join(root, split, "Inertial Signals")
    os.makedirs(signals)
    for c, name in enumerate(uci_har.CHANNELS):
      np.savetxt(os.path.join(signals, f"{name}_{split}.txt"), _signals(split)[:, :, c],
                 fmt="%15.7e", delimiter="")
    np.savetxt(os.path.join(root, split, f"y_{split}.txt"), _labels(split), fmt="%d")
    np.savetxt(os.path.join(root, split, f"subject_{split}.txt"), _subjects(split), fmt="%d")
  with open(os.path.join(root, "activity_labels.txt"), "w") as f:
    f.writelines(f"{i} {n}\n" for i, n in enumerate(NAMES, start=1))
  return root


def _zip_folder(folder, zip_path):
  with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
    zf.writestr("__MACOSX/._junk", b"junk")  # the original zip carries such entries
    for dirpath, _, files in os.walk(folder):
      for name in files:
        path = os.path.join(dirpath, name)
        zf.write(path, os.path.relpath(path, os.path.dirname(folder)))
  return zip_path


def _tempdir(test):
  """A fresh folder removed after `test` (absltest's create_tempdir needs parsed flags)."""
  tmp = tempfile.TemporaryDirectory()
  test.addCleanup(tmp.cleanup)
  return tmp.name


def _edit_line(path, line, new_text):
  with open(path) as f:
    lines = f.read().splitlines()
  lines[line - 1] = new_text
  with open(path, "w") as f:
    f.write("\n".join(lines) + "\n")


class UciHarTest(parameterized.TestCase):

  def setUp(self):
    super().setUp()
    self.cache = _tempdir(self)
    self.enter_context(mock.patch.dict(os.environ, {common.CACHE_ENV: self.cache}))
    self.enter_context(mock.patch.object(  # no test may touch the network
        urllib.request, "urlopen", side_effect=urllib.error.URLError("offline (test)")))
    self.parent = _tempdir(self)
    self.folder = _write_dataset(self.parent)

  def _signal_file(self, split, channel):
    return os.path.join(self.folder, split, "Inertial Signals", f"{channel}_{split}.txt")

  def test_shapes_dtypes_and_lengths(self):
    data = uci_har.load(self.parent)
    for split, s in (("train", data.train), ("test", data.test)):
      self.assertEqual(s.inputs.shape, (N[split], T, D))
      self.assertEqual(s.inputs.dtype, np.float32)
      self.assertEqual(s.labels.dtype, np.int32)
      np.testing.assert_array_equal(s.lengths, np.full(N[split], T, np.int32))
    self.assertEqual((data.num_classes, data.feature_dim), (6, 9))

  def test_values_and_channel_order(self):
    data = uci_har.load(self.parent)
    for split, s in (("train", data.train), ("test", data.test)):
      np.testing.assert_allclose(s.inputs, _signals(split), rtol=1e-6)
      centres = s.inputs.mean(axis=(0, 1)) - (TEST_OFFSET if split == "test" else 0.0)
      np.testing.assert_allclose(centres, 10.0 * np.arange(D), atol=0.2)

  def test_labels_class_names_and_subjects(self):
    data = uci_har.load(self.parent)
    np.testing.assert_array_equal(data.train.labels, _labels("train") - 1)
    np.testing.assert_array_equal(data.test.labels, [5, 4, 3, 2, 1, 0])
    self.assertEqual(data.class_names, NAMES)
    train_subjects, test_subjects = uci_har.load_subjects(self.parent)
    np.testing.assert_array_equal(train_subjects, _subjects("train"))
    np.testing.assert_array_equal(test_subjects, _subjects("test"))
    self.assertEqual(train_subjects.dtype, np.int32)

  @parameterized.named_parameters(("parent", ""), ("folder_itself", uci_har.FOLDER))
  def test_accepts_parent_or_dataset_folder(self, suffix):
    data = uci_har.load(os.path.join(self.parent, suffix))
    np.testing.assert_allclose(data.train.inputs, _signals("train"), rtol=1e-6)

  def test_default_location_is_env_cache(self):
    _write_dataset(os.path.join(self.cache, "uci_har"))
    self.assertLen(uci_har.load().train, N["train"])

  def test_zip_is_extracted_once(self):
    zip_path = _zip_folder(self.folder, os.path.join(self.parent, uci_har.ZIP_NAME))
    with mock.patch.object(uci_har, "_extract_members", wraps=uci_har._extract_members) as ex:
      first, second = uci_har.load(zip_path), uci_har.load(zip_path)
    self.assertEqual(ex.call_count, 1)
    for data in (first, second):
      np.testing.assert_allclose(data.test.inputs, _signals("test"), rtol=1e-6)
      self.assertEqual(data.class_names, NAMES)
    self.assertTrue(os.path.isdir(os.path.join(self.cache, "uci_har", "unzipped", uci_har.FOLDER)))

  def test_download_unwraps_uci_archive(self):
    inner = _zip_folder(self.folder, os.path.join(self.parent, uci_har.ZIP_NAME))
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as zf:
      zf.write(inner, uci_har.ZIP_NAME)
      zf.writestr("UCI HAR Dataset.names", "description")
    target = _tempdir(self)
    with mock.patch.object(urllib.request, "urlopen",
                           return_value=io.BytesIO(outer.getvalue())) as urlopen:
      data = uci_har.load(target)
    self.assertEqual(urlopen.call_args.args[0], uci_har.URL)
    self.assertTrue(os.path.isfile(os.path.join(target, uci_har.ARCHIVE_NAME)))
    np.testing.assert_allclose(data.train.inputs, _signals("train"), rtol=1e-6)

  def test_offline_raises_data_not_found_with_instructions(self):
    empty = _tempdir(self)
    with self.assertRaises(common.DataNotFoundError) as cm:
      uci_har.load(empty)
    for needle in (empty, uci_har.FOLDER, "--data_dir", common.CACHE_ENV, uci_har.URL):
      self.assertIn(needle, str(cm.exception))

  def test_standardize_uses_train_statistics_only(self):
    data = uci_har.load(self.parent, standardize=True)
    train = data.train.inputs.astype(np.float64)
    np.testing.assert_allclose(train.mean(axis=(0, 1)), 0.0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=(0, 1)), 1.0, rtol=1e-5)
    raw = _signals("train").astype(np.float64)
    expected = (_signals("test") - raw.mean(axis=(0, 1))) / raw.std(axis=(0, 1))
    np.testing.assert_allclose(data.test.inputs, expected, rtol=1e-4, atol=1e-4)
    self.assertTrue(np.all(data.test.inputs.mean(axis=(0, 1)) > 5.0))  # not re-centred

  def test_cache_hit_and_invalidation(self):
    with mock.patch.object(uci_har, "_parse_folder", wraps=uci_har._parse_folder) as parse:
      uci_har.load(self.parent)
      uci_har.load(self.parent)
      self.assertEqual(parse.call_count, 1)
      path = self._signal_file("train", "body_gyro_y")
      _edit_line(path, 2, "".join(f"{v:15.7e}" for v in np.full(T, 123.0)))
      os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
      data = uci_har.load(self.parent)
      self.assertEqual(parse.call_count, 2)
    np.testing.assert_array_equal(data.train.inputs[1, :, 4], 123.0)

  def test_missing_file_is_named(self):
    path = self._signal_file("test", "body_gyro_y")
    os.remove(path)
    with self.assertRaisesRegex(common.DataNotFoundError, path):
      uci_har.load(self.parent)

  def test_row_count_mismatch(self):
    path = self._signal_file("train", "total_acc_z")
    with open(path) as f:
      lines = f.readlines()
    with open(path, "w") as f:
      f.writelines(lines[:-1])
    with self.assertRaisesRegex(ValueError, r"total_acc_z_train.txt: 9.*y_train.txt: 10"):
      uci_har.load(self.parent)

  @parameterized.named_parameters(
      ("short_row", ("train", "Inertial Signals/body_acc_y_train.txt"), 3, "1.0 " * 127,
       r"body_acc_y_train.txt, line 3: expected 128 values, found 127"),
      ("not_a_number", ("test", "Inertial Signals/total_acc_x_test.txt"), 4, "abc " * 128,
       r"total_acc_x_test.txt, line 4: 'abc' is not a number"),
      ("label_too_big", ("test", "y_test.txt"), 2, "7", r"y_test.txt, line 2: 7 is not"),
      ("label_zero", ("train", "y_train.txt"), 5, "0", r"y_train.txt, line 5: 0 is not"),
      ("label_fraction", ("train", "y_train.txt"), 1, "1.5", r"y_train.txt, line 1: 1.5 is"),
      ("bad_class_line", ("", "activity_labels.txt"), 6, "LAYING",
       r"activity_labels.txt, line 6: expected '<id> <NAME>'"),
  )
  def test_malformed_file_names_file_and_line(self, where, line, text, pattern):
    _edit_line(os.path.join(self.folder, *where), line, text)
    with self.assertRaisesRegex(ValueError, pattern):
      uci_har.load(self.parent)

  def test_zip_without_dataset_is_rejected(self):
    zip_path = os.path.join(self.parent, "other.zip")
    with zipfile.ZipFile(zip_path, "w") as zf:
      zf.writestr(f"{uci_har.FOLDER}/activity_labels.txt", "1 WALKING\n")
    with self.assertRaisesRegex(ValueError, "not the UCI HAR Dataset zip"):
      uci_har.load(zip_path)


  # --- Bad data folders (issue 13, item 5). ---

  @parameterized.named_parameters(("text_file", "text"), ("truncated_zip", "truncated"),
                                  ("uci_archive_with_broken_inner_zip", "inner"))
  def test_unreadable_zip_is_one_message(self, kind):
    path = os.path.join(_tempdir(self), uci_har.ZIP_NAME)
    if kind == "text":
      with open(path, "w") as f:
        f.write("these are my notes, not a zip\n")
    else:
      _zip_folder(self.folder, path)
      os.truncate(path, os.path.getsize(path) // 2)
      if kind == "inner":
        outer = os.path.join(os.path.dirname(path), uci_har.ARCHIVE_NAME)
        with zipfile.ZipFile(outer, "w") as zf:
          zf.write(path, uci_har.ZIP_NAME)
        os.remove(path)
        path = outer
    for data_dir in (path, os.path.dirname(path)):   # the zip itself, or a folder holding it
      with self.assertRaisesRegex(ValueError, f"{re.escape(path)} is not a readable zip .*Bad.*"
                                              "Pass --data_dir=<folder holding 'UCI HAR") as cm:
        uci_har.load(data_dir)
      assert_short_and_unchained(self, cm.exception)
    self.assertFalse(os.path.exists(os.path.join(self.cache, "uci_har", "unzipped",
                                                 uci_har.FOLDER)))

  # --- Non-finite values (issue 13, item 3). ---

  @parameterized.named_parameters(("nan", "nan"), ("inf", "inf"), ("minus_infinity", "-Infinity"),
                                  ("float32_overflow", "1e39"))
  def test_non_finite_signal_names_file_line_column_and_channel(self, token):
    path = self._signal_file("train", "body_gyro_x")
    values = [f"{v:15.7e}" for v in _signals("train")[2, :, 3]]
    values[6] = token.rjust(15)
    _edit_line(path, 3, "".join(values))
    with self.assertRaisesRegex(
        ValueError, f"body_gyro_x_train.txt, line 3, column 7 \\(channel body_gyro_x\\): "
                    f"'{token}' is not a finite number") as cm:
      uci_har.load(self.parent)
    assert_short_and_unchained(self, cm.exception)

  def test_non_finite_subject_id_is_refused(self):
    _edit_line(os.path.join(self.folder, "test", "subject_test.txt"), 4, "inf")
    with self.assertRaisesRegex(ValueError, "subject_test.txt, line 4, column 1.*'inf' is not a "
                                            "finite number"):
      uci_har.load(self.parent)

  def test_parse_cache_cannot_bypass_the_finite_check(self):
    uci_har.load(self.parent)                        # writes the parsed cache
    [cache] = [os.path.join(dirpath, f) for dirpath, _, files in os.walk(self.cache)
               for f in files if f.endswith(".npz")]
    with np.load(cache) as saved:
      arrays = {k: saved[k] for k in saved.files}
    arrays["x_train"][1, 2, 3] = np.nan              # a poisoned cache under a valid key
    np.savez(cache, **arrays)
    with mock.patch.object(uci_har, "_parse_folder", wraps=uci_har._parse_folder) as parse:
      data = uci_har.load(self.parent)
    self.assertEqual(parse.call_count, 1)            # re-parsed from the (clean) text
    self.assertTrue(np.isfinite(data.train.inputs).all())
    np.testing.assert_allclose(data.train.inputs, _signals("train"), rtol=1e-6)


class UciHarRealDataTest(absltest.TestCase):
  """The HAPT rebuild written in the original layout (~172 MB of text, ~5 s to write)."""

  @pytest.mark.slow
  def test_rebuilt_data_matches_npz(self):
    script = shared_data("uci_har", "write_uci_layout.py")
    out = _tempdir(self)
    subprocess.run([sys.executable, script, out], check=True, capture_output=True)
    with mock.patch.dict(os.environ, {common.CACHE_ENV: _tempdir(self)}):
      data = uci_har.load(out)
      train_subjects, _ = uci_har.load_subjects(out)
    expected = np.load(os.path.join(os.path.dirname(script), "hapt_rebuilt_uci_har_windows.npz"))
    self.assertEqual(data.train.inputs.shape, (7415, T, D))
    self.assertEqual(data.test.inputs.shape, (2996, T, D))
    np.testing.assert_array_equal(np.bincount(data.train.labels),
                                  [1226, 1073, 987, 1293, 1423, 1413])
    np.testing.assert_array_equal(np.bincount(data.test.labels), [496, 471, 420, 508, 556, 545])
    np.testing.assert_allclose(data.train.inputs, expected["X_train"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(data.test.inputs, expected["X_test"], rtol=1e-6, atol=1e-12)
    np.testing.assert_array_equal(data.train.labels, expected["y_train"] - 1)
    np.testing.assert_array_equal(train_subjects, expected["subject_train"])
    self.assertEqual(data.class_names, NAMES)


if __name__ == "__main__":
  absltest.main()
