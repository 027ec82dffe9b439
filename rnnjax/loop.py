"""The training driver: mesh, jitted steps, checkpoints, metrics file, progress lines, curves.

Everything with side effects lives here; the maths is in `train.py` / `metrics.py`, the mesh and
multi-host start-up in `devices.py` (re-exported here: `loop.make_mesh`, `loop.init_distributed`).

  config = loop.TrainConfig(optimizer="adam", learning_rate=1e-3, l2=1e-3)
  result = loop.fit(model, data, config, workdir="runs/har/lstm")
  result.eval["accuracy"], result.eval["confusion"]

`fit` resumes from the newest checkpoint in `workdir/checkpoints` (a workdir belongs to one run):
training batches are a pure function of the step (`common.train_batch`) and dropout keys are
fold_in(dropout_key, step), so a killed run that is started again ends with the same parameters
as an uninterrupted one. Train steps run data-parallel over every device of the mesh: the batch
is split along "data", the state is replicated.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import logging as py_logging

import flax.linen as nn
import jax
import numpy as np
import orbax.checkpoint as ocp
from absl import logging
from jax.sharding import NamedSharding, PartitionSpec as P

from rnnjax import metrics, plots, runtime, train
from rnnjax.data import common
from rnnjax.devices import (DISTRIBUTED_ENV, check_batch_size, init_distributed,  # noqa: F401
                            make_mesh, one_step_in_flight, shard_batch)

METRICS_FILE = "metrics.jsonl"
CURVES_FILE = "curves.png"


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """Hyperparameters of one run; the field names are also the experiments' flag names.

  clip_norm <= 0 means no clipping; ema_decay > 0 evaluates a moving average of the parameters
  (train.TrainState); loss None picks metrics.default_loss(data.num_classes);
  checkpoint_every None means eval_every.
  """
  optimizer: str = "adam"
  learning_rate: float = 1e-3
  schedule: str = "constant"
  warmup_steps: int = 0
  l2: float = 0.0
  weight_decay: float = 0.0
  clip_norm: float = 0.0
  ema_decay: float = 0.0
  batch_size: int = 100
  num_steps: int = 5000
  eval_every: int = 500
  checkpoint_every: int | None = None
  eval_batch_size: int = 500
  seed: int = 0
  loss: str | None = None

  @classmethod
  def from_flags(cls, flag_values: Any, **overrides: Any) -> TrainConfig:
    """A config whose fields take the value of the same-named absl flag, when defined."""
    names = {f.name for f in dataclasses.fields(cls)}
    values = {n: flag_values[n].value for n in names if n in flag_values}
    return cls(**{**values, **overrides})


@dataclasses.dataclass
class Result:
  """What `fit` returns: the final state, the final test-set summary and the logged history."""
  state: train.TrainState
  eval: dict[str, Any]
  history: list[dict[str, Any]]
  workdir: str


def _quiet_orbax(record: py_logging.LogRecord) -> bool:
  """A filter for absl's logger: orbax's per-save INFO lines go, its warnings stay."""
  return record.levelno >= py_logging.WARNING or f"{os.sep}orbax{os.sep}" not in record.pathname


def default_workdir(task: str, name: str) -> str:
  """./runs/<task>/<name>: one folder per task and model."""
  return os.path.join("runs", task, name)


def evaluate(eval_fn, state: train.TrainState, split: common.Split, batch_size: int,
             mesh: jax.sharding.Mesh) -> dict[str, Any]:
  """metrics.summarize over a whole split (padded rows carry weight 0)."""
  wait = jax.block_until_ready if one_step_in_flight(mesh) else (lambda x: x)
  sums = [wait(eval_fn(state, shard_batch(b, mesh)))
          for b in common.eval_batches(split, batch_size)]
  return metrics.summarize(metrics.merge(sums))


def to_json(summary: Mapping[str, Any], prefix: str) -> dict[str, Any]:
  """A summary as JSON-ready {"<prefix>/<name>": value} (arrays become lists)."""
  return {f"{prefix}/{k}": (v.tolist() if isinstance(v, np.ndarray) else v)
          for k, v in summary.items()}


def format_progress(step: int, train_summary: Mapping[str, Any], test_summary: Mapping[str, Any],
                    steps_per_sec: float, eta_s: float) -> str:
  """Seed 000's line plus speed, e.g. "step 0500 : loss is 000.75, accuracy on training set
  60.0 %, accuracy on test set 60.67 % (85.1 steps/s, ETA 0:00:52)". The loss is the training
  objective (data loss + L2) averaged since the previous line, like the accuracy."""
  loss = train_summary.get("objective", train_summary["loss"])
  if "accuracy" in train_summary:
    quality = (f"accuracy on training set {100 * train_summary['accuracy']:.1f} %, "
               f"accuracy on test set {100 * test_summary['accuracy']:.2f} %")
  else:
    quality = (f"MAE on training set {train_summary['mae']:.4f}, "
               f"MAE on test set {test_summary['mae']:.4f}")
  eta = time.strftime("%H:%M:%S", time.gmtime(max(eta_s, 0)))
  return (f"step {step:04d} : loss is {loss:06.2f}, {quality} "
          f"({steps_per_sec:.1f} steps/s, ETA {eta})")


class MetricsWriter:
  """Appends JSON lines to workdir/metrics.jsonl; the first line holds the hyperparameters and
  is written once (a resumed run appends after it). Only process 0 writes."""

  def __init__(self, workdir: str, hparams: Mapping[str, Any]):
    self.path = os.path.join(workdir, METRICS_FILE)
    self.active = jax.process_index() == 0
    if self.active and not os.path.exists(self.path):
      self.write({"hparams": dict(hparams)})

  def write(self, record: Mapping[str, Any]) -> None:
    if self.active:
      with open(self.path, "a") as f:
        f.write(json.dumps(record) + "\n")


def _checkpoint_manager(workdir: str) -> ocp.CheckpointManager:
  return ocp.CheckpointManager(os.path.abspath(os.path.join(workdir, "checkpoints")),
                               options=ocp.CheckpointManagerOptions(max_to_keep=2))


def _restore(manager: ocp.CheckpointManager, state: train.TrainState) -> train.TrainState:
  """The state of the newest checkpoint (laid out like `state`), or `state` when there is none."""
  step = manager.latest_step()
  if step is None:
    return state
  logging.info("Resuming from the checkpoint of step %d in %s.", step, manager.directory)
  abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, state)
  return manager.restore(step, args=ocp.args.StandardRestore(abstract))


def _hparams(model: nn.Module, data: common.DataSpec, config: TrainConfig,
             extra: Mapping[str, Any] | None) -> dict[str, Any]:
  """The model's scalar attributes, the config, data sizes, devices and `extra` (which wins)."""
  scalars = (int, float, str, bool, type(None))
  fields = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)
            if f.name not in ("parent", "name") and isinstance(getattr(model, f.name), scalars)}
  return {"model": type(model).__name__, **fields, **dataclasses.asdict(config),
          "num_classes": data.num_classes, "train_size": len(data.train),
          "test_size": len(data.test), "devices": jax.device_count(), **(extra or {})}


@dataclasses.dataclass(frozen=True)
class _Run:
  """The pieces of one run that the step loop needs."""
  config: TrainConfig
  data: common.DataSpec
  mesh: jax.sharding.Mesh
  train_fn: Any          # jit(train_step), state donated: (state, batch, key) -> (state, sums)
  evaluate_test: Any     # state -> test-set summary
  manager: ocp.CheckpointManager
  writer: MetricsWriter
  dropout_key: jax.Array


def fit(model: nn.Module, data: common.DataSpec, config: TrainConfig, workdir: str, *,
        devices: Sequence[jax.Device] | None = None,
        hparams: Mapping[str, Any] | None = None) -> Result:
  """Trains `model` on data.train for config.num_steps, resuming from workdir's checkpoints.

  `devices` limits the data-parallel mesh (default: all); `hparams` adds to the hyperparameters
  written once at the top of workdir/metrics.jsonl (e.g. the preset name and hidden size).

  Logs a progress line and appends a metrics record every eval_every steps and at the end,
  saves checkpoints (max 2 kept) every checkpoint_every steps and at the end, and draws the
  training curves to workdir/curves.png. Returns the final state and test-set summary.
  """
  py_logging.getLogger("absl").addFilter(_quiet_orbax)  # idempotent: a set of filters
  runtime.tune_malloc()                                  # ~2x per CPU step; see rnnjax.runtime
  mesh = make_mesh(devices)
  check_batch_size(config.batch_size, mesh)
  eval_batch_size = -(-config.eval_batch_size // mesh.devices.size) * mesh.devices.size
  loss = config.loss or metrics.default_loss(data.num_classes)
  os.makedirs(workdir, exist_ok=True)
  init_key, dropout_key = jax.random.split(jax.random.key(config.seed))
  tx = train.make_optimizer(config.optimizer, config.learning_rate, schedule=config.schedule,
                            num_steps=config.num_steps, warmup_steps=config.warmup_steps,
                            weight_decay=config.weight_decay, clip_norm=config.clip_norm or None)
  replicated = NamedSharding(mesh, P())
  sample = common.train_batch(data.train, 0, config.batch_size, config.seed)
  state = jax.device_put(train.create_train_state(model, init_key, sample, tx,
                                                 ema_decay=config.ema_decay), replicated)
  eval_fn = jax.jit(functools.partial(train.eval_step, loss=loss), out_shardings=replicated)
  run = _Run(config=config, data=data, mesh=mesh,
             train_fn=jax.jit(functools.partial(train.train_step, loss=loss, l2=config.l2),
                              donate_argnums=0, out_shardings=(replicated, replicated)),
             evaluate_test=functools.partial(evaluate, eval_fn, split=data.test,
                                             batch_size=eval_batch_size, mesh=mesh),
             manager=_checkpoint_manager(workdir),
             writer=MetricsWriter(workdir, _hparams(model, data, config, hparams)),
             dropout_key=jax.device_put(dropout_key, replicated))
  try:
    state, history, final = _train(run, _restore(run.manager, state))
  finally:
    run.manager.wait_until_finished()
    run.manager.close()
  final = final or run.evaluate_test(state)  # a finished run restored: evaluate it once
  if run.writer.active:
    plots.training_curves(run.writer.path, os.path.join(workdir, CURVES_FILE))
  return Result(state=state, eval=final, history=history, workdir=workdir)


def _train(run: _Run, state: train.TrainState):
  """The step loop from the restored step to num_steps; returns (final state, the metrics
  records, the last test summary or None when there was nothing to train)."""
  config, start = run.config, int(jax.device_get(state.step))
  every = config.checkpoint_every or config.eval_every
  wait = one_step_in_flight(run.mesh)
  history, window, test_summary = [], [], None
  tick = run_start = time.perf_counter()
  for step in range(start, config.num_steps):
    batch = common.train_batch(run.data.train, step, config.batch_size, config.seed)
    state, sums = run.train_fn(state, shard_batch(batch, run.mesh), run.dropout_key)
    window.append(sums)
    done = step + 1
    if wait or done == start + 1:
      jax.block_until_ready(sums)
    if done == start + 1:
      logging.info("First train step (compilation included): %.1f s.", time.perf_counter() - tick)
    if done % config.eval_every == 0 or done == config.num_steps:
      record, test_summary = _log(run, state, done, window, time.perf_counter() - tick,
                                  time.perf_counter() - run_start)
      history.append(record)
      window, tick = [], time.perf_counter()
    if done % every == 0 or done == config.num_steps:
      run.manager.save(done, args=ocp.args.StandardSave(state))
  return state, history, test_summary


def _log(run: _Run, state: train.TrainState, step: int, window: list[Any], window_s: float,
         elapsed_s: float) -> tuple[dict[str, Any], dict[str, Any]]:
  """Evaluates, logs the progress line and appends the metrics record of `step`; returns the
  record and the test summary."""
  train_summary = metrics.summarize(metrics.merge(window))
  speed = len(window) / window_s
  eval_start = time.perf_counter()
  test_summary = run.evaluate_test(state)
  eval_s = time.perf_counter() - eval_start
  logging.info(format_progress(step, train_summary, test_summary, speed,
                               (run.config.num_steps - step) / speed))
  record = {"step": step, **to_json(train_summary, "train"), **to_json(test_summary, "eval"),
            "steps_per_sec": speed, "eval_s": eval_s, "elapsed_s": elapsed_s}
  run.writer.write(record)
  return record, test_summary


def log_report(result: Result, class_names: Sequence[str] = ()) -> None:
  """Logs the final test accuracy, the per-class accuracy and the confusion matrix."""
  summary = result.eval
  if "accuracy" not in summary:
    logging.info("Final test loss %.4f, MAE %.4f, MSE %.4f.", summary["loss"], summary["mae"],
                 summary["mse"])
    return
  names = list(class_names) or [str(i) for i in range(len(summary["confusion"]))]
  logging.info("Final test accuracy: %.2f %% (workdir %s)", 100 * summary["accuracy"],
               result.workdir)
  per_class = ", ".join(f"{name} {100 * acc:.2f} %"
                        for name, acc in zip(names, summary["per_class_accuracy"]))
  logging.info("Per-class test accuracy: %s", per_class)
  logging.info("Confusion matrix (rows true, columns predicted):\n%s",
               metrics.format_confusion(summary["confusion"], names))
