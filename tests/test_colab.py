"""The notebooks in colab/: one per program in experiments/, each run top to bottom on CPU.

Each notebook runs in its own Jupyter kernel (nbclient), as on Colab, on the fixture data and with
the tiny flags of its program's entry in tests/test_experiments.py (EXPERIMENTS): the test passes
them in $RNNJAX_NOTEBOOK_ARGS, which the notebook's config cell appends to its flags, and the
first cell (the install) does nothing because rnnjax and experiments/ are on the kernel's path.
The quick start reads $RNNJAX_NOTEBOOK_STEPS instead. A new notebook needs no change here when its
program has an entry in EXPERIMENTS.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

from absl.testing import absltest, parameterized

import conftest
from test_experiments import EXPERIMENTS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLAB = os.path.join(ROOT, "colab")
NOTEBOOKS = sorted(os.path.basename(p)[:-len(".ipynb")]
                   for p in glob.glob(os.path.join(COLAB, "*.ipynb")))
NAMED = [(name, name) for name in NOTEBOOKS]       # test_..._har(name="har")
COLAB_URL = "https://colab.research.google.com/github/OWNER/rnnjax/blob/main/colab/"
# Programs being written on other branches; their notebooks follow when they land (delete the
# name here when its notebook is added).
KNOWN_MISSING: set[str] = set()
# Programs that are not tasks: reproduce.py runs the other programs (their notebooks cover them).
NOT_TASKS = {"reproduce"}
TIMEOUT_S = 300          # per cell


def programs() -> list[str]:
  """The experiments: files of experiments/ that run as programs (app.run), not helpers."""
  names = []
  for path in sorted(glob.glob(os.path.join(ROOT, "experiments", "*.py"))):
    with open(path) as f:
      if re.search(r"^\s+app\.run\(", f.read(), re.M):
        names.append(os.path.basename(path)[:-len(".py")])
  return names


def load(name: str) -> dict:
  with open(os.path.join(COLAB, name + ".ipynb")) as f:
    return json.load(f)


def source(cell: dict) -> str:
  return "".join(cell["source"])


def code_cells(notebook: dict) -> list[str]:
  return [source(c) for c in notebook["cells"] if c["cell_type"] == "code"]


def install_source() -> str:
  """The RNNJAX_SOURCE line that colab/README.md documents (the one place it is set)."""
  with open(os.path.join(COLAB, "README.md")) as f:
    found = re.findall(r"^RNNJAX_SOURCE = .*$", f.read(), re.M)
  assert len(found) == 1, f"colab/README.md should show one RNNJAX_SOURCE line, found {found}"
  return found[0]


def fixture_entry(name: str) -> dict:
  """The smoke-run entry of experiments/<name>.py in tests/test_experiments.py."""
  entries = [e for e in EXPERIMENTS if e["script"] == name + ".py"]
  assert entries, f"experiments/{name}.py has no entry in tests/test_experiments.py EXPERIMENTS"
  return entries[0]


def outputs_text(notebook, kinds=("stream",)) -> str:
  """The text of every stream output (stdout and stderr) and error of the executed notebook."""
  parts = []
  for cell in notebook.cells:
    for out in cell.get("outputs", []):
      if out["output_type"] in kinds:
        parts.append(out.get("text", ""))
      elif out["output_type"] == "error":
        parts.append("\n".join(out["traceback"]))
  return "".join(parts)


class NotebookCoverageTest(absltest.TestCase):

  def test_every_experiment_has_a_notebook(self):
    missing = sorted(set(programs()) - set(NOTEBOOKS) - KNOWN_MISSING - NOT_TASKS)
    self.assertEmpty(missing, f"experiments/{missing}.py have no notebook colab/<name>.ipynb: "
                              "copy colab/har.ipynb and change its program (colab/README.md).")
    self.assertIn("har", programs())

  def test_known_missing_lists_only_notebooks_still_missing(self):
    self.assertEmpty(KNOWN_MISSING & set(NOTEBOOKS), "delete these names from KNOWN_MISSING")


class NotebookFormTest(parameterized.TestCase):
  """What every notebook has, checked without running it."""

  @parameterized.named_parameters(NAMED)
  def test_committed_without_outputs(self, name):
    for cell in load(name)["cells"]:
      if cell["cell_type"] == "code":
        self.assertEqual((cell["outputs"], cell["execution_count"]), ([], None),
                         f"{name}.ipynb: clear its outputs before committing")

  @parameterized.named_parameters(NAMED)
  def test_opens_in_colab_on_a_tpu(self, name):
    notebook = load(name)
    self.assertIn(f"]({COLAB_URL}{name}.ipynb)", source(notebook["cells"][0]))
    self.assertEqual(notebook["metadata"]["accelerator"], "TPU")

  @parameterized.named_parameters(NAMED)
  def test_installs_from_the_documented_source_and_reports_the_devices(self, name):
    cells = code_cells(load(name))
    self.assertEqual(cells[0], code_cells(load("quickstart"))[0], "the same install cell")
    self.assertIn("\n" + install_source() + "\n", cells[0])
    self.assertIn("jax.default_backend()", cells[1])
    self.assertIn("jax.device_count()", cells[1])

  @parameterized.named_parameters(n for n in NAMED if n[0] != "quickstart")
  def test_runs_its_program_with_the_ci_switch(self, name):
    code = "\n".join(code_cells(load(name)))
    self.assertIn('os.environ.get("RNNJAX_NOTEBOOK_ARGS", "")', code)
    self.assertRegex(code, rf"\bimport {name}\b")
    self.assertRegex(code, rf"\b{name}\.run\(ARGS\)")

  def test_install_cell_without_a_source_says_what_to_set(self):
    cell = code_cells(load("quickstart"))[0]
    with tempfile.TemporaryDirectory() as tmp:           # no checkout in ".." or "rnnjax-src"
      cwd = os.path.join(tmp, "colab")
      os.makedirs(cwd)
      done = subprocess.run([sys.executable, "-I", "-S", "-c", cell], cwd=cwd,  # no rnnjax
                            capture_output=True, text=True, timeout=60)
    self.assertNotEqual(done.returncode, 0)
    self.assertIn("rnnjax is not installed: set RNNJAX_SOURCE", done.stderr)


class NotebookRunTest(parameterized.TestCase):
  """Every notebook top to bottom in a fresh kernel, two training steps on fixture data."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    try:
      import nbclient, nbformat  # noqa: F401, E401, PLC0415  (the test extra)
      import ipykernel, ipywidgets  # noqa: F401, E401, PLC0415  (ipywidgets: tqdm's bar)
    except ImportError as e:
      raise absltest.SkipTest(f"{e}: pip install -e '.[test]' to run the notebooks") from None

  @parameterized.named_parameters(NAMED)
  def test_runs_top_to_bottom(self, name):
    import nbclient  # noqa: PLC0415
    import nbformat  # noqa: PLC0415
    with tempfile.TemporaryDirectory() as tmp:
      env = {**os.environ, "PYTHONPATH": os.pathsep.join(
                 [ROOT, os.path.join(ROOT, "experiments"), os.environ.get("PYTHONPATH", "")]),
             "JAX_PLATFORMS": "cpu", "XLA_FLAGS": conftest.xla_flags(2),
             "JAX_NUMPY_RANK_PROMOTION": "raise", "MPLBACKEND": "Agg",
             "RNNJAX_DATA_DIR": os.path.join(tmp, "cache")}
      entry = None
      if name == "quickstart":
        env["RNNJAX_NOTEBOOK_STEPS"] = "2"
      else:
        entry = fixture_entry(name)
        data_flags = entry["fixture"](os.path.join(tmp, "data"))
        env["RNNJAX_NOTEBOOK_ARGS"] = " ".join(
            [*entry["flags"], *(f"--{k}={v}" for k, v in data_flags.items()),
             f"--workdir={os.path.join(tmp, 'workdir')}"])
      with open(os.path.join(COLAB, name + ".ipynb")) as f:
        notebook = nbformat.read(f, as_version=4)
      client = nbclient.NotebookClient(notebook, timeout=TIMEOUT_S, kernel_name="python3",
                                       resources={"metadata": {"path": tmp}})
      try:
        client.execute(env=env)
      except nbclient.exceptions.CellExecutionError as e:
        self.fail(f"{name}.ipynb failed:\n{str(e)[-4000:]}")
      text = outputs_text(notebook)
      self.assertRegex(text, r"on cpu: 2 device\(s\)")
      self.assertIn("step 0002 : loss is", text)          # absl's progress lines are visible
      images = [o for c in notebook.cells for o in c.get("outputs", [])
                if "image/png" in o.get("data", {})]
      self.assertNotEmpty(images, "the notebook shows its figures")
      if entry is not None:
        for line in entry["log_lines"]:
          self.assertIn(line, text)
        for output in entry["outputs"]:
          self.assertTrue(os.path.exists(os.path.join(tmp, "workdir", output)), output)
    bars = [o for c in notebook.cells for o in c.get("outputs", [])   # tqdm's notebook bar
            if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    self.assertNotEmpty(bars, "the training cell shows a progress bar")


if __name__ == "__main__":
  absltest.main()
