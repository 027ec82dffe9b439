"""What a run reports while it trains: progress lines, the metrics file, the final report."""
from __future__ import annotations

import datetime
import json
import logging as py_logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np
from absl import flags, logging

from rnnjax import metrics
from rnnjax.trainer import tensorboard as tensorboard_

METRICS_FILE = "metrics.jsonl"


def quiet_orbax(record: py_logging.LogRecord) -> bool:
  """A filter for absl's logger: orbax's per-save INFO lines go, its warnings stay."""
  return record.levelno >= py_logging.WARNING or f"{os.sep}orbax{os.sep}" not in record.pathname


def only_process_zero(record: py_logging.LogRecord) -> bool:
  """A filter for absl's logger: in a multi-process run the trainer's INFO lines (progress,
  reports) come from process 0 alone, like the metrics file and the curves; warnings stay."""
  return (record.levelno >= py_logging.WARNING or jax.process_index() == 0 or
          f"{os.sep}rnnjax{os.sep}trainer{os.sep}" not in record.pathname)


def to_json(summary: Mapping[str, Any], prefix: str) -> dict[str, Any]:
  """A summary as JSON-ready {"<prefix>/<name>": value} (arrays become lists)."""
  return {f"{prefix}/{k}": (v.tolist() if isinstance(v, np.ndarray) else v)
          for k, v in summary.items()}


def show_info_logs() -> None:
  """Makes absl's INFO lines (the progress lines) visible in plain scripts and notebooks too:
  outside `app.run` absl drops them until its flags are parsed."""
  if not flags.FLAGS.is_parsed() and logging.get_verbosity() < logging.INFO:
    logging.set_verbosity(logging.INFO)


def format_eta(seconds: float) -> str:
  """0:00:52, 12:03:04, or 3 days, 2:03:04 (whole seconds)."""
  return str(datetime.timedelta(seconds=round(max(seconds, 0.0))))


class ProgressBar:
  """A tqdm bar over the training steps where one can be shown (a terminal or a notebook: tqdm
  turns itself off when stderr is redirected to a file); only process 0 draws it."""

  def __init__(self, total: int, initial: int):
    from tqdm.auto import tqdm  # noqa: PLC0415  (one small import, only when training)
    self._bar = tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True,
                     disable=None if jax.process_index() == 0 else True, leave=False)

  def update(self, steps: int, **postfix: str) -> None:
    if postfix:
      self._bar.set_postfix(postfix, refresh=False)
    self._bar.update(steps)

  def close(self) -> None:
    self._bar.close()


def format_progress(step: int, train_summary: Mapping[str, Any], eval_summary: Mapping[str, Any],
                    steps_per_sec: float | None, eta_s: float | None,
                    split: str = "test") -> str:
  """The UCI HAR tutorial's line plus speed, e.g. "step 0500 : loss is 000.75, accuracy on
  training set 60.0 %, accuracy on test set 60.67 % (85.1 steps/s, ETA 0:00:52)". The loss is
  the training objective (data loss + L2) averaged since the previous line, like the accuracy;
  `split` names the evaluated split ("test" or "validation"). The speed leaves out the first
  step of a run (its compilation); ETAs of a day or more print days."""
  loss = train_summary.get("objective", train_summary["loss"])
  if "accuracy" in train_summary:
    quality = (f"accuracy on training set {100 * train_summary['accuracy']:.1f} %, "
               f"accuracy on {split} set {100 * eval_summary['accuracy']:.2f} %")
  else:
    quality = (f"MAE on training set {train_summary['mae']:.4f}, "
               f"MAE on {split} set {eval_summary['mae']:.4f}")
  speed = ("speed after the compiling step: not yet measured" if steps_per_sec is None else
           f"{steps_per_sec:.1f} steps/s, ETA {format_eta(eta_s)}")
  return f"step {step:04d} : loss is {loss:06.2f}, {quality} ({speed})"


class MetricsWriter:
  """Appends JSON lines to workdir/metrics.jsonl; the first line holds the hyperparameters and
  is written once (a resumed run appends after it). Only process 0 writes. With `tensorboard`
  (None: when tensorboardX is installed) every record also goes to TensorBoard event files in
  workdir (trainer.tensorboard); `close` closes them."""

  def __init__(self, workdir: str, hparams: Mapping[str, Any], tensorboard: bool | None = None):
    self.path = os.path.join(workdir, METRICS_FILE)
    self.active = jax.process_index() == 0
    on = tensorboard_.available() if tensorboard is None else tensorboard
    self.events = tensorboard_.EventWriter(workdir) if self.active and on else None
    if self.active and not os.path.exists(self.path):
      self.write({"hparams": dict(hparams)})

  def write(self, record: Mapping[str, Any]) -> None:
    if self.active:
      with open(self.path, "a") as f:
        f.write(json.dumps(record) + "\n")
    if self.events is not None:
      self.events.write(record)

  def close(self) -> None:
    if self.events is not None:
      self.events.close()


def log_report(summary: Mapping[str, Any], workdir: str, class_names: Sequence[str] = (),
               validation: Mapping[str, Any] | None = None) -> None:
  """Logs the final test accuracy, the per-class accuracy and the confusion matrix (or the
  regression errors) of a test-set summary; with a `validation` summary, its accuracy first
  (`Final validation accuracy: ...`)."""
  if "accuracy" not in summary:
    logging.info("Test loss %.4f, MAE %.4f, MSE %.4f (workdir %s).", summary["loss"],
                 summary["mae"], summary["mse"], workdir)
    return
  names = list(class_names) or [str(i) for i in range(len(summary["confusion"]))]
  if validation is not None and "accuracy" in validation:
    logging.info("Final validation accuracy: %.2f %%", 100 * validation["accuracy"])
  logging.info("Final test accuracy: %.2f %% (workdir %s)", 100 * summary["accuracy"], workdir)
  per_class = ", ".join(f"{name} {100 * acc:.2f} %"
                        for name, acc in zip(names, summary["per_class_accuracy"]))
  logging.info("Per-class test accuracy: %s", per_class)
  logging.info("Confusion matrix (rows true, columns predicted):\n%s",
               metrics.format_confusion(summary["confusion"], names))
