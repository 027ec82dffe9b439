"""The Echo-RNN tutorial's figure (Hallström): the per-batch training loss, and input, target
and prediction of every row of one batch.

  losses = echo.step_losses(workdir)     # [steps]: metrics.jsonl (TrainConfig.step_losses)
  predicted = echo.predict_rows(model, state, data.test)              # [R, L] class ids
  echo.figure(losses, data.test, predicted, chunk=3, png_path=".../echo.png",
              steps_per_epoch=data.train.num_chunks)

The loss spikes at every epoch start: the carried state restarts from zeros there, and the first
echo_step labels of every row but the first echo inputs that ended the previous row, which the
state never saw (the tutorial's explanation of its figure 7).
"""
from __future__ import annotations

import os

import flax.linen as nn
import jax
import numpy as np

from rnnjax.reports import curves  # noqa: F401  (selects matplotlib's Agg backend)
from rnnjax.data import splits
from rnnjax.train import TrainState, eval_params

import matplotlib.pyplot as plt  # noqa: E402  (after curves chose the backend)

FIGURE_FILE = "echo.png"


def step_losses(workdir: str) -> np.ndarray:
  """[S] the training loss of every step, from the `train/step_losses` of the run's metrics
  records (a run trained with TrainConfig(step_losses=True))."""
  _, records = curves.read_metrics(os.path.join(workdir, curves.METRICS_FILE))
  losses = [loss for r in records for loss in r.get("train/step_losses", [])]
  if not losses:
    raise ValueError(f"{workdir}/{curves.METRICS_FILE} records no train/step_losses: train "
                     "with TrainConfig(step_losses=True).")
  return np.asarray(losses)


def predict_rows(model: nn.Module, state: TrainState, stream: splits.Stream) -> np.ndarray:
  """[R, L] predicted class of every step of the stream's rows, in one pass over each whole row
  from a zero state (what reading it chunk by chunk with the state carried gives)."""
  length = stream.num_chunks * stream.chunk
  inputs = stream.inputs[:, :length]                                   # [R, L, 1]
  logits = jax.jit(model.apply)({"params": eval_params(state)}, inputs, None)   # [R, L, C]
  return np.asarray(logits.argmax(axis=-1))


def _loss_panel(ax, losses: np.ndarray, steps_per_epoch: int | None) -> None:
  steps = np.arange(1, len(losses) + 1)
  ax.plot(steps, losses, lw=0.4, color="tab:blue", label="loss of the batch")
  if steps_per_epoch:
    first = steps[::steps_per_epoch]                                   # each epoch's first batch
    ax.plot(first, losses[first - 1], "o", ms=2.5, color="tab:red", label="epoch's first batch")
    ax.legend(loc="upper right", fontsize=8)
  ax.set_yscale("log")
  epochs = "" if not steps_per_epoch else f", {len(losses) / steps_per_epoch:g} epochs"
  ax.set(xlabel=f"training step (batch{epochs})", ylabel="loss (nats, log scale)",
         title="loss per batch: spikes when the state resets\nat each epoch start")
  ax.grid(alpha=0.3)


def figure(losses: np.ndarray, stream: splits.Stream, predicted: np.ndarray, chunk: int,
           png_path: str, *, steps_per_epoch: int | None = None) -> str:
  """The tutorial's figure: the loss curve, then one panel per row of batch `chunk` of the
  stream: input (blue bars, height 1), target (red, 0.5) and prediction (green, 0.3), as the
  tutorial draws them. predicted: [R, L] class ids (predict_rows). Returns png_path."""
  if not 0 <= chunk < stream.num_chunks:
    raise ValueError(f"chunk={chunk} must be in [0, {stream.num_chunks}) (the stream's chunks).")
  batch = stream.chunk_batch(chunk)
  steps = slice(chunk * stream.chunk, (chunk + 1) * stream.chunk)
  rows = stream.rows
  columns = 3
  lines = -(-(rows + 1) // columns)
  fig, axes = plt.subplots(lines, columns, figsize=(4.2 * columns, 3.2 * lines), squeeze=False)
  axes = axes.ravel()
  _loss_panel(axes[0], losses, steps_per_epoch)
  left = np.arange(stream.chunk)
  for r in range(rows):
    ax = axes[r + 1]
    ax.bar(left, batch["inputs"][r, :, 0], width=1, color="blue", label="input")
    ax.bar(left, batch["labels"][r] * 0.5, width=1, color="red", label="target")
    ax.bar(left, predicted[r, steps] * 0.3, width=1, color="green", label="prediction")
    wrong = int(np.sum(predicted[r, steps] != batch["labels"][r]))
    ax.set(xlim=(-0.5, stream.chunk - 0.5), ylim=(0, 2), xlabel="step in the batch",
           title=f"row {r}, batch {chunk}: {wrong} wrong")
  axes[1].legend(loc="upper right", fontsize=8)
  for ax in axes[rows + 1:]:
    ax.axis("off")
  fig.tight_layout()
  fig.savefig(png_path, dpi=100)
  plt.close(fig)
  return png_path
