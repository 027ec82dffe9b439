"""Compile time (JAX_DISABLE_MOST_OPTIMIZATIONS=1, as the tests compile) of a trivial jit, a
random normal and an LSTM layer's value-and-grad (fused and scan backends), medians over shapes.
Run by compile_screen.sh under each XLA_FLAGS; its output is compile_screen.log."""
import time, statistics, jax, jax.numpy as jnp, numpy as np
from rnnjax import cells, layers
def t(fn):
    s=time.perf_counter(); jax.block_until_ready(fn()); return time.perf_counter()-s
add = statistics.median([t(lambda n=n: jax.jit(lambda x: x + 1)(jnp.ones((n,)))) for n in range(3, 13)])
k = jax.random.key(0)
nrm = statistics.median([t(lambda n=n: jax.random.normal(k, (n, 3))) for n in range(3, 9)])
xs = np.random.RandomState(0).randn(3, 7, 5).astype(np.float32); L = np.array([7, 4, 1], np.int32)
res = {}
for impl in ("fused", "scan"):
    layer = layers.Recurrent(cells.LSTMCell(4), implementation=impl)
    v = jax.jit(layer.init)(k, xs, L)
    loss = lambda v, x: jnp.sum(jnp.sin(layer.apply(v, x, L)))
    res[impl] = t(lambda: jax.jit(jax.grad(loss, argnums=(0, 1)))(v, xs))
print(f"add {add*1e3:.0f} ms  normal {nrm*1e3:.0f} ms  lstm-grad fused {res['fused']*1e3:.0f} ms scan {res['scan']*1e3:.0f} ms")
