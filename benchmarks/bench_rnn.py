r"""Times RNN training and inference steps: rnnjax vs flax vs PyTorch, interleaved, on CPU.

  python benchmarks/bench_rnn.py --out benchmarks/results          # everything (~10 min, 2 quiet cores)
  python benchmarks/bench_rnn.py --quick --out /tmp/bench          # CI-size smoke run (seconds)
  python benchmarks/bench_rnn.py --workloads har,row_mnist --competitors fast_lstm,flax_optlstm,torch_lstm

What is timed, per workload (B, T, D, H):
  train: one forward + backward of loss = sum of all outputs [B, T, H], gradients w.r.t. every
         parameter (not the inputs). JAX: a jitted `jax.grad`; torch: zero_grad, forward, backward.
  infer: the forward pass only (torch under `no_grad`).
Each competitor is compiled and warmed up first (the compile time is reported apart), then the
competitors of a workload run round-robin, `--repeats` rounds, rotating the order every round, so
that the load from other processes hits all of them alike. Reported: the median per step, and
ratios vs torch and vs flax computed from the medians of the same run. bfloat16 rows (JAX only)
keep float32 parameters and compute in bfloat16.

Peak memory of one training step at T in `--memory_lengths` (B=32, D=1, H=128): JAX variants from
XLA's compiled memory analysis (temp + arguments + outputs, exact, no run needed); torch from the
growth of the peak RSS of a fresh torch-only subprocess during its first step (torch_memory.py;
an upper bound: includes one-time allocations).
"""
import argparse
import json
import os
import subprocess
import sys
import time
from typing import Callable

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
# PyTorch's OpenMP workers spin after every op by default; on 2 shared cores that spinning steals
# the CPU from whatever runs next (the next competitor, other users' jobs) and slowed torch itself
# 3x under load. PASSIVE measured faster for torch here, so it is the default (set it before torch
# is imported; export OMP_WAIT_POLICY=ACTIVE to compare).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import jax  # noqa: E402

from benchmarks import competitors as comp  # noqa: E402

WORKLOADS = {                 # name: (B, T, D, H)
    "har": (100, 128, 9, 32),
    "row_mnist": (128, 28, 28, 128),
    "pixel_mnist": (32, 784, 1, 128),
    "har_wide": (100, 128, 9, 128),
    "imdb": (64, 500, 32, 32),
}
QUICK_WORKLOADS = {"tiny": (4, 8, 3, 8)}
RATIO_BASES = {"lstm": ("torch_lstm", "flax_optlstm"), "gru": ("torch_gru", "flax_gru"),
               "rnn": ("torch_rnn", None)}


def parse_args(argv=None):
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument("--out", default="benchmarks/results", help="folder for results.{json,md}")
  p.add_argument("--workloads", default=",".join(WORKLOADS),
                 help="comma list of names, or B:T:D:H for a custom one")
  p.add_argument("--competitors", default=",".join(comp.ALL), help="comma list; see competitors.py")
  p.add_argument("--modes", default="train,infer")
  p.add_argument("--dtypes", default="float32,bfloat16")
  p.add_argument("--repeats", type=int, default=20)
  p.add_argument("--warmup", type=int, default=2)
  p.add_argument("--memory_lengths", default="784,4096", help="T values for the memory table; ''")
  p.add_argument("--malloc", choices=("tuned", "default"), default="tuned",
                 help="tuned: rnnjax.tune_malloc() first (process-wide, so every competitor, "
                      "torch included, gets it); default: glibc's own thresholds")
  p.add_argument("--quick", action="store_true", help="tiny workload, 3 repeats, short memory T")
  p.add_argument("--render", action="store_true",
                 help="only rewrite <out>/results.md from an existing <out>/results.json")
  args = p.parse_args(argv)
  if args.quick:
    args.workloads, args.repeats, args.warmup, args.memory_lengths = "tiny", 3, 1, "16"
  return args


def _workload(name):
  if name in WORKLOADS or name in QUICK_WORKLOADS:
    return name, {**WORKLOADS, **QUICK_WORKLOADS}[name]
  dims = tuple(int(v) for v in name.split(":"))
  if len(dims) != 4:
    raise ValueError(f"unknown workload {name!r}: use a name or B:T:D:H")
  return name, dims


def time_round_robin(fns: dict[str, Callable], repeats: int, warmup: int) -> dict[str, list]:
  """Calls every fn `warmup` times, then `repeats` rounds of one call each (rotated order)."""
  for fn in fns.values():
    for _ in range(warmup):
      fn()
  names, times = list(fns), {name: [] for name in fns}
  for r in range(repeats):
    for name in names[r % len(names):] + names[:r % len(names)]:
      start = time.perf_counter()
      fns[name]()
      times[name].append(time.perf_counter() - start)
  return times


def bench_workload(name, dims, args):
  """All (mode, dtype) groups of one workload -> list of result rows."""
  rows = []
  for mode in args.modes.split(","):
    for dtype in args.dtypes.split(","):
      fns, compile_s = {}, {}
      for cname in args.competitors.split(","):
        built = comp.build(cname, dims, mode, dtype)
        if built is not None:
          fns[cname], compile_s[cname] = built
      if not fns:
        continue
      load = os.getloadavg()[0]
      times = time_round_robin(fns, args.repeats, args.warmup)
      for cname, ts in times.items():
        rows.append(dict(workload=name, dims=dims, mode=mode, dtype=dtype, competitor=cname,
                         median_ms=1e3 * float(np.median(ts)), min_ms=1e3 * float(np.min(ts)),
                         compile_s=compile_s[cname], repeats=len(ts),
                         load_before=load, load_after=os.getloadavg()[0]))
      print(f"{name} {mode} {dtype}: " + ", ".join(
          f"{r['competitor']}={r['median_ms']:.2f}ms" for r in rows[-len(times):]), flush=True)
  _add_ratios(rows)
  return rows


def _add_ratios(rows):
  """ratio_torch / ratio_flax: median / median of the same workload's float32 base, same mode."""
  def median_of(row, base):
    for r in rows:
      if (r["competitor"], r["mode"], r["dtype"], r["workload"]) == (
          base, row["mode"], "float32", row["workload"]):
        return r["median_ms"]
    return None

  for row in rows:
    family = comp.family(row["competitor"])
    torch_base, flax_base = RATIO_BASES[family]
    for key, base in (("ratio_torch", torch_base), ("ratio_flax", flax_base)):
      ref = median_of(row, base) if base else None
      row[key] = row["median_ms"] / ref if ref else None


def memory_table(lengths, competitors):
  """Peak memory (MiB) of one training step, B=32, D=1, H=128, per T and competitor."""
  rows = []
  for time_len in lengths:
    dims = (32, time_len, 1, 128)
    for cname in competitors:
      if cname.startswith("torch"):
        mib, method = _torch_peak_rss(cname, dims), "peak-RSS growth, first step (torch_memory.py)"
      else:
        mib, method = comp.jax_train_memory(cname, dims), "XLA memory_analysis (temp+args+out)"
      if mib is not None:
        rows.append(dict(T=time_len, competitor=cname, peak_mib=mib, method=method))
        print(f"memory T={time_len} {cname}: {mib:.1f} MiB ({method})", flush=True)
  return rows


def _torch_peak_rss(cname, dims):
  if not comp.HAVE_TORCH or not os.path.exists("/proc/self/clear_refs"):
    return None
  script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_memory.py")
  cmd = [sys.executable, script, comp.family(cname), *map(str, dims)]
  out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
  return float(out.strip().splitlines()[-1])


def _fmt(v, spec=".2f"):
  return "" if v is None else format(v, spec)


def summary(results) -> list[str]:
  """One line per workload: float32 medians of the main competitors, with ratios.

  "rnnjax" is the public layer (`layers.Recurrent`, what users get); "best fast" the faster of
  the bare rnnjax.fast functions (fast: hoisted projection, fastx: projection inside the loop).
  """
  rows = {(r["workload"], r["mode"], r["dtype"], r["competitor"]): r for r in results["timings"]}
  lines = ["| workload | mode | LSTM: rnnjax / fast / fastx ms | torch_lstm | flax_optlstm | "
           "rnnjax x torch | rnnjax x flax | best fast x flax | GRU: rnnjax / fast / fastx ms | "
           "flax_gru | rnnjax x flax_gru |", "|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|"]
  for workload in dict.fromkeys(r["workload"] for r in results["timings"]):
    for mode in ("train", "infer"):
      get = lambda c: rows.get((workload, mode, "float32", c))  # noqa: E731
      if not any(get(c) for c in ("rnnjax_lstm", "fast_lstm", "rnnjax_gru", "fast_gru")):
        continue
      best = min((get(c) for c in ("fast_lstm", "fastx_lstm") if get(c)),
                 key=lambda r: r["median_ms"], default=None)
      ms = lambda c: _fmt(get(c)["median_ms"]) if get(c) else "-"  # noqa: E731
      ratio = lambda c, k: _fmt(get(c) and get(c)[k])  # noqa: E731
      lines.append(
          f"| {workload} | {mode} | {ms('rnnjax_lstm')} / {ms('fast_lstm')} / {ms('fastx_lstm')}"
          f" | {ms('torch_lstm')} | {ms('flax_optlstm')} | {ratio('rnnjax_lstm', 'ratio_torch')} |"
          f" {ratio('rnnjax_lstm', 'ratio_flax')} | {_fmt(best and best['ratio_flax'])} | "
          f"{ms('rnnjax_gru')} / {ms('fast_gru')} / {ms('fastx_gru')} | {ms('flax_gru')} | "
          f"{ratio('rnnjax_gru', 'ratio_flax')} |")
  return lines


def cudnn_summary(results) -> list[str]:
  """GPU runs: the fused-loop LSTM (rnnjax.fast) against cuDNN (rnnjax's cudnn path = JAX's
  jax.experimental.rnn.lstm, and torch nn.LSTM on cuda) and flax, float32."""
  rows = {(r["workload"], r["mode"], r["dtype"], r["competitor"]): r for r in results["timings"]}
  if not any(r["competitor"] == "cudnn_lstm" for r in results["timings"]):
    return []
  lines = ["## LSTM on GPU against cuDNN (float32)", "",
           "| workload | mode | fast ms | fastx ms | cudnn (JAX) ms | torch (cuDNN) ms | "
           "flax_optlstm ms | best fast x cudnn | rnnjax (auto) ms |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
  for workload in dict.fromkeys(r["workload"] for r in results["timings"]):
    for mode in ("train", "infer"):
      get = lambda c: rows.get((workload, mode, "float32", c))  # noqa: E731
      if not get("cudnn_lstm"):
        continue
      ms = lambda c: _fmt(get(c)["median_ms"]) if get(c) else "-"  # noqa: E731
      best = min(get(c)["median_ms"] for c in ("fast_lstm", "fastx_lstm") if get(c))
      lines.append(f"| {workload} | {mode} | {ms('fast_lstm')} | {ms('fastx_lstm')} | "
                   f"{ms('cudnn_lstm')} | {ms('torch_lstm')} | {ms('flax_optlstm')} | "
                   f"{best / get('cudnn_lstm')['median_ms']:.2f} | {ms('rnnjax_lstm')} |")
  return lines + [""]


def markdown(results) -> str:
  env = results["env"]
  lines = [f"# RNN benchmark ({env['date']})", "",
           f"jax {env['jax']} on {env.get('backend', 'cpu')} ({env.get('devices', '')}), flax "
           f"{env['flax']}, torch {env['torch']}, {env['cpus']} CPUs "
           f"({env['cpu']}), OMP_WAIT_POLICY={env['omp_wait_policy']}, malloc "
           f"{env.get('malloc', 'default')}; median of "
           f"{env['repeats']} interleaved rounds; "
           "train = forward+backward of sum(outputs) w.r.t. all parameters; ratios use the "
           "float32 torch / flax row of the same workload and mode (LSTM vs torch nn.LSTM and "
           "flax OptimizedLSTMCell, GRU vs nn.GRU and flax GRUCell, RNN vs nn.RNN). "
           "`load` is the 1-min load average when the group started (2 cores: > 2 means other "
           "processes competed for the CPU).", ""]
  lines += cudnn_summary(results)
  lines += ["## Summary (float32)", ""] + summary(results) + ["", "## All rows", ""]
  lines += ["| workload (B,T,D,H) | mode | dtype | competitor | median ms | x torch | x flax | "
            "compile s | load |", "|---|---|---|---|---:|---:|---:|---:|---:|"]
  for r in results["timings"]:
    lines.append(f"| {r['workload']} {tuple(r['dims'])} | {r['mode']} | {r['dtype']} | "
                 f"{r['competitor']} | {r['median_ms']:.2f} | {_fmt(r['ratio_torch'])} | "
                 f"{_fmt(r['ratio_flax'])} | {_fmt(r['compile_s'], '.1f')} | "
                 f"{r['load_before']:.1f} |")
  if results["memory"]:
    lines += ["", "Peak memory of one float32 training step (B=32, D=1, H=128):", "",
              "| T | competitor | MiB | method |", "|---:|---|---:|---|"]
    lines += [f"| {r['T']} | {r['competitor']} | {r['peak_mib']:.1f} | {r['method']} |"
              for r in results["memory"]]
  return "\n".join(lines) + "\n"


def _env(args):
  import flax  # noqa: PLC0415
  cpu = "unknown"
  if os.path.exists("/proc/cpuinfo"):
    for line in open("/proc/cpuinfo"):
      if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
  devices = ", ".join(sorted({d.device_kind for d in jax.devices()}))
  return dict(date=time.strftime("%Y-%m-%d %H:%M"), jax=jax.__version__, flax=flax.__version__,
              backend=jax.default_backend(), devices=devices,
              torch=comp.torch_version(), cpus=os.cpu_count(), cpu=cpu, repeats=args.repeats,
              omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"), malloc=args.malloc,
              argv=sys.argv[1:])


def main(argv=None):
  args = parse_args(argv)
  if args.render:
    with open(os.path.join(args.out, "results.json")) as f:
      results = json.load(f)
    with open(os.path.join(args.out, "results.md"), "w") as f:
      f.write(markdown(results))
    return results
  if args.malloc == "tuned":
    from rnnjax import runtime  # noqa: PLC0415
    runtime.tune_malloc()
  timings = []
  for wname in filter(None, args.workloads.split(",")):   # --workloads "": memory table only
    name, dims = _workload(wname)
    timings += bench_workload(name, dims, args)
  lengths = [int(t) for t in args.memory_lengths.split(",") if t]
  requested = [c for c in args.competitors.split(",") if comp.family(c) in ("lstm", "gru")]
  families = {comp.family(c) for c in requested}
  mem_competitors = requested + [c for c in comp.MEMORY_ONLY
                                 if comp.family(c) in families and c not in requested]
  results = dict(env=_env(args), timings=timings, memory=memory_table(lengths, mem_competitors))
  os.makedirs(args.out, exist_ok=True)
  with open(os.path.join(args.out, "results.json"), "w") as f:
    json.dump(results, f, indent=1)
  with open(os.path.join(args.out, "results.md"), "w") as f:
    f.write(markdown(results))
  return results


if __name__ == "__main__":
  main()
