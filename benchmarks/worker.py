"""Times some competitors of one workload in a process of their own; bench_rnn.py starts it.

  python benchmarks/worker.py --competitors torch_lstm,torch_gru --workload har \
      --dims 100,128,9,32 --modes train,infer --dtypes float32 --threads 2

A torch competitor then runs with no JAX in the process (XLA's thread pool and torch's OpenMP
threads do not compete), under the OMP_WAIT_POLICY / OMP_NUM_THREADS / malloc settings that
bench_rnn.py put in the environment. Prints one JSON line: the timing rows (as bench_rnn.py's),
the float32 matmul peak measured in this process, the framework's version and its thread count
(torch.get_num_threads(), or the threads of XLA's CPU pool).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from benchmarks import competitors as comp  # noqa: E402  (imports neither JAX nor torch)
from benchmarks import roofline, timing  # noqa: E402


def parse_args(argv=None):
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument("--competitors", required=True)
  p.add_argument("--workload", required=True, help="name for the rows")
  p.add_argument("--dims", required=True, help="B,T,D,H")
  p.add_argument("--modes", default="train,infer")
  p.add_argument("--dtypes", default="float32")
  p.add_argument("--repeats", type=int, default=20)
  p.add_argument("--warmup", type=int, default=2)
  p.add_argument("--threads", type=int, default=os.cpu_count())
  p.add_argument("--device", default="cpu", help="cpu or cuda (torch competitors)")
  p.add_argument("--backend", default="cpu", help="JAX's backend in the parent (cpu, gpu)")
  p.add_argument("--peak_size", type=int, default=2048, help="0: no matmul peak")
  return p.parse_args(argv)


def _torch_builder(args):
  import torch  # noqa: PLC0415
  from benchmarks import torch_competitors  # noqa: PLC0415
  torch.set_num_threads(args.threads)

  def build(name, dims, mode, dtype):
    return torch_competitors.build(name, dims, mode, args.device), None

  peak = (roofline.best_gflops(torch_competitors.matmul(args.peak_size, args.device),
                               args.peak_size) if args.peak_size else None)
  return build, peak, f"torch {torch.__version__}", torch.get_num_threads()


def _jax_builder(args):
  import jax  # noqa: PLC0415
  peak = roofline.jax_matmul_peak(args.peak_size) if args.peak_size else None
  return comp.build_jax, peak, f"jax {jax.__version__}", roofline.xla_pool_threads()


def main(argv=None):
  args = parse_args(argv)
  names = args.competitors.split(",")
  for name in names:
    comp.check_name(name)
  if len({comp.impl(n) == "torch" for n in names}) > 1:
    raise ValueError(f"--competitors must be all torch or all JAX: got {names}")
  dims = tuple(int(v) for v in args.dims.split(","))
  build, peak, framework, threads = (_torch_builder if comp.impl(names[0]) == "torch" else
                            _jax_builder)(args)
  rows = []
  for mode in args.modes.split(","):
    for dtype in args.dtypes.split(","):
      fns, compile_s = {}, {}
      for name in names:
        if comp.applies(name, mode, dtype, args.backend):
          fns[name], compile_s[name] = build(name, dims, mode, dtype)
      if fns:
        rows += timing.timed_rows(fns, compile_s, args.repeats, args.warmup,
                                  workload=args.workload, dims=dims, mode=mode, dtype=dtype)
  print(json.dumps(dict(rows=rows, peak_gflops=peak, framework=framework,
                              threads=threads)), flush=True)


if __name__ == "__main__":
  main()
