"""MNIST read as sequences: 28 rows of 28 pixels, or 784 single pixels (optionally permuted).

Reads the four original IDX files (LeCun et al.), gzipped or not, from one folder:
  train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]
  t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]
Missing files are downloaded (sha256 from TFDS's checksum list) when the machine is online.
`load_tfds` reads the TFDS `mnist` data set through `tfds.data_source` instead (no TensorFlow).

Validation split: `load(validation=n)` holds out the LAST n of the 60,000 training images, in
file order (as Keras' validation_split does; no random draw). VALIDATION_SIZE = 5,000 is the
suggested hold-out; the default, 0, keeps all 60,000 for training.
"""
from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

from rnnjax.data import common, splits

NAME = "mnist"
BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
FILES = {  # split -> (images, labels); `.gz` is added for downloads.
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SHA256 = {  # of the .gz files (TFDS url_checksums/mnist.txt); md5s are in the MNIST README.
    "train-images-idx3-ubyte": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
ROWS = COLS = 28
VALIDATION_SIZE = 5000                            # suggested hold-out: the last 5,000 train images
FLAG = "--data_dir"
HOLDING = ("the four MNIST IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte"
           "[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])")
CLASS_NAMES = tuple(str(d) for d in range(10))


def parse_idx(data: bytes, what: str) -> np.ndarray:
  """Decodes one IDX (unsigned byte) file: magic 0x0000 08 <ndim>, ndim big-endian uint32 dims,
  then the bytes. Raises ValueError naming `what` on a bad magic number or a wrong size."""
  if len(data) < 4 or data[:3] != b"\x00\x00\x08" or not 1 <= data[3] <= 4:
    raise ValueError(f"{what} is not an unsigned-byte IDX file: magic {data[:4].hex()!r}, "
                     "expected 00000801 (labels) or 00000803 (images). Corrupt or wrong file?")
  ndim = data[3]
  header = 4 + 4 * ndim
  if len(data) < header:
    raise ValueError(f"{what} is truncated: {len(data)} bytes, shorter than its header.")
  dims = tuple(int(d) for d in np.frombuffer(data, ">u4", ndim, offset=4))
  expected = header + int(np.prod(dims))
  if len(data) != expected:
    raise ValueError(f"{what} has {len(data)} bytes but its header {dims} needs {expected}: "
                     "the file is truncated or corrupt.")
  return np.frombuffer(data, np.uint8, offset=header).reshape(dims)


def read_idx(path: str) -> np.ndarray:
  """Reads an IDX file, gunzipping it when it ends in `.gz`."""
  try:
    if path.endswith(".gz"):
      with gzip.open(path, "rb") as f:
        data = f.read()
    else:
      with open(path, "rb") as f:
        data = f.read()
  except (EOFError, gzip.BadGzipFile, zlib.error) as e:
    raise ValueError(
        f"{path} is not a readable gzip file ({common.one_line(e)}): truncated or corrupt. "
        f"Replace it with a good copy (or delete it to download it again), or pass "
        f"{FLAG}=<folder holding good copies>.") from None
  return parse_idx(data, path)


def _find(root: str, name: str) -> str:
  """The path of IDX file `name` in `root` (plain or .gz), downloading the .gz if neither is."""
  for candidate in (name, name + ".gz"):
    path = os.path.join(root, candidate)
    if os.path.exists(path):
      return path
  expected = ", ".join(f"{n}.gz" for pair in FILES.values() for n in pair)
  try:
    return common.download(BASE_URL + name + ".gz", os.path.join(root, name + ".gz"),
                           SHA256[name], what=f"MNIST file {name}.gz", flag=FLAG)
  except common.DataNotFoundError as e:
    raise common.DataNotFoundError(
        f"{e}\nExpected the four MNIST IDX files ({expected}; gzipped or not) directly in "
        f"{root}; pass {FLAG}=<folder holding them>.") from None


def read_split(root: str, split: str) -> tuple[np.ndarray, np.ndarray]:
  """(images uint8 [N, 28, 28], labels uint8 [N]) of 'train' or 'test', checked for agreement."""
  images_name, labels_name = FILES[split]
  images = read_idx(_find(root, images_name))
  labels = read_idx(_find(root, labels_name))
  if images.ndim != 3 or images.shape[1:] != (ROWS, COLS):
    raise ValueError(f"{images_name}: expected images [N, 28, 28], got {images.shape}.")
  if labels.ndim != 1 or len(labels) != len(images):
    raise ValueError(f"{labels_name}: expected [{len(images)}] labels, got {labels.shape}.")
  if labels.size and labels.max() > 9:
    raise ValueError(f"{labels_name}: label {labels.max()} is not a digit.")
  return images, labels


def to_sequences(images: np.ndarray, *, pixels: bool = False,
                 permute_seed: int | None = None) -> np.ndarray:
  """uint8 images [N, 28, 28] -> float32 in [0, 1]: rows [N, 28, 28] or pixels [N, 784, 1].

  With `permute_seed`, the 784 pixel steps are reordered by one fixed permutation drawn from
  `np.random.default_rng(permute_seed)` (permuted pixel MNIST); it requires `pixels=True`.
  """
  if permute_seed is not None and not pixels:
    raise ValueError("permute_seed permutes the 784 pixel steps; pass pixels=True as well.")
  x = images.astype(np.float32) / 255.0                       # [N, 28, 28]
  if not pixels:
    return x
  x = x.reshape(len(x), ROWS * COLS)                          # [N, 784]
  if permute_seed is not None:
    x = x[:, np.random.default_rng(permute_seed).permutation(ROWS * COLS)]
  return x[:, :, None]                                        # [N, 784, 1]


def check_validation(validation: int) -> None:
  """`validation` must be an int >= 0 (checked before any file is read)."""
  if isinstance(validation, (bool, np.bool_)) or not isinstance(validation, (int, np.integer)):
    raise TypeError(f"validation={validation!r} must be a number of training images (int).")
  if validation < 0:
    raise ValueError(f"validation={validation} must be >= 0 (0: no validation split).")


def build_spec(train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray], *,
               pixels: bool, permute_seed: int | None, validation: int) -> splits.DataSpec:
  """DataSpec from (images [N, 28, 28] uint8, labels [N]) pairs; the LAST `validation` training
  images become the validation split (as Keras' validation_split does)."""
  check_validation(validation)
  if validation >= len(train[0]):
    raise ValueError(f"validation={validation} must be < {len(train[0])}, the number of "
                     "training images (some must be left to train on).")

  def split(images, labels):
    x = to_sequences(images, pixels=pixels, permute_seed=permute_seed)  # [N, T, D]
    return splits.Split(x, labels.astype(np.int32), splits.full_lengths(len(x), x.shape[1]))

  n_train = len(train[0]) - validation
  images, labels = train
  val = split(images[n_train:], labels[n_train:]) if validation else None
  return splits.DataSpec(
      train=split(images[:n_train], labels[:n_train]), test=split(*test), validation=val,
      num_classes=10,
      feature_dim=1 if pixels else COLS, class_names=CLASS_NAMES)


def load(data_dir: str | None = None, *, pixels: bool = False, permute_seed: int | None = None,
         validation: int = 0) -> splits.DataSpec:
  """MNIST from the IDX files in `common.data_dir(data_dir, "mnist")`.

  Args:
    data_dir: folder holding the four IDX files (the `--data_dir` flag).
    pixels: read one pixel per step ([N, 784, 1]) instead of one row per step ([N, 28, 28]).
    permute_seed: fixed permutation of the 784 pixel steps (permuted pixel MNIST; needs pixels).
    validation: how many of the LAST training images to hold out as the validation split
      (0: none; VALIDATION_SIZE is the suggested number).

  Returns:
    DataSpec: inputs float32 in [0, 1], labels int32 [N], lengths all T, 10 classes.
  """
  check_validation(validation)
  root = common.data_dir(data_dir, NAME, holding=HOLDING, flag=FLAG)
  return build_spec(read_split(root, "train"), read_split(root, "test"), pixels=pixels,
                    permute_seed=permute_seed, validation=validation)


def load_tfds(data_dir: str | None = None, *, pixels: bool = False,
              permute_seed: int | None = None, validation: int = 0,
              download: bool = True) -> splits.DataSpec:
  """Like `load`, but reads TFDS `mnist` through `tfds.data_source` (no TensorFlow needed).

  `data_dir` is a TFDS data dir (None: TFDS's default); the data must be prepared in
  array_record format (`tfds.data_source` does so itself when `download` and online).
  """
  check_validation(validation)

  def arrays(split):
    examples = common.tfds_examples(NAME, split, data_dir, download=download)
    images = np.stack([np.asarray(e["image"], np.uint8).reshape(ROWS, COLS) for e in examples])
    return images, np.array([e["label"] for e in examples], np.int64)

  return build_spec(arrays("train"), arrays("test"), pixels=pixels,
                    permute_seed=permute_seed, validation=validation)
