"""Matmul FLOPs of each benchmarked step and the measured matmul peak, for the roofline column.

Only matrix multiplications are counted (elementwise gate math, the loss and the optimizer
update are not), so "% of peak" is a lower bound on how busy the cores are. With G gates
(LSTM 4, GRU 3, SimpleRNN 1; a reset-after GRU's recurrent matmul is h [B, H] x [H, 3H] too),
one layer over B sequences of T steps (forward: the input projection [B*T, D] x [D, G*H] and
T recurrent matmuls [B, H] x [H, G*H]):

  forward  = 2*B*T*G*H*(D + H)
  backward = 2*B*T*G*H*(D + H)    weight gradients dW_ih, dW_hh
           + 2*B*T*G*H*H          the gradient into h through W_hh (no gradient w.r.t. inputs)

so `train` = 2*B*T*G*H*(2*D + 3*H) and `infer` = the forward. `step` (the classifier training
step) runs two directions and a Dense(C) head on the concatenated last outputs [B, 2H]
(forward, weight gradient and input gradient: 3 * 2*B*2H*C).
"""
from __future__ import annotations

import os
import time

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
STEP_CLASSES = 6           # the classifier head of the `step` mode (HAR's 6 activities)


def matmul_flops(family: str, dims, mode: str, num_classes: int = STEP_CLASSES) -> float:
  """Matmul FLOPs of one step of `mode` ("train", "infer" or "step") at dims (B, T, D, H)."""
  batch, time_len, features, hidden = dims
  width = GATES[family] * hidden                                       # G*H
  forward = 2.0 * batch * time_len * width * (features + hidden)
  backward = forward + 2.0 * batch * time_len * width * hidden
  if mode == "infer":
    return forward
  if mode == "train":
    return forward + backward
  if mode == "step":
    return 2 * (forward + backward) + 3 * 2.0 * batch * 2 * hidden * num_classes
  raise ValueError(f"mode must be train, infer or step; got {mode!r}")


def best_gflops(matmul, size: int, repeats: int = 5) -> float:
  """GFLOP/s of the fastest of `repeats` calls of matmul() (a [size, size] x [size, size]
  float32 product that blocks until done), after one warm-up call."""
  matmul()
  best = float("inf")
  for _ in range(repeats):
    start = time.perf_counter()
    matmul()
    best = min(best, time.perf_counter() - start)
  return 2.0 * size ** 3 / best / 1e9


def jax_matmul_peak(size: int) -> float:
  """GFLOP/s of a jitted float32 [size, size] x [size, size] matmul on JAX's default device."""
  import jax  # noqa: PLC0415
  import jax.numpy as jnp  # noqa: PLC0415
  a = jax.random.normal(jax.random.key(0), (size, size), jnp.float32)
  b = jax.random.normal(jax.random.key(1), (size, size), jnp.float32)
  dot = jax.jit(jnp.dot).lower(a, b).compile()
  return best_gflops(lambda: dot(a, b).block_until_ready(), size)


def xla_pool_threads() -> int | None:
  """Threads of XLA's CPU thread pool in this process (Linux: named *XLAEigen), or None."""
  tasks = "/proc/self/task"
  if not os.path.isdir(tasks):
    return None
  names = []
  for task in os.listdir(tasks):
    try:
      with open(os.path.join(tasks, task, "comm")) as f:
        names.append(f.read().strip())
    except OSError:           # the thread ended meanwhile
      pass
  return sum(name.endswith("XLAEigen") for name in names)


def add_roofline(rows, peak_gflops: float | None) -> None:
  """Adds gflops (achieved matmul GFLOP/s at the median) and peak_frac to every timing row."""
  for row in rows:
    seconds = row["median_ms"] / 1e3
    flops = matmul_flops(row["family"], row["dims"], row["mode"])
    row["gflops"] = flops / seconds / 1e9 if seconds > 0 else None
    row["peak_frac"] = row["gflops"] / peak_gflops if peak_gflops and row["gflops"] else None
