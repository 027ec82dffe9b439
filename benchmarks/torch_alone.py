"""torch nn.LSTM / nn.GRU timed in a process of their own (no JAX threads beside them).

  python benchmarks/torch_alone.py            # every workload of bench_rnn.py, train and infer

In bench_rnn.py torch shares the process with XLA's CPU thread pool, whose threads stay busy
for a while after each JAX call and slow torch's OpenMP threads on a 2-core machine; this gives
torch's own speed for reading bench_rnn.py's `x torch` ratios. Median of 20 after 3 warm-ups.
"""
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

WORKLOADS = {"har": (100, 128, 9, 32), "row_mnist": (128, 28, 28, 128),
             "pixel_mnist": (32, 784, 1, 128), "har_wide": (100, 128, 9, 128),
             "imdb": (64, 500, 32, 32)}


def median_ms(fn, repeats=20, warmup=3):
  for _ in range(warmup):
    fn()
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    fn()
    times.append(time.perf_counter() - start)
  return 1e3 * float(np.median(times))


def main(names):
  torch.manual_seed(0)
  torch.set_num_threads(os.cpu_count())
  for name in names:
    batch, steps, features, hidden = WORKLOADS[name]
    x = torch.randn(batch, steps, features)
    for cls in (torch.nn.LSTM, torch.nn.GRU):
      model = cls(features, hidden, batch_first=True)

      def train():
        model.zero_grad(set_to_none=True)
        model(x)[0].sum().backward()

      def infer():
        with torch.no_grad():
          model(x)

      print(f"{name} {cls.__name__}: train {median_ms(train):.2f} ms, "
            f"infer {median_ms(infer):.2f} ms", flush=True)


if __name__ == "__main__":
  main(sys.argv[1:] or list(WORKLOADS))
