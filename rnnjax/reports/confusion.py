"""A classifier's confusion matrix as a figure (rows true, columns predicted).

  png = confusion.figure(result.eval["confusion"], data.class_names, "runs/har/lstm/confusion.png")

The colour of a cell is its share of the true class's rows (so every row reads as that class's
recall spread over the predictions, whatever the class sizes); the cell shows the count. The text
form of the same matrix is `rnnjax.metrics.format_confusion`, which `trainer.fit` logs.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnnjax import metrics
from rnnjax.reports import curves  # noqa: F401  (selects matplotlib's Agg backend)

import matplotlib.pyplot as plt  # noqa: E402  (after curves chose the backend)

FIGURE_FILE = "confusion.png"


def figure(confusion: np.ndarray, class_names: Sequence[str], png_path: str, *,
           title: str | None = None) -> str:
  """Draws a [C, C] confusion matrix (counts, rows true) to `png_path`; returns the path.

  `class_names`: C names, or () for the class ids. The title defaults to the overall accuracy.
  """
  confusion = np.asarray(confusion, np.float64)                          # [C, C]
  if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
    raise ValueError(f"confusion has shape {confusion.shape}; expected a square [C, C] matrix "
                     "(result.eval['confusion'] of a classifier).")
  c = len(confusion)
  names = list(class_names) or [str(i) for i in range(c)]
  if len(names) != c:
    raise ValueError(f"class_names has {len(names)} names for a {c}-class confusion matrix.")
  rows = confusion.sum(axis=1, keepdims=True)                            # [C, 1]
  share = np.divide(confusion, rows, out=np.zeros_like(confusion), where=rows > 0)
  size = 1.6 + 0.55 * c
  fig, ax = plt.subplots(figsize=(size + 1.5, size))
  image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
  for i in range(c):
    for j in range(c):
      ax.text(j, i, f"{int(round(confusion[i, j]))}", ha="center", va="center", fontsize=8,
              color="white" if share[i, j] > 0.5 else "black")
  ax.set_xticks(range(c), names, rotation=45, ha="right")
  recall = metrics.per_class_accuracy(confusion)                         # [C], NaN: no rows
  ax.set_yticks(range(c), [f"{n} ({100 * r:.0f} %)" if np.isfinite(r) else f"{n} (no rows)"
                           for n, r in zip(names, recall)])
  accuracy = np.trace(confusion) / max(confusion.sum(), 1.0)
  ax.set(xlabel="predicted", ylabel="true (its accuracy)",
         title=title or f"test accuracy {100 * accuracy:.2f} % ({int(confusion.sum())} examples)")
  fig.colorbar(image, ax=ax, label="share of the true class")
  fig.tight_layout()
  fig.savefig(png_path, dpi=100)
  plt.close(fig)
  return png_path
