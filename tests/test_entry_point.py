"""experiments/entry_point.py: an experiment's flags parsed from a list, as notebooks do.

Runs in a subprocess: `parse` resets and parses absl's global FLAGS, which this test process
shares with every other test."""
import os
import subprocess
import sys

from absl.testing import absltest

EXPERIMENTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           "experiments")
SCRIPT = """
from absl import flags, logging
import entry_point

flags.DEFINE_integer("num_steps", 5000, "Training steps.")
FLAGS = flags.FLAGS
entry_point.parse("prog.py", ["--num_steps=2"])
print("set", FLAGS.num_steps, logging.get_verbosity() == logging.INFO)
entry_point.parse("prog.py", [])
print("default", FLAGS.num_steps)
entry_point.parse("prog.py", ["--verbosity=-1"])
print("verbosity", logging.get_verbosity() == logging.WARNING)
for argv in (["2"], "--num_steps=2", ["--steps=2"]):
  try:
    entry_point.parse("prog.py", argv)
  except Exception as e:
    print(f"{type(e).__name__}: {e}")
"""


class ParseTest(absltest.TestCase):

  def test_flags_start_from_their_defaults_and_bad_argv_is_refused(self):
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=EXPERIMENTS, capture_output=True,
                          text=True, timeout=60)
    self.assertEqual(done.returncode, 0, done.stderr)
    lines = done.stdout.splitlines()
    self.assertEqual(lines[:3], ["set 2 True", "default 5000", "verbosity True"])
    self.assertRegex(lines[3], r"ValueError: argv=\['2'\]: \['2'\] are not flags")
    self.assertRegex(lines[4], r"TypeError: argv='--num_steps=2' must be a list of flags")
    self.assertRegex(lines[5], r"UnrecognizedFlagError: Unknown command line flag 'steps'")


if __name__ == "__main__":
  absltest.main()
