"""UCI HAR (Anguita et al. 2013): 9 inertial channels x 128 steps (2.56 s at 50 Hz), 6 activities.

Reads the ORIGINAL "UCI HAR Dataset" layout:
  UCI HAR Dataset/activity_labels.txt                        "1 WALKING" ... "6 LAYING"
  UCI HAR Dataset/{train,test}/Inertial Signals/<channel>_<split>.txt   N rows x 128 floats
  UCI HAR Dataset/{train,test}/y_<split>.txt                 N labels in 1..6
  UCI HAR Dataset/{train,test}/subject_<split>.txt           N subject ids
`data_dir` may be the folder holding "UCI HAR Dataset", that folder itself, or a zip: the original
"UCI HAR Dataset.zip" or the UCI archive that wraps it. A zip is extracted once into
`<cache>/unzipped/` (cache = $RNNJAX_DATA_DIR/uci_har or ~/.cache/rnnjax/uci_har). The parsed
arrays are kept in `<cache>/parsed/*.npz`, keyed by each text file's size and mtime, so a second
load skips the text parse and any edited file triggers a re-parse.

Subject ids are not part of `DataSpec`; `load_subjects()` returns them, row-aligned with `load()`.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import zipfile

import numpy as np
from absl import logging

from rnnjax.data import common

CHANNELS = ("body_acc_x", "body_acc_y", "body_acc_z",
            "body_gyro_x", "body_gyro_y", "body_gyro_z",
            "total_acc_x", "total_acc_y", "total_acc_z")  # order of the D=9 input axis
NUM_STEPS = 128   # T
NUM_CLASSES = 6   # C: file labels 1..6 become class ids 0..5
SPLITS = ("train", "test")
FOLDER = "UCI HAR Dataset"
ZIP_NAME = FOLDER + ".zip"
URL = ("https://archive.ics.uci.edu/static/public/240/"
       "human+activity+recognition+using+smartphones.zip")
ARCHIVE_NAME = "human+activity+recognition+using+smartphones.zip"  # wraps ZIP_NAME
FLAG = "--data_dir"
_CACHE_VERSION = 1


def required_files() -> list[str]:
  """Paths, relative to the "UCI HAR Dataset" folder, of every file the loader reads."""
  files = ["activity_labels.txt"]
  for split in SPLITS:
    files += [f"{split}/Inertial Signals/{c}_{split}.txt" for c in CHANNELS]
    files += [f"{split}/y_{split}.txt", f"{split}/subject_{split}.txt"]
  return files


def load(data_dir: str | None = None, *, standardize: bool = False) -> common.DataSpec:
  """UCI HAR as train/test splits: inputs [N, 128, 9] float32, labels [N] int32 in 0..5.

  Args:
    data_dir: the `--data_dir` flag's value (see the module docstring); None uses the cache,
      downloading the archive from UCI when it is not there.
    standardize: per channel, subtract the mean and divide by the std over N and T of the TRAIN
      inputs; the same statistics are applied to the test split.
  """
  arrays = _load_arrays(data_dir)
  x_train, x_test = arrays["x_train"], arrays["x_test"]  # [N, T, D]
  if standardize:
    mean, std = channel_stats(x_train)  # [D], [D]
    x_train = ((x_train - mean) / std).astype(np.float32)
    x_test = ((x_test - mean) / std).astype(np.float32)
  splits = [common.Split(x, arrays[f"y_{s}"], common.full_lengths(len(x), NUM_STEPS))
            for s, x in zip(SPLITS, (x_train, x_test))]
  return common.DataSpec(train=splits[0], test=splits[1], num_classes=NUM_CLASSES,
                         feature_dim=len(CHANNELS),
                         class_names=tuple(str(n) for n in arrays["class_names"]))


def load_subjects(data_dir: str | None = None) -> tuple[np.ndarray, np.ndarray]:
  """(train, test) subject ids, int32 [N] each, row-aligned with `load(data_dir)`."""
  arrays = _load_arrays(data_dir)
  return arrays["subject_train"], arrays["subject_test"]


def channel_stats(inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """inputs [N, T, D] -> (mean [D], std [D]) float32 over N and T; a constant channel gets std 1."""
  x = inputs.astype(np.float64)
  mean, std = x.mean(axis=(0, 1)), x.std(axis=(0, 1))
  return mean.astype(np.float32), np.where(std > 0, std, 1.0).astype(np.float32)


# --- Finding the data: folder, zip, or download. ---

def _cache_root() -> str:
  return common.data_dir(None, "uci_har")


def _find_folder(data_dir: str | None) -> str:
  """The "UCI HAR Dataset" folder to read, extracting or downloading a zip when needed."""
  root = common.data_dir(data_dir, "uci_har")
  if os.path.isfile(root):
    return _extract(root)
  if os.path.isdir(os.path.join(root, FOLDER)):
    return os.path.join(root, FOLDER)
  if os.path.isdir(os.path.join(root, "train")) or os.path.isfile(
      os.path.join(root, "activity_labels.txt")):
    return root
  for name in (ZIP_NAME, ARCHIVE_NAME):
    if os.path.isfile(os.path.join(root, name)):
      return _extract(os.path.join(root, name))
  return _extract(_download(root))


def _download(root: str) -> str:
  """Fetches the UCI archive into `root` and returns the inner "UCI HAR Dataset.zip"."""
  archive = os.path.join(root, ARCHIVE_NAME)
  try:
    # UCI publishes no checksum we could state honestly; _extract checks the zip's structure.
    common.download(URL, archive, None, what="UCI HAR", flag=FLAG)
  except common.DataNotFoundError as e:
    raise common.DataNotFoundError(
        f"UCI HAR was not found in {root} and could not be downloaded from {URL} "
        f"({e.__cause__}). Download that archive (or the original '{ZIP_NAME}') by hand and put "
        f"it in {root}, or unpack it so that {os.path.join(root, FOLDER, 'train')} exists; or "
        f"pass {FLAG}=<folder holding '{FOLDER}'> or set ${common.CACHE_ENV}=<root> "
        f"(the loader then looks in <root>/uci_har).") from e
  return archive


def _zip_identity(path: str) -> str:
  stat = os.stat(path)
  return json.dumps([os.path.abspath(path), stat.st_size, stat.st_mtime_ns])


def _extract(zip_path: str) -> str:
  """Extracts the data set from `zip_path` into the cache once; returns the folder."""
  dest = os.path.join(_cache_root(), "unzipped")
  folder, marker = os.path.join(dest, FOLDER), os.path.join(dest, "source.json")
  identity = _zip_identity(zip_path)
  if os.path.isdir(folder) and os.path.isfile(marker):
    with open(marker) as f:
      if f.read() == identity:
        return folder
  os.makedirs(dest, exist_ok=True)
  with zipfile.ZipFile(zip_path) as zf:
    names = set(zf.namelist())
    if f"{FOLDER}/activity_labels.txt" not in names and ZIP_NAME in names:
      with tempfile.TemporaryDirectory(dir=dest) as tmp:  # the UCI archive wraps the original
        with zipfile.ZipFile(zf.extract(ZIP_NAME, tmp)) as inner:
          return _extract_members(inner, zip_path, dest, identity)
    return _extract_members(zf, zip_path, dest, identity)


def _extract_members(zf: zipfile.ZipFile, zip_path: str, dest: str, identity: str) -> str:
  wanted = [f"{FOLDER}/{f}" for f in required_files()]
  missing = sorted(set(wanted) - set(zf.namelist()))
  if missing:
    raise ValueError(f"{zip_path} is not the UCI HAR Dataset zip: it lacks {missing[:3]}"
                     f"{' ...' if len(missing) > 3 else ''} ({len(missing)} missing).")
  logging.info("Extracting UCI HAR from %s into %s", zip_path, dest)
  folder, marker = os.path.join(dest, FOLDER), os.path.join(dest, "source.json")
  for stale in (marker, folder):
    if os.path.isdir(stale):
      shutil.rmtree(stale)
    elif os.path.exists(stale):
      os.remove(stale)
  tmp = tempfile.mkdtemp(dir=dest)
  for name in zf.namelist():
    if name.startswith(FOLDER + "/"):
      zf.extract(name, tmp)
  os.replace(os.path.join(tmp, FOLDER), folder)
  os.rmdir(tmp)
  with open(marker, "w") as f:  # written last: an interrupted extraction is redone
    f.write(identity)
  return folder


# --- Parsing, validation and the parsed-array cache. ---

def _load_arrays(data_dir: str | None) -> dict[str, np.ndarray]:
  folder = os.path.abspath(_find_folder(data_dir))
  missing = [os.path.join(folder, f) for f in required_files()
             if not os.path.isfile(os.path.join(folder, f))]
  if missing:
    raise common.DataNotFoundError(
        f"UCI HAR in {folder} is incomplete; missing: {', '.join(missing)}. Re-extract the "
        f"original '{ZIP_NAME}' or pass {FLAG} pointing at a complete copy.")
  stats = [os.stat(os.path.join(folder, f)) for f in required_files()]
  key = json.dumps([_CACHE_VERSION] + [[f, s.st_size, s.st_mtime_ns]
                                       for f, s in zip(required_files(), stats)])
  digest = hashlib.sha256(folder.encode()).hexdigest()[:16]
  cache = os.path.join(_cache_root(), "parsed", f"{digest}.npz")
  if os.path.isfile(cache):
    with np.load(cache, allow_pickle=False) as saved:
      if str(saved["key"]) == key:
        return {k: saved[k] for k in saved.files if k != "key"}
  start = time.perf_counter()
  arrays = _parse_folder(folder)
  logging.info("Parsed UCI HAR text in %s in %.1f s", folder, time.perf_counter() - start)
  _save(cache, key, arrays)
  return arrays


def _save(path: str, key: str, arrays: dict[str, np.ndarray]) -> None:
  """Writes the cache atomically; a cache that cannot be written only costs a re-parse."""
  try:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=os.path.dirname(path), suffix=".npz",
                                     delete=False) as tmp:
      np.savez(tmp, key=np.array(key), **arrays)
    os.replace(tmp.name, path)
  except OSError as e:
    logging.warning("Could not write the UCI HAR cache %s: %s", path, e)


def _parse_folder(folder: str) -> dict[str, np.ndarray]:
  """Reads and checks every file: x_<split> [N, T, D] float32, y_/subject_<split> [N] int32."""
  arrays = {"class_names": _read_class_names(os.path.join(folder, "activity_labels.txt"))}
  for split in SPLITS:
    paths = [os.path.join(folder, split, "Inertial Signals", f"{c}_{split}.txt")
             for c in CHANNELS]
    channels = [_read_table(p, NUM_STEPS) for p in paths]  # D x [N, T]
    y_path = os.path.join(folder, split, f"y_{split}.txt")
    s_path = os.path.join(folder, split, f"subject_{split}.txt")
    labels = _read_ints(y_path, 1, NUM_CLASSES) - 1
    subjects = _read_ints(s_path, 1, None)
    counts = {p: len(a) for p, a in zip(paths + [y_path, s_path], channels + [labels, subjects])}
    if len(set(counts.values())) != 1:
      listed = ", ".join(f"{os.path.basename(p)}: {n}" for p, n in counts.items())
      raise ValueError(f"UCI HAR {split} files disagree on the number of rows ({listed}).")
    arrays[f"x_{split}"] = np.stack(channels, axis=-1)  # [N, T, D]
    arrays[f"y_{split}"], arrays[f"subject_{split}"] = labels, subjects
  return arrays


def _read_table(path: str, width: int) -> np.ndarray:
  """A whitespace-separated text table -> float32 [N, width]; errors name the file and line."""
  with open(path, "rb") as f:
    text = f.read()
  rows = text.splitlines()
  while rows and not rows[-1].strip():
    rows.pop()
  for i, row in enumerate(rows):
    if len(row.split()) != width:
      raise ValueError(f"{path}, line {i + 1}: expected {width} values, found "
                       f"{len(row.split())}.")
  try:
    values = np.array(text.split(), dtype=np.float64)  # C-speed parse of all tokens at once
  except ValueError:
    for i, row in enumerate(rows):
      for token in row.split():
        try:
          float(token)
        except ValueError:
          raise ValueError(f"{path}, line {i + 1}: {token.decode(errors='replace')!r} "
                           "is not a number.") from None
    raise
  return values.astype(np.float32).reshape(len(rows), width)


def _read_ints(path: str, low: int, high: int | None) -> np.ndarray:
  """A one-column file of integers in [low, high] -> int32 [N]."""
  values = _read_table(path, 1)[:, 0]
  bad = (values != np.round(values)) | (values < low)
  if high is not None:
    bad |= values > high
  if bad.any():
    i = int(np.argmax(bad))
    expected = f"{low}..{high}" if high is not None else f">= {low}"
    raise ValueError(f"{path}, line {i + 1}: {values[i]:g} is not an integer in {expected}.")
  return values.astype(np.int32)


def _read_class_names(path: str) -> np.ndarray:
  """activity_labels.txt ("1 WALKING" ...) -> [C] str, ordered by class id."""
  names = {}
  with open(path) as f:
    for i, line in enumerate(f):
      parts = line.split()
      if not parts:
        continue
      if len(parts) != 2 or not parts[0].isdigit():
        raise ValueError(f"{path}, line {i + 1}: expected '<id> <NAME>', found {line.strip()!r}.")
      names[int(parts[0])] = parts[1]
  if sorted(names) != list(range(1, NUM_CLASSES + 1)):
    raise ValueError(f"{path}: expected class ids 1..{NUM_CLASSES}, found {sorted(names)}.")
  return np.array([names[i] for i in range(1, NUM_CLASSES + 1)])
