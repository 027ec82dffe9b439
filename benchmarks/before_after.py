r"""Times rnnjax's LSTM and GRU layers as two checkouts build them: before and after a change.

  git worktree add /tmp/before <commit>          # e.g. the parent of the architecture commit
  python benchmarks/before_after.py --before /tmp/before --out benchmarks/results/before_after

Runs `benchmarks/bench_rnn.py` of each checkout (with that checkout's rnnjax) alternately,
before, after, before, after, ... (--rounds pairs), each time on the same workloads with the
public layers (`rnnjax_lstm`, `rnnjax_gru`: `layers.Recurrent(LSTMCell/GRUCell(H))`, as users
get them) and flax's cells as an anchor that neither change touches. Writes results.md (and the
per-run folders with their results.json) to --out: per (workload, mode, layer), the median of
the per-run medians before and after, after / before, and the same ratio normalised by the flax
anchor measured in the same runs (which cancels load that drifted between runs).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
AFTER = os.path.dirname(HERE)
LAYERS = ("rnnjax_lstm", "rnnjax_gru")
ANCHOR = {"rnnjax_lstm": "flax_optlstm", "rnnjax_gru": "flax_gru"}


def parse_args(argv=None):
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument("--before", required=True, help="checkout of the earlier commit")
  p.add_argument("--out", default="benchmarks/results/before_after")
  p.add_argument("--workloads", default="har,row_mnist,pixel_mnist,imdb")
  p.add_argument("--modes", default="train,infer")
  p.add_argument("--repeats", type=int, default=10)
  p.add_argument("--rounds", type=int, default=2, help="before/after pairs")
  return p.parse_args(argv)


def run(repo: str, out: str, args) -> list[dict]:
  competitors = ",".join(LAYERS + tuple(ANCHOR.values()))
  cmd = [sys.executable, os.path.join(repo, "benchmarks", "bench_rnn.py"), "--out", out,
         "--competitors", competitors, "--workloads", args.workloads, "--modes", args.modes,
         "--dtypes", "float32", "--memory_lengths", "", "--repeats", str(args.repeats)]
  print(" ".join(cmd), flush=True)
  subprocess.run(cmd, cwd=repo, check=True, stdout=subprocess.DEVNULL)
  with open(os.path.join(out, "results.json")) as f:
    return json.load(f)["timings"]


def main(argv=None):
  args = parse_args(argv)
  os.makedirs(args.out, exist_ok=True)
  start, load = time.strftime("%Y-%m-%d %H:%M:%S %Z"), os.getloadavg()
  medians = {"before": {}, "after": {}}         # (workload, mode, competitor) -> [ms per run]
  for i in range(args.rounds):
    for side, repo in (("before", os.path.abspath(args.before)), ("after", AFTER)):
      for r in run(repo, os.path.join(os.path.abspath(args.out), f"{side}{i}"), args):
        medians[side].setdefault((r["workload"], r["mode"], r["competitor"]), []).append(
            r["median_ms"])
  commit = lambda repo: subprocess.run(  # noqa: E731
      ["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True,
      text=True).stdout.strip()
  lines = [f"# rnnjax layers before and after ({start})", "",
           f"Written by `python benchmarks/before_after.py {' '.join(sys.argv[1:])}`; never "
           "edited by hand.", "",
           f"- before: commit {commit(args.before)}; after: commit {commit(AFTER)} (plus the "
           "working tree)", f"- {args.rounds} runs of each, alternating; float32; median of "
           f"{args.repeats} interleaved repeats per run; load average before {load[0]:.2f}, "
           f"after {os.getloadavg()[0]:.2f}; versions and machine in each run's results.json",
           "- `after/before` < 1: faster after; `x flax` normalises each side by flax's cell "
           "timed in the same runs", "",
           "| workload | mode | layer | before ms | after ms | after/before "
           "| after/before x flax |",
           "|---|---|---|---:|---:|---:|---:|"]
  for key in sorted(k for k in medians["after"] if k[2] in LAYERS):
    workload, mode, name = key
    anchor = (workload, mode, ANCHOR[name])
    b, a = (statistics.median(medians[s][key]) for s in ("before", "after"))
    fb, fa = (statistics.median(medians[s][anchor]) for s in ("before", "after"))
    lines.append(f"| {workload} | {mode} | {name} | {b:.2f} | {a:.2f} | {a / b:.2f} | "
                 f"{(a / fa) / (b / fb):.2f} |")
  text = "\n".join(lines) + "\n"
  with open(os.path.join(args.out, "results.md"), "w") as f:
    f.write(text)
  print(text)


if __name__ == "__main__":
  main()
