"""Reading a one-step-ahead forecaster (Simplilearn's time-series lesson): the prediction on a
held-out window, and a free-running continuation against the truth.

  out = timeseries.report(model, state, data, workdir, generate_steps=200)
  out["test_within_steps"]      # steps the continuation stays within 10 % of the range

The continuation is `rnnjax.models.generate`: the model runs over a primed window of the true
series, then feeds each prediction back as its next input (the lesson's "generating a new
sequence", with the state carried instead of re-reading the last 20 values).
"""
from __future__ import annotations

import os

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from absl import logging

from rnnjax import models
from rnnjax.reports import curves  # noqa: F401  (selects matplotlib's Agg backend)
from rnnjax.data import splits
from rnnjax.data.timeseries import SeriesData, naive_mse
from rnnjax.train import TrainState, eval_params

import matplotlib.pyplot as plt  # noqa: E402  (after curves chose the backend)

FIGURE_FILE = "timeseries.png"


def steps_within(generated: np.ndarray, truth: np.ndarray, tolerance: float) -> int:
  """How many steps from the first the generated values [S] stay within `tolerance` of the
  truth [S] (S when they never leave it)."""
  outside = np.flatnonzero(np.abs(np.asarray(generated) - np.asarray(truth)) > tolerance)
  return int(outside[0]) if len(outside) else len(truth)


def predict_window(model: nn.Module, state: TrainState, inputs: np.ndarray) -> np.ndarray:
  """The model's one-step-ahead predictions [T] for one window's inputs [T, 1]."""
  outputs = model.apply({"params": eval_params(state)}, jnp.asarray(inputs)[None], None)
  return np.asarray(outputs)[0, :, 0]


def predict_split(model: nn.Module, state: TrainState, split: splits.Split,
                  batch_size: int = 500) -> np.ndarray:
  """The model's one-step-ahead predictions [N, T] for every window of `split`."""
  apply = jax.jit(lambda params, inputs: model.apply({"params": params}, inputs, None)[..., 0])
  out = []
  for batch in split.eval_batches(batch_size):
    weights = np.asarray(batch["weights"])                                # [B] or [B, T]
    real = weights.reshape(len(weights), -1).max(axis=1) > 0             # not a padding row
    out.append(np.asarray(apply(eval_params(state), batch["inputs"]))[real])   # [B', T]
  return np.concatenate(out)


def mse_by_step(predicted: np.ndarray, split: splits.Split) -> tuple[np.ndarray, np.ndarray]:
  """([T] the model's MSE, [T] the naive forecast's MSE) at each step of the windows: the first
  steps have little history to go on."""
  labels, inputs = split.labels[..., 0], split.inputs[..., 0]              # [N, T]
  return (np.mean(np.square(predicted - labels), axis=0),
          np.mean(np.square(inputs - labels), axis=0))


def continue_series(model: nn.Module, state: TrainState, prime: np.ndarray,
                    steps: int) -> np.ndarray:
  """[steps] values generated after the prime [T0] (models.generate, regression)."""
  prime = jnp.asarray(prime, jnp.float32)[None, :, None]                  # [1, T0, 1]
  _, generated = models.generate(model, {"params": eval_params(state)}, prime, steps)
  return np.asarray(generated)[0, :, 0]


def continuation(model: nn.Module, state: TrainState, data: SeriesData, part: str, *,
                 prime_steps: int, steps: int, tolerance: float) -> dict[str, np.ndarray | int]:
  """Generates `steps` values after the first prime_steps of `part`'s first block and compares
  them with the truth: prime, truth, generated, first (row), within (steps within
  tolerance * the series' range)."""
  prime, truth, first = data.continuation(part, prime_steps, steps)
  generated = continue_series(model, state, prime, steps)
  return {"prime": prime, "truth": truth, "generated": generated, "first": first,
          "within": steps_within(generated, truth, tolerance * data.value_range)}


def _window_panel(ax, data: SeriesData, part: str, window: int, predicted: np.ndarray) -> None:
  """(a): a window's inputs, targets and one-step predictions (burn-in steps hollow)."""
  split, step, unit = getattr(data.spec, part), data.step, data.to_values
  start, steps = data.starts[part][window], split.inputs.shape[1]
  t_in = data.times[start + step * np.arange(steps)]
  t_out = data.times[start + step * np.arange(1, steps + 1)]
  scored = np.ones(steps, bool) if split.weights is None else split.weights[window] > 0
  ax.plot(t_in, unit(split.inputs[window, :, 0]), "bo", ms=6, alpha=0.4, label="instance")
  ax.plot(t_out, unit(split.labels[window, :, 0]), "w*", mec="k", ms=9, label="target")
  ax.plot(t_out[scored], unit(predicted[scored]), "r.", ms=9, label="prediction")
  if not scored.all():
    ax.plot(t_out[~scored], unit(predicted[~scored]), "o", mfc="none", mec="0.5", ms=5,
            label="prediction in the burn-in (not scored)")
  mse = float(np.mean(np.square(predicted - split.labels[window, :, 0])[scored]))
  ax.set(xlabel=data.time_unit, ylabel=data.value_unit,
         title=f"(a) {part} window {window}: one step ahead, MSE {mse:.3g}")
  ax.legend(fontsize=8)


def _continuation_panel(ax, data: SeriesData, run: dict, tolerance: float) -> None:
  """(b): the prime, the true and the generated continuation, and the tolerance band."""
  n0, n, unit = len(run["prime"]), len(run["truth"]), data.to_values
  times = data.times[run["first"] + data.step * np.arange(n0 + n)]
  band = tolerance * data.value_range * data.scale
  truth = unit(run["truth"])
  ax.plot(times[:n0], unit(run["prime"]), "k", lw=2, label="prime (true)")
  ax.plot(times[n0:], truth, "k", lw=1, label="true continuation")
  ax.fill_between(times[n0:], truth - band, truth + band, color="0.8", alpha=0.5,
                  label=f"truth +- {100 * tolerance:g} % of the range")
  ax.plot(times[n0:], unit(run["generated"]), "r", lw=1, label="generated")
  if run["within"] < n:
    ax.axvline(times[n0 + run["within"]], color="r", ls=":", lw=1)
  ax.set(xlabel=data.time_unit, ylabel=data.value_unit,
         title=f"(b) generated continuation: within the band for {run['within']} of {n} steps")
  ax.legend(fontsize=8, loc="upper left")


def figure(data: SeriesData, window: int, predicted: np.ndarray, run: dict, tolerance: float,
           png_path: str, part: str = "test") -> str:
  """(a) inputs, targets and predictions [T] of `part`'s window number `window`; (b) the
  continuation `run` (see `continuation`) against the truth. Returns png_path."""
  fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(13, 4.2), gridspec_kw={"width_ratios": [1, 2]})
  _window_panel(ax_a, data, part, window, predicted)
  _continuation_panel(ax_b, data, run, tolerance)
  for ax in (ax_a, ax_b):
    ax.grid(alpha=0.3)
  fig.tight_layout()
  fig.savefig(png_path, dpi=100)
  plt.close(fig)
  return png_path


def report(model: nn.Module, state: TrainState, data: SeriesData, summaries: dict[str, dict],
           workdir: str, *, prime_steps: int, generate_steps: int,
           tolerance: float = 0.1) -> dict[str, dict]:
  """Logs, for validation and test, the model's MSE (`summaries[part]["mse"]`, trainer.fit's
  summaries) beside the naive forecast's and how long a continuation from the part's first
  block stays within `tolerance` of the range; then the test MSE at each window step; draws
  the middle test window and the test continuation to workdir/timeseries.png. Returns
  part -> {"mse", "naive_mse", "within_steps"} and "figure" -> {"path"}."""
  rows, value_tolerance = {}, tolerance * data.value_range * data.scale
  for part in ("validation", "test"):
    run = continuation(model, state, data, part, prime_steps=prime_steps, steps=generate_steps,
                       tolerance=tolerance)
    mse, naive = summaries[part]["mse"], naive_mse(getattr(data.spec, part))
    rows[part] = {"mse": mse, "naive_mse": naive, "within_steps": run["within"]}
    logging.info("%s MSE: model %.4g, naive (next value = this value) %.4g: %.1f %% of naive "
                 "(RMSE %.3g vs %.3g %s). Generated continuation within %g %% of the range "
                 "(%.3g %s) for %d of %d steps.", part.capitalize(), mse, naive,
                 100 * mse / naive, data.scale * mse ** 0.5, data.scale * naive ** 0.5,
                 data.value_unit, 100 * tolerance, value_tolerance, data.value_unit,
                 run["within"], generate_steps)
  predicted = predict_split(model, state, data.spec.test)                # [N, T]
  log_mse_by_step(*mse_by_step(predicted, data.spec.test))
  window = len(data.spec.test) // 2
  path = figure(data, window, predicted[window], run, tolerance,      # the test continuation
                os.path.join(workdir, FIGURE_FILE))
  logging.info("Figure: %s", path)
  return {**rows, "figure": {"path": path}}


def log_mse_by_step(model_mse: np.ndarray, naive: np.ndarray) -> None:
  """Logs the test MSE at a few window steps, and over every step (burn-in included)."""
  shown = sorted({i for i in (0, 1, 2, 4, 9, len(model_mse) - 1) if i < len(model_mse)})
  logging.info("Test MSE at window steps %s: model %s, naive %s",
               " / ".join(str(i + 1) for i in shown),
               *(" / ".join(f"{mse[i]:.3g}" for i in shown) for mse in (model_mse, naive)))
  logging.info("Test MSE over every step (burn-in included): model %.4g, naive %.4g: %.1f %% "
               "of naive.", model_mse.mean(), naive.mean(), 100 * model_mse.mean() / naive.mean())
