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
import jax.numpy as jnp
import numpy as np

from rnnjax import models
from rnnjax.reports import curves  # noqa: F401  (selects matplotlib's Agg backend)
from rnnjax.data.timeseries import SeriesData
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


def figure(data: SeriesData, window: int, predicted: np.ndarray, run: dict, tolerance: float,
           png_path: str, part: str = "test") -> str:
  """(a) inputs, targets and predictions of `part`'s window number `window`; (b) the prime, the
  true continuation, the generated one and the tolerance band. Returns png_path."""
  split, step = getattr(data.spec, part), data.step
  unit = lambda x: data.offset + data.scale * np.asarray(x)  # noqa: E731  (model -> value units)
  fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(13, 4.2), gridspec_kw={"width_ratios": [1, 2]})
  start = data.starts[part][window]
  steps = split.inputs.shape[1]
  t_in = data.times[start + step * np.arange(steps)]
  t_out = data.times[start + step * np.arange(1, steps + 1)]
  ax_a.plot(t_in, unit(split.inputs[window, :, 0]), "bo", ms=6, alpha=0.4, label="instance")
  ax_a.plot(t_out, unit(split.labels[window, :, 0]), "w*", mec="k", ms=9, label="target")
  ax_a.plot(t_out, unit(predicted), "r.", ms=9, label="prediction")
  mse = float(np.mean(np.square(predicted - split.labels[window, :, 0])))
  ax_a.set(xlabel=data.time_unit, ylabel=data.value_unit,
           title=f"(a) {part} window {window}: one step ahead, MSE {mse:.3g}")
  ax_a.legend(fontsize=8)
  n0, n = len(run["prime"]), len(run["truth"])
  rows = run["first"] + step * np.arange(n0 + n)
  band = tolerance * data.value_range * data.scale
  ax_b.plot(data.times[rows[:n0]], unit(run["prime"]), "k", lw=2, label="prime (true)")
  ax_b.plot(data.times[rows[n0:]], unit(run["truth"]), "k", lw=1, label="true continuation")
  ax_b.fill_between(data.times[rows[n0:]], unit(run["truth"]) - band, unit(run["truth"]) + band,
                    color="0.8", alpha=0.5, label=f"truth +- {100 * tolerance:g} % of range")
  ax_b.plot(data.times[rows[n0:]], unit(run["generated"]), "r", lw=1, label="generated")
  if run["within"] < n:
    ax_b.axvline(data.times[rows[n0 + run["within"]]], color="r", ls=":", lw=1)
  ax_b.set(xlabel=data.time_unit, ylabel=data.value_unit,
           title=f"(b) generated continuation: within the band for {run['within']} of {n} steps")
  ax_b.legend(fontsize=8, loc="upper left")
  for ax in (ax_a, ax_b):
    ax.grid(alpha=0.3)
  fig.tight_layout()
  fig.savefig(png_path, dpi=100)
  plt.close(fig)
  return png_path


def report(model: nn.Module, state: TrainState, data: SeriesData, workdir: str, *,
           prime_steps: int, generate_steps: int, tolerance: float = 0.1) -> dict:
  """Continuations from the first validation and the first test block, and the figure of a
  test window (the middle one) and the test continuation (workdir/timeseries.png). Returns
  {"<part>_within_steps": int, "figure": path}."""
  runs = {part: continuation(model, state, data, part, prime_steps=prime_steps,
                             steps=generate_steps, tolerance=tolerance)
          for part in ("validation", "test")}
  window = len(data.spec.test) // 2
  predicted = predict_window(model, state, data.spec.test.inputs[window])
  path = figure(data, window, predicted, runs["test"], tolerance,
                os.path.join(workdir, FIGURE_FILE))
  return {**{f"{part}_within_steps": r["within"] for part, r in runs.items()}, "figure": path}
