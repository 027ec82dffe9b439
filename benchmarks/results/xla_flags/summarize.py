"""XLA CPU flags screened for rnnjax's LSTM/GRU layers: writes summary.md from the *_round*.json
files that run.sh leaves here (each one process of benchmarks/bench_rnn.py under one XLA_FLAGS
setting; the settings alternate within each round, so load drifts hit them alike).

  bash benchmarks/results/xla_flags/run.sh && python benchmarks/results/xla_flags/summarize.py
"""
import collections
import glob
import json
import os
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
FLAGS = {"base": "(none)", "xnn": "--xla_cpu_use_xnnpack=true",
         "noeigenmt": "--xla_cpu_multi_thread_eigen=false"}

times = collections.defaultdict(lambda: collections.defaultdict(list))
env = None
for path in sorted(glob.glob(os.path.join(HERE, "*_round*.json"))):
  name = os.path.basename(path).split("_round")[0]
  result = json.load(open(path))
  env = env or result["env"]
  for row in result["timings"]:
    times[row["workload"], row["mode"], row["competitor"]][name].append(row["median_ms"])

lines = ["# XLA CPU flags and rnnjax's layers (float32)", "",
         "Made by `summarize.py` from run.sh's files; never edited by hand. Each cell: the median "
         "over the rounds of each process's median ms (bench_rnn.py, 7 repeats), and its ratio "
         "to no flag. " + ", ".join(f"`{k}`: {v}" for k, v in FLAGS.items()) + ".", ""]
if env:
  m = env["machine"]
  packages = ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v)
  lines += [f"- machine: {m['cpu']}, {m['usable_cores']} usable cores, Python {m['python']}; "
            f"{packages}; first round {env['date']}", ""]
lines += ["| workload | mode | layer | " + " | ".join(FLAGS) + " |",
          "|---|---|---|" + "---:|" * len(FLAGS)]
for (workload, mode, competitor), by_flag in sorted(times.items()):
  base = statistics.median(by_flag["base"])
  cells = [f"{statistics.median(by_flag[k]):.2f} (x{statistics.median(by_flag[k]) / base:.2f})"
           if by_flag[k] else "-" for k in FLAGS]
  lines.append(f"| {workload} | {mode} | {competitor} | " + " | ".join(cells) + " |")
open(os.path.join(HERE, "summary.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
