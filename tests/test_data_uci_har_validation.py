"""UCI HAR's validation split: whole training subjects held out, training-only statistics."""
import os
import tempfile
from unittest import mock

import numpy as np
from absl.testing import absltest, parameterized

from rnnjax.data import common, uci_har
from conftest import shared_data
from test_data_uci_har import N, T, _labels, _signals, _subjects, _write_dataset

REAL_TRAIN_SUBJECTS = (1, 3, 5, 6, 7, 8, 11, 14, 15, 16, 17, 19, 21, 22, 23, 25, 26, 27, 28, 29,
                       30)                      # the 21 training subjects of the original split


class UciHarValidationTest(parameterized.TestCase):

  def setUp(self):
    super().setUp()
    tmp = tempfile.TemporaryDirectory()          # absltest's create_tempdir needs parsed flags
    self.addCleanup(tmp.cleanup)
    self.enter_context(mock.patch.dict(os.environ, {common.CACHE_ENV: os.path.join(tmp.name,
                                                                                   "cache")}))
    self.parent = os.path.join(tmp.name, "data")
    _write_dataset(self.parent)

  def test_validation_holds_out_whole_training_subjects(self):
    data = uci_har.load(self.parent, validation_subjects=2)  # 4 ids 1,3,5,7: positions 1 and 3
    held = np.isin(_subjects("train"), [3, 7])
    np.testing.assert_allclose(data.validation.inputs, _signals("train")[held], rtol=1e-6)
    np.testing.assert_array_equal(data.validation.labels, _labels("train")[held] - 1)
    np.testing.assert_allclose(data.train.inputs, _signals("train")[~held], rtol=1e-6)
    np.testing.assert_array_equal(data.train.labels, _labels("train")[~held] - 1)
    np.testing.assert_array_equal(data.validation.lengths, np.full(held.sum(), T))
    self.assertLen(data.test, N["test"])
    self.assertIsNone(uci_har.load(self.parent).validation)          # default: none

  def test_validation_subjects_by_id(self):
    data = uci_har.load(self.parent, validation_subjects=[5, 1])
    held = np.isin(_subjects("train"), [1, 5])
    np.testing.assert_allclose(data.validation.inputs, _signals("train")[held], rtol=1e-6)
    self.assertLen(data.train, int((~held).sum()))

  def test_default_validation_subjects_are_documented(self):
    ids = np.repeat(REAL_TRAIN_SUBJECTS, 3)
    np.testing.assert_array_equal(uci_har.validation_ids(ids, uci_har.VALIDATION_SUBJECTS),
                                  [5, 11, 17, 23, 28])     # as the module docstring says
    np.testing.assert_array_equal(uci_har.validation_ids(ids, 1), [17])
    self.assertEqual(uci_har.validation_ids(ids, 0).shape, (0,))

  def test_standardize_excludes_validation_subjects(self):
    data = uci_har.load(self.parent, standardize=True, validation_subjects=[3])
    held = np.isin(_subjects("train"), [3])
    rest = _signals("train")[~held].astype(np.float64)
    mean, std = rest.mean(axis=(0, 1)), rest.std(axis=(0, 1))
    np.testing.assert_allclose(data.train.inputs.astype(np.float64).mean(axis=(0, 1)), 0.0,
                               atol=1e-5)
    np.testing.assert_allclose(data.validation.inputs, (_signals("train")[held] - mean) / std,
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(data.test.inputs, (_signals("test") - mean) / std,
                               rtol=1e-4, atol=1e-4)

  @parameterized.named_parameters(
      ("negative", -1, ValueError, "validation_subjects=-1 must be >= 0"),
      ("all_subjects", 4, ValueError, "validation_subjects=4 must be < 4"),
      ("bool", True, TypeError, "validation_subjects=True must be a number"),
      ("float", 2.5, TypeError, "validation_subjects=2.5 must be a number"),
      ("test_subject", [1, 2], ValueError, r"not training subjects: \[2\]; training "
                                            r"subjects: \[1, 3, 5, 7\]"),
      ("duplicate", [1, 1], ValueError, "must be distinct"),
      ("every_id", [1, 3, 5, 7], ValueError, "leave at least one"),
      ("not_ints", ["3"], TypeError, "must hold integer subject ids"),
      ("string", "3", TypeError, "validation_subjects='3' must be a number"),
  )
  def test_bad_validation_subjects_are_named(self, value, error, pattern):
    with self.assertRaisesRegex(error, pattern):
      uci_har.load(self.parent, validation_subjects=value)

  def test_validation_argument_is_checked_before_reading(self):
    with self.assertRaisesRegex(ValueError, "validation_subjects=-2"):
      uci_har.load(os.path.join(self.parent, "missing"), validation_subjects=-2)


class UciHarValidationRealDataTest(absltest.TestCase):

  def test_real_subjects_give_the_documented_hold_out(self):
    npz = shared_data("uci_har", "hapt_rebuilt_uci_har_windows.npz")
    with np.load(npz) as z:
      train_subjects = z["subject_train"]
    np.testing.assert_array_equal(np.unique(train_subjects), REAL_TRAIN_SUBJECTS)
    held = uci_har.validation_ids(train_subjects, uci_har.VALIDATION_SUBJECTS)
    np.testing.assert_array_equal(held, [5, 11, 17, 23, 28])
    self.assertBetween(np.isin(train_subjects, held).mean(), 0.2, 0.3)   # ~24 % of the rows

if __name__ == "__main__":
  absltest.main()
