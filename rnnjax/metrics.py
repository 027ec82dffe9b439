"""Pure losses and metrics. Everything here is a function of arrays and runs under `jit`.

A task makes one prediction per sequence (outputs [B, C], labels [B] class ids or [B] / [B, C]
targets) or one per step (outputs [B, T, C], labels [B, T] or targets [B, T, F]). Losses map
outputs and labels to one value per prediction unit, [B] or [B, T] (`units`: 1 or 2 leading
axes). Metrics are returned from the steps as *sums* over weighted units (`batch_sums`) so the
host can add them over batches and devices (`merge`) and divide once at the end
(`summarize`); a unit of weight 0 (an eval padding row, a padded step) counts nowhere.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from rnnjax.typing import Array, PyTree


def _squeeze_single(logits: Array, labels: Array) -> Array:
  """Drops a trailing C=1 axis of logits [B, 1] when labels are [B]."""
  if logits.ndim == labels.ndim + 1 and logits.shape[-1] == 1:
    return logits[..., 0]
  return logits


def _per_unit(values: Array, units: int) -> Array:
  """Means every axis but the first `units`: [B, ...] -> [B] (units=1) or [B, T] (units=2)."""
  return values.reshape(values.shape[:units] + (-1,)).mean(axis=-1)


def softmax_cross_entropy(logits: Array, labels: Array, units: int = 1) -> Array:
  """logits [B, C] (or [B, T, C]), integer labels [B] (or [B, T]) -> cross-entropy (nats) per
  unit, [B] (or [B, T])."""
  del units                                          # one class id per unit already
  return optax.softmax_cross_entropy_with_integer_labels(logits, labels.astype(jnp.int32))


def sigmoid_cross_entropy(logits: Array, labels: Array, units: int = 1) -> Array:
  """logits [B, 1] or [B, K] (or [B, T, ...]), 0/1 labels [B] or [B, K] (or [B, T, ...]) ->
  binary cross-entropy (nats) per unit."""
  logits = _squeeze_single(logits, labels)
  return _per_unit(optax.sigmoid_binary_cross_entropy(logits, labels.astype(logits.dtype)), units)


def mean_squared_error(predictions: Array, targets: Array, units: int = 1) -> Array:
  """predictions [B, 1] or [B, K] (or [B, T, ...]), targets [B] or [B, K] (or [B, T, ...]) ->
  squared error per unit."""
  predictions = _squeeze_single(predictions, targets)
  return _per_unit(jnp.square(predictions - targets), units)


def mean_absolute_error(predictions: Array, targets: Array, units: int = 1) -> Array:
  """As mean_squared_error, with the absolute error."""
  predictions = _squeeze_single(predictions, targets)
  return _per_unit(jnp.abs(predictions - targets), units)


LOSSES: dict[str, Callable[..., Array]] = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "sigmoid_cross_entropy": sigmoid_cross_entropy,
    "mse": mean_squared_error,
    "mae": mean_absolute_error,
}
CLASSIFICATION_LOSSES = ("softmax_cross_entropy", "sigmoid_cross_entropy")


def default_loss(num_classes: int) -> str:
  """The loss for `DataSpec.num_classes`: C > 1 softmax, C == 1 sigmoid, 0 (regression) MSE."""
  if num_classes > 1:
    return "softmax_cross_entropy"
  return "sigmoid_cross_entropy" if num_classes == 1 else "mse"


def l2_penalty(params: PyTree, l2: float) -> Array:
  """The UCI HAR tutorial's (Taspinar) regulariser: l2 * sum over every weight w of ||w||^2 / 2
  (tf.nn.l2_loss)."""
  leaves = jax.tree.leaves(params)
  return l2 * sum(jnp.sum(jnp.square(w)) for w in leaves) / 2


def predictions(logits: Array) -> Array:
  """logits [..., C] -> predicted class ids [...] int32 (C == 1: sigmoid, class 1 when
  logit > 0)."""
  if logits.shape[-1] == 1:
    return (logits[..., 0] > 0).astype(jnp.int32)
  return jnp.argmax(logits, axis=-1).astype(jnp.int32)


def accuracy(logits: Array, labels: Array, weights: Array | None = None) -> Array:
  """Weighted fraction of rows whose predicted class equals the label. logits [B, C], labels [B]."""
  weights = jnp.ones(labels.shape, jnp.float32) if weights is None else weights
  correct = (predictions(logits) == labels).astype(jnp.float32)
  return jnp.sum(correct * weights) / jnp.sum(weights)


def confusion_matrix(labels: Array, predicted: Array, num_classes: int,
                     weights: Array | None = None) -> Array:
  """[C, C] weighted counts; row = true class, column = predicted class. labels, predicted [B]."""
  weights = jnp.ones(labels.shape, jnp.float32) if weights is None else weights
  true_1h = jax.nn.one_hot(labels, num_classes) * weights[:, None]  # [B, C]
  pred_1h = jax.nn.one_hot(predicted, num_classes)                  # [B, C]
  return true_1h.T @ pred_1h                                        # [C, C]


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
  """[C, C] confusion -> [C] recall of each true class (NaN for a class with no rows)."""
  confusion = np.asarray(confusion, np.float64)
  with np.errstate(invalid="ignore", divide="ignore"):
    return np.diag(confusion) / confusion.sum(axis=1)


def batch_sums(logits: Array, labels: Array, weights: Array | None = None, *,
               loss: str, confusion: bool = True) -> dict[str, Array]:
  """Sums over one batch for `merge` / `summarize`: count, loss, and for classification
  correct (+ a [C, C] confusion matrix, + for per-step labels `sequences` and
  `sequence_correct`: rows whose every weighted step is right); for regression abs_error and
  sq_error.

  Args:
    logits: [B, C] model outputs, or [B, T, C] for one prediction per step.
    labels: [B] class ids / [B] or [B, C] targets, or [B, T] / [B, T, F] per step.
    weights: weights of the prediction units, [B] (0 for eval padding rows) or [B, T] (0 for
      padded or unscored steps); all ones of labels' first axis when None.
    loss: a name in LOSSES.
    confusion: whether to add the confusion matrix (classification only).
  """
  weights = jnp.ones(labels.shape[:1], jnp.float32) if weights is None else weights
  units = weights.ndim
  sums = {"count": jnp.sum(weights),
          "loss": jnp.sum(LOSSES[loss](logits, labels, units) * weights)}
  if loss in CLASSIFICATION_LOSSES:
    predicted = predictions(logits)
    right = predicted == labels
    sums["correct"] = jnp.sum(right.astype(jnp.float32) * weights)
    if units == 2:
      scored = weights > 0                                              # [B, T]
      rows = jnp.any(scored, axis=1)                                    # [B]
      sums["sequences"] = jnp.sum(rows.astype(jnp.float32))
      sums["sequence_correct"] = jnp.sum((jnp.all(right | ~scored, axis=1) & rows)
                                         .astype(jnp.float32))
    if confusion:
      sums["confusion"] = confusion_matrix(labels.reshape(-1), predicted.reshape(-1),
                                           max(logits.shape[-1], 2), weights.reshape(-1))
  else:
    sums["abs_error"] = jnp.sum(mean_absolute_error(logits, labels, units) * weights)
    sums["sq_error"] = jnp.sum(mean_squared_error(logits, labels, units) * weights)
  return sums


def merge(sums: Sequence[Mapping[str, PyTree]]) -> dict[str, np.ndarray]:
  """Adds a list of `batch_sums` dicts on the host (one device_get for all of them)."""
  host = jax.device_get(list(sums))
  return {k: np.sum([np.asarray(s[k], np.float64) for s in host], axis=0) for k in host[0]}


def summarize(sums: Mapping[str, np.ndarray]) -> dict[str, float | np.ndarray]:
  """Merged sums -> means: loss, l2 and objective (loss + l2) when present, accuracy,
  per_class_accuracy [C] and confusion [C, C] for classification, mae / mse for regression."""
  count = float(sums["count"])
  out: dict[str, float | np.ndarray] = {"loss": float(sums["loss"]) / count}
  if "l2" in sums:
    out["l2"] = float(sums["l2"]) / count
    out["objective"] = out["loss"] + out["l2"]
  if "correct" in sums:
    out["accuracy"] = float(sums["correct"]) / count
  if "sequences" in sums:
    out["sequence_accuracy"] = float(sums["sequence_correct"]) / max(float(sums["sequences"]), 1)
  if "confusion" in sums:
    out["confusion"] = np.asarray(sums["confusion"])
    out["per_class_accuracy"] = per_class_accuracy(sums["confusion"])
  if "abs_error" in sums:
    out["mae"] = float(sums["abs_error"]) / count
    out["mse"] = float(sums["sq_error"]) / count
  return out


def format_confusion(confusion: np.ndarray, class_names: Sequence[str] = ()) -> str:
  """A text table of a [C, C] confusion matrix (rows true, columns predicted) with a recall
  column; classes are named by `class_names` or by their ids."""
  confusion = np.asarray(confusion)
  names = list(class_names) or [str(i) for i in range(len(confusion))]
  width = max(8, *(len(n) for n in names)) + 1
  recall = per_class_accuracy(confusion)
  lines = ["true \\ predicted".ljust(width) + "".join(n[:width - 1].rjust(width) for n in names)
           + "  accuracy"]
  for name, row, acc in zip(names, confusion, recall):
    cells = "".join(f"{int(round(v)):>{width}d}" for v in row)
    lines.append(name.ljust(width) + cells + f"  {100 * acc:7.2f} %")
  return "\n".join(lines)
