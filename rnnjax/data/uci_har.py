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
load skips the text parse and any edited file triggers a re-parse. A non-finite value ('nan',
'inf') is refused with its file, line, column and channel; cached arrays are checked again on
every load, so the cache never lets one through.

Validation split: `load(validation_subjects=k)` holds out k WHOLE training subjects (a subject's
windows never sit on both sides; Anguita et al.'s own train/test split is by subject too); with
the n distinct training ids sorted, the held-out ones are those at positions
floor((i + 1/2) n / k), i = 0..k-1 (evenly spread, no random draw). VALIDATION_SUBJECTS = 5 of
the 21 training subjects is the suggested setting: ids 5, 11, 17, 23 and 28 of the original data.
A list of ids picks them by hand. Standardisation statistics then come from the remaining
training rows only.

Subject ids are not part of `DataSpec`; `load_subjects()` returns them, row-aligned with the
train and test splits of `load()` without a validation split.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import zipfile
import zlib
from collections.abc import Sequence

import numpy as np
from absl import logging

from rnnjax.data import common, splits, text_tables

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
HOLDING = f"'{FOLDER}' (or that folder itself, or '{ZIP_NAME}')"
VALIDATION_SUBJECTS = 5  # suggested hold-out: 5 of the 21 training subjects (see the docstring)
_CACHE_VERSION = 2       # 2: non-finite values are refused


def required_files() -> list[str]:
  """Paths, relative to the "UCI HAR Dataset" folder, of every file the loader reads."""
  files = ["activity_labels.txt"]
  for split in SPLITS:
    files += [f"{split}/Inertial Signals/{c}_{split}.txt" for c in CHANNELS]
    files += [f"{split}/y_{split}.txt", f"{split}/subject_{split}.txt"]
  return files


def load(data_dir: str | None = None, *, standardize: bool = False,
         validation_subjects: int | Sequence[int] = 0) -> splits.DataSpec:
  """UCI HAR as train/test splits: inputs [N, 128, 9] float32, labels [N] int32 in 0..5.

  Args:
    data_dir: the `--data_dir` flag's value (see the module docstring); None uses the cache,
      downloading the archive from UCI when it is not there.
    standardize: per channel, subtract the mean and divide by the std over N and T of the TRAIN
      inputs (validation subjects excluded); the same statistics are applied to every split.
    validation_subjects: how many whole training subjects to hold out as `DataSpec.validation`
      (0: none; VALIDATION_SUBJECTS is the suggested number), or a list of their ids.
  """
  _check_validation_arg(validation_subjects)
  arrays = _load_arrays(data_dir)
  held = validation_ids(arrays["subject_train"], validation_subjects)
  in_validation = np.isin(arrays["subject_train"], held)                  # [N_train]
  parts = {"train": (arrays["x_train"][~in_validation], arrays["y_train"][~in_validation]),
           "validation": (arrays["x_train"][in_validation], arrays["y_train"][in_validation]),
           "test": (arrays["x_test"], arrays["y_test"])}                    # [N, T, D], [N]
  if standardize:
    mean, std = channel_stats(parts["train"][0])                          # [D], [D]
    parts = {k: (((x - mean) / std).astype(np.float32), y) for k, (x, y) in parts.items()}
  ready = {k: splits.Split(x, y, splits.full_lengths(len(x), NUM_STEPS))
           for k, (x, y) in parts.items()}
  return splits.DataSpec(train=ready["train"], test=ready["test"],
                         validation=ready["validation"] if len(held) else None,
                         num_classes=NUM_CLASSES, feature_dim=len(CHANNELS),
                         class_names=tuple(str(n) for n in arrays["class_names"]))


def _check_validation_arg(value) -> None:
  """Type and sign of `validation_subjects`, checked before any file is read."""
  if isinstance(value, (bool, np.bool_, str)) or not isinstance(
      value, (int, np.integer, Sequence, np.ndarray)):
    raise TypeError(f"validation_subjects={value!r} must be a number of subjects (int) or a "
                    "list of training subject ids.")
  if isinstance(value, (int, np.integer)) and value < 0:
    raise ValueError(f"validation_subjects={value} must be >= 0 (0: no validation split).")


def validation_ids(subjects: np.ndarray, validation_subjects: int | Sequence[int]) -> np.ndarray:
  """The held-out subject ids (int32 [k], sorted) for `load(validation_subjects=...)`.

  subjects: [N] training subject ids. An int k picks k of the n distinct ids, those at sorted
  positions floor((i + 1/2) n / k); a list must name distinct training ids and leave one."""
  _check_validation_arg(validation_subjects)
  ids = np.unique(subjects)                                               # [n] sorted
  if isinstance(validation_subjects, (int, np.integer)):
    k = int(validation_subjects)
    if k >= len(ids):
      raise ValueError(f"validation_subjects={k} must be < {len(ids)}, the number of training "
                       "subjects (some must be left to train on).")
    return ids[(2 * np.arange(k) + 1) * len(ids) // (2 * max(k, 1))].astype(np.int32)
  wanted = list(validation_subjects)
  if any(isinstance(w, (bool, np.bool_)) or not isinstance(w, (int, np.integer)) for w in wanted):
    raise TypeError(f"validation_subjects={wanted} must hold integer subject ids.")
  unknown = sorted(set(int(w) for w in wanted) - set(ids.tolist()))
  if unknown or len(set(wanted)) != len(wanted) or len(set(wanted)) == len(ids):
    raise ValueError(f"validation_subjects={wanted} must be distinct training subject ids that "
                     f"leave at least one to train on; not training subjects: {unknown}; "
                     f"training subjects: {ids.tolist()}.")
  return np.array(sorted(set(int(w) for w in wanted)), np.int32)


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
  root = common.data_dir(data_dir, "uci_har", holding=HOLDING, allow_file=True, flag=FLAG)
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
        f"({e.reason}). Download that archive (or the original '{ZIP_NAME}') by hand and put "
        f"it in {root}, or unpack it so that {os.path.join(root, FOLDER, 'train')} exists; or "
        f"pass {FLAG}=<folder holding '{FOLDER}'> or set ${common.CACHE_ENV}=<root> "
        f"(the loader then looks in <root>/uci_har).") from None
  return archive


def _zip_identity(path: str) -> str:
  stat = os.stat(path)
  return json.dumps([os.path.abspath(path), stat.st_size, stat.st_mtime_ns])


def _extract(zip_path: str) -> str:
  """Extracts the data set from `zip_path` into the cache once; returns the folder. A file
  that is no readable zip raises ValueError naming it and --data_dir (no chained traceback)."""
  dest = os.path.join(_cache_root(), "unzipped")
  folder, marker = os.path.join(dest, FOLDER), os.path.join(dest, "source.json")
  identity = _zip_identity(zip_path)
  if os.path.isdir(folder) and os.path.isfile(marker):
    with open(marker) as f:
      if f.read() == identity:
        return folder
  try:
    with zipfile.ZipFile(zip_path) as zf:
      names = set(zf.namelist())
      if f"{FOLDER}/activity_labels.txt" not in names and ZIP_NAME in names:
        os.makedirs(dest, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest) as tmp:  # the UCI archive wraps the original
          with zipfile.ZipFile(zf.extract(ZIP_NAME, tmp)) as inner:
            return _extract_members(inner, zip_path, dest, identity)
      return _extract_members(zf, zip_path, dest, identity)
  except (zipfile.BadZipFile, zlib.error, EOFError) as e:
    raise ValueError(
        f"{zip_path} is not a readable zip ({common.one_line(e)}): truncated, corrupt or not a "
        f"zip. Pass {FLAG}=<folder holding {HOLDING}>; a broken download in the cache can be "
        "deleted to fetch it again.") from None


def _extract_members(zf: zipfile.ZipFile, zip_path: str, dest: str, identity: str) -> str:
  wanted = [f"{FOLDER}/{f}" for f in required_files()]
  missing = sorted(set(wanted) - set(zf.namelist()))
  if missing:
    raise ValueError(f"{zip_path} is not the UCI HAR Dataset zip: it lacks {missing[:3]}"
                     f"{' ...' if len(missing) > 3 else ''} ({len(missing)} missing).")
  logging.info("Extracting UCI HAR from %s into %s", zip_path, dest)
  os.makedirs(dest, exist_ok=True)
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
        arrays = {k: saved[k] for k in saved.files if k != "key"}
        if all(np.isfinite(arrays[f"x_{s}"]).all() for s in SPLITS):
          return arrays
        logging.warning("The UCI HAR cache %s holds non-finite values; re-parsing.", cache)
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
    channels = [text_tables.read_table(p, NUM_STEPS, f"channel {c}")
                for p, c in zip(paths, CHANNELS)]                            # D x [N, T]
    y_path = os.path.join(folder, split, f"y_{split}.txt")
    s_path = os.path.join(folder, split, f"subject_{split}.txt")
    labels = text_tables.read_ints(y_path, 1, NUM_CLASSES) - 1
    subjects = text_tables.read_ints(s_path, 1, None)
    counts = {p: len(a) for p, a in zip(paths + [y_path, s_path], channels + [labels, subjects])}
    if len(set(counts.values())) != 1:
      listed = ", ".join(f"{os.path.basename(p)}: {n}" for p, n in counts.items())
      raise ValueError(f"UCI HAR {split} files disagree on the number of rows ({listed}).")
    arrays[f"x_{split}"] = np.stack(channels, axis=-1)  # [N, T, D]
    arrays[f"y_{split}"], arrays[f"subject_{split}"] = labels, subjects
  return arrays


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
