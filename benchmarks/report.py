"""What bench_rnn.py records about the run (versions, machine, load, threads) and results.md."""
from __future__ import annotations

import importlib.metadata
import os
import platform
import shlex
import time

PACKAGES = ("jax", "jaxlib", "flax", "optax", "numpy", "torch", "keras")
BASES = ("torch", "flax", "keras")          # the ratio columns: x torch, x flax, x keras


def versions() -> dict:
  """Installed version of each package in PACKAGES (None when not installed)."""
  found = {}
  for name in PACKAGES:
    try:
      found[name] = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
      found[name] = None
  return found


def cpu_model() -> str:
  if os.path.exists("/proc/cpuinfo"):
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith("model name"):
          return line.split(":", 1)[1].strip()
  return platform.processor() or "unknown"


def machine() -> dict:
  usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
  return dict(cpu=cpu_model(), cores=os.cpu_count(), usable_cores=usable,
              system=platform.platform(), python=platform.python_version())


def start_env(argv, args) -> dict:
  """Everything known before the first timing."""
  return dict(date=time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              command="python benchmarks/bench_rnn.py " + shlex.join(argv),
              versions=versions(), machine=machine(), load_before=os.getloadavg(),
              repeats=args.repeats, warmup=args.warmup, malloc=args.malloc,
              threads=args.threads, omp_policies=args.omp_policies.split(","),
              xla_flags=os.environ.get("XLA_FLAGS", ""), notes=[])


def _fmt(value, spec=".2f"):
  return "-" if value is None else format(value, spec)


def _header(results) -> list[str]:
  env = results["env"]
  v, m = env["versions"], env["machine"]
  peaks = "; ".join(f"{k}: {_fmt(g, '.0f')}" for k, g in env["matmul_peak_gflops"].items())
  own = ", ".join(env["own_process"]) or "none"
  torch_policies = (f" torch is timed under each OMP_WAIT_POLICY in {env['omp_policies']}; "
                    "every torch row uses the faster one and names it (`omp` column; every "
                    "policy's median in results.json)."
                    if any(c.startswith("torch") for c in env["own_process"]) else "")
  lines = [
      f"# RNN benchmark ({env['date']})", "",
      f"Written by `{env['command']}` (with results.json); never edited by hand.", "",
      f"- **machine**: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
      f"{m['system']}, Python {m['python']}; JAX backend {env['backend']} ({env['devices']})",
      "- **packages**: " + ", ".join(f"{k} {v[k] or 'not installed'}" for k in v),
      f"- **threads**: {env['threads']} for every framework. {env['thread_settings']} "
      f"Counted threads: XLA's CPU pool here {_fmt(env['xla_pool_threads'], 'd')}" +
      "".join(f"; {k} in its own process {_fmt(n, 'd')}" for k, n in env["worker_threads"].items())
      + ".",
      f"- **own process**: {own} (one process per workload, started by the benchmark after "
      "the previous workload's groups and before this one's; JAX is not imported in a torch "
      "one); the other competitors share this process and are interleaved." + torch_policies,
      f"- **malloc**: {env['malloc']} (tuned = rnnjax.tune_malloc() here, the same glibc "
      "thresholds in every worker process through MALLOC_*_THRESHOLD_)",
      f"- **load average** (1/5/15 min): before {_fmt_load(env['load_before'])}, after "
      f"{_fmt_load(env['load_after'])}; per group in the `load` column (1-min, before/after)",
      f"- **matmul peak** (float32 {env['peak_size']}^2, best of 5, GFLOP/s): {peaks}; "
      f"`% peak` uses the highest, {_fmt(env['peak_gflops'], '.0f')} GFLOP/s, and counts "
      "matmul FLOPs only (benchmarks/roofline.py)",
      f"- **method**: median of {env['repeats']} interleaved rounds after {env['warmup']} "
      "warm-up calls; train = forward + backward of sum(outputs) w.r.t. all parameters; "
      "infer = forward; step = the bidirectional classifier's full training step with Adam; "
      "ratios = median / the float32 median of the base competitor, same workload and mode"]
  lines += [f"- **note**: {note}" for note in env["notes"]]
  return lines + [""]


def _fmt_load(load) -> str:
  return "/".join(f"{v:.2f}" for v in load) if load else "-"


def _family_table(results, cell, bases) -> list[str]:
  """float32 medians of one cell family: rnnjax (auto), scan and each base, with ratios."""
  rows = {(r["workload"], r["mode"], r["dtype"], r["competitor"]): r for r in results["timings"]}
  shown = [f"rnnjax_{cell}", f"scan_{cell}"] + [b for b in bases.values() if b]
  out = ["| workload | mode | " + " | ".join(f"{c} ms" for c in shown) + " | " +
         " | ".join(f"rnnjax x {k}" for k, b in bases.items() if b) +
         " | rnnjax GFLOP/s | rnnjax % peak |",
         "|---|---|" + "---:|" * (len(shown) + sum(1 for b in bases.values() if b) + 2)]
  for workload in dict.fromkeys(r["workload"] for r in results["timings"]):
    for mode in ("train", "infer"):
      get = lambda c: rows.get((workload, mode, "float32", c))  # noqa: E731
      if not any(get(c) for c in shown):
        continue
      me = get(f"rnnjax_{cell}") or {}
      cells = [_fmt(get(c) and get(c)["median_ms"]) + _omp(get(c)) for c in shown]
      ratios = [_fmt(me.get(f"ratio_{k}")) for k, b in bases.items() if b]
      out.append(f"| {workload} | {mode} | " + " | ".join(cells + ratios) +
                 f" | {_fmt(me.get('gflops'), '.1f')} | {_pct(me.get('peak_frac'))} |")
  return out


def _omp(row) -> str:
  return f" ({row['omp_wait_policy']})" if row and row.get("omp_wait_policy") else ""


def _pct(frac) -> str:
  return "-" if frac is None else f"{100 * frac:.1f}"


def _step_table(results) -> list[str]:
  step = [r for r in results["timings"] if r["mode"] == "step"]
  if not step:
    return []
  out = ["## Headline: the classifier's full training step (float32)", "",
         "rnnjax: models.build('bilstm'|'bigru', num_classes=6, hidden_size=H) through "
         "rnnjax.train.train_step (Adam, jit, state donated; lengths given, all T); torch: "
         "bidirectional nn.LSTM/nn.GRU + Linear(2H, 6) + CrossEntropyLoss + Adam "
         "(benchmarks/torch_competitors.py).", "",
         "| workload (B,T,D,H) | competitor | median ms | x torch | GFLOP/s | % peak | omp |",
         "|---|---|---:|---:|---:|---:|---|"]
  for r in step:
    out.append(f"| {r['workload']} {tuple(r['dims'])} | {r['competitor']} | "
               f"{r['median_ms']:.2f} | {_fmt(r.get('ratio_torch'))} | "
               f"{_fmt(r.get('gflops'), '.1f')} | {_pct(r.get('peak_frac'))} | "
               f"{r.get('omp_wait_policy') or ''} |")
  return out + [""]


def _cudnn_table(results) -> list[str]:
  """GPU runs: the layer with implementation="auto" and "cudnn", torch on cuda, flax."""
  rows = {(r["workload"], r["mode"], r["dtype"], r["competitor"]): r for r in results["timings"]}
  if not any(r["competitor"] == "cudnn_lstm" for r in results["timings"]):
    return []
  out = ["## LSTM on GPU against cuDNN (float32)", "",
         "| workload | mode | rnnjax (auto) ms | cudnn (JAX) ms | torch ms | flax_optlstm ms | "
         "rnnjax (auto) x cudnn |", "|---|---|---:|---:|---:|---:|---:|"]
  for (workload, mode, dtype, name), r in rows.items():
    auto = rows.get((workload, mode, dtype, "rnnjax_lstm"))
    if name != "cudnn_lstm" or not auto:
      continue
    ms = lambda c: _fmt((rows.get((workload, mode, dtype, c)) or {}).get("median_ms"))  # noqa
    out.append(f"| {workload} | {mode} | {ms('rnnjax_lstm')} | {ms('cudnn_lstm')} | "
               f"{ms('torch_lstm')} | {ms('flax_optlstm')} | "
               f"{auto['median_ms'] / r['median_ms']:.2f} |")
  return out + [""]


def _all_rows(results) -> list[str]:
  out = ["## All rows", "",
         "| workload (B,T,D,H) | mode | dtype | competitor | process | median ms | min ms | "
         "x torch | x flax | x keras | GFLOP/s | % peak | compile s | omp | load |",
         "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
  for r in results["timings"]:
    out.append(
        f"| {r['workload']} {tuple(r['dims'])} | {r['mode']} | {r['dtype']} | "
        f"{r['competitor']} | {r['process']} | {r['median_ms']:.2f} | {r['min_ms']:.2f} | " +
        " | ".join(_fmt(r.get(f"ratio_{k}")) for k in BASES) +
        f" | {_fmt(r.get('gflops'), '.1f')} | {_pct(r.get('peak_frac'))} | "
        f"{_fmt(r['compile_s'], '.1f')} | {r.get('omp_wait_policy') or ''} | "
        f"{r['load_before']:.1f}/{r['load_after']:.1f} |")
  return out


def markdown(results, ratio_bases) -> str:
  lines = _header(results) + _cudnn_table(results) + _step_table(results)
  for cell, title in (("lstm", "LSTM"), ("gru", "GRU"), ("rnn", "SimpleRNN")):
    table = _family_table(results, cell, ratio_bases[cell])
    if len(table) > 2:
      lines += [f"## {title} layer (float32)", ""] + table + [""]
  lines += _all_rows(results)
  if results["memory"]:
    lines += ["", "## Peak memory of one float32 training step (B=32, D=1, H=128)", "",
              "| T | competitor | MiB | method |", "|---:|---|---:|---|"]
    lines += [f"| {r['T']} | {r['competitor']} | {r['peak_mib']:.1f} | {r['method']} |"
              for r in results["memory"]]
  return "\n".join(lines) + "\n"
