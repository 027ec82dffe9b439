"""Reading a Jena temperature forecaster: predictions, the naive baseline, degrees C, a plot.

  preds = forecast.predict(result.state, data.spec.test)            # [N] normalised
  row = forecast.compare(data, "test", preds)                        # model vs naive MAE
  forecast.log_comparison([row]); forecast.plot(data, "test", preds, "forecast.png", stride=6)
  rows = forecast.report(data, result.state, workdir, stride=6)       # all of the above

The naive forecast is the Keras tutorial's (Chollet's) baseline: the temperature 24 h ahead equals the
last observed one (the window's last step), `JenaData.naive_mae`.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import jax
import numpy as np
from absl import logging

from rnnjax.reports import curves  # noqa: F401  (selects matplotlib's Agg backend)
from rnnjax.data import jena, splits
from rnnjax.train import TrainState, eval_params

import matplotlib.pyplot as plt  # noqa: E402  (after curves chose the backend)

FORECAST_FILE = "forecast.png"
ROWS_PER_HOUR = 6                                 # 10-minute records


def predict(state: TrainState, split: splits.Split, batch_size: int = 500) -> np.ndarray:
  """The model's outputs [N] (normalised units) for every window of `split`."""
  apply = jax.jit(lambda params, inputs, lengths: state.apply_fn(
      {"params": params}, inputs, lengths, train=False)[:, 0])             # [B]
  out = []
  for batch in splits.eval_batches(split, batch_size):
    valid = batch["weights"] > 0
    out.append(np.asarray(apply(eval_params(state), batch["inputs"], batch["lengths"]))[valid])
  return np.concatenate(out)


def compare(data: jena.JenaData, split: str, predictions: np.ndarray) -> dict[str, float]:
  """MAE of the model and of the naive forecast on `split`, normalised and in degrees C, and
  how far below the naive MAE the model's is (in %, positive = better)."""
  labels = getattr(data.spec, split).labels
  mae = float(np.mean(np.abs(predictions - labels)))
  naive = data.naive_mae(split)
  return {"split": split, "mae": mae, "mae_degC": data.to_degrees(mae), "naive_mae": naive,
          "naive_mae_degC": data.to_degrees(naive), "below_naive_pct": 100 * (1 - mae / naive)}


def log_comparison(rows: Sequence[dict[str, float]]) -> None:
  """One line per split: model MAE beside the naive baseline's."""
  for r in rows:
    logging.info("%s MAE: model %.4f (%.2f degC), naive (T in 24 h = last observed T) %.4f "
                 "(%.2f degC): model %.1f %% below naive.", r["split"].capitalize(), r["mae"],
                 r["mae_degC"], r["naive_mae"], r["naive_mae_degC"], r["below_naive_pct"])


def plot(data: jena.JenaData, split: str, predictions: np.ndarray, png_path: str, *,
         stride: int, days: float = 14.0) -> None:
  """Forecast against truth in degrees C over the first `days` of `split`: the true T 24 h
  ahead, the model's forecast and the naive one. `stride`: rows between windows."""
  spec = getattr(data.spec, split)
  n = min(len(spec), int(days * 24 * ROWS_PER_HOUR / stride))
  hours = np.arange(n) * stride / ROWS_PER_HOUR
  degrees = lambda x: np.asarray(x) * data.target_std + data.target_mean  # noqa: E731
  naive = spec.inputs[:n, -1, data.target_index]
  fig, ax = plt.subplots(figsize=(11, 4))
  ax.plot(hours, degrees(spec.labels[:n]), "k", lw=1.2, label="truth")
  ax.plot(hours, degrees(predictions[:n]), "b", lw=1, label="model forecast")
  ax.plot(hours, degrees(naive), color="tab:orange", lw=0.8, alpha=0.8, label="naive forecast")
  mae = np.mean(np.abs(predictions - spec.labels))
  ax.set(xlabel=f"hours since the first {split} window", ylabel="T (degC) 24 h ahead",
         title=f"{split}: MAE model {data.to_degrees(mae):.2f} degC, "
               f"naive {data.to_degrees(data.naive_mae(split)):.2f} degC (whole split)")
  ax.grid(alpha=0.3)
  ax.legend()
  fig.tight_layout()
  fig.savefig(png_path, dpi=100)
  plt.close(fig)


def report(data: jena.JenaData, state: TrainState, workdir: str, *, stride: int,
           splits: Sequence[str] = ("validation", "test")) -> list[dict[str, float]]:
  """Predicts every split, logs model vs naive MAE for each, and plots the last split's
  forecast against the truth to workdir/forecast.png. Returns the `compare` rows (a split the
  data does not have, e.g. validation after a refit, is left out)."""
  splits = [s for s in splits if getattr(data.spec, s) is not None]
  predictions = {s: predict(state, getattr(data.spec, s)) for s in splits}
  rows = [compare(data, s, p) for s, p in predictions.items()]
  log_comparison(rows)
  plot(data, splits[-1], predictions[splits[-1]], os.path.join(workdir, FORECAST_FILE),
       stride=stride)
  return rows
