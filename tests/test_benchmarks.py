"""Smoke test of benchmarks/bench_rnn.py: a minuscule workload, one repeat, files written."""
import json
import os
import sys
import shutil
import tempfile

from absl.testing import absltest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks import bench_rnn  # noqa: E402


class BenchRnnTest(absltest.TestCase):

  def test_main_writes_json_and_markdown(self):
    out = tempfile.mkdtemp()
    self.addCleanup(shutil.rmtree, out)
    results = bench_rnn.main([
        "--out", out, "--workloads", "2:3:2:4", "--competitors", "fast_lstm,flax_optlstm",
        "--modes", "train", "--dtypes", "float32", "--repeats", "1", "--warmup", "0",
        "--memory_lengths", "5"])
    with open(os.path.join(out, "results.json")) as f:
      saved = json.load(f)
    self.assertEqual(saved["timings"], json.loads(json.dumps(results["timings"])))
    rows = {r["competitor"]: r for r in saved["timings"]}
    self.assertCountEqual(rows, ["fast_lstm", "flax_optlstm"])
    self.assertAlmostEqual(rows["flax_optlstm"]["ratio_flax"], 1.0)
    self.assertGreater(rows["fast_lstm"]["median_ms"], 0)
    self.assertCountEqual([r["competitor"] for r in saved["memory"]],   # + the scan/remat pair
                          ["fast_lstm", "flax_optlstm", "scan_lstm", "remat_lstm"])
    with open(os.path.join(out, "results.md")) as f:
      table = f.read()
    self.assertIn("| fast_lstm |", table)
    self.assertIn("Peak memory", table)


if __name__ == "__main__":
  absltest.main()
