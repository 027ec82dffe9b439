"""MNIST loader: tiny IDX fixtures (gzipped and raw), corrupt files, TFDS mock data, real data."""
import gzip
import os
import struct
import tempfile
import urllib.request
from unittest import mock

import numpy as np
from absl.testing import absltest, parameterized

from rnnjax.data import common, mnist
import conftest
from test_data_common import assert_short_and_unchained

N_TRAIN, N_TEST = 7, 3


def idx_bytes(array: np.ndarray) -> bytes:
  """The IDX encoding of a uint8 array: magic 00 00 08 ndim, big-endian dims, data."""
  header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
  return header + array.astype(np.uint8).tobytes()


def write_mnist(root: str, *, gz: bool = True, seed: int = 0) -> dict[str, np.ndarray]:
  """Writes the four IDX files with random content into `root`; returns the arrays."""
  rng = np.random.default_rng(seed)
  arrays = {
      "train-images-idx3-ubyte": rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
      "train-labels-idx1-ubyte": rng.integers(0, 10, (N_TRAIN,), dtype=np.uint8),
      "t10k-images-idx3-ubyte": rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
      "t10k-labels-idx1-ubyte": rng.integers(0, 10, (N_TEST,), dtype=np.uint8),
  }
  for name, array in arrays.items():
    data = idx_bytes(array)
    if gz:
      with gzip.open(os.path.join(root, name + ".gz"), "wb") as f:
        f.write(data)
    else:
      with open(os.path.join(root, name), "wb") as f:
        f.write(data)
  return arrays


class MnistIdxTest(parameterized.TestCase):

  def setUp(self):
    super().setUp()
    tmp = tempfile.TemporaryDirectory()          # absltest's create_tempdir needs parsed flags
    self.addCleanup(tmp.cleanup)
    self.root = tmp.name

  @parameterized.named_parameters(("gzipped", True), ("uncompressed", False))
  def test_rows_round_trip(self, gz):
    arrays = write_mnist(self.root, gz=gz)
    data = mnist.load(self.root)
    self.assertEqual(data.train.inputs.shape, (N_TRAIN, 28, 28))
    self.assertEqual(data.train.inputs.dtype, np.float32)
    np.testing.assert_allclose(data.train.inputs,
                               arrays["train-images-idx3-ubyte"] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(data.test.labels, arrays["t10k-labels-idx1-ubyte"])
    self.assertEqual(data.test.labels.dtype, np.int32)
    np.testing.assert_array_equal(data.train.lengths, np.full(N_TRAIN, 28))
    self.assertEqual(data.train.lengths.dtype, np.int32)
    self.assertEqual((data.num_classes, data.feature_dim), (10, 28))
    self.assertEqual(data.class_names, tuple("0123456789"))
    self.assertIsNone(data.validation)

  def test_pixels_are_flattened_row_major(self):
    arrays = write_mnist(self.root)
    data = mnist.load(self.root, pixels=True)
    self.assertEqual(data.test.inputs.shape, (N_TEST, 784, 1))
    self.assertEqual(data.feature_dim, 1)
    np.testing.assert_array_equal(data.test.lengths, np.full(N_TEST, 784))
    expected = arrays["t10k-images-idx3-ubyte"].reshape(N_TEST, 784) / 255.0
    np.testing.assert_allclose(data.test.inputs[..., 0], expected, rtol=1e-6)

  def test_permutation_is_fixed_by_seed_and_shared_by_all_images(self):
    write_mnist(self.root)
    plain = mnist.load(self.root, pixels=True).train.inputs[..., 0]     # [N, 784]
    a = mnist.load(self.root, pixels=True, permute_seed=3)
    b = mnist.load(self.root, pixels=True, permute_seed=3)
    c = mnist.load(self.root, pixels=True, permute_seed=4)
    np.testing.assert_array_equal(a.train.inputs, b.train.inputs)
    self.assertFalse(np.array_equal(a.train.inputs, c.train.inputs))
    perm = np.random.default_rng(3).permutation(784)
    np.testing.assert_array_equal(a.train.inputs[..., 0], plain[:, perm])

  def test_permute_without_pixels_raises(self):
    write_mnist(self.root)
    with self.assertRaisesRegex(ValueError, "pixels=True"):
      mnist.load(self.root, permute_seed=0)

  def test_validation_holds_out_last_training_images(self):
    arrays = write_mnist(self.root)
    data = mnist.load(self.root, validation=2)
    self.assertLen(data.train, N_TRAIN - 2)
    self.assertLen(data.validation, 2)
    np.testing.assert_array_equal(data.validation.labels,
                                  arrays["train-labels-idx1-ubyte"][-2:])

  def test_offline_empty_folder_names_flag_and_files(self):
    offline = mock.patch.object(urllib.request, "urlopen", side_effect=OSError("offline"))
    with offline, self.assertRaises(common.DataNotFoundError) as cm:
      mnist.load(self.root)
    message = str(cm.exception)
    self.assertIn("--data_dir", message)
    self.assertIn("(OSError: offline)", message)
    for name in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
      self.assertIn(name, message)
    assert_short_and_unchained(self, cm.exception)
    self.assertEqual(os.listdir(self.root), [])           # no partial download left

  def test_missing_data_dir_is_not_created(self):
    missing = os.path.join(self.root, "nothing_here")
    with self.assertRaisesRegex(common.DataNotFoundError, "--data_dir=.*nothing_here does not "
                                                          "exist .*the four MNIST IDX files"):
      mnist.load(missing)
    self.assertFalse(os.path.exists(missing))

  @parameterized.named_parameters(
      ("negative", -1, ValueError, "validation=-1 must be >= 0"),
      ("all_images", N_TRAIN, ValueError, f"validation={N_TRAIN} must be < {N_TRAIN}"),
      ("bool", True, TypeError, "validation=True must be a number"),
      ("float", 0.1, TypeError, "validation=0.1 must be a number"),
  )
  def test_bad_validation_is_named(self, value, error, pattern):
    write_mnist(self.root)
    with self.assertRaisesRegex(error, pattern):
      mnist.load(self.root, validation=value)

  def test_validation_is_checked_before_reading(self):
    with self.assertRaisesRegex(ValueError, "validation=-5"):
      mnist.load(os.path.join(self.root, "missing"), validation=-5)

  def test_bad_magic_raises_value_error(self):
    write_mnist(self.root, gz=False)
    path = os.path.join(self.root, "t10k-labels-idx1-ubyte")
    with open(path, "r+b") as f:
      f.write(b"\x00\x00\x0d\x01")                      # float32 IDX: not MNIST's unsigned byte
    with self.assertRaisesRegex(ValueError, "magic"):
      mnist.load(self.root)

  def test_size_mismatch_raises_value_error(self):
    write_mnist(self.root, gz=False)
    path = os.path.join(self.root, "train-images-idx3-ubyte")
    os.truncate(path, os.path.getsize(path) - 100)
    with self.assertRaisesRegex(ValueError, "truncated or corrupt"):
      mnist.load(self.root)

  def test_truncated_gzip_raises_value_error(self):
    write_mnist(self.root)
    path = os.path.join(self.root, "train-images-idx3-ubyte.gz")
    os.truncate(path, os.path.getsize(path) // 2)
    with self.assertRaisesRegex(ValueError, "truncated or corrupt.*delete it to download it "
                                            "again") as cm:
      mnist.load(self.root)
    assert_short_and_unchained(self, cm.exception)

  def test_label_count_mismatch_raises(self):
    write_mnist(self.root, gz=False)
    with open(os.path.join(self.root, "t10k-labels-idx1-ubyte"), "wb") as f:
      f.write(idx_bytes(np.zeros(N_TEST + 1, np.uint8)))
    with self.assertRaisesRegex(ValueError, "labels"):
      mnist.load(self.root)


class MnistTfdsTest(absltest.TestCase):

  def test_tfds_mock_data_without_tensorflow(self):
    import tensorflow_datasets as tfds
    with tfds.testing.mock_data(num_examples=6):
      data = mnist.load_tfds(pixels=True, validation=2)
    self.assertEqual(data.train.inputs.shape, (4, 784, 1))
    self.assertEqual(data.validation.inputs.shape, (2, 784, 1))
    self.assertEqual(data.test.inputs.shape, (6, 784, 1))
    self.assertEqual(data.train.labels.dtype, np.int32)
    self.assertTrue(((data.test.labels >= 0) & (data.test.labels < 10)).all())
    self.assertTrue(((data.train.inputs >= 0) & (data.train.inputs <= 1)).all())


class MnistRealDataTest(absltest.TestCase):

  def test_real_counts_and_classes(self):
    data = mnist.load(conftest.shared_data("mnist"))
    self.assertLen(data.train, 60000)
    self.assertLen(data.test, 10000)
    np.testing.assert_array_equal(
        np.bincount(data.train.labels),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    np.testing.assert_array_equal(
        np.bincount(data.test.labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    self.assertAlmostEqual(float(data.train.inputs.mean()) * 255, 33.3, delta=0.1)

  def test_real_validation_is_the_last_5000_training_images(self):
    root = conftest.shared_data("mnist")
    full = mnist.load(root)
    data = mnist.load(root, validation=mnist.VALIDATION_SIZE)
    self.assertEqual((len(data.train), len(data.validation)), (55000, 5000))
    np.testing.assert_array_equal(data.validation.labels, full.train.labels[55000:])
    np.testing.assert_array_equal(data.train.inputs[-1], full.train.inputs[54999])


if __name__ == "__main__":
  absltest.main()
