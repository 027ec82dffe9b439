"""Pure losses and metrics. Everything here is a function of arrays and runs under `jit`.

Losses map logits [B, C] (C = 1 for sigmoid / scalar regression) and labels [B] (int class ids,
or float targets [B] / [B, C]) to per-example values [B]. Metrics are returned from the steps as
*sums* (`batch_sums`) so the host can add them over batches and devices (`merge`) and divide once
at the end (`summarize`); a padded eval row has weight 0 and counts nowhere.
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


def _per_example(values: Array) -> Array:
  """Means every axis but the batch one: [B, ...] -> [B]."""
  return values.reshape(values.shape[0], -1).mean(axis=1)


def softmax_cross_entropy(logits: Array, labels: Array) -> Array:
  """logits [B, C], integer labels [B] -> [B] cross-entropy (nats)."""
  return optax.softmax_cross_entropy_with_integer_labels(logits, labels.astype(jnp.int32))


def sigmoid_cross_entropy(logits: Array, labels: Array) -> Array:
  """logits [B, 1] or [B, K], 0/1 labels [B] or [B, K] -> [B] binary cross-entropy (nats)."""
  logits = _squeeze_single(logits, labels)
  return _per_example(optax.sigmoid_binary_cross_entropy(logits, labels.astype(logits.dtype)))


def mean_squared_error(predictions: Array, targets: Array) -> Array:
  """predictions [B, 1] or [B, K], targets [B] or [B, K] -> [B] squared error."""
  predictions = _squeeze_single(predictions, targets)
  return _per_example(jnp.square(predictions - targets))


def mean_absolute_error(predictions: Array, targets: Array) -> Array:
  """predictions [B, 1] or [B, K], targets [B] or [B, K] -> [B] absolute error."""
  predictions = _squeeze_single(predictions, targets)
  return _per_example(jnp.abs(predictions - targets))


LOSSES: dict[str, Callable[[Array, Array], Array]] = {
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
  """logits [B, C] -> predicted class ids [B] int32 (C == 1: sigmoid, class 1 when logit > 0)."""
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
  correct (+ a [C, C] confusion matrix); for regression abs_error and sq_error.

  Args:
    logits: [B, C] model outputs.
    labels: [B] class ids, or [B] / [B, C] regression targets.
    weights: [B] row weights (0 for padding); all ones when None.
    loss: a name in LOSSES.
    confusion: whether to add the confusion matrix (classification only).
  """
  weights = jnp.ones(labels.shape[:1], jnp.float32) if weights is None else weights
  sums = {"count": jnp.sum(weights),
          "loss": jnp.sum(LOSSES[loss](logits, labels) * weights)}
  if loss in CLASSIFICATION_LOSSES:
    predicted = predictions(logits)
    sums["correct"] = jnp.sum((predicted == labels).astype(jnp.float32) * weights)
    if confusion:
      sums["confusion"] = confusion_matrix(labels, predicted, max(logits.shape[-1], 2), weights)
  else:
    sums["abs_error"] = jnp.sum(mean_absolute_error(logits, labels) * weights)
    sums["sq_error"] = jnp.sum(mean_squared_error(logits, labels) * weights)
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
