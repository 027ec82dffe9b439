"""Training curves from a run's metrics.jsonl (matplotlib, Agg backend: no display needed).

  training_curves(".../metrics.jsonl", ".../curves.png")   loss and accuracy against step
  history_figure(workdir, steps_per_epoch)                 the Keras tutorial's per-epoch figures
"""
from __future__ import annotations

import json
import os
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

METRICS_FILE = "metrics.jsonl"
HISTORY_FILE = "history.png"

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
  """Two panels against step: train objective / evaluated loss, and train / evaluated accuracy
  (or MAE for regression); evaluated is the validation split when the run held one out, else
  test."""
  hparams, records = read_metrics(metrics_path)
  steps = [r["step"] for r in records]
  fig, (ax_loss, ax_quality) = plt.subplots(1, 2, figsize=(10, 4))
  ax_loss.plot(steps, [r.get("train/objective", r.get("train/loss")) for r in records],
               label="train (objective)")
  evaluated = hparams.get("eval_split", "test")      # "validation" when the run held one out
  ax_loss.plot(steps, [r.get("eval/loss") for r in records], label=f"{evaluated} (data loss)")
  ax_loss.set(xlabel="step", ylabel="loss", title="loss")
  key, name, scale = (("accuracy", "accuracy (%)", 100.0) if records and "train/accuracy"
                      in records[0] else ("mae", "MAE", 1.0))
  for split, label in (("train", "train (since last eval)"), ("eval", evaluated)):
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


def history_figure(workdir: str, steps_per_epoch: int, png_name: str = HISTORY_FILE) -> str:
  """The Keras tutorial's (Chollet's) figures from workdir/metrics.jsonl: 'Training and
  validation accuracy' (when there is one) and 'Training and validation loss' against epoch,
  training as blue dots ('bo'), validation as a blue line ('b'); a run without a validation
  split (a refit) shows its test evaluations, labelled so. Returns the path of the PNG."""
  hparams, records = read_metrics(os.path.join(workdir, METRICS_FILE))
  evaluated = hparams.get("eval_split", "test").capitalize()
  epoch = [r["step"] / steps_per_epoch for r in records]
  panels = [("acc", "accuracy"), ("loss", "loss")] if records and "train/accuracy" in records[0] \
      else [("loss", "loss")]
  fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
  for ax, (short, key) in zip(axes[0], panels):
    ax.plot(epoch, [r[f"train/{key}"] for r in records], "bo", label=f"Training {short}")
    ax.plot(epoch, [r[f"eval/{key}"] for r in records], "b", label=f"{evaluated} {short}")
    ax.set(title=f"Training and {evaluated.lower()} {key}", xlabel="epoch")
    ax.legend()
  fig.tight_layout()
  path = os.path.join(workdir, png_name)
  fig.savefig(path, dpi=100)
  plt.close(fig)
  return path
