"""Parameter counts per layer, printed like Keras' model.summary()."""
from __future__ import annotations

import math

import jax

from rnnjax.typing import PyTree


def param_counts(params: PyTree, depth: int = 1) -> dict[str, int]:
  """Number of parameters under each path prefix of `depth` components, in tree order."""
  counts: dict[str, int] = {}
  for path, leaf in jax.tree_util.tree_flatten_with_path(params)[0]:
    keys = [str(getattr(k, "key", getattr(k, "idx", k))) for k in path]
    name = "/".join(keys[:depth])
    counts[name] = counts.get(name, 0) + math.prod(leaf.shape)
  return counts


def summary(params: PyTree, depth: int = 1) -> str:
  """A table of parameter counts per layer (path prefix of `depth`), with the total."""
  if "params" in params and len(params) == 1:
    params = params["params"]
  counts = param_counts(params, depth)
  width = max([len(n) for n in counts] + [5])
  lines = [f"{'layer':<{width}}  {'params':>12}", "-" * (width + 14)]
  lines += [f"{name:<{width}}  {count:>12,}" for name, count in counts.items()]
  lines += ["-" * (width + 14), f"{'total':<{width}}  {sum(counts.values()):>12,}"]
  return "\n".join(lines)
