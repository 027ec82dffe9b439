"""experiments/reproduce.py in its quick mode: each row runs its program as a process, and the
table collects the Final lines, wall times, exit statuses and package versions; runs of some rows
add to the table that earlier runs wrote."""
import json
import os
import subprocess
import sys
import tempfile

from absl.testing import absltest

from test_experiments import write_uci_har

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ReproduceTest(absltest.TestCase):

  def test_quick_rows_write_the_results_table(self):
    with tempfile.TemporaryDirectory() as tmp:
      har = write_uci_har(os.path.join(tmp, "har"))["data_dir"]
      out = os.path.join(tmp, "results")
      for only in ("har_lstm", "echo_rnn"):           # the second run keeps the first's row
        done = subprocess.run(
            [sys.executable, os.path.join(ROOT, "experiments", "reproduce.py"), "--quick",
             f"--out={out}", f"--only={only}", f"--data_dirs=har={har}",
             "--extra_flags=har_lstm=--batch_size=4,har_lstm=--hidden_size=4"],
            env={**os.environ, "JAX_PLATFORMS": "cpu", "MPLBACKEND": "Agg"},
            capture_output=True, text=True, timeout=300)
        self.assertEqual(done.returncode, 0, done.stdout[-3000:] + done.stderr[-3000:])
      with open(os.path.join(out, "results.json")) as f:
        results = json.load(f)
      rows = {r["row"]: r for r in results["rows"]}
      self.assertEqual(sorted(rows), ["echo_rnn", "har_lstm"])
      self.assertIn("test accuracy", rows["har_lstm"]["final"])
      self.assertIn("test per-step accuracy", rows["echo_rnn"]["final"])
      self.assertTrue(all(r["status"] == 0 and r["wall_s"] > 0 for r in rows.values()))
      self.assertTrue(results["environment"]["versions"]["jax"])
      with open(os.path.join(out, "results.md")) as f:
        table = f.read()
      self.assertIn("quick smoke run: not results", table)
      self.assertIn("| har_lstm | test accuracy: ", table)

  def test_rows_that_differ_by_seed_get_a_mean_and_standard_deviation(self):
    sys.path.insert(0, os.path.join(ROOT, "experiments"))
    import reproduce  # noqa: E402  (experiments/ is not a package)
    row = lambda name, value, status=0: {"row": name, "status": status,  # noqa: E731
                                         "final": {"test accuracy": value}}
    lines = reproduce.seed_summary([
        row("har_bilstm_seed0", "90.00 %"), row("har_bilstm_seed1", "92.00 %"),
        row("har_bilstm_seed2", "-", status=1), row("mnist_lstm", "99.00 %"),
        row("mnist_lstm_seed1", "98.00 %"), row("imdb_lstm", "88.28 %")])
    self.assertIn("| har_bilstm | test accuracy | 2 | 91.00 % | 1.41 | "
                  "har_bilstm_seed0, har_bilstm_seed1 |", lines)      # the failed seed is out
    self.assertIn("| mnist_lstm | test accuracy | 2 | 98.50 % | 0.71 | "
                  "mnist_lstm, mnist_lstm_seed1 |", lines)
    self.assertFalse([line for line in lines if "imdb" in line])       # one seed: no summary
    self.assertEqual(reproduce.seed_summary([row("imdb_lstm", "88.28 %")]), [])
    mae = reproduce.seed_summary([row("jena_gru", "0.3780 (2.86 degC), naive 0.3437"),
                                  row("jena_gru_seed1", "0.3630 (2.75 degC), naive 0.3437")])
    self.assertIn("| jena_gru | test accuracy | 2 | 0.3705 | 0.0106 | jena_gru, jena_gru_seed1 |",
                  mae)                                   # the rows' precision, no "(2.86" unit

  def test_the_table_quotes_commands_and_names_the_machine_of_rows_run_elsewhere(self):
    sys.path.insert(0, os.path.join(ROOT, "experiments"))
    import reproduce  # noqa: E402
    env = {"versions": {"jax": "0.10.2"}, "python": "3.11", "cpu": "Intel Xeon", "cores": 2,
           "date": "2026-12-03", "quick": False}
    row = lambda name, command, **then: {  # noqa: E731
        "row": name, "final": {"test accuracy": "90.00 %"}, "wall_s": 1.0, "status": 0,
        "load_before": 0.1, "load_after": 0.2, "date": "2026-12-0x", "command": command,
        **({"environment": {**env, **then}} if then else {})}
    with tempfile.TemporaryDirectory() as tmp:
      table = reproduce.write([
          row("har_lstm", reproduce.shlex.join(["python", "--data_dir=/a b"])),
          row("har_gru", "python", cpu="AMD EPYC"),
          row("har_rnn", "python", versions={"jax": "0.9.0"})], env, out=tmp)
    self.assertIn("`python '--data_dir=/a b'`", table)           # pastes into a shell as run
    self.assertIn("| 2026-12-0x (AMD EPYC) |", table)
    self.assertIn("| 2026-12-0x (jax 0.9.0) |", table)
    self.assertIn("| har_lstm | test accuracy: 90.00 % | 1 s | 0.1 / 0.2 | 0 | 2026-12-0x | ",
                  table)                                          # this run's machine: unnamed

  def test_an_unknown_row_is_refused_naming_the_rows(self):
    done = subprocess.run([sys.executable, os.path.join(ROOT, "experiments", "reproduce.py"),
                           "--only=nope"], capture_output=True, text=True, timeout=60)
    self.assertNotEqual(done.returncode, 0)
    self.assertIn("unknown rows ['nope']", done.stderr)


if __name__ == "__main__":
  absltest.main()
