"""benchmarks/: the harness on minuscule workloads (one repeat), its FLOP counts and its report."""
import importlib.util
import json
import os
import shlex
import shutil
import sys
import tempfile
from unittest import mock

from absl.testing import absltest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks import bench_rnn  # noqa: E402
from benchmarks import competitors as comp  # noqa: E402
from benchmarks import report, roofline  # noqa: E402

TINY = ["--workloads", "2:3:2:4", "--modes", "train", "--dtypes", "float32", "--repeats", "1",
        "--warmup", "0", "--peak_size", "16", "--step_workloads", ""]


def _row(competitor, median_ms, mode="train", **fields):
  return dict(workload="w", dims=[2, 3, 2, 4], mode=mode, dtype="float32",
              competitor=competitor, family=comp.family(competitor), median_ms=median_ms,
              min_ms=median_ms, compile_s=None, repeats=1, load_before=0.0, load_after=0.0,
              process="this", **fields)


class BenchRnnTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.out = tempfile.mkdtemp()
    self.addCleanup(shutil.rmtree, self.out)

  def _read(self, name):
    with open(os.path.join(self.out, name)) as f:
      return json.load(f) if name.endswith(".json") else f.read()

  def test_main_writes_rows_ratios_roofline_and_environment(self):
    argv = ["--out", self.out, "--competitors", "rnnjax_lstm,flax_optlstm,keras_lstm",
            "--own_process", "flax_optlstm", "--memory_lengths", ""] + TINY
    real = importlib.util.find_spec
    no_keras = lambda name, *a: None if name == "keras" else real(name, *a)  # noqa: E731
    with mock.patch.object(comp.importlib.util, "find_spec", no_keras):
      results = bench_rnn.main(argv)
    saved = self._read("results.json")
    self.assertEqual(saved["timings"], json.loads(json.dumps(results["timings"])))
    rows = {r["competitor"]: r for r in saved["timings"]}
    self.assertCountEqual(rows, ["rnnjax_lstm", "flax_optlstm"])
    self.assertEqual(rows["flax_optlstm"]["process"], "own")      # timed by worker.py
    self.assertEqual(rows["rnnjax_lstm"]["process"], "this")
    self.assertAlmostEqual(rows["flax_optlstm"]["ratio_flax"], 1.0)
    self.assertAlmostEqual(rows["rnnjax_lstm"]["ratio_flax"],
                           rows["rnnjax_lstm"]["median_ms"] / rows["flax_optlstm"]["median_ms"])
    flops = roofline.matmul_flops("lstm", (2, 3, 2, 4), "train")
    self.assertAlmostEqual(rows["rnnjax_lstm"]["gflops"],
                           flops / rows["rnnjax_lstm"]["median_ms"] * 1e-6)
    env = saved["env"]
    self.assertAlmostEqual(rows["rnnjax_lstm"]["peak_frac"],
                           rows["rnnjax_lstm"]["gflops"] / env["peak_gflops"])
    self.assertLen(env["matmul_peak_gflops"], 2)                 # this process and the worker
    self.assertEqual(env["peak_gflops"], max(env["matmul_peak_gflops"].values()))
    self.assertContainsSubset(["jax", "jaxlib", "flax", "torch", "keras", "numpy"],
                              env["versions"])
    self.assertEqual(env["command"], "python benchmarks/bench_rnn.py " + shlex.join(argv))
    self.assertLen(env["load_before"], 3)
    self.assertLen(env["load_after"], 3)
    self.assertEqual(env["threads"], len(os.sched_getaffinity(0)))
    self.assertGreaterEqual(env["xla_pool_threads"], 1)
    self.assertEqual(env["notes"],             # a missing package: skipped, said so
                     ["keras_lstm skipped: keras is not installed (pip install keras)"])
    table = self._read("results.md")
    self.assertIn(env["command"], table)
    self.assertIn("| rnnjax_lstm | this |", table)
    self.assertIn("keras_lstm skipped", table)

  def test_step_mode_times_the_classifier_training_step(self):
    bench_rnn.main(["--out", self.out, "--competitors", "rnnjax_lstm,pair_lstm", "--modes",
                    "step", "--step_workloads", "2:3:2:4", "--repeats", "2", "--warmup", "0",
                    "--peak_size", "16", "--memory_lengths", ""])
    rows = self._read("results.json")["timings"]
    self.assertCountEqual([(r["mode"], r["competitor"]) for r in rows],
                          [("step", "rnnjax_lstm"), ("step", "pair_lstm")])   # two loops, one
    self.assertTrue(all(r["compile_s"] > 0 for r in rows))
    self.assertIn("## Headline", self._read("results.md"))

  def test_a_run_cut_short_keeps_the_workloads_it_finished(self):
    real = bench_rnn.bench_workload
    calls = []

    def second_one_is_killed(name, *args):
      calls.append(name)
      if len(calls) == 2:
        raise KeyboardInterrupt        # the run stops here, as under `timeout`
      return real(name, *args)

    argv = ["--out", self.out, "--competitors", "rnnjax_gru", "--memory_lengths", "5"] + TINY
    argv[argv.index("2:3:2:4")] = "2:3:2:4,2:3:2:5"
    with mock.patch.object(bench_rnn, "bench_workload", second_one_is_killed):
      with self.assertRaises(KeyboardInterrupt):
        bench_rnn.main(argv)
    saved = self._read("results.json")
    self.assertEqual([r["dims"] for r in saved["timings"]], [[2, 3, 2, 4]])
    self.assertGreater(saved["timings"][0]["gflops"], 0)
    self.assertEqual(saved["memory"], [])
    self.assertIn("rnnjax_gru", self._read("results.md"))

  def test_memory_table_and_render_from_the_json(self):
    bench_rnn.main(["--out", self.out, "--competitors", "scan_gru,pallas_gru", "--workloads",
                    "", "--memory_lengths", "5", "--step_workloads", "", "--peak_size", "16"])
    memory = self._read("results.json")["memory"]
    # + remat; no Pallas row on CPU (it cannot run there)
    self.assertEqual([r["competitor"] for r in memory], ["scan_gru", "remat_gru"])
    self.assertTrue(all(r["peak_mib"] > 0 and r["T"] == 5 for r in memory))
    first = self._read("results.md")
    self.assertIn("## Peak memory", first)
    os.remove(os.path.join(self.out, "results.md"))
    bench_rnn.main(["--out", self.out, "--render"])
    self.assertEqual(self._read("results.md"), first)

  @absltest.skipUnless(importlib.util.find_spec("torch"), "torch is not installed")
  def test_torch_runs_alone_under_the_faster_omp_policy(self):
    bench_rnn.main(["--out", self.out, "--competitors", "torch_lstm", "--memory_lengths", ""]
                   + TINY)
    (row,) = self._read("results.json")["timings"]
    self.assertEqual(row["process"], "own")
    self.assertCountEqual(row["omp_medians_ms"], ["ACTIVE", "PASSIVE"])
    self.assertEqual(row["median_ms"], min(row["omp_medians_ms"].values()))
    self.assertEqual(row["omp_medians_ms"][row["omp_wait_policy"]], row["median_ms"])


class HarnessPartsTest(absltest.TestCase):

  def test_faster_policy_is_kept_per_row(self):
    runs = [("ACTIVE", [_row("torch_lstm", 5.0), _row("torch_gru", 1.0)]),
            ("PASSIVE", [_row("torch_lstm", 2.0), _row("torch_gru", 3.0)])]
    for policy, rows in runs:
      for row in rows:
        row["omp_wait_policy"] = policy
    best = {r["competitor"]: r for r in bench_rnn._faster_per_row(runs)}
    self.assertEqual(best["torch_lstm"]["omp_wait_policy"], "PASSIVE")
    self.assertEqual(best["torch_gru"]["omp_wait_policy"], "ACTIVE")
    self.assertEqual(best["torch_lstm"]["omp_medians_ms"], {"ACTIVE": 5.0, "PASSIVE": 2.0})
    self.assertEqual(best["torch_gru"]["omp_medians_ms"], {"ACTIVE": 1.0, "PASSIVE": 3.0})

  def test_matmul_flops_count_projection_recurrence_and_gradients(self):
    batch, time_len, features, hidden = 2, 3, 5, 7
    width = 4 * hidden                                             # LSTM: G*H
    projection = 2 * batch * time_len * features * width           # [B*T, D] x [D, 4H]
    recurrent = 2 * batch * time_len * hidden * width              # T x [B, H] x [H, 4H]
    dims = (batch, time_len, features, hidden)
    self.assertEqual(roofline.matmul_flops("lstm", dims, "infer"), projection + recurrent)
    # backward: dW_ih, dW_hh and dh = dz @ W_hh^T (no gradient w.r.t. the inputs)
    self.assertEqual(roofline.matmul_flops("lstm", dims, "train"),
                     2 * projection + 3 * recurrent)
    head = 3 * 2 * batch * 2 * hidden * 6                          # Dense(6) fwd + 2 grads
    self.assertEqual(roofline.matmul_flops("lstm", dims, "step"),
                     2 * (2 * projection + 3 * recurrent) + head)
    self.assertEqual(roofline.matmul_flops("gru", dims, "infer") * 4,
                     roofline.matmul_flops("lstm", dims, "infer") * 3)

  def test_gpu_table_compares_auto_with_cudnn(self):
    rows = [_row("rnnjax_lstm", 3.0), _row("cudnn_lstm", 2.0), _row("torch_lstm", 1.0)]
    bench_rnn.add_ratios(rows)
    env = dict(date="d", command="c", versions={"jax": "1"}, machine=report.machine(),
               backend="gpu", devices="H", threads=1, thread_settings="", xla_pool_threads=1,
               worker_threads={}, own_process=[], omp_policies=["ACTIVE"], malloc="tuned",
               load_before=[0, 0, 0], load_after=[0, 0, 0], peak_size=16,
               matmul_peak_gflops={"jax": 1.0}, peak_gflops=1.0, repeats=1, warmup=0,
               notes=[])
    table = report.markdown(dict(env=env, timings=rows, memory=[]), bench_rnn.RATIO_BASES)
    self.assertIn("| w | train | 3.00 | 2.00 | 1.00 | - | 1.50 |", table)

  def test_unknown_competitor_is_rejected(self):
    with self.assertRaisesRegex(ValueError, "unknown competitor 'fast_lstm'"):
      bench_rnn.main(["--out", "/nonexistent", "--competitors", "fast_lstm"] + TINY)


if __name__ == "__main__":
  absltest.main()
