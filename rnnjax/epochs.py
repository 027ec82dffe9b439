"""Keras-style runs counted in epochs: the validation split is evaluated after every epoch, the
test split once at the end, and seed 001's per-epoch figures are drawn.

  config = epochs.config(flags.FLAGS, epochs=10, steps_per_epoch=len(data.train) // 128)
  result = epochs.fit_with_validation(model, data, config, workdir)   # result.eval: TEST summary
  epochs.history_figure(result.workdir, steps_per_epoch)             # workdir/history.png

`loop.fit` evaluates `data.test` every `eval_every` steps. `fit_with_validation` hands it a
DataSpec whose test split IS `data.validation`, with eval_every = one epoch; so during training
every progress line's "test set" figures and every metrics.jsonl `eval/...` key are the
VALIDATION split (the hyperparameters record says so: eval_split="validation"). When training
ends, the real test split is evaluated once, logged, and appended to metrics.jsonl as a record
{"final_step": N, "test/...": ...}. The train figures of a record are averaged over the epoch
while the weights change, as Keras' `history.history['acc']`.
"""
from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Mapping
from typing import Any

import jax
from absl import logging
from jax.sharding import NamedSharding, PartitionSpec as P

from rnnjax import loop, metrics, plots, train
from rnnjax.data import common

import matplotlib.pyplot as plt  # noqa: E402  (after rnnjax.plots chose the Agg backend)

HISTORY_FILE = "history.png"


def config(flag_values: Any, *, epochs: int, steps_per_epoch: int,
           **overrides: Any) -> loop.TrainConfig:
  """TrainConfig.from_flags with num_steps = epochs * steps_per_epoch and one eval per epoch."""
  if epochs < 1 or steps_per_epoch < 1:
    raise ValueError(f"epochs={epochs} and steps_per_epoch={steps_per_epoch} must be >= 1 "
                     "(is batch_size larger than the training set?).")
  return loop.TrainConfig.from_flags(flag_values, num_steps=epochs * steps_per_epoch,
                                     eval_every=steps_per_epoch, **overrides)


def evaluate_split(state: train.TrainState, split: common.Split, *, loss: str,
                   batch_size: int = 500) -> dict[str, Any]:
  """metrics.summarize of `state`'s model over a whole split, data-parallel over all devices."""
  mesh = loop.make_mesh()
  n = mesh.devices.size
  eval_fn = jax.jit(functools.partial(train.eval_step, loss=loss),
                    out_shardings=NamedSharding(mesh, P()))
  return loop.evaluate(eval_fn, state, split, -(-batch_size // n) * n, mesh)


def fit_with_validation(model, data: common.DataSpec, config: loop.TrainConfig, workdir: str, *,
                        hparams: Mapping[str, Any] | None = None) -> loop.Result:
  """Trains on data.train evaluating data.validation every eval_every steps, then evaluates
  data.test once. Returns loop.fit's Result with `eval` = the TEST summary (the validation
  summaries are in `history`, under `eval/`)."""
  if data.validation is None:
    raise ValueError("fit_with_validation needs a DataSpec with a validation split.")
  during = dataclasses.replace(data, test=data.validation)
  result = loop.fit(model, during, config, workdir,
                    hparams={"eval_split": "validation", "validation_size": len(data.validation),
                             "test_size": len(data.test), **(hparams or {})})
  loss = config.loss or metrics.default_loss(data.num_classes)
  test = evaluate_split(result.state, data.test, loss=loss, batch_size=config.eval_batch_size)
  step = int(jax.device_get(result.state.step))
  loop.MetricsWriter(workdir, {}).write({"final_step": step, **loop.to_json(test, "test")})
  key, scale, unit = ("accuracy", 100, " %") if "accuracy" in test else ("mae", 1, "")
  last = result.history[-1]["eval/" + key] if result.history else float("nan")
  logging.info("After %d steps: validation %s %.4g%s (last epoch), test %s %.4g%s on %d examples.",
               step, key, scale * last, unit, key, scale * test[key], unit, len(data.test))
  return dataclasses.replace(result, eval=test)


def history_figure(workdir: str, steps_per_epoch: int, png_name: str = HISTORY_FILE) -> str:
  """Seed 001's figures from workdir/metrics.jsonl: 'Training and validation accuracy' (when
  there is one) and 'Training and validation loss' against epoch, training as blue dots ('bo'),
  validation as a blue line ('b'). Returns the path of the PNG."""
  _, records = plots.read_metrics(os.path.join(workdir, loop.METRICS_FILE))
  epoch = [r["step"] / steps_per_epoch for r in records]
  panels = [("acc", "accuracy"), ("loss", "loss")] if records and "train/accuracy" in records[0] \
      else [("loss", "loss")]
  fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
  for ax, (short, key) in zip(axes[0], panels):
    ax.plot(epoch, [r[f"train/{key}"] for r in records], "bo", label=f"Training {short}")
    ax.plot(epoch, [r[f"eval/{key}"] for r in records], "b", label=f"Validation {short}")
    ax.set(title=f"Training and validation {key}", xlabel="epoch")
    ax.legend()
  fig.tight_layout()
  path = os.path.join(workdir, png_name)
  fig.savefig(path, dpi=100)
  plt.close(fig)
  return path
