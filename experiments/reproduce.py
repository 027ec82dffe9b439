r"""Runs every experiment's default configuration and writes the results table.

  python experiments/reproduce.py --data_root=<folder> --out=results
  python experiments/reproduce.py --quick --out=/tmp/smoke      # 2-step runs: a smoke check
  python experiments/reproduce.py --only=har_bilstm_seed0,imdb_lstm   # some rows

Each row runs one experiment as its own process (its default flags plus the row's), collects
every `Final <metric>: <value>` line it prints, its wall time and exit status, and the table
(results/results.md, results/results.json) records the package versions, the machine, the date
and the load average before and after each run, so that a user can regenerate the published
numbers and compare. Rows that differ only by --seed (<model> or <model>_seed<k>) get their
mean and standard deviation in a second table. The table is rewritten after every row, and
rows already in <out>/results.json that this run does not repeat are kept (with their own date
and versions), so `--only` runs build one table piece by piece. Logs and workdirs go under
<out>/runs/<row>; an existing workdir resumes (a finished run only re-evaluates), so a killed
reproduce run picks up where it stopped.

Data: --data_root holds one folder per data set as each loader expects it (uci_har: the folder
holding "UCI HAR Dataset"; mnist: the IDX files; imdb: aclImdb/; jena_climate: the CSV), or
pass --data_dirs=har=<dir>,mnist=<dir>,... for each; a data set that is absent is downloaded
by its loader (online) or its rows fail with the loader's message.
"""
from __future__ import annotations

import dataclasses
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from importlib import metadata

from absl import app, flags

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGES = ("jax", "jaxlib", "flax", "optax", "orbax-checkpoint", "numpy", "tensorflow-datasets")
FINAL = re.compile(r"Final ([^:\n]+): ([^\n]+)")
SEED = re.compile(r"_seed\d+$")                # har_bilstm_seed1 and har_bilstm: one model
NUMBER = re.compile(r"^-?\d+(?:\.\d+)?")
UNIT = re.compile(r"^(%|[A-Za-z]+)$")
WORKDIR_NOTE = re.compile(r" \(workdir [^)]*\)$")    # the trainer's "(workdir ...)" suffix


def final_values(pairs) -> dict[str, str]:
  """{metric: value} of `Final <metric>: <value>` lines, without the workdir note."""
  return {k: WORKDIR_NOTE.sub("", v) for k, v in dict(pairs).items()}


@dataclasses.dataclass(frozen=True)
class Row:
  """One run: `script` with `flags`, reading data set `data` (a key of --data_dirs)."""
  name: str
  script: str
  flags: tuple[str, ...] = ()
  data: str | None = None
  quick: tuple[str, ...] = ("--num_steps=2", "--eval_every=1")


EPOCHS = ("--epochs=1",)
ROWS = (
    *(Row(f"har_bilstm_seed{s}", "har.py", ("--model=bilstm", f"--seed={s}"), "har")
      for s in (0, 1, 2)),
    # The experiments' defaults refit on training + validation data; a *_validation row runs
    # the default with the validation split held out, as the runs that chose the defaults did,
    # and reports its validation and test figures.
    Row("har_bilstm_validation", "har.py", ("--model=bilstm", "--validation_subjects=5"), "har"),
    *(Row(f"har_{m}", "har.py", (f"--model={m}",), "har")
      for m in ("bigru", "lstm2", "lstm", "gru", "rnn")),
    Row("mnist_lstm", "mnist.py", (), "mnist", EPOCHS + ("--num_steps=2",)),
    *(Row(f"mnist_lstm_seed{s}", "mnist.py", (f"--seed={s}",), "mnist",
          EPOCHS + ("--num_steps=2",)) for s in (1, 2)),   # mnist_lstm is seed 0
    Row("mnist_rnn", "mnist.py", ("--model=rnn",), "mnist", EPOCHS + ("--num_steps=2",)),
    Row("imdb_lstm", "imdb.py", (), "imdb", EPOCHS + ("--max_len=20",)),
    *(Row(f"imdb_lstm_seed{s}", "imdb.py", (f"--seed={s}",), "imdb",
          EPOCHS + ("--max_len=20",)) for s in (1, 2)),   # imdb_lstm is seed 0
    Row("imdb_lstm_validation", "imdb.py", ("--validation_fraction=0.2",), "imdb",
        EPOCHS + ("--max_len=20",)),
    Row("imdb_rnn", "imdb.py", ("--model=rnn",), "imdb", EPOCHS + ("--max_len=20",)),
    Row("jena_gru", "jena.py", (), "jena", EPOCHS + ("--steps_per_epoch=2",)),
    *(Row(f"jena_gru_seed{s}", "jena.py", (f"--seed={s}",), "jena",
          EPOCHS + ("--steps_per_epoch=2",)) for s in (1, 2)),   # jena_gru is seed 0
    Row("jena_gru_validation", "jena.py", ("--block_rows=6048,3024,3024",), "jena",
        EPOCHS + ("--steps_per_epoch=2",)),
    *(Row(f"har_{m}", "har.py", (f"--model={m}",), "har") for m in ("mingru", "minlstm", "lru")),
    # Pixel-by-pixel MNIST (784 steps) for the same 10 minutes of training each: the LSTM against
    # minGRU (parallel over time). A constant learning rate, since the budget, not num_steps,
    # ends the run; --epochs is only an upper bound.
    *(Row(f"mnist_pixels_{m}_10min", "mnist.py", (
        f"--model={m}", "--pixels", "--train_seconds=600", "--epochs=100", "--schedule=constant",
        "--learning_rate=1e-3", "--clip_norm=1"), "mnist", ("--num_steps=2", "--epochs=1"))
      for m in ("lstm", "mingru")),
    Row("echo_rnn", "echo.py", (), None, ("--series_length=120", "--epochs=1",
                                          "--eval_every_epochs=1")),
    Row("timeseries_rnn", "timeseries.py", (), None, ("--num_steps=2", "--eval_every=1",
                                                      "--generate_steps=10")),
    Row("timeseries_jena_rnn", "timeseries.py", ("--data=jena",), "jena",
        ("--num_steps=2", "--eval_every=1", "--generate_steps=10")),
    *(Row(f"translate_{t}", "translate.py", (f"--task={t}", "--attention=bahdanau"), None,
          ("--epochs=1", "--num_train=8", "--num_validation=2", "--num_test=3"))
      for t in ("dates", "addition")),
)

flags.DEFINE_string("out", "results", "Where results.md, results.json and runs/ go.")
flags.DEFINE_string("data_root", None, "Folder with uci_har/, mnist/, imdb/, jena_climate/.")
flags.DEFINE_list("data_dirs", [], "name=folder pairs (har, mnist, imdb, jena) overriding "
                  "--data_root.")
flags.DEFINE_list("only", [], "Run only these rows (names as in the table).")
flags.DEFINE_bool("quick", False, "Tiny runs (a few steps) of every row: a smoke check, not "
                  "results.")
flags.DEFINE_list("extra_flags", [], "row=--flag pairs added to a row's command (a row may be "
                  "named more than once); tests use them to point rows at tiny fixtures.")
flags.DEFINE_integer("timeout", 3600, "Seconds one row may run.")
FLAGS = flags.FLAGS
FOLDERS = {"har": "uci_har", "mnist": "mnist", "imdb": "imdb", "jena": "jena_climate"}


def environment() -> dict:
  """Package versions, Python, machine and date, recorded beside every table."""
  versions = {}
  for name in PACKAGES:
    try:
      versions[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
      versions[name] = None
  cpu = platform.processor() or platform.machine()
  if os.path.exists("/proc/cpuinfo"):
    with open("/proc/cpuinfo") as f:
      cpu = next((line.split(":", 1)[1].strip() for line in f if "model name" in line), cpu)
  return {"versions": versions, "python": platform.python_version(), "cpu": cpu,
          "cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
          "quick": FLAGS.quick}


def data_dirs() -> dict[str, str]:
  dirs = {k: os.path.join(FLAGS.data_root, v) for k, v in FOLDERS.items()} if FLAGS.data_root \
      else {}
  for pair in FLAGS.data_dirs:
    key, _, value = pair.partition("=")
    if key not in FOLDERS:
      raise app.UsageError(f"--data_dirs: {key!r} is not one of {sorted(FOLDERS)}.")
    dirs[key] = value
  return dirs


def command(row: Row, dirs: dict[str, str], workdir: str) -> list[str]:
  extra = [f.partition("=")[2] for f in FLAGS.extra_flags if f.partition("=")[0] == row.name]
  data = [f"--data_dir={dirs[row.data]}"] if row.data in dirs else []
  return [sys.executable, os.path.join(HERE, row.script), *row.flags, *data,
          f"--workdir={workdir}", *(row.quick if FLAGS.quick else ()), *extra]


def run(row: Row, dirs: dict[str, str]) -> dict:
  """Runs one row; returns its record (command, Final lines, wall time, exit status, load)."""
  folder = os.path.join(FLAGS.out, "runs", row.name)
  os.makedirs(folder, exist_ok=True)
  argv = command(row, dirs, os.path.join(folder, "workdir"))
  load_before = os.getloadavg()[0]
  start = time.perf_counter()
  with open(os.path.join(folder, "log.txt"), "w") as log:
    try:
      done = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, timeout=FLAGS.timeout)
      status = done.returncode
    except subprocess.TimeoutExpired:
      status = "timeout"
  wall = time.perf_counter() - start
  with open(os.path.join(folder, "log.txt")) as f:
    finals = final_values(FINAL.findall(f.read()))
  shown = ["python"] + [os.path.relpath(a) if a.endswith(".py") else a for a in argv[1:]]
  record = {"row": row.name, "date": time.strftime("%Y-%m-%d %H:%M"), "command": shlex.join(shown),
            "final": finals, "wall_s": round(wall, 1), "status": status,
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}
  print(f"{row.name}: {finals or 'no Final line'} ({wall:.0f} s, exit {status})", flush=True)
  return record


def earlier_rows(env: dict) -> list[dict]:
  """The rows of <out>/results.json from earlier runs of the same kind (quick or not), each
  with the environment it ran in."""
  path = os.path.join(FLAGS.out, "results.json")
  if not os.path.exists(path):
    return []
  with open(path) as f:
    saved = json.load(f)
  if saved["environment"].get("quick") != env["quick"]:
    return []
  return [{"environment": saved["environment"], **r, "final": final_values(r["final"])}
          for r in saved["rows"]]       # rows of older versions may still carry the workdir


def seed_summary(records: list[dict]) -> list[str]:
  """Markdown lines: mean and sample standard deviation of each numeric final metric over the
  rows that differ only by seed (names <base> and <base>_seed<k>, exit 0), for bases with at
  least two such rows; no lines when there are none."""
  groups: dict[str, list[dict]] = {}
  for r in records:
    if r["status"] == 0:
      groups.setdefault(SEED.sub("", r["row"]), []).append(r)
  lines = []
  for base, rows in groups.items():
    if len(rows) < 2:
      continue
    for metric in rows[0]["final"]:
      found = [NUMBER.match(r["final"].get(metric, "")) for r in rows]
      if not all(found):
        continue
      values = [float(m.group()) for m in found]
      digits = max(len(m.group().partition(".")[2]) for m in found)   # as the rows print them
      unit = [w for w in rows[0]["final"][metric][found[0].end():].split()[:1]
              if UNIT.match(w)]                  # "%", not the "(2.86" of "0.378 (2.86 degC)"
      mean = sum(values) / len(values)
      std = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5
      lines.append(f"| {base} | {metric} | {len(values)} | {mean:.{digits}f}"
                   f"{''.join(' ' + u for u in unit)} | {std:.{digits}f} | "
                   f"{', '.join(r['row'] for r in rows)} |")
  if not lines:
    return []
  return ["", "Over seeds (rows that differ only by --seed; sample standard deviation):", "",
          "| model | metric | seeds | mean | std | rows |", "|---|---|---:|---:|---:|---|",
          *lines]


def write(records: list[dict], env: dict, out: str | None = None) -> str:
  """results.json and results.md in `out` (default --out; rows in the order of ROWS); returns
  the markdown. A row run on another machine or under other package versions than this run
  names them in its "run on" column."""
  out = out or FLAGS.out
  order = {r.name: i for i, r in enumerate(ROWS)}
  records = sorted(records, key=lambda r: order.get(r["row"], len(order)))
  with open(os.path.join(out, "results.json"), "w") as f:
    json.dump({"environment": env, "rows": records}, f, indent=1)
  versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v)
  lines = ["# rnnjax results" + (" (quick smoke run: not results)" if env["quick"] else ""), "",
           f"Last run of `python experiments/reproduce.py{' --quick' if env['quick'] else ''}`"
           f" on {env['date']}: {env['cpu']}, {env['cores']} cores, Python {env['python']}; "
           f"{versions}. Rows of earlier runs keep their own date, and name their machine and "
           "package versions where these differ.", "",
           "| row | final metric | wall time | load (before/after) | exit | run on | command |",
           "|---|---|---:|---|---|---|---|"]
  for r in records:
    finals = "; ".join(f"{k}: {v}" for k, v in r["final"].items()) or "-"
    then = r.get("environment", env)
    differs = [then["cpu"]] if then.get("cpu", env["cpu"]) != env["cpu"] else []
    if then["versions"] != env["versions"]:
      differs += [f"{k} {v}" for k, v in then["versions"].items() if v]
    when = r.get("date", "") + (f" ({', '.join(differs)})" if differs else "")
    lines.append(f"| {r['row']} | {finals} | {r['wall_s']:.0f} s | {r['load_before']} / "
                 f"{r['load_after']} | {r['status']} | {when} | `{r['command']}` |")
  text = "\n".join(lines + seed_summary(records)) + "\n"
  with open(os.path.join(out, "results.md"), "w") as f:
    f.write(text)
  return text


def main(argv):
  del argv
  names = {r.name for r in ROWS}
  unknown = sorted(set(FLAGS.only) - names)
  if unknown:
    raise app.UsageError(f"--only: unknown rows {unknown}; rows are {sorted(names)}.")
  os.makedirs(FLAGS.out, exist_ok=True)
  env, dirs = environment(), data_dirs()
  chosen = [row for row in ROWS if not FLAGS.only or row.name in FLAGS.only]
  kept = [r for r in earlier_rows(env) if r["row"] not in {row.name for row in chosen}]
  records = []
  for row in chosen:                      # the table is rewritten after every row
    records.append(run(row, dirs))
    write(kept + records, env)
  print(write(kept + records, env))
  failed = [r["row"] for r in records if r["status"] != 0]
  if failed:
    raise SystemExit(f"Rows that failed: {failed} (logs in {FLAGS.out}/runs/<row>/log.txt).")


if __name__ == "__main__":
  app.run(main)
