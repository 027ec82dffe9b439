r"""Times the training step of minGRU, minLSTM and LRU layers, parallel and sequential, against
rnnjax's LSTM, over long sequences (issue 15).

  python benchmarks/bench_scan.py                            # T = 128, 784, 4096, 16384; CPU
  python benchmarks/bench_scan.py --quick --out /tmp/scan    # smoke run (tiny shapes)
  python benchmarks/bench_scan.py --lengths 4096 --competitors lstm,mingru_associative

What is timed: one jitted forward + backward of loss = sum(outputs [B, T, H]) of
`layers.Recurrent(cell, implementation=...)` on xs [B, T, D], gradients w.r.t. every parameter
(as bench_rnn.py's "train" mode). Competitors, `<cell>_<implementation>`:
  lstm                  LSTMCell(H), implementation="auto" (the fused loop), the baseline
  <cell>_associative    the parallel form: jax.lax.associative_scan over (a_t, b_t)
  <cell>_linear         the same (a_t, b_t) hoisted, h = a h + b in a lax.scan ("auto" on CPU)
  <cell>_scan           lax.scan over the cell's own step (gates computed inside the loop)
for <cell> in mingru, minlstm, lru (LRU: N = H, the default dense skip). All competitors of one
T run round-robin (--repeats rounds after --warmup calls, the order rotated every round), so
load from other processes hits them alike; medians, minima, compile times, XLA's compiled peak
memory (temp + arguments + outputs - aliased) and ratios to the LSTM (`x lstm` = median /
the LSTM's median; `speed-up` its inverse) go to <out>/results.json and <out>/results.md with
the command, package versions, machine, date and load average.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from benchmarks import report, timing  # noqa: E402

CELLS = ("mingru", "minlstm", "lru")
IMPLEMENTATIONS = ("associative", "linear", "scan")
COMPETITORS = ("lstm",) + tuple(f"{c}_{i}" for c in CELLS for i in IMPLEMENTATIONS)
BASELINE = "lstm"


def parse_args(argv=None):
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument("--out", default="benchmarks/results/scan", help="folder for results.{json,md}")
  p.add_argument("--lengths", default="128,784,4096,16384", help="comma list of T")
  p.add_argument("--batch", type=int, default=32, help="B")
  p.add_argument("--hidden", type=int, default=128, help="H (and the LRU's N)")
  p.add_argument("--input_size", type=int, default=1,
                 help="D (1: pixel-by-pixel inputs, as bench_rnn.py's pixel_mnist)")
  p.add_argument("--competitors", default=",".join(COMPETITORS), help="comma list")
  p.add_argument("--repeats", type=int, default=7)
  p.add_argument("--warmup", type=int, default=1)
  p.add_argument("--quick", action="store_true",
                 help="T = 16, 64, B = 4, H = 16, 3 repeats: a smoke run")
  args = p.parse_args(argv)
  if args.quick:
    args.lengths, args.batch, args.hidden, args.repeats, args.warmup = "16,64", 4, 16, 3, 1
  for name in args.competitors.split(","):
    if name not in COMPETITORS:
      p.error(f"unknown competitor {name!r}; choose from {', '.join(COMPETITORS)}")
  return args


def make_layer(name: str, hidden: int):
  from rnnjax import cells, layers  # noqa: PLC0415
  if name == BASELINE:
    return layers.Recurrent(cells.LSTMCell(hidden), implementation="auto")
  cell, implementation = name.split("_")
  return layers.Recurrent(cells.CELLS[cell](hidden), implementation=implementation)


def build(name: str, dims: tuple[int, int, int, int]):
  """-> (step(), compile seconds, peak MiB) for one competitor's training step."""
  import jax  # noqa: PLC0415
  import jax.numpy as jnp  # noqa: PLC0415
  batch, length, features, hidden = dims
  layer = make_layer(name, hidden)
  xs = jax.random.normal(jax.random.key(0), (batch, length, features))
  params = jax.jit(layer.init)(jax.random.key(1), xs)

  def loss(params, xs):
    return jnp.sum(layer.apply(params, xs))

  start = time.perf_counter()
  compiled = jax.jit(jax.grad(loss)).lower(params, xs).compile()
  compile_s = time.perf_counter() - start
  stats = compiled.memory_analysis()
  peak = None if stats is None else (
      stats.temp_size_in_bytes + stats.argument_size_in_bytes + stats.output_size_in_bytes
      - stats.alias_size_in_bytes) / 2 ** 20
  return (lambda: jax.block_until_ready(compiled(params, xs))), compile_s, peak


def bench_length(length: int, names: list[str], args) -> list[dict]:
  dims = (args.batch, length, args.input_size, args.hidden)
  fns, compile_s, peaks = {}, {}, {}
  for name in names:
    fns[name], compile_s[name], peaks[name] = build(name, dims)
    print(f"T={length} {name}: compiled in {compile_s[name]:.1f} s", flush=True)
  rows = timing.timed_rows(fns, compile_s, args.repeats, args.warmup, T=length, dims=list(dims))
  base = next((r["median_ms"] for r in rows if r["competitor"] == BASELINE), None)
  for row in rows:
    row["peak_mib"] = peaks[row["competitor"]]
    row["x_lstm"] = row["median_ms"] / base if base else None
    row["speedup_vs_lstm"] = base / row["median_ms"] if base else None
  print(f"T={length}: " + ", ".join(f"{r['competitor']}={r['median_ms']:.1f}ms" for r in rows),
        flush=True)
  return rows


def environment(argv, args) -> dict:
  import jax  # noqa: PLC0415
  from benchmarks import roofline  # noqa: PLC0415
  return dict(date=time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              command="python benchmarks/bench_scan.py " + shlex.join(argv),
              versions=report.versions(), machine=report.machine(),
              backend=jax.default_backend(),
              devices=", ".join(sorted({d.device_kind for d in jax.devices()})),
              xla_pool_threads=roofline.xla_pool_threads(),
              xla_flags=os.environ.get("XLA_FLAGS", ""), load_before=os.getloadavg(),
              repeats=args.repeats, warmup=args.warmup,
              dims=dict(B=args.batch, D=args.input_size, H=args.hidden))


def _fmt(value, spec=".2f") -> str:
  return "-" if value is None else format(value, spec)


def markdown(results) -> str:
  env, rows = results["env"], results["timings"]
  m, v = env["machine"], env["versions"]
  load = lambda xs: "/".join(f"{x:.2f}" for x in xs)  # noqa: E731
  lines = [
      f"# Linear recurrent cells: training step against the LSTM ({env['date']})", "",
      f"Written by `{env['command']}` (with results.json); never edited by hand.", "",
      f"- **machine**: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
      f"{m['system']}, Python {m['python']}; JAX backend {env['backend']} ({env['devices']}), "
      f"XLA CPU pool threads {env['xla_pool_threads']}",
      "- **packages**: " + ", ".join(f"{k} {v[k] or 'not installed'}" for k in v),
      f"- **load average** (1/5/15 min): before {load(env['load_before'])}, after "
      f"{load(env['load_after'])}; per T in the `load` column (1-min, before/after)",
      f"- **workload**: B={env['dims']['B']}, D={env['dims']['D']}, H={env['dims']['H']}; "
      "one jitted forward + backward of sum(outputs) w.r.t. all parameters; median of "
      f"{env['repeats']} interleaved rounds after {env['warmup']} warm-up call(s); peak = XLA's "
      "compiled memory analysis (temp + arguments + outputs - aliased)",
      "- **competitors**: `lstm` = LSTMCell, implementation=\"auto\" (fused); "
      "`<cell>_associative` = jax.lax.associative_scan (parallel); `<cell>_linear` = hoisted "
      "coefficients, sequential lax.scan (what \"auto\" picks on CPU); `<cell>_scan` = lax.scan "
      "over the cell's step", "",
      "## Speed-up over the LSTM (LSTM median / competitor median; > 1: faster)", ""]
  lengths = sorted({r["T"] for r in rows})
  names = list(dict.fromkeys(r["competitor"] for r in rows))
  get = {(r["T"], r["competitor"]): r for r in rows}
  lines += ["| competitor | " + " | ".join(f"T={t}" for t in lengths) + " |",
            "|---|" + "---:|" * len(lengths)]
  for name in names:
    lines.append(f"| {name} | " + " | ".join(
        _fmt((get.get((t, name)) or {}).get("speedup_vs_lstm")) for t in lengths) + " |")
  lines += ["", "## All rows", "",
            "| T | competitor | median ms | min ms | x lstm | compile s | peak MiB | load |",
            "|---:|---|---:|---:|---:|---:|---:|---|"]
  for r in rows:
    lines.append(f"| {r['T']} | {r['competitor']} | {r['median_ms']:.2f} | {r['min_ms']:.2f} | "
                 f"{_fmt(r['x_lstm'])} | {_fmt(r['compile_s'], '.1f')} | "
                 f"{_fmt(r['peak_mib'], '.1f')} | {r['load_before']:.1f}/{r['load_after']:.1f} |")
  return "\n".join(lines) + "\n"


def write(results, out: str) -> None:
  os.makedirs(out, exist_ok=True)
  with open(os.path.join(out, "results.json"), "w") as f:
    json.dump(results, f, indent=1)
  with open(os.path.join(out, "results.md"), "w") as f:
    f.write(markdown(results))


def main(argv=None):
  argv = sys.argv[1:] if argv is None else argv
  args = parse_args(argv)
  from rnnjax.trainer import runtime  # noqa: PLC0415
  runtime.tune_malloc()                # before JAX allocates (README, "CPU speed")
  env = environment(argv, args)
  names = args.competitors.split(",")
  timings = []
  for length in [int(t) for t in args.lengths.split(",") if t]:
    timings += bench_length(length, names, args)
  env.update(load_after=os.getloadavg(), date_end=time.strftime("%Y-%m-%d %H:%M:%S %Z"))
  results = dict(env=env, timings=timings)
  write(results, args.out)
  return results


if __name__ == "__main__":
  main()
