"""TensorBoard event files beside metrics.jsonl, written without TensorFlow (tensorboardX).

  tensorboard --logdir runs/har        # every run under it; `pip install tensorboard` to view

`EventWriter(workdir)` takes the same records as `progress.MetricsWriter` (it is fed by it):
the hyperparameters record becomes an HParams session (the HParams dashboard lists every
hyperparameter, and takes its metric columns from the runs' scalars), and every number of every
other record a scalar at the record's step ("step", or "final_step" for the final test record);
list-valued metrics (per-class accuracy) become one scalar per entry, `<name>/<index>`;
matrices (the confusion matrix) stay in metrics.jsonl only. A resumed run appends a new event
file to the same folder; TensorBoard reads them as one run.
"""
from __future__ import annotations

import importlib.util
import numbers
from collections.abc import Mapping
from typing import Any

STEP_KEYS = ("step", "final_step")


def available() -> bool:
  """Whether the writer (tensorboardX) is installed."""
  return importlib.util.find_spec("tensorboardX") is not None


def scalars(record: Mapping[str, Any]) -> dict[str, float]:
  """The scalars of one metrics record: its numbers, and its lists of numbers entry by entry."""
  out = {}
  for name, value in record.items():
    if name in STEP_KEYS or isinstance(value, bool):
      continue
    if isinstance(value, numbers.Real):
      out[name] = float(value)
    elif isinstance(value, (list, tuple)) and all(isinstance(v, numbers.Real) for v in value):
      out.update({f"{name}/{i}": float(v) for i, v in enumerate(value)})
  return out


def hparam_values(hparams: Mapping[str, Any]) -> dict[str, bool | int | float | str]:
  """Hyperparameters as the HParams plugin takes them: numbers, strings and booleans as they
  are, None left out, anything else as its str()."""
  return {k: v if isinstance(v, (bool, numbers.Real, str)) else str(v)
          for k, v in hparams.items() if v is not None}


class EventWriter:
  """Writes metrics records to TensorBoard event files in `logdir`.

  Raises ImportError with the install command when tensorboardX is missing.
  """

  def __init__(self, logdir: str):
    if not available():
      raise ImportError("TensorBoard event files need tensorboardX, a dependency of rnnjax: "
                        "pip install tensorboardX; or turn them off with --notensorboard "
                        "(TrainConfig(tensorboard=False)).")
    from tensorboardX import SummaryWriter  # noqa: PLC0415  (an optional import)
    self._writer = SummaryWriter(logdir)
    self._step = 0

  def write(self, record: Mapping[str, Any]) -> None:
    """One metrics.jsonl record: the hparams record or a record of metrics at a step."""
    if "hparams" in record:
      from tensorboardX.summary import hparams  # noqa: PLC0415
      _, session_start, _ = hparams(hparam_values(record["hparams"]), {})
      self._writer.file_writer.add_summary(session_start)
    else:
      step = next((record[k] for k in STEP_KEYS if k in record), self._step)
      self._step = int(step)
      for name, value in scalars(record).items():
        self._writer.add_scalar(name, value, self._step)
    self._writer.flush()

  def close(self) -> None:
    self._writer.close()
