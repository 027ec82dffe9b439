"""Figures written at the end of runs (matplotlib, Agg backend: no display needed).

  training_curves(".../metrics.jsonl", ".../curves.png")   loss and accuracy against step
  write_grid_csv(rows, path); grid_figure(rows, path)     seed 000's results figure
"""
from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

GRID_FIELDS = ("model", "optimizer", "learning_rate", "hidden_size", "test_accuracy",
               "train_accuracy", "test_loss", "steps", "wall_s", "workdir")


def read_metrics(path: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
  """(hparams, records sorted by step) of a metrics.jsonl; a step logged twice (a resumed run
  repeating an eval) keeps its last record."""
  hparams, by_step = {}, {}
  with open(path) as f:
    for line in f:
      record = json.loads(line)
      if "hparams" in record:
        hparams = record["hparams"]
      elif "step" in record:
        by_step[record["step"]] = record
  return hparams, [by_step[s] for s in sorted(by_step)]


def training_curves(metrics_path: str, png_path: str) -> None:
  """Two panels against step: train objective / test loss, and train / test accuracy (or MAE
  for regression)."""
  hparams, records = read_metrics(metrics_path)
  steps = [r["step"] for r in records]
  fig, (ax_loss, ax_quality) = plt.subplots(1, 2, figsize=(10, 4))
  ax_loss.plot(steps, [r.get("train/objective", r.get("train/loss")) for r in records],
               label="train (objective)")
  ax_loss.plot(steps, [r.get("eval/loss") for r in records], label="test (data loss)")
  ax_loss.set(xlabel="step", ylabel="loss", title="loss")
  key, name, scale = (("accuracy", "accuracy (%)", 100.0) if records and "train/accuracy"
                      in records[0] else ("mae", "MAE", 1.0))
  for split, label in (("train", "train (since last eval)"), ("eval", "test")):
    ax_quality.plot(steps, [scale * r[f"{split}/{key}"] for r in records], marker="o",
                    label=label)
  ax_quality.set(xlabel="step", ylabel=name, title=name)
  for ax in (ax_loss, ax_quality):
    ax.grid(alpha=0.3)
    ax.legend()
  shown = {"model": hparams.get("preset", hparams.get("model")), **{
      k: hparams.get(k) for k in ("optimizer", "learning_rate", "schedule", "hidden_size")}}
  fig.suptitle(", ".join(f"{k}={v}" for k, v in shown.items() if v is not None))
  fig.tight_layout()
  fig.savefig(png_path, dpi=100)
  plt.close(fig)


def write_grid_csv(rows: Sequence[Mapping[str, Any]], path: str) -> None:
  """One row per run, columns GRID_FIELDS."""
  with open(path, "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=GRID_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)


def grid_figure(rows: Sequence[Mapping[str, Any]], png_path: str) -> None:
  """Seed 000's results figure: one panel per (hidden size, optimizer); in each, final test
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

