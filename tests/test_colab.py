"""The notebooks in colab/ run top to bottom (few steps; the install cell is skipped)."""
import glob
import json
import os
import re

from absl.testing import absltest, parameterized
import matplotlib

matplotlib.use("Agg")

NOTEBOOKS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "colab", "*.ipynb")))


def notebook_code(path: str) -> str:
  """The code cells as one script: install cells (with %pip / !) out, NUM_STEPS set to 2."""
  with open(path) as f:
    notebook = json.load(f)
  self_check = []
  for cell in notebook["cells"]:
    source = "".join(cell["source"])
    if cell["cell_type"] != "code" or re.search(r"^\s*[%!]", source, re.M):
      continue
    if cell.get("outputs"):
      raise AssertionError(f"{path}: clear the outputs before committing.")
    self_check.append(source)
  return re.sub(r"^NUM_STEPS = \d+", "NUM_STEPS = 2", "\n\n".join(self_check), flags=re.M)


class ColabTest(parameterized.TestCase):

  def test_there_is_a_notebook(self):
    self.assertNotEmpty(NOTEBOOKS)

  @parameterized.parameters(NOTEBOOKS)
  def test_notebook_runs(self, path):
    namespace = {}
    exec(compile(notebook_code(path), path, "exec"), namespace)  # noqa: S102
    self.assertIn("result", namespace)
    self.assertEqual(int(namespace["result"].state.step), 2)


if __name__ == "__main__":
  absltest.main()
