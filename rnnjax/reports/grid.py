"""The hyperparameter-grid report: a CSV of final accuracies and the UCI HAR tutorial's figure."""
from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from typing import Any

from rnnjax.reports import curves  # noqa: F401  (selects matplotlib's Agg backend)

import matplotlib.pyplot as plt  # noqa: E402  (after curves chose the backend)

GRID_FIELDS = ("model", "optimizer", "learning_rate", "hidden_size", "test_accuracy",
               "train_accuracy", "test_loss", "steps", "wall_s", "workdir")


def write_grid_csv(rows: Sequence[Mapping[str, Any]], path: str) -> None:
  """One row per run, columns GRID_FIELDS."""
  with open(path, "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=GRID_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)


def grid_figure(rows: Sequence[Mapping[str, Any]], png_path: str) -> None:
  """The UCI HAR tutorial's results figure: one panel per (hidden size, optimizer); in each, final test
  accuracy against learning rate (log axis), one line per model."""
  hiddens = sorted({r["hidden_size"] for r in rows})
  optimizers = sorted({r["optimizer"] for r in rows})
  models = sorted({r["model"] for r in rows})
  fig, axes = plt.subplots(len(hiddens), len(optimizers), squeeze=False, sharey=True,
                           figsize=(4 * len(optimizers), 3.2 * len(hiddens)))
  for i, hidden in enumerate(hiddens):
    for j, optimizer in enumerate(optimizers):
      ax = axes[i][j]
      for model in models:
        points = sorted((float(r["learning_rate"]), 100 * float(r["test_accuracy"]))
                        for r in rows if (r["hidden_size"], r["optimizer"], r["model"])
                        == (hidden, optimizer, model))
        if points:
          ax.plot(*zip(*points), marker="o", label=model)
      ax.set_xscale("log")
      ax.set(title=f"{optimizer}, {hidden} hidden units", xlabel="learning rate",
             ylabel="final test accuracy (%)" if j == 0 else None)
      ax.grid(alpha=0.3)
  axes[0][-1].legend(fontsize="small")
  fig.tight_layout()
  fig.savefig(png_path, dpi=100)
  plt.close(fig)

