"""What every loader shares besides its splits (rnnjax.data.splits): data folders, the download
cache, downloads and TFDS. All loading stays on the host, in numpy."""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.request


CACHE_ENV = "RNNJAX_DATA_DIR"
DEFAULT_CACHE = os.path.join("~", ".cache", "rnnjax")


class DataNotFoundError(FileNotFoundError):
  """The data set is not on disk and could not be downloaded.

  `reason`: for a failed download, the network error's one-line text (else "")."""
  reason: str = ""


def one_line(error: BaseException) -> str:
  """`error`'s message on one line, for messages raised `from None`."""
  text = " ".join(str(error).split())
  return f"{type(error).__name__}: {text}" if text else type(error).__name__


def cache_dir(name: str) -> str:
  """The download cache of data set `name`: $RNNJAX_DATA_DIR/name, else ~/.cache/rnnjax/name.
  The only folders rnnjax creates are under it (on download, extraction or parse caching)."""
  root = os.path.expanduser(os.environ.get(CACHE_ENV) or DEFAULT_CACHE)
  if os.path.exists(root) and not os.path.isdir(root):
    raise DataNotFoundError(f"${CACHE_ENV}={root} is a file, not a folder: point it at a "
                            "folder (it is created if missing) or unset it.")
  return os.path.join(root, name)


def data_dir(flag_value: str | None, name: str, *, holding: str = "the data set",
             allow_file: bool = False, flag: str = "--data_dir") -> str:
  """Where data set `name` lives: the flag's value (checked by `existing`), else
  `cache_dir(name)`. Nothing is created here: a typo never leaves a folder behind."""
  if not flag_value:
    return cache_dir(name)
  return existing(flag_value, holding, allow_file=allow_file, flag=flag,
                  fallback=f"leave {flag} unset to use the download cache {cache_dir(name)}")


def existing(flag_value: str, holding: str, *, allow_file: bool = False,
             flag: str = "--data_dir", fallback: str = "") -> str:
  """`flag_value` (user-expanded) when it is a folder (or, with `allow_file`, a file); else
  DataNotFoundError naming `flag`, the path and what the folder must hold (`holding`)."""
  path = os.path.expanduser(flag_value)
  if os.path.isdir(path) or (allow_file and os.path.isfile(path)):
    return path
  if os.path.exists(path):
    raise DataNotFoundError(f"{flag}={flag_value} is a file, not a folder: pass the folder "
                            f"holding {holding}.")
  raise DataNotFoundError(f"{flag}={flag_value} does not exist (a typo?): pass the folder "
                          f"holding {holding}{', or ' + fallback if fallback else ''}.")


def sha256(path: str) -> str:
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
      digest.update(chunk)
  return digest.hexdigest()


def download(url: str, dest: str, expected_sha256: str | None, *, what: str, flag: str,
             timeout: float = 30.0) -> str:
  """Downloads `url` to `dest` (atomically) and checks its sha256; returns `dest`.

  Raises DataNotFoundError, naming `flag` and where to put the files, when offline (its
  `reason` holds the network error's one-line text; no chained traceback); raises ValueError
  when the checksum does not match (the partial file is removed). Creates `dest`'s folder:
  callers pass a folder that exists or one in the download cache.
  """
  if os.path.exists(dest):
    return dest
  folder = os.path.dirname(dest) or "."
  try:
    os.makedirs(folder, exist_ok=True)
    tmp = tempfile.NamedTemporaryFile(dir=folder, delete=False)
  except OSError as e:  # read-only cache, or a file where the folder should be
    raise DataNotFoundError(
        f"{what} is not on disk and cannot be downloaded into {folder} ({one_line(e)}). Pass "
        f"{flag}=<folder holding a copy>, or set ${CACHE_ENV}=<a writable folder>.") from None
  try:
    with tmp, urllib.request.urlopen(url, timeout=timeout) as response:
      shutil.copyfileobj(response, tmp)
  except (OSError, http.client.HTTPException) as e:  # the urllib chain adds nothing to this
    os.remove(tmp.name)
    error = DataNotFoundError(
        f"{what} was not found and could not be downloaded from {url} ({one_line(e)}). "
        f"Download it by hand and put it at {dest}, or pass {flag}=<folder> pointing at a copy "
        f"(or set ${CACHE_ENV}).")
    error.reason = one_line(e)
    raise error from None
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
  if data_dir:  # an explicit folder must exist: TFDS would create it and download into it
    data_dir = existing(data_dir, f"the prepared TFDS data set {name!r}",
                        fallback="leave it unset for TFDS's default data dir")
  import tensorflow_datasets as tfds  # optional path: imported only when used
  try:
    source = tfds.data_source(name, split=split, data_dir=data_dir, download=download)
  except (NotImplementedError, ImportError, OSError) as e:
    raise DataNotFoundError(
        f"TFDS data set {name!r} ({split}) is not prepared in array_record format under "
        f"{data_dir or 'the TFDS default data dir'} ({one_line(e)}). Run "
        f"`tfds build {name} --file_format=array_record` online, or pass --data_dir=<a TFDS "
        "data dir holding it>.") from None
  # One at a time: the source that tfds.testing.mock_data substitutes has a broken batched
  # __getitems__ (tfds 4.9.10).
  return [source[i] for i in range(len(source))]
