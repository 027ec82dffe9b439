"""How far the LRU's float32 scan and associative scan are from a float64 run (2026-12-02):
the figures behind BACKEND_ATOL in tests/test_cell_contract.py. The contract test's inputs,
parameters and loss (tests/cell_contract.py), reversed, clean padding. Output:
lru_float64_check.log beside this file.
  python results/logs/lru_float64_check.py
"""
import os
import sys

import jax
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import cell_contract as cc  # noqa: E402
from rnnjax import cells, layers  # noqa: E402

layer = layers.Recurrent(cells.CELLS["lru"](cc.H), return_state=True, reverse=True)
params = layer.init(jax.random.key(1), cc.XS, cc.LENGTHS)["params"]
v = {"params": cc.randomize(params, jax.random.key(2))}


def value_and_grads(impl, v, xs):
  run = layer.clone(implementation=impl)
  loss = lambda v, x: cc.sum_of_sines(run.apply(v, x, cc.LENGTHS))  # noqa: E731
  return jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))(v, xs)


got = {impl: value_and_grads(impl, v, cc.CLEAN) for impl in ("scan", "associative")}
jax.config.update("jax_enable_x64", True)
v64 = jax.tree.map(lambda a: np.asarray(a, np.float64), v)
want = value_and_grads("scan", v64, cc.CLEAN.astype(np.float64))
print(f"jax {jax.__version__}; error against float64, max |a - b| per leaf:")
for (path, ref), s, a in zip(jax.tree_util.tree_flatten_with_path(want)[0],
                             jax.tree.leaves(got["scan"]), jax.tree.leaves(got["associative"])):
  ref = np.asarray(ref)
  print(f"{jax.tree_util.keystr(path):45s} magnitude {np.abs(ref).max():6.2f}  scan "
        f"{np.abs(s - ref).max():.2e}  associative {np.abs(a - ref).max():.2e}  apart "
        f"{np.abs(s - a).max():.2e}")
