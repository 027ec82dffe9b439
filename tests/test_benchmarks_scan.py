"""benchmarks/bench_scan.py on a minuscule workload (one repeat): rows, ratios, the report."""
import json
import os
import shutil
import sys
import tempfile

from absl.testing import absltest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks import bench_scan  # noqa: E402


class BenchScanTest(absltest.TestCase):

  def test_main_writes_rows_ratios_memory_and_environment(self):
    out = tempfile.mkdtemp()
    self.addCleanup(shutil.rmtree, out)
    argv = ["--out", out, "--lengths", "5,8", "--batch", "2", "--hidden", "4", "--repeats", "1",
            "--warmup", "0", "--competitors", "lstm,mingru_associative,lru_linear"]
    results = bench_scan.main(argv)
    with open(os.path.join(out, "results.json")) as f:
      saved = json.load(f)
    self.assertEqual(saved["timings"], json.loads(json.dumps(results["timings"])))
    rows = {(r["T"], r["competitor"]): r for r in saved["timings"]}
    self.assertCountEqual(rows, [(t, c) for t in (5, 8)
                                 for c in ("lstm", "mingru_associative", "lru_linear")])
    for (t, name), row in rows.items():
      base = rows[t, "lstm"]["median_ms"]
      self.assertAlmostEqual(row["x_lstm"], row["median_ms"] / base)
      self.assertAlmostEqual(row["speedup_vs_lstm"], base / row["median_ms"])
      self.assertEqual(row["dims"], [2, t, 1, 4])
      self.assertGreater(row["peak_mib"], 0)
      self.assertGreater(row["compile_s"], 0)
    env = saved["env"]
    self.assertIn("--lengths 5,8", env["command"])
    self.assertIn("jax", env["versions"])
    self.assertEqual(len(env["load_after"]), 3)
    with open(os.path.join(out, "results.md")) as f:
      md = f.read()
    self.assertIn("| mingru_associative |", md)
    self.assertIn("T=8", md)

  def test_unknown_competitor_is_an_error(self):
    with self.assertRaises(SystemExit):
      bench_scan.parse_args(["--competitors", "gru_parallel"])


if __name__ == "__main__":
  absltest.main()
