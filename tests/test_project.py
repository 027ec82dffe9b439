"""The project's promises about itself: README commands == CI commands, public API exported."""
import inspect
import os
import re

from absl.testing import absltest

import rnnjax

ROOT = os.path.join(os.path.dirname(__file__), "..")


def read(*parts):
  with open(os.path.join(ROOT, *parts)) as f:
    return f.read()


class ProjectTest(absltest.TestCase):

  def test_ci_runs_exactly_the_readme_commands(self):
    block = re.search(r"## Two commands for a fresh machine\s+```bash\n(.*?)```", read("README.md"),
                      re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    self.assertLen(commands, 2)
    ci_lines = [line.strip() for line in read(".ci", "run").splitlines()]
    for command in commands:
      self.assertIn(command, ci_lines)

  def test_lock_file_pins_every_dependency_at_or_above_its_floor(self):
    pins = dict(line.strip().split("==") for line in read("requirements-lock.txt").splitlines()
                if "==" in line)
    pins = {name.lower().replace("_", "-"): version for name, version in pins.items()}
    floors = re.findall(r'^\s+"([A-Za-z0-9_.-]+)>=([0-9.]+)"', read("pyproject.toml"), re.M)
    self.assertGreater(len(floors), 10)
    for name, floor in floors:
      key = name.lower().replace("_", "-")
      self.assertIn(key, pins, f"requirements-lock.txt does not pin {name}")
      as_tuple = lambda v: tuple(int(p) for p in re.findall(r"\d+", v)[:3])  # noqa: E731
      self.assertGreaterEqual(as_tuple(pins[key]), as_tuple(floor), name)

  def test_public_api_is_exported_and_documented(self):
    for name in rnnjax.__all__:
      obj = getattr(rnnjax, name)
      if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismodule(obj):
        self.assertTrue(obj.__doc__ and obj.__doc__.strip(), f"rnnjax.{name} has no docstring")


if __name__ == "__main__":
  absltest.main()
