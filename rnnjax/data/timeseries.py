"""One-step-ahead windows of a univariate series: Simplilearn's time-series lesson (after Géron,
"Hands-On Machine Learning", ch. 14): each example is T = 20 consecutive values and its targets
are the same values shifted one step into the future.

Two series:
  * `load_synthetic`: the lesson's t * sin(t) / 3 + 2 * sin(5 t), sampled every `resolution`
    (0.1) over [0, t_max]. The series is held on a grid `oversample` times finer, so that
    windows start at (almost) any t, as the lesson's random t0 do.
  * `load_jena`: the hourly temperature of the Jena climate CSV (`rnnjax.data.jena`'s reader),
    normalised with the training rows' mean and std.

A window starting at row s holds rows s, s + k, ..., s + (T - 1) k (k = `step`: rows between
consecutive time steps) and its targets rows s + k, ..., s + T k. Rows are split into
alternating train / validation / test blocks (`rnnjax.data.windows.seasonal_blocks`) and windows
lie inside one block: no window uses rows of two parts.

  data = timeseries.load_synthetic()
  data.spec.train.inputs     # [N, 20, 1] float32; labels [N, 20, 1]: the next values
  timeseries.naive_mse(data.spec.test)     # "next value = this value"
  prime, truth = data.continuation("test", prime_steps=20, steps=200)
"""
from __future__ import annotations

import dataclasses

import numpy as np

from rnnjax.data import common, jena, splits, windows

SYNTHETIC_BLOCKS = (5.0, 2.5, 2.5)          # t-units of train / validation / test per cycle


def synthetic_series(t: np.ndarray) -> np.ndarray:
  """The lesson's series: t * sin(t) / 3 + 2 * sin(5 t)."""
  return t * np.sin(t) / 3 + 2 * np.sin(5 * t)


@dataclasses.dataclass(frozen=True)
class SeriesData:
  """Windows of one series and what is needed to read them.

  Attributes:
    spec: DataSpec of train / validation / test Splits: inputs [N, T, 1] float32, labels
      [N, T, 1] (each input's next value); num_classes=0 (regression).
    series: [R] float32, the whole series in model units.
    times: [R] the time of each row (t, or hours since the first row).
    step: rows between consecutive time steps of a window.
    starts: part -> [N] first row of each of its windows.
    blocks: part -> the row ranges [start, end) of that part.
    time_unit, value_unit: axis names for reports.
    offset, scale: value in value_unit = offset + scale * model units.
  """
  spec: splits.DataSpec
  series: np.ndarray
  times: np.ndarray
  step: int
  starts: dict[str, np.ndarray]
  blocks: windows.Blocks
  time_unit: str = "t"
  value_unit: str = "value"
  offset: float = 0.0
  scale: float = 1.0

  def to_values(self, x) -> np.ndarray:
    """Model units -> value_unit."""
    return self.offset + self.scale * np.asarray(x)

  @property
  def value_range(self) -> float:
    """max - min of the whole series (model units)."""
    return float(np.max(self.series) - np.min(self.series))

  def continuation(self, part: str, prime_steps: int, steps: int,
                   block: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """(prime [prime_steps], truth [steps], first row): the series from the first row of
    `part`'s block number `block`, every `step` rows; the truth follows the prime and may run
    past the block's end."""
    first = self.blocks[part][block][0]
    rows = first + self.step * np.arange(prime_steps + steps)
    if rows[-1] >= len(self.series):
      raise ValueError(f"A continuation of {prime_steps} + {steps} steps from row {first} needs "
                       f"row {rows[-1]}; the series has {len(self.series)} rows. Ask for fewer "
                       "steps or another block.")
    values = self.series[rows]
    return values[:prime_steps], values[prime_steps:], first


def shifted_windows(series: np.ndarray, starts: np.ndarray, steps: int,
                    step: int) -> tuple[np.ndarray, np.ndarray]:
  """(inputs [N, T, 1], targets [N, T, 1]) float32: rows s + k j and s + k (j + 1), j < T."""
  rows = starts[:, None] + step * np.arange(steps + 1)[None, :]          # [N, T + 1]
  values = np.asarray(series, np.float32)[rows][..., None]               # [N, T + 1, 1]
  return values[:, :-1], values[:, 1:]


def window_splits(series: np.ndarray, blocks: windows.Blocks, *, steps: int, step: int,
                  stride: int, burn_in: int = 0) -> tuple[splits.DataSpec, dict[str, np.ndarray]]:
  """(DataSpec of every part's windows, part -> [N] window starts); windows start `stride` rows
  apart inside each block; the first burn_in steps of every window get weight 0 (not scored:
  they have too little history). Raises ValueError naming the part that gets no window."""
  if not 0 <= burn_in < steps:
    raise ValueError(f"burn_in={burn_in} must be in [0, steps={steps}).")
  weights = np.ones(steps, np.float32)
  weights[:burn_in] = 0.0
  parts, starts = {}, {}
  for part, ranges in blocks.items():
    starts[part] = windows.window_starts(ranges, lookback=steps * step, delay=0, stride=stride)
    if not len(starts[part]):
      raise ValueError(f"No {part} window: its blocks {ranges} must be longer than steps * "
                       f"step = {steps * step} rows. Use shorter windows or longer blocks.")
    inputs, targets = shifted_windows(series, starts[part], steps, step)
    parts[part] = splits.Split(inputs, targets, splits.full_lengths(len(inputs), steps),
                               np.broadcast_to(weights, (len(inputs), steps)) if burn_in else None)
  spec = splits.DataSpec(train=parts["train"], validation=parts["validation"],
                         test=parts["test"], num_classes=0, feature_dim=1)
  return spec, starts


def naive_mse(split: splits.Split) -> float:
  """MSE of the naive forecast "next value = this value" over the scored steps of `split`
  (every step, or those of weight > 0)."""
  errors = np.square(split.inputs - split.labels)[..., 0]                 # [N, T]
  if split.weights is None:
    return float(np.mean(errors))
  return float(np.sum(errors * split.weights) / np.sum(split.weights))


def load_synthetic(*, t_max: float = 30.0, resolution: float = 0.1, oversample: int = 10,
                   steps: int = 20, burn_in: int = 0,
                   block_t: tuple[float, float, float] = SYNTHETIC_BLOCKS) -> SeriesData:
  """The lesson's series on [0, t_max], windows of `steps` values `resolution` apart, starting
  every resolution / oversample; cycles of block_t = (train, validation, test) t-units."""
  dt = resolution / oversample
  times = np.arange(round(t_max / dt) + 1) * dt                          # [R]
  series = synthetic_series(times).astype(np.float32)
  blocks = windows.seasonal_blocks(len(times), [round(b / dt) for b in block_t])
  spec, starts = window_splits(series, blocks, steps=steps, step=oversample, stride=1,
                               burn_in=burn_in)
  return SeriesData(spec, series, times, oversample, starts, blocks)


def load_jena(data_dir: str | None = None, *, filename: str | None = None, steps: int = 20,
              step: int = 6, stride: int = 6, burn_in: int = 0,
              block_rows: tuple[int, int, int] | None = None) -> SeriesData:
  """Hourly (step=6 ten-minute rows) temperature windows from the Jena CSV in data_dir (see
  rnnjax.data.jena), normalised with the training rows' mean and std; the seasonal blocks of
  rnnjax.data.jena (block_rows, default jena.SEASONAL_BLOCK_ROWS: 6 / 3 / 3 weeks)."""
  path = jena.find_file(common.data_dir(data_dir, jena.NAME, holding=jena.LAYOUT,
                                        flag=jena.FLAG), filename)
  table = jena.read_csv(path, fill=False)
  column = jena.select(table.names, ("T (degC)",))[0]
  table = jena.fill_missing(jena.Table((table.names[column],), table.times,
                                       table.values[:, [column]]))
  degrees = table.values[:, 0]                                           # [R]
  blocks = windows.seasonal_blocks(len(degrees), block_rows or jena.SEASONAL_BLOCK_ROWS)
  train = np.concatenate([degrees[a:b] for a, b in blocks["train"]])
  mean, std = float(train.mean()), float(train.std() or 1.0)
  series = ((degrees - mean) / std).astype(np.float32)
  spec, starts = window_splits(series, blocks, steps=steps, step=step, stride=stride,
                               burn_in=burn_in)
  hours = (table.times - table.times[0]).astype(np.float64) / 3600.0
  return SeriesData(spec, series, hours, step, starts, blocks, time_unit="hours",
                    value_unit="T (degC)", offset=mean, scale=std)
