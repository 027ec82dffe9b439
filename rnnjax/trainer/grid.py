"""Hyperparameter grids: models x optimizers x learning rates x hidden sizes (the UCI HAR
tutorial's results figure).

  rows = grid.run(build_model, data, base_config, "runs/har/grid", models=("lstm", "gru"),
                  optimizers=("adam",), learning_rates=(1e-3, 1e-2), hidden_sizes=(32,))

Each point is an ordinary `trainer.fit` run in its own sub-folder, so a killed grid resumes where it
stopped (finished points are only re-evaluated). After every point the CSV of final test
accuracies (grid.csv) and the figure (grid.png) are rewritten.
"""
from __future__ import annotations

import dataclasses
import itertools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import flax.linen as nn
from absl import logging

from rnnjax.data import splits
from rnnjax.reports import grid as grid_report
from rnnjax.trainer.config import TrainConfig
from rnnjax.trainer.training import fit

CSV_FILE = "grid.csv"
FIGURE_FILE = "grid.png"


def point_name(model: str, optimizer: str, learning_rate: float, hidden_size: int) -> str:
  """The sub-folder of one grid point, e.g. "lstm_adam_lr0.001_h32"."""
  return f"{model}_{optimizer}_lr{learning_rate:g}_h{hidden_size}"


def run(build_model: Callable[[str, int], nn.Module], data: splits.DataSpec,
        base: TrainConfig, workdir: str, *, models: Sequence[str],
        optimizers: Sequence[str], learning_rates: Sequence[float], hidden_sizes: Sequence[int],
        hparams: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
  """Trains every point of the grid and returns one row per point (reports.grid.GRID_FIELDS).

  Args:
    build_model: (preset name, hidden size) -> model.
    data: the data set shared by every point.
    base: the config of every point; optimizer and learning_rate are replaced per point.
    workdir: holds one sub-folder per point, grid.csv and grid.png.
    models, optimizers, learning_rates, hidden_sizes: the axes of the grid.
    hparams: extra hyperparameters written to every point's metrics file.
  """
  rows = []
  os.makedirs(workdir, exist_ok=True)
  for model, optimizer, lr, hidden in itertools.product(models, optimizers, learning_rates,
                                                        hidden_sizes):
    name = point_name(model, optimizer, lr, hidden)
    config = dataclasses.replace(base, optimizer=optimizer, learning_rate=lr)
    start = time.perf_counter()
    result = fit(build_model(model, hidden), data, config, os.path.join(workdir, name),
                      hparams={**(hparams or {}), "preset": model, "hidden_size": hidden})
    last = result.history[-1] if result.history else {}
    rows.append({"model": model, "optimizer": optimizer, "learning_rate": lr,
                 "hidden_size": hidden, "test_accuracy": result.eval.get("accuracy"),
                 "train_accuracy": last.get("train/accuracy"), "test_loss": result.eval["loss"],
                 "steps": int(result.state.step), "wall_s": round(time.perf_counter() - start, 1),
                 "workdir": result.workdir})
    logging.info("Grid point %s: test accuracy %.2f %%.", name, 100 * rows[-1]["test_accuracy"])
    grid_report.write_grid_csv(rows, os.path.join(workdir, CSV_FILE))
    grid_report.grid_figure(rows, os.path.join(workdir, FIGURE_FILE))
  return rows
