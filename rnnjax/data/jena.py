"""Jena climate (MPI-BGC Beutenberg roof station, 10-minute records): forecast T 24 h ahead.

Reads either CSV variant, plain or `.gz` / `.xz` / `.zip` compressed:
  * the Keras file `jena_climate_2009_2016.csv`: "Date Time" column (`01.01.2009 00:10:00`) and
    the 14 numeric columns of KERAS_FEATURES (420,551 rows);
  * the station's later files, e.g. `weather_2020.csv`: an ISO `date` column
    (`2020-01-01 00:10:00`), more columns, a Latin-1 header with mojibake in some units.
Features are matched by the name before the unit, case-insensitively: "T", "t" and
"T (degC)" all name the temperature column.

Cleaning: values <= -9998.5 (the station's -9999 sentinel) become NaN and are filled by linear
interpolation in time (over the timestamps when they never go backwards, else over the row
index); NaNs before the first / after the last valid value take that value. A feature that is
absent, or has no valid value at all, is an error.

Derived features (`derived=`, TensorFlow's "Time series forecasting" tutorial's feature
engineering, after the cleaning): "wind" turns each wind speed (wv, max. wv) and the direction wd
(degrees) into the wind vector's components, speed * cos(wd) and speed * sin(wd) (so 359 and 1
degrees are neighbours, and calm air has no direction), dropping wd; "day" and "year" add the
sine and cosine of the time of day and of the year (period 365.2425 days), from the timestamps.

Non-finite values ('nan', 'inf') are refused with the file, line, column and feature: the
station marks a missing value with -9999, never with nan.

Splits (`split=`), windows and normalisation (the generator of seed 001, Chollet's book):
  * "seasonal" (the default): from row 0, cycles of SEASONAL_BLOCK_ROWS = 6 weeks of training
    rows, 3 weeks of validation rows and 3 weeks of test rows (6,048 / 3,024 / 3,024 10-minute
    rows), repeated to the end of the file (the last cycle is cut short). A 12-week cycle is
    shorter than a season, so every part has labels in every season (not in every month:
    on the 2020 file, with 10-day windows, 20,584 / 5,760 / 5,760 windows at stride 1).
    Pass `block_rows=` for other block lengths; a validation block of 0 rows
    (REFIT_BLOCK_ROWS) gives no validation split, for the final fit of a model chosen on it.
  * "chronological" (seed 001's): rows [0, a) train, [a, b) validation, [b, R) test;
    (a, b) = (200000, 300000) for the Keras file, else (R // 2, 3R // 4), i.e. 50% / 25% / 25%;
    or pass `split_rows` (which implies this split). Trains on the first months only.
  * a window ending at row i (exclusive) holds rows i - lookback, i - lookback + step, ...,
    i - step ([lookback / step] steps) and its label is the normalised T at row i + delay.
    Windows lie inside one block (`rnnjax.data.windows`): no window uses rows of two parts,
    and between the labels of neighbouring parts lie more than lookback + delay rows (the
    first lookback + delay rows of every block only feed inputs). So a block must be longer
    than lookback + delay rows to give any window; consecutive windows start `stride` rows
    apart (Keras uses 1; the default 6 keeps one window per hour).
  * every feature is normalised with the mean/std of the TRAINING rows only (all blocks).
  * inputs cost no memory until batches index them (`inputs[index]` copies just those
    windows): a numpy stride-trick view for one block, a `windows.WindowArray` for several.
"""
from __future__ import annotations

import dataclasses
import glob
import gzip
import lzma
import os
import re
import zipfile
import zlib

import numpy as np
from absl import logging

from rnnjax.data import common, splits, windows
from rnnjax.data.windows import SPLITS  # noqa: F401  (re-exported: the split names)

NAME = "jena_climate"
KERAS_FILE = "jena_climate_2009_2016.csv"
URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/jena_climate_2009_2016.csv.zip"
KERAS_FEATURES = (
    "p (mbar)", "T (degC)", "Tpot (K)", "Tdew (degC)", "rh (%)", "VPmax (mbar)",
    "VPact (mbar)", "VPdef (mbar)", "sh (g/kg)", "H2OC (mmol/mol)", "rho (g/m**3)",
    "wv (m/s)", "max. wv (m/s)", "wd (deg)")
KERAS_SPLIT_ROWS = (200_000, 300_000)
SENTINEL_MAX = -9998.5                            # -9999 / -9999.0 mark a missing value
COMPRESSED = ("", ".zip", ".gz", ".xz")
LAYOUT = (f"{KERAS_FILE}[.zip|.gz|.xz] (the Keras file), or one station CSV such as "
          "weather_2020.csv[.gz|.xz] (then several: pass filename=)")
FLAG = "--data_dir"
ROWS_PER_DAY = 144                                # 10-minute records
SEASONAL_BLOCK_ROWS = (42 * ROWS_PER_DAY, 21 * ROWS_PER_DAY, 21 * ROWS_PER_DAY)  # train/val/test
# The same cycles with each validation block joined to the training block before it: the test
# blocks stay where they were, so a model chosen on SEASONAL_BLOCK_ROWS' validation blocks can
# be refit on all the rows it was allowed to see.
REFIT_BLOCK_ROWS = (63 * ROWS_PER_DAY, 0, 21 * ROWS_PER_DAY)
DERIVED = ("wind", "day", "year")                 # `derive`'s feature groups
PERIODS_S = {"day": 86_400.0, "year": 365.2425 * 86_400.0}


@dataclasses.dataclass(frozen=True)
class Table:
  """A parsed CSV. names: the K numeric column names; times [R] datetime64[s]; values [R, K]."""
  names: tuple[str, ...]
  times: np.ndarray
  values: np.ndarray


@dataclasses.dataclass(frozen=True)
class JenaData:
  """Windows plus what is needed to read results in degrees C.

  Attributes:
    spec: DataSpec; inputs [N, T, F] float32 views, labels [N] float32 (normalised T),
      num_classes=0 (regression), feature_dim=F.
    feature_names: the F selected columns, as named in the file.
    mean, std: [F] training-row statistics used to normalise.
    target_index: position of the target among the features.
    blocks: "train" / "validation" / "test" -> the row ranges [start, end) of that part.
  """
  spec: splits.DataSpec
  feature_names: tuple[str, ...]
  mean: np.ndarray
  std: np.ndarray
  target_index: int
  blocks: windows.Blocks = dataclasses.field(default_factory=dict)

  @property
  def target_mean(self) -> float:
    return float(self.mean[self.target_index])

  @property
  def target_std(self) -> float:
    return float(self.std[self.target_index])

  def to_degrees(self, mae: float) -> float:
    """A normalised MAE in degrees C."""
    return float(mae) * self.target_std

  def naive_mae(self, split: str = "validation") -> float:
    """Normalised MAE of the naive forecast: T at the window's last step (Chollet's baseline)."""
    data = getattr(self.spec, split)
    return float(np.mean(np.abs(data.inputs[:, -1, self.target_index] - data.labels)))


def feature_key(name: str) -> str:
  """The name before the unit, lowercased: 'T (degC)' -> 't', 'max. wv (m/s)' -> 'max. wv'."""
  return name.split("(")[0].strip().lower()


def _open_text(path: str) -> str:
  if path.endswith(".zip"):
    with zipfile.ZipFile(path) as z:
      members = [m for m in z.namelist() if m.endswith(".csv")]
      if len(members) != 1:
        raise ValueError(f"{path} should hold one .csv file, found {members}.")
      raw = z.read(members[0])
  else:
    opener = {".gz": gzip.open, ".xz": lzma.open}.get(os.path.splitext(path)[1], open)
    with opener(path, "rb") as f:
      raw = f.read()
  return raw.decode("latin-1")                    # the station's headers are Latin-1


def _parse_times(dates: list[str], path: str) -> np.ndarray:
  if dates and re.fullmatch(r"\d\d\.\d\d\.\d{4} .*", dates[0]):   # 01.01.2009 00:10:00
    dates = [f"{d[6:10]}-{d[3:5]}-{d[:2]}T{d[11:]}" for d in dates]
  try:
    return np.array(dates, "datetime64[s]")
  except ValueError as e:
    raise ValueError(f"{path}: unreadable dates in the first column ({common.one_line(e)})."
                     ) from None


def read_csv(path: str, *, fill: bool = True) -> Table:
  """Parses a Jena CSV (either variant); with `fill`, sentinels are interpolated away.
  Raises ValueError naming the file (and line, column and feature for a non-finite value)."""
  try:
    numbered = [(i + 1, line) for i, line in enumerate(_open_text(path).splitlines())
                if line.strip()]                  # (line number in the file, text)
  except (EOFError, OSError, lzma.LZMAError, zipfile.BadZipFile, zlib.error) as e:
    raise ValueError(f"{path} could not be read ({common.one_line(e)}): truncated or corrupt? "
                     f"Replace it with a good copy, or pass {FLAG}=<folder holding one>."
                     ) from None
  lines = [line for _, line in numbered]
  header = [h.strip().strip('"') for h in lines[0].split(",")] if lines else []
  if len(header) < 2 or len(lines) < 2:
    raise ValueError(f"{path} is not a Jena CSV: expected a header 'Date Time|date,<columns>' "
                     "and data rows.")
  try:
    values = np.loadtxt(lines[1:], delimiter=",", quotechar='"', dtype=np.float64,
                        usecols=range(1, len(header)), ndmin=2)       # [R, K]
  except ValueError as e:
    raise ValueError(f"{path}: malformed data rows ({common.one_line(e)}).") from None
  bad = ~np.isfinite(values)                                          # [R, K]
  if bad.any():
    r, c = (int(k) for k in np.argwhere(bad)[0])
    raise ValueError(f"{path}, line {numbered[r + 1][0]}, column {c + 2} ({header[c + 1]!r}): "
                     f"{values[r, c]} is not a finite number ({int(bad.sum())} such values). "
                     "The station marks a missing value with -9999 (then interpolated); "
                     "write that or the right value.")
  values[values <= SENTINEL_MAX] = np.nan
  times = _parse_times([line.split(",", 1)[0].strip('"') for line in lines[1:]], path)
  table = Table(tuple(header[1:]), times, values)
  return fill_missing(table) if fill else table


def fill_missing(table: Table) -> Table:
  """Linear interpolation of NaNs in time (row index if time goes backwards)."""
  x = table.times.astype(np.int64)
  if np.any(np.diff(x) < 0):
    logging.warning("Jena timestamps go backwards; interpolating over the row index.")
    x = np.arange(len(x))
  values = table.values.copy()
  for c, name in enumerate(table.names):
    bad = np.isnan(values[:, c])
    if bad.all():
      raise ValueError(f"Column {name!r} has no valid value (all missing / -9999).")
    if bad.any():
      values[bad, c] = np.interp(x[bad], x[~bad], values[~bad, c])
  return dataclasses.replace(table, values=values)


def check_derived(derived) -> tuple[str, ...]:
  """`derived` as a tuple of DERIVED names; ValueError naming a bad one (before any reading)."""
  derived = tuple(derived)
  bad = [d for d in derived if d not in DERIVED]
  if bad or len(set(derived)) != len(derived):
    raise ValueError(f"derived={list(derived)} must name each of {list(DERIVED)} at most once.")
  return derived


def derive(table: Table, derived: tuple[str, ...]) -> Table:
  """`table` with the derived features of the module docstring: "wind" replaces the speed and
  direction columns in place by "Wx"/"Wy" ("max. Wx"/"max. Wy" for max. wv) components, "day"
  and "year" append "<period> sin" and "<period> cos" columns. Needs wd and a wind speed among
  the columns for "wind"."""
  names, values = list(table.names), table.values
  columns = []
  keys = [feature_key(n) for n in names]
  if "wind" in derived:
    if "wd" not in keys or not {"wv", "max. wv"} & set(keys):
      raise ValueError(f"derived 'wind' needs the features wd and wv or max. wv; these are "
                       f"{names}.")
    radians = np.deg2rad(values[:, keys.index("wd")])                          # [R]
    for name, key, column in zip(names, keys, values.T):
      if key in ("wv", "max. wv"):
        base, unit = ("max. W" if key == "max. wv" else "W"), name[len(name.split("(")[0]):]
        columns += [(f"{base}x {unit}".strip(), column * np.cos(radians)),
                    (f"{base}y {unit}".strip(), column * np.sin(radians))]
      elif key != "wd":
        columns.append((name, column))
  else:
    columns = list(zip(names, values.T))
  seconds = table.times.astype("datetime64[s]").astype(np.int64).astype(np.float64)  # [R]
  for period in ("day", "year"):
    if period in derived:
      angle = 2 * np.pi * seconds / PERIODS_S[period]
      columns += [(f"{period} sin", np.sin(angle)), (f"{period} cos", np.cos(angle))]
  return Table(tuple(n for n, _ in columns), table.times,
               np.stack([c for _, c in columns], axis=1).astype(values.dtype))


def select(names: tuple[str, ...], wanted: tuple[str, ...]) -> list[int]:
  """Column indices of `wanted` features, matched by `feature_key`."""
  keys = [feature_key(n) for n in names]
  missing = [w for w in wanted if feature_key(w) not in keys]
  if missing:
    raise ValueError(f"Features {missing} are not in the file; it has {list(names)}.")
  return [keys.index(feature_key(w)) for w in wanted]


def find_file(root: str, filename: str | None) -> str:
  """The CSV to read in `root` (see LAYOUT), downloading the Keras file if there is none."""
  if filename:
    path = os.path.join(root, filename)
    if not os.path.isfile(path):
      raise common.DataNotFoundError(f"{path} is not a file; pass {FLAG}=<folder holding "
                                     f"{filename}>, or the right filename.")
    return path
  for suffix in COMPRESSED:
    if os.path.exists(path := os.path.join(root, KERAS_FILE + suffix)):
      return path
  found = sorted(p for s in COMPRESSED for p in glob.glob(os.path.join(root, "*.csv" + s)))
  if len(found) > 1:
    raise ValueError(f"Several CSV files in {root}: {found}; pass filename=.")
  if found:
    return found[0]
  try:
    return common.download(URL, os.path.join(root, KERAS_FILE + ".zip"), None,
                           what="The Jena climate CSV", flag=FLAG)
  except common.DataNotFoundError as e:
    raise common.DataNotFoundError(f"{e}\nExpected in {root}: {LAYOUT}.") from None


def split_blocks(split: str, rows: int, path: str, split_rows: tuple[int, int] | None,
                 block_rows: tuple[int, int, int] | None, fold: int = 0) -> windows.Blocks:
  """The row ranges of each part for `split` (see the module docstring) of a file of `rows`."""
  if split == "seasonal":
    return windows.seasonal_blocks(rows, block_rows or SEASONAL_BLOCK_ROWS, fold)
  if split_rows is None:
    keras = os.path.basename(path).startswith(KERAS_FILE) and rows > KERAS_SPLIT_ROWS[1]
    split_rows = KERAS_SPLIT_ROWS if keras else (rows // 2, 3 * rows // 4)
  if not 0 < split_rows[0] < split_rows[1] < rows:
    raise ValueError(f"split_rows={split_rows} must satisfy 0 < train_end < val_end < "
                     f"{rows} (the rows in {path}).")
  return windows.chronological_blocks(rows, split_rows)


def load(data_dir: str | None = None, *, filename: str | None = None,
         features: tuple[str, ...] = KERAS_FEATURES, target: str = "T (degC)",
         lookback: int = 1440, step: int = 6, delay: int = 144, stride: int = 6,
         split: str | None = None, split_rows: tuple[int, int] | None = None,
         block_rows: tuple[int, int, int] | None = None, fold: int = 0,
         derived: tuple[str, ...] = ()) -> JenaData:
  """Jena climate windows from the CSV in `common.data_dir(data_dir, "jena_climate")`.

  Args:
    data_dir: folder holding the CSV (the `--data_dir` flag); filename: which CSV in it.
    features: F column names (or names without unit); target must be one of them.
    lookback, step, delay: rows of history, sampling period and forecast horizon (10-min rows).
    stride: rows between the starts of consecutive windows.
    split: "seasonal" (the default) or "chronological" (the default when split_rows is given);
      see the module docstring.
    split_rows: "chronological" only: (train_end, val_end) row boundaries.
    block_rows: "seasonal" only: (train, validation, test) rows per cycle, each more than
      lookback + delay; default SEASONAL_BLOCK_ROWS. A validation of 0 rows gives no
      validation split (e.g. REFIT_BLOCK_ROWS: the final fit on training + validation rows).
    fold: "seasonal" only: which of the `windows.seasonal_folds(block_rows)` positions the
      validation block takes in each cycle (0: just before the test block; the test blocks
      never move), for cross-validation over folds 0, 1, ...
    derived: feature groups of DERIVED added after cleaning (module docstring); the windows'
      F counts them (JenaData.feature_names names every column).

  Returns:
    JenaData: spec with train/validation/test windows [N, lookback/step, F] float32.
  """
  split = windows.check_split(split, split_rows, block_rows, lookback=lookback, step=step,
                              delay=delay, stride=stride)
  if fold:
    if split != "seasonal":
      raise ValueError(f"fold={fold!r} applies to split='seasonal', not {split!r}.")
    windows.check_fold(block_rows or SEASONAL_BLOCK_ROWS, fold)
  derived = check_derived(derived)
  path = find_file(common.data_dir(data_dir, NAME, holding=LAYOUT, flag=FLAG), filename)
  table = read_csv(path, fill=False)
  columns = select(table.names, tuple(features))
  if feature_key(target) not in [feature_key(f) for f in features]:
    raise ValueError(f"target {target!r} must be one of the features {list(features)}.")
  table = fill_missing(Table(tuple(table.names[c] for c in columns), table.times,
                             table.values[:, columns]))          # only the selected columns
  table = derive(table, derived)
  target_index = [feature_key(n) for n in table.names].index(feature_key(target))
  rows = len(table.values)
  blocks = split_blocks(split, rows, path, split_rows, block_rows, fold)
  train_rows = np.concatenate([table.values[a:b] for a, b in blocks["train"]])  # [R_train, F]
  mean, std = train_rows.mean(axis=0), train_rows.std(axis=0)                 # [F] each
  std = np.where(std > 0, std, 1.0)               # a constant training column stays 0
  data = ((table.values - mean) / std).astype(np.float32)                   # [R, F]
  parts = {part: windows.window_split(data, ranges, lookback=lookback, step=step, delay=delay,
                                      stride=stride, target_index=target_index)
           for part, ranges in blocks.items()
           if not (part == "validation" and split == "seasonal" and block_rows
                   and block_rows[1] == 0)}                 # 0 validation rows: no split
  empty = [part for part, s in parts.items() if not len(s)]
  if empty:
    fix = (f"block_rows={block_rows or SEASONAL_BLOCK_ROWS}; pass smaller block_rows= or "
           "split='chronological'" if split == "seasonal" else
           "rows " + ", ".join(f"{p} {b[0][0]}-{b[0][1]}" for p, b in blocks.items())
           + "; pass other split_rows=")
    raise ValueError(
        f"split={split!r} leaves no {' and no '.join(empty)} window in the {rows} rows of "
        f"{path}: each part needs a block longer than lookback + delay = {lookback + delay} "
        f"rows ({fix}, a shorter lookback/delay, or a longer file).")
  spec = splits.DataSpec(train=parts["train"], validation=parts.get("validation"),
                         test=parts["test"], num_classes=0, feature_dim=len(table.names))
  return JenaData(spec, table.names, mean, std, target_index, blocks)
