"""Host-side data plumbing shared by every loader: splits, batching, data folders, downloads.

Every loader returns a `DataSpec` of in-memory numpy `Split`s. Batches are dicts:
  inputs  [B, T, D] float32 (or [B, T] int32 token ids)
  lengths [B] int32 (valid steps of each right-padded row)
  labels  [B] int32 class ids (or float32 [B, ...] regression targets)
  weights [B] float32 (eval only: 0 marks the padding rows of the last batch)
The device only ever sees these batches; all loading stays in numpy.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Iterator

import numpy as np

CACHE_ENV = "RNNJAX_DATA_DIR"
DEFAULT_CACHE = os.path.join("~", ".cache", "rnnjax")


class DataNotFoundError(FileNotFoundError):
  """The data set is not on disk and could not be downloaded."""


@dataclasses.dataclass(frozen=True)
class Split:
  """One split held in memory. inputs [N, T, D] or [N, T]; labels [N, ...]; lengths [N]."""
  inputs: np.ndarray
  labels: np.ndarray
  lengths: np.ndarray

  def __post_init__(self):
    n = len(self.inputs)
    if len(self.labels) != n or len(self.lengths) != n:
      raise ValueError(f"Split arrays disagree on N: inputs {self.inputs.shape}, "
                       f"labels {self.labels.shape}, lengths {self.lengths.shape}.")

  def __len__(self) -> int:
    return len(self.inputs)

  def take(self, index: np.ndarray) -> Split:
    return Split(self.inputs[index], self.labels[index], self.lengths[index])


@dataclasses.dataclass(frozen=True)
class DataSpec:
  """A loaded data set.

  Attributes:
    train, test: the splits; validation is optional.
    num_classes: C for classification (1 for a binary/sigmoid task, 0 for regression).
    feature_dim: D for float inputs, the vocabulary size V for token inputs.
    class_names: optional names of the C classes.
  """
  train: Split
  test: Split
  num_classes: int
  feature_dim: int
  validation: Split | None = None
  class_names: tuple[str, ...] = ()


def full_lengths(n: int, t: int) -> np.ndarray:
  """[N] int32 lengths for N unpadded sequences of T steps."""
  return np.full((n,), t, np.int32)


def _as_batch(split: Split, index: np.ndarray) -> dict[str, np.ndarray]:
  return {"inputs": split.inputs[index], "lengths": split.lengths[index],
          "labels": split.labels[index]}


def train_batch(split: Split, step: int, batch_size: int, seed: int) -> dict[str, np.ndarray]:
  """The training batch of `step`: a pure function of (step, seed), so a resumed run sees the
  same data as an uninterrupted one. Each epoch is a fresh permutation; the remainder is dropped."""
  if batch_size > len(split):
    raise ValueError(f"batch_size={batch_size} is larger than the {len(split)} training examples.")
  per_epoch = len(split) // batch_size
  epoch, offset = divmod(step, per_epoch)
  order = np.random.default_rng([seed, epoch]).permutation(len(split))
  return _as_batch(split, order[offset * batch_size:(offset + 1) * batch_size])


def eval_batches(split: Split, batch_size: int) -> Iterator[dict[str, np.ndarray]]:
  """Fixed-size batches over the whole split in order; the last one is padded by repeating
  row 0 and carries `weights` 0 on the padding, so one compiled eval step serves all batches."""
  n = len(split)
  for start in range(0, n, batch_size):
    index = np.arange(start, start + batch_size)
    weights = (index < n).astype(np.float32)
    batch = _as_batch(split, np.where(index < n, index, 0))
    batch["weights"] = weights
    yield batch


def data_dir(flag_value: str | None, name: str) -> str:
  """Where data set `name` lives: the flag's value, else $RNNJAX_DATA_DIR/name, else
  ~/.cache/rnnjax/name."""
  if flag_value:
    return os.path.expanduser(flag_value)
  root = os.environ.get(CACHE_ENV) or DEFAULT_CACHE
  return os.path.join(os.path.expanduser(root), name)


def sha256(path: str) -> str:
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
      digest.update(chunk)
  return digest.hexdigest()


def download(url: str, dest: str, expected_sha256: str | None, *, what: str, flag: str,
             timeout: float = 30.0) -> str:
  """Downloads `url` to `dest` (atomically) and checks its sha256; returns `dest`.

  Raises DataNotFoundError, naming `flag` and where to put the files, when offline; raises
  ValueError when the checksum does not match (the partial file is removed).
  """
  if os.path.exists(dest):
    return dest
  os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
  try:
    with urllib.request.urlopen(url, timeout=timeout) as response, \
        tempfile.NamedTemporaryFile(dir=os.path.dirname(dest) or ".", delete=False) as tmp:
      shutil.copyfileobj(response, tmp)
  except OSError as e:
    raise DataNotFoundError(
        f"{what} was not found and could not be downloaded from {url} ({e}). Download it by "
        f"hand and put it at {dest}, or pass {flag}=<folder> pointing at a copy "
        f"(or set ${CACHE_ENV}).") from e
  if expected_sha256 and sha256(tmp.name) != expected_sha256:
    os.remove(tmp.name)
    raise ValueError(f"Checksum mismatch for {url}: expected sha256 {expected_sha256}. "
                     "The download is corrupt or the file has changed upstream.")
  os.replace(tmp.name, dest)
  return dest


def tfds_examples(name: str, split: str, data_dir: str | None = None, *,
                  download: bool = True) -> list[dict]:
  """All examples of TFDS `name`/`split` as numpy dicts, read through `tfds.data_source`
  (array_record files, no TensorFlow). `data_dir` is a TFDS data dir (None: TFDS's default).

  Raises DataNotFoundError, naming --data_dir, when the data set is not prepared there and
  cannot be built (offline, or built in TFRecord format).
  """
  import tensorflow_datasets as tfds  # optional path: imported only when used
  try:
    source = tfds.data_source(name, split=split, data_dir=data_dir, download=download)
  except (NotImplementedError, ImportError, OSError) as e:
    raise DataNotFoundError(
        f"TFDS data set {name!r} ({split}) is not prepared in array_record format under "
        f"{data_dir or 'the TFDS default data dir'} ({type(e).__name__}: {e}). Run "
        f"`tfds build {name} --file_format=array_record` online, or pass --data_dir=<a TFDS "
        "data dir holding it>.") from e
  # One at a time: the source that tfds.testing.mock_data substitutes has a broken batched
  # __getitems__ (tfds 4.9.10).
  return [source[i] for i in range(len(source))]
