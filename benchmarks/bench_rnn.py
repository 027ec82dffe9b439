r"""Times RNN layers and the headline classifier's training step: rnnjax vs flax, Keras, PyTorch.

  python benchmarks/bench_rnn.py --out benchmarks/results          # everything, CPU
  python benchmarks/bench_rnn.py --quick --out /tmp/bench          # smoke run (tiny workload)
  python benchmarks/bench_rnn.py --workloads har --modes train --competitors rnnjax_lstm,torch_lstm

Modes, per workload (B, T, D, H):
  train: one forward + backward of loss = sum of all outputs [B, T, H], gradients w.r.t. every
         parameter (not the inputs). JAX: a jitted `jax.grad`; torch: zero_grad, forward, backward.
  infer: the forward pass only (torch under `no_grad`).
  step:  (workloads in --step_workloads) the full training step of a bidirectional classifier:
         rnnjax.models.build("bilstm") + rnnjax.train.train_step with Adam against the same
         model in PyTorch (competitors.py, torch_competitors.py).
torch competitors (and any named in --own_process) run in a process of their own per workload
(worker.py), torch once under each OMP_WAIT_POLICY in --omp_policies, keeping the faster per
row. The others run here: each is compiled (time reported apart) and warmed up, then
a (workload, mode, dtype) group runs round-robin, --repeats rounds, the order rotated every
round, so that load from other processes hits all of them alike. Every framework gets --threads
threads: JAX (and Keras on it) through the process's CPU affinity, which sizes XLA's thread pool,
torch through torch.set_num_threads and OMP_NUM_THREADS. results.json and results.md record the
command, package versions, machine, load, thread settings and the matmul peak.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from benchmarks import competitors as comp  # noqa: E402
from benchmarks import report, roofline, timing  # noqa: E402

WORKLOADS = {                 # name: (B, T, D, H)
    "har": (100, 128, 9, 32),
    "row_mnist": (128, 28, 28, 128),
    "pixel_mnist": (32, 784, 1, 128),
    "har_wide": (100, 128, 9, 128),
    "imdb": (64, 500, 32, 32),
}
QUICK_WORKLOADS = {"tiny": (4, 8, 3, 8)}
RATIO_BASES = {"lstm": {"torch": "torch_lstm", "flax": "flax_optlstm", "keras": "keras_lstm"},
               "gru": {"torch": "torch_gru", "flax": "flax_gru", "keras": "keras_gru"},
               "rnn": {"torch": "torch_rnn", "flax": None, "keras": None}}
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}


def _usable_cores() -> int:
  return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def parse_args(argv=None):
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument("--out", default="benchmarks/results", help="folder for results.{json,md}")
  p.add_argument("--workloads", default=",".join(WORKLOADS),
                 help="comma list of names, or B:T:D:H for a custom one")
  p.add_argument("--step_workloads", default="har", help="workloads of the `step` mode")
  p.add_argument("--competitors", default=",".join(comp.ALL), help="comma list; competitors.py")
  p.add_argument("--own_process", default="",
                 help="more competitors to time in a process of their own (torch: always)")
  p.add_argument("--modes", default="train,infer,step")
  p.add_argument("--dtypes", default="float32,bfloat16")
  p.add_argument("--repeats", type=int, default=20)
  p.add_argument("--warmup", type=int, default=2)
  p.add_argument("--threads", type=int, default=_usable_cores(),
                 help="threads for every framework (default: every usable core)")
  p.add_argument("--omp_policies", default="ACTIVE,PASSIVE",
                 help="OMP_WAIT_POLICY values torch is timed under; the faster is kept")
  p.add_argument("--peak_size", type=int, default=2048, help="N of the N x N peak matmul")
  p.add_argument("--memory_lengths", default="784,4096", help="T values for the memory table; ''")
  p.add_argument("--malloc", choices=("tuned", "default"), default="tuned",
                 help="tuned: rnnjax.tune_malloc() here and the same thresholds in workers")
  p.add_argument("--quick", action="store_true", help="tiny workload, 3 repeats, short memory T")
  p.add_argument("--render", action="store_true",
                 help="only rewrite <out>/results.md from an existing <out>/results.json")
  args = p.parse_args(argv)
  if args.quick:
    args.workloads, args.step_workloads, args.repeats, args.warmup = "tiny", "tiny", 3, 1
    args.memory_lengths, args.peak_size = "16", 256
  for name in filter(None, args.competitors.split(",") + args.own_process.split(",")):
    comp.check_name(name)
  if not 1 <= args.threads <= _usable_cores():
    p.error(f"--threads must be in [1, {_usable_cores()}] (the usable cores); got {args.threads}")
  return args


def _workload(name):
  if name in WORKLOADS or name in QUICK_WORKLOADS:
    return name, {**WORKLOADS, **QUICK_WORKLOADS}[name]
  dims = tuple(int(v) for v in name.split(":"))
  if len(dims) != 4:
    raise ValueError(f"unknown workload {name!r}: use a name or B:T:D:H")
  return name, dims


def _limit_threads(threads: int) -> str:
  """Restricts this process (and the workers it starts) to `threads` cores; must run before
  JAX creates its CPU client, whose thread pool has one thread per usable core."""
  if threads < _usable_cores():
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:threads])
  return (f"JAX and Keras (on JAX): XLA's CPU thread pool, one thread per core this process "
          f"may run on (sched_setaffinity: {threads}); torch: torch.set_num_threads({threads}) "
          f"and OMP_NUM_THREADS={threads} in its own process.")


def run_worker(names, name, dims, modes, args, policy=None):
  """Times `names` on one workload in a fresh process -> the worker's JSON (rows, peak_gflops,
  framework, threads), each row marked process="own" with its OMP_WAIT_POLICY."""
  import jax  # noqa: PLC0415
  backend = jax.default_backend()
  cmd = [sys.executable, WORKER, "--competitors", ",".join(names), "--workload", name,
         "--dims", ",".join(map(str, dims)), "--modes", ",".join(modes), "--dtypes",
         args.dtypes, "--repeats", str(args.repeats), "--warmup", str(args.warmup),
         "--threads", str(args.threads), "--peak_size", str(args.peak_size),
         "--backend", backend, "--device", "cuda" if backend == "gpu" else "cpu"]
  child = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads),
               **(MALLOC_ENV if args.malloc == "tuned" else {}))
  if policy:
    child["OMP_WAIT_POLICY"] = policy
  out = subprocess.run(cmd, capture_output=True, text=True, env=child)
  if out.returncode:
    raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
  result = json.loads(out.stdout.strip().splitlines()[-1])
  for row in result["rows"]:
    row.update(process="own", omp_wait_policy=policy)
  return result


def _faster_per_row(runs):
  """[(policy, rows)] -> one row per key with the lowest median, naming every policy's median."""
  best = {}
  for policy, rows in runs:
    for row in rows:
      key = (row["mode"], row["dtype"], row["competitor"])
      alternatives = {**best.get(key, {}).get("omp_medians_ms", {}), policy: row["median_ms"]}
      if key not in best or row["median_ms"] < best[key]["median_ms"]:
        best[key] = row
      best[key]["omp_medians_ms"] = alternatives
  return list(best.values())


def bench_own_process(name, dims, modes, names, args, env):
  """The competitors of --own_process: torch once per OMP policy, the rest once."""
  rows = []
  for group in ([n for n in names if comp.impl(n) == "torch"],
                [n for n in names if comp.impl(n) != "torch"]):
    if not group:
      continue
    policies = args.omp_policies.split(",") if comp.impl(group[0]) == "torch" else [None]
    runs = []
    for policy in policies:
      result = run_worker(group, name, dims, modes, args, policy)
      runs.append((policy, result["rows"]))
      label = f"{result['framework']}, own process" + (f", OMP {policy}" if policy else "")
      peaks = env["matmul_peak_gflops"]            # the best over this run's workers
      peaks[label] = max(filter(None, [peaks.get(label), result["peak_gflops"]]), default=None)
      env["worker_threads"][result["framework"]] = result["threads"]
    rows += _faster_per_row(runs)
  return rows


def bench_in_process(name, dims, modes, names, args, backend):
  rows = []
  for mode in modes:
    for dtype in args.dtypes.split(","):
      fns, compile_s = {}, {}
      for cname in names:
        if comp.applies(cname, mode, dtype, backend):
          fns[cname], compile_s[cname] = comp.build_jax(cname, dims, mode, dtype)
      if fns:
        rows += timing.timed_rows(fns, compile_s, args.repeats, args.warmup, workload=name,
                                  dims=dims, mode=mode, dtype=dtype, process="this")
  return rows


def bench_workload(name, dims, modes, runnable, args, env):
  """All groups of one workload: own-process competitors first, then the rest, interleaved."""
  own = [c for c in runnable if c in env["own_process"]]
  rows = bench_own_process(name, dims, modes, own, args, env) if own else []
  rows += bench_in_process(name, dims, modes, [c for c in runnable if c not in own], args,
                           env["backend"])
  for row in rows:
    row["family"] = comp.family(row["competitor"])
  for mode in modes:
    print(f"{name} {mode}: " + ", ".join(f"{r['competitor']}/{r['dtype']}={r['median_ms']:.2f}ms"
                                         for r in rows if r["mode"] == mode), flush=True)
  return rows


def add_ratios(rows):
  """ratio_<base>: median / median of the same workload's float32 base row, same mode."""
  medians = {(r["workload"], r["mode"], r["competitor"]): r["median_ms"]
             for r in rows if r["dtype"] == "float32"}
  for row in rows:
    for key, base in RATIO_BASES[row["family"]].items():
      ref = medians.get((row["workload"], row["mode"], base)) if base else None
      row[f"ratio_{key}"] = row["median_ms"] / ref if ref else None


def memory_table(lengths, names):
  """Peak memory (MiB) of one training step, B=32, D=1, H=128, per T and competitor."""
  rows = []
  for time_len in lengths:
    dims = (32, time_len, 1, 128)
    for cname in names:
      if comp.impl(cname) == "torch":
        mib, method = _torch_peak_rss(cname, dims), "peak-RSS growth, first step (torch_memory.py)"
      else:
        mib, method = comp.jax_train_memory(cname, dims), "XLA memory_analysis (temp+args+out)"
      if mib is not None:
        rows.append(dict(T=time_len, competitor=cname, peak_mib=mib, method=method))
  return rows


def _torch_peak_rss(cname, dims):
  if not os.path.exists("/proc/self/clear_refs"):
    return None
  script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_memory.py")
  cmd = [sys.executable, script, comp.family(cname), *map(str, dims)]
  out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
  return float(out.strip().splitlines()[-1])


def _runnable(args, env):
  names = [c for c in args.competitors.split(",") if c]
  for c in names:
    if comp.missing(c):
      env["notes"].append(f"{c} skipped: {comp.missing(c)}")
  runnable = [c for c in names if not comp.missing(c)]
  env["own_process"] = [c for c in runnable
                        if comp.impl(c) == "torch" or c in args.own_process.split(",")]
  return runnable


def write(results, out):
  os.makedirs(out, exist_ok=True)
  with open(os.path.join(out, "results.json"), "w") as f:
    json.dump(results, f, indent=1)
  with open(os.path.join(out, "results.md"), "w") as f:
    f.write(report.markdown(results, RATIO_BASES))


def main(argv=None):
  argv = sys.argv[1:] if argv is None else argv
  args = parse_args(argv)
  if args.render:
    with open(os.path.join(args.out, "results.json")) as f:
      results = json.load(f)
    write(results, args.out)
    return results
  env = report.start_env(argv, args)
  env["thread_settings"] = _limit_threads(args.threads)
  if args.malloc == "tuned":
    from rnnjax.trainer import runtime  # noqa: PLC0415
    runtime.tune_malloc()
  import jax  # noqa: PLC0415
  env.update(backend=jax.default_backend(), peak_size=args.peak_size,
             devices=", ".join(sorted({d.device_kind for d in jax.devices()})))
  env["matmul_peak_gflops"] = {"jax (this process)": roofline.jax_matmul_peak(args.peak_size)}
  env.update(xla_pool_threads=roofline.xla_pool_threads(), worker_threads={})
  runnable, modes = _runnable(args, env), args.modes.split(",")
  timings, layer_modes = [], [m for m in modes if m != "step"]
  groups = [(w, layer_modes) for w in filter(None, args.workloads.split(",")) if layer_modes]
  groups += [(w, ["step"]) for w in filter(None, args.step_workloads.split(","))
             if "step" in modes]

  def save(memory):
    """Ratios and roofline of the rows so far (the workers' peaks too), written with `memory`."""
    add_ratios(timings)
    env["peak_gflops"] = max(filter(None, env["matmul_peak_gflops"].values()))
    roofline.add_roofline(timings, env["peak_gflops"])
    env.update(load_after=os.getloadavg(), date_end=time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    results = dict(env=env, timings=timings, memory=memory)
    write(results, args.out)
    return results

  for wname, group_modes in groups:
    timings += bench_workload(*_workload(wname), group_modes, runnable, args, env)
    save(memory=[])                    # after each workload: a run cut short keeps its rows
  lengths = [int(t) for t in args.memory_lengths.split(",") if t]
  families = {comp.family(c) for c in runnable if comp.family(c) != "rnn"}
  mem_names = [c for c in runnable if comp.family(c) in families and comp.impl(c) != "cudnn"
               and comp.applies(c, "train", "float32", env["backend"])]  # e.g. no Pallas on CPU
  mem_names += [c for c in comp.MEMORY_ONLY if comp.family(c) in families and c not in mem_names]
  return save(memory_table(lengths, mem_names))


if __name__ == "__main__":
  main()
