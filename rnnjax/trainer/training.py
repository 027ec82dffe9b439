"""`fit`: the training driver (mesh, jitted steps, checkpoints, metrics file, progress, curves).

Everything with side effects lives in this package; the maths is in `rnnjax.train` and
`rnnjax.metrics`.

  config = trainer.TrainConfig(optimizer="adam", learning_rate=1e-3, l2=1e-3)
  result = trainer.fit(model, data, config, workdir="runs/har/lstm")
  result.eval["accuracy"], result.eval["confusion"]          # the test split

`fit` resumes from the newest checkpoint in `workdir/checkpoints` (a workdir belongs to one run):
training batches are a pure function of the step (`Split.train_batch`) and dropout keys are
fold_in(dropout_key, step), so a killed run that is started again ends with the same parameters
as an uninterrupted one. Train steps run data-parallel over every device of the mesh: the batch
is split along "data", the state is replicated. When the data has a validation split, it is the
one evaluated during training (progress lines and the `eval/` metrics say "validation") and the
test split is evaluated once at the end; otherwise the test split is evaluated during training.
A `splits.Stream` trains with the model's state carried from batch to batch (truncated BPTT);
the carry is part of the train state, so checkpoints and resume include it, and evaluation of a
stream carries its own state through the split's chunks.
"""
from __future__ import annotations

import dataclasses
import functools
import logging as py_logging
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from absl import logging
from jax.sharding import NamedSharding, PartitionSpec as P

from rnnjax import metrics, train
from rnnjax.data import splits
from rnnjax.reports import curves
from rnnjax.trainer import checkpoints, runtime
from rnnjax.trainer import workdir as workdir_lib
from rnnjax.trainer.config import TrainConfig
from rnnjax.trainer.devices import make_mesh, one_step_in_flight, replicate, shard_batch
from rnnjax.trainer.progress import (METRICS_FILE, MetricsWriter, ProgressBar, format_progress,
                                     log_report, only_process_zero, quiet_orbax, show_info_logs,
                                     to_json)

CURVES_FILE = "curves.png"


@dataclasses.dataclass
class Result:
  """What `fit` returns: the final state, the final test-set summary, the logged history (one
  record per evaluation) and the last summary of the split evaluated during training."""
  state: train.TrainState
  eval: dict[str, Any]
  history: list[dict[str, Any]]
  workdir: str
  validation: dict[str, Any] | None = None

  def log_report(self, class_names: Sequence[str] = ()) -> None:
    """Logs the final validation accuracy (when there is a validation split), then the final
    test accuracy, per-class accuracy and confusion matrix."""
    log_report(self.eval, self.workdir, class_names, self.validation)


def default_workdir(task: str, name: str) -> str:
  """./runs/<task>/<name>: one folder per task and model."""
  return os.path.join("runs", task, name)


def evaluate(eval_fn, state: train.TrainState, split: splits.Split | splits.Stream,
             batch_size: int, mesh: jax.sharding.Mesh) -> dict[str, Any]:
  """metrics.summarize over a whole split (padded rows carry weight 0). eval_fn is
  jit(train.eval_step), or for a stream jit(train.stream_eval_step), whose carry starts at
  zeros and runs through the stream's chunks in order."""
  wait = jax.block_until_ready if one_step_in_flight(mesh) else (lambda x: x)
  if not split.stateful:
    sums = [wait(eval_fn(state, shard_batch(b, mesh))) for b in split.eval_batches(batch_size)]
    return metrics.summarize(metrics.merge(sums))
  carry, sums = jax.tree.map(jnp.zeros_like, state.carry), []
  for batch in split.eval_batches(batch_size):
    batch_sums, carry = wait(eval_fn(state, shard_batch(batch, mesh), carry))
    sums.append(batch_sums)
  return metrics.summarize(metrics.merge(sums))


def _hparams(model: nn.Module, data: splits.DataSpec, config: TrainConfig,
             extra: Mapping[str, Any] | None, mesh: jax.sharding.Mesh) -> dict[str, Any]:
  """The model's scalar attributes, the config, data sizes, devices and `extra` (which wins)."""
  scalars = (int, float, str, bool, type(None))
  fields = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)
            if f.name not in ("parent", "name") and isinstance(getattr(model, f.name), scalars)}
  validation = {} if data.validation is None else {
      "eval_split": "validation", "validation_size": len(data.validation)}
  return {"model": type(model).__name__, **fields, **dataclasses.asdict(config),
          "num_classes": data.num_classes, "train_size": len(data.train),
          "test_size": len(data.test), **validation, "devices": mesh.devices.size,
          **(extra or {})}


@dataclasses.dataclass(frozen=True)
class _Run:
  """The pieces of one run that the step loop needs."""
  config: TrainConfig
  data: splits.DataSpec
  mesh: jax.sharding.Mesh
  train_fn: Any          # jit(train_step), state donated: (state, batch, key) -> (state, sums)
  evaluate: Any          # (state, split) -> summary
  eval_split: str        # the split evaluated during training: "validation" or "test"
  checkpoints: Any
  writer: MetricsWriter
  dropout_key: jax.Array

  def evaluate_during(self, state):
    return self.evaluate(state, getattr(self.data, self.eval_split))


def fit(model: nn.Module, data: splits.DataSpec, config: TrainConfig, workdir: str, *,
        devices: Sequence[jax.Device] | None = None,
        hparams: Mapping[str, Any] | None = None, overwrite: bool = False,
        init_params: Mapping[str, Any] | None = None) -> Result:
  """Trains `model` on data.train for config.num_steps (or config.train_seconds of wall time),
  resuming from workdir's checkpoints.

  `init_params` starts a fresh run from these values for the top-level parameter subtrees it
  names (e.g. {"embedding": {"embedding": vectors [V, E]}} for pretrained word vectors, or a
  pretrained model's "embedding" and "encoder": the pretrain-then-fine-tune of Dai & Le's
  "Semi-supervised Sequence Learning", 2015); the other parameters keep their initialisation
  (`with_params`). A resumed run restores its checkpoint instead.

  `devices` limits the data-parallel mesh (default: all); `hparams` adds to the hyperparameters
  written once at the top of workdir/metrics.jsonl (e.g. the preset name and hidden size).
  The workdir belongs to one run (trainer.workdir): another configuration there is refused
  before anything is compiled, unless `overwrite` (start over); a second run at once is locked
  out.

  Logs a progress line and appends a metrics record every eval_every steps and at the end,
  saves checkpoints (max 2 kept) every checkpoint_every steps and at the end, evaluates the test
  split at the end, logs the final test result and then draws the training curves to
  workdir/curves.png (a figure that fails is a warning). A loss that is not finite stops the run
  (NonFiniteLossError) before it is checkpointed. Returns the final state and the test-set
  summary.
  """
  py_logging.getLogger("absl").addFilter(quiet_orbax)   # idempotent: a set of filters
  py_logging.getLogger("absl").addFilter(only_process_zero)
  show_info_logs()
  mesh, config = fit_batch_to_devices(config, make_mesh(devices), data.train.stateful)
  with workdir_lib.claim(workdir, _hparams(model, data, config, hparams, mesh),
                         overwrite=overwrite):
    result = _fit(model, data, config, workdir, mesh, hparams, init_params)
  result.log_report(data.class_names)
  if jax.process_index() == 0:
    _draw(os.path.join(workdir, METRICS_FILE), os.path.join(workdir, CURVES_FILE))
  return result


def fit_batch_to_devices(config: TrainConfig, mesh: jax.sharding.Mesh,
                         stateful: bool) -> tuple[jax.sharding.Mesh, TrainConfig]:
  """Any device count runs every experiment: a batch that does not divide by the mesh's devices
  is rounded up to a multiple of them; a stream's batch (its rows) cannot change, so it runs on
  the largest number of the mesh's devices that divides it. Either is logged."""
  n = mesh.devices.size
  if config.batch_size % n == 0:
    return mesh, config
  if stateful:
    k = max(d for d in range(1, n + 1) if config.batch_size % d == 0)
    logging.warning("The stream's %d rows do not divide by the %d devices: training on %d of "
                    "them.", config.batch_size, n, k)
    return make_mesh(list(mesh.devices.flat)[:k]), config
  rounded = -(-config.batch_size // n) * n
  logging.warning("batch_size=%d does not divide by the %d devices of the data-parallel mesh: "
                  "training with batches of %d (%d per device). Pass a multiple of %d to "
                  "choose yourself.", config.batch_size, n, rounded, rounded // n, n)
  return mesh, dataclasses.replace(config, batch_size=rounded)


def _draw(metrics_path: str, png_path: str) -> None:
  try:
    curves.training_curves(metrics_path, png_path)
  except Exception as e:  # noqa: BLE001  (a figure must never lose a finished run's result)
    logging.warning("Could not draw %s (%s: %s); the run's results are in %s.", png_path,
                    type(e).__name__, e, metrics_path)


def with_params(state: train.TrainState, init_params: Mapping[str, Any] | None
                ) -> train.TrainState:
  """`state` with the top-level parameter subtrees of `init_params` put in (and in the moving
  average, when the state keeps one); the optimizer state is left as it is (zeros at step 0).
  Each given subtree must match the model's in structure, shapes and dtypes."""
  if not init_params:
    return state
  params = dict(state.params)
  for name, given in init_params.items():
    if name not in params:
      raise ValueError(f"init_params names {name!r}, which the model does not have; its "
                       f"parameters are {sorted(params)}.")
    want = jax.tree.map(lambda a: (tuple(a.shape), str(a.dtype)), params[name])
    got = jax.tree.map(lambda a: (tuple(np.shape(a)), str(np.asarray(a).dtype)), given)
    if want != got:
      raise ValueError(f"init_params[{name!r}] does not match the model's {name!r} parameters "
                       f"(shapes, dtypes): got {got}, the model has {want}.")
    params[name] = jax.tree.map(jnp.asarray, given)
  state = state.replace(params=params)
  if getattr(state, "ema_params", None) is not None:
    state = state.replace(ema_params=jax.tree.map(jnp.copy, params))
  return state


def _fit(model, data, config, workdir, mesh, hparams, init_params=None) -> Result:
  runtime.tune_malloc()                                  # fewer page faults on CPU; see runtime
  eval_batch_size = -(-config.eval_batch_size // mesh.devices.size) * mesh.devices.size
  loss = config.loss or metrics.default_loss(data.num_classes)
  init_key, dropout_key = jax.random.split(jax.random.key(config.seed))
  tx = train.make_optimizer(config.optimizer, config.learning_rate, schedule=config.schedule,
                            num_steps=config.num_steps, warmup_steps=config.warmup_steps,
                            weight_decay=config.weight_decay, clip_norm=config.clip_norm or None)
  replicated = NamedSharding(mesh, P())
  sample = data.train.train_batch(0, config.batch_size, config.seed)
  state = replicate(with_params(train.create_train_state(model, init_key, sample, tx,
                                                        ema_decay=config.ema_decay,
                                                        stateful=data.train.stateful),
                                init_params), mesh)
  eval_step = train.stream_eval_step if data.train.stateful else train.eval_step
  eval_fn = jax.jit(functools.partial(eval_step, loss=loss), out_shardings=replicated)
  run = _Run(config=config, data=data, mesh=mesh,
             train_fn=jax.jit(functools.partial(train.train_step, loss=loss, l2=config.l2),
                              donate_argnums=0, out_shardings=(replicated, replicated)),
             evaluate=functools.partial(evaluate, eval_fn, batch_size=eval_batch_size, mesh=mesh),
             eval_split="test" if data.validation is None else "validation",
             checkpoints=checkpoints.manager(workdir),
             writer=MetricsWriter(workdir, _hparams(model, data, config, hparams, mesh),
                                  tensorboard=config.tensorboard),
             dropout_key=replicate(dropout_key, mesh))
  try:
    state, history, last = _train(run, checkpoints.restore(run.checkpoints, state))
  finally:
    run.checkpoints.wait_until_finished()
    run.checkpoints.close()
  result = Result(state=state, eval={}, history=history, workdir=workdir)
  if run.eval_split == "test":
    result.eval = last or run.evaluate(state, data.test)  # a finished run restored: evaluate
  else:
    result.validation = last or run.evaluate(state, data.validation)
    result.eval = _final_test(run, state, result.validation)
  run.writer.close()
  return result


def _final_test(run: _Run, state: train.TrainState, validation: dict[str, Any]) -> dict[str, Any]:
  """Evaluates the test split once after training on validation; logs and records it."""
  test = run.evaluate(state, run.data.test)
  step = int(jax.device_get(state.step))
  run.writer.write({"final_step": step, **to_json(test, "test")})
  key, scale, unit = ("accuracy", 100, " %") if "accuracy" in test else ("mae", 1, "")
  logging.info("After %d steps: validation %s %.4g%s, test %s %.4g%s on %d examples.", step,
               key, scale * validation[key], unit, key, scale * test[key], unit,
               len(run.data.test))
  return test


def _train(run: _Run, state: train.TrainState):
  """The step loop from the restored step to num_steps; returns (final state, the metrics
  records, the last evaluation summary or None when there was nothing to train)."""
  config, start = run.config, int(jax.device_get(state.step))
  every = config.checkpoint_every or config.eval_every
  wait = one_step_in_flight(run.mesh)
  bar = ProgressBar(config.num_steps, start)
  try:
    return _steps(run, state, start, every, wait, bar)
  finally:
    bar.close()


def _steps(run: _Run, state: train.TrainState, start: int, every: int, wait: bool,
           bar: ProgressBar):
  config = run.config
  history, window, unchecked, summary = [], [], [], None
  tick = run_start = time.perf_counter()
  timed = 0                       # steps since `tick` (the first one, with compilation, is not)
  for step in range(start, config.num_steps):
    batch = run.data.train.train_batch(step, config.batch_size, config.seed)
    state, sums = run.train_fn(state, shard_batch(batch, run.mesh), run.dropout_key)
    window.append(sums)
    unchecked.append((step + 1, sums["loss"]))
    done = step + 1
    if wait or done == start + 1:
      jax.block_until_ready(sums)
    if done == start + 1:
      logging.info("First train step (compilation included): %.1f s.", time.perf_counter() - tick)
      tick = time.perf_counter()                              # speeds exclude the compilation
    else:
      timed += 1
    bar.update(1)
    out_of_time = 0 < config.train_seconds <= time.perf_counter() - run_start
    log, save = (done % n == 0 or done == config.num_steps or out_of_time
                 for n in (config.eval_every, every))
    if log or save:
      check_finite(unchecked, run.checkpoints)
      unchecked = []
    if log:
      record, summary = _log(run, state, done, window, timed, time.perf_counter() - tick,
                             time.perf_counter() - run_start)
      history.append(record)
      window, tick, timed = [], time.perf_counter(), 0
    if save:
      checkpoints.save(run.checkpoints, done, state)
    if out_of_time:
      logging.info("Time budget of %g s (--train_seconds) spent after step %d of %d: training "
                   "stops here.", config.train_seconds, done, config.num_steps)
      break
  return state, history, summary


class NonFiniteLossError(FloatingPointError):
  """The training loss became NaN or infinite."""


def check_finite(losses: list[tuple[int, Any]], manager) -> None:
  """Raises NonFiniteLossError naming the first step whose loss sum is not finite, and the last
  checkpoint (which was saved before it, so it is a good one)."""
  values = jax.device_get([loss for _, loss in losses])
  for (step, _), value in zip(losses, values):
    if not np.isfinite(value):
      last = manager.latest_step()
      raise NonFiniteLossError(
          f"The training loss is {float(value)} at step {step}: training stopped. The last good "
          f"checkpoint is step {last} in {manager.directory}" if last is not None else
          f"The training loss is {float(value)} at step {step}: training stopped (no checkpoint "
          "was saved before it).")


def _log(run: _Run, state: train.TrainState, step: int, window: list[Any], timed: int,
         window_s: float, elapsed_s: float) -> tuple[dict[str, Any], dict[str, Any]]:
  """Evaluates, logs the progress line and appends the metrics record of `step`; returns the
  record and the evaluation summary."""
  train_summary = metrics.summarize(metrics.merge(window))
  speed = timed / window_s if timed else None            # None: only the compiling step so far
  eval_start = time.perf_counter()
  summary = run.evaluate_during(state)
  eval_s = time.perf_counter() - eval_start
  logging.info(format_progress(step, train_summary, summary, speed,
                               (run.config.num_steps - step) / speed if speed else None,
                               split=run.eval_split))
  record = {"step": step, **to_json(train_summary, "train"), **to_json(summary, "eval"),
            "steps_per_sec": speed, "eval_s": eval_s, "elapsed_s": elapsed_s}
  if run.config.step_losses:           # the data loss of each step since the last record
    host = jax.device_get([(s["loss"], s["count"]) for s in window])
    record["train/step_losses"] = [float(loss) / max(float(count), 1e-12) for loss, count in host]
  run.writer.write(record)
  return record, summary
