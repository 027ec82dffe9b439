"""Compile time (JAX_DISABLE_MOST_OPTIMIZATIONS=1, as the tests compile): `add`, x + 1 jitted on
jnp.ones((n,)) (the ones and the add, two tiny programs); `normal`, jax.random.normal of (n, 3);
an LSTM layer's value-and-grad (fused and scan backends). Medians over shapes, so that each call
compiles anew. Run by compile_screen.sh under each XLA_FLAGS; its output is compile_screen.log."""
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

from rnnjax import cells, layers


def seconds(fn) -> float:
  start = time.perf_counter()
  jax.block_until_ready(fn())
  return time.perf_counter() - start


def main():
  add = statistics.median(
      [seconds(lambda n=n: jax.jit(lambda x: x + 1)(jnp.ones((n,)))) for n in range(3, 13)])
  key = jax.random.key(0)
  normal = statistics.median(
      [seconds(lambda n=n: jax.random.normal(key, (n, 3))) for n in range(3, 9)])
  xs = np.random.RandomState(0).randn(3, 7, 5).astype(np.float32)
  lengths = np.array([7, 4, 1], np.int32)
  grad_s = {}
  for impl in ("fused", "scan"):
    layer = layers.Recurrent(cells.LSTMCell(4), implementation=impl)
    variables = jax.jit(layer.init)(key, xs, lengths)
    loss = lambda v, x, layer=layer: jnp.sum(jnp.sin(layer.apply(v, x, lengths)))  # noqa: E731
    grad_s[impl] = seconds(lambda: jax.jit(jax.grad(loss, argnums=(0, 1)))(variables, xs))
  print(f"add {add * 1e3:.0f} ms  normal {normal * 1e3:.0f} ms  lstm-grad fused "
        f"{grad_s['fused'] * 1e3:.0f} ms scan {grad_s['scan'] * 1e3:.0f} ms")


if __name__ == "__main__":
  main()
