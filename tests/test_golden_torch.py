"""rnnjax against golden values from PyTorch's nn.RNN, nn.LSTM and nn.GRU (tests/golden/*.npz).

torch computed the goldens in float64. The files hold the weights already converted to rnnjax's
parameter layout (see tests/golden/README.md). torch is not imported here. Each case runs in
float32 on the default "auto" path, which is what users run, at the 1e-5 tolerance. It also runs
in float64 under `jax.enable_x64`, on both the "auto" path and the "scan" reference, at 1e-10.
There, any real difference in the equations or in the padding semantics is far above rounding
(observed errors: about 1e-7 in float32 and 3e-16 in float64).
"""
import glob
import os

from absl.testing import absltest
from absl.testing import parameterized
import jax
import jax.numpy as jnp
import numpy as np

from rnnjax import cells
from rnnjax import layers

GOLDEN_DIR = os.path.join(os.path.dirname(__file__), "golden")
REGENERATE = "pip install torch==2.13.0; python tests/golden/make_golden.py"
CASES = ("rnn_tanh", "rnn_relu", "lstm", "lstm_proj", "gru", "lstm_bi_2layer", "gru_bi_2layer",
         "packed_lstm_bi", "packed_gru", "packed_rnn_tanh")
TOLERANCE = {"float32": 1e-5, "float64": 1e-10}
# (dtype, implementation): users' float32 on the default path; both paths strictly in float64.
VARIANTS = (("float32", "auto"), ("float64", "auto"), ("float64", "scan"))
NUM_GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def load_golden(name: str) -> dict[str, np.ndarray]:
  """The arrays of tests/golden/<name>.npz; a missing file is an error, never a skip."""
  path = os.path.join(GOLDEN_DIR, f"{name}.npz")
  if not os.path.exists(path):
    raise FileNotFoundError(f"golden file {path} is missing; regenerate it with: {REGENERATE}")
  with np.load(path) as f:
    return {k: f[k] for k in f.files}


def directions(g) -> tuple[str, ...]:
  return ("forward", "backward") if g["bidirectional"] else ("forward",)


def make_cell(g, dtype):
  kind = str(g["cell"])
  hidden = g["layer0/forward/input/bias"].shape[0] // NUM_GATES[kind]   # H
  if kind.startswith("rnn"):
    return cells.SimpleRNNCell(hidden, activation=kind[4:], param_dtype=dtype)
  if kind == "lstm":
    return cells.LSTMCell(hidden, proj_size=int(g["proj_size"]) or None, param_dtype=dtype)
  return cells.GRUCell(hidden, param_dtype=dtype)


def make_layer(g, dtype, implementation: str):
  """The rnnjax layer matching the torch module: Recurrent, Bidirectional or Stacked."""
  kw = dict(return_state=True, implementation=implementation)
  if int(g["num_layers"]) > 1:
    layer_cells = [make_cell(g, dtype) for _ in range(int(g["num_layers"]))]
    return layers.Stacked(layer_cells, bidirectional=bool(g["bidirectional"]), **kw)
  if g["bidirectional"]:
    return layers.Bidirectional(make_cell(g, dtype), make_cell(g, dtype), **kw)
  return layers.Recurrent(make_cell(g, dtype), **kw)


def golden_params(g, dtype) -> dict:
  """Nests the `layer{l}/{direction}/<path>` arrays as the layer's params."""
  per_layer = []
  for layer in range(int(g["num_layers"])):
    dirs = {}
    for direction in directions(g):
      prefix, cell = f"layer{layer}/{direction}/", {}
      for key in (k for k in g if k.startswith(prefix)):
        *parents, leaf = key[len(prefix):].split("/")
        node = cell
        for part in parents:
          node = node.setdefault(part, {})
        node[leaf] = jnp.asarray(g[key], dtype)
      dirs[direction] = {"cell": cell}
    per_layer.append(dirs if g["bidirectional"] else dirs["forward"])
  if len(per_layer) > 1:
    return {f"layer_{l}": p for l, p in enumerate(per_layer)}
  return per_layer[0]


def nest_states(g, flat: list):
  """torch's order (index layer*dirs + direction) -> rnnjax's nesting of states."""
  num_dirs = len(directions(g))
  per_layer = [tuple(flat[l * num_dirs:(l + 1) * num_dirs]) if num_dirs == 2 else flat[l]
               for l in range(int(g["num_layers"]))]
  return per_layer if len(per_layer) > 1 else per_layer[0]


def flatten_states(g, nested) -> list:
  """rnnjax's nesting of final states -> a list in torch's h_n order."""
  per_layer = nested if int(g["num_layers"]) > 1 else [nested]
  return [s for layer in per_layer for s in (layer if g["bidirectional"] else (layer,))]


def initial_state(g, dtype):
  if "h0" not in g:
    return None
  h0 = jnp.asarray(g["h0"], dtype)                                      # [L*dirs, B, H|P]
  if "c0" in g:
    c0 = jnp.asarray(g["c0"], dtype)                                    # [L*dirs, B, H]
    flat = [cells.LSTMState(h=h0[k], c=c0[k]) for k in range(h0.shape[0])]
  else:
    flat = [cells.HiddenState(h=h0[k]) for k in range(h0.shape[0])]
  return nest_states(g, flat)


def run_case(name: str, dtype, implementation: str = "auto"):
  """Loads a golden case and runs rnnjax on it -> (golden, h_n, c_n or None, outputs)."""
  g = load_golden(name)
  layer = make_layer(g, dtype, implementation)
  params = golden_params(g, dtype)
  apply = jax.jit(layer.apply)                                          # one compile per case
  final, out = apply({"params": params}, jnp.asarray(g["x"], dtype), jnp.asarray(g["lengths"]),
                     initial_state(g, dtype))
  flat = flatten_states(g, final)
  h_n = np.stack([s.h for s in flat])                                   # [L*dirs, B, H|P]
  c_n = np.stack([s.c for s in flat]) if "c_n" in g else None           # [L*dirs, B, H]
  return g, h_n, c_n, np.asarray(out)


class TorchGoldenTest(parameterized.TestCase):

  @parameterized.named_parameters(
      (f"{name}_{dtype}_{impl}", name, dtype, impl)
      for name in CASES for dtype, impl in VARIANTS)
  def test_matches_torch(self, name, dtype, implementation):
    with jax.enable_x64(dtype == "float64"):
      g, h_n, c_n, out = run_case(name, jnp.dtype(dtype), implementation)
      self.assertEqual(out.dtype, jnp.dtype(dtype))
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(out, g["output"], rtol=tol, atol=tol, err_msg="outputs")
    np.testing.assert_allclose(h_n, g["h_n"], rtol=tol, atol=tol, err_msg="h_n")
    if "c_n" in g:
      np.testing.assert_allclose(c_n, g["c_n"], rtol=tol, atol=tol, err_msg="c_n")

  @parameterized.named_parameters((name, name) for name in CASES)
  def test_golden_params_match_init_layout(self, name):
    g = load_golden(name)
    layer, params = make_layer(g, jnp.float32, "auto"), golden_params(g, jnp.float32)
    init = jax.eval_shape(layer.init, jax.random.key(0), jnp.asarray(g["x"], jnp.float32),
                          jnp.asarray(g["lengths"]))["params"]             # shapes only
    self.assertEqual(jax.tree.structure(params), jax.tree.structure(init))
    self.assertEqual(jax.tree.map(jnp.shape, params), jax.tree.map(jnp.shape, init))

  def test_golden_outputs_past_each_length_are_zero(self):
    for name in (n for n in CASES if n.startswith("packed")):
      g = load_golden(name)
      past_end = np.arange(g["x"].shape[1])[None, :] >= g["lengths"][:, None]   # [B, T]
      self.assertTrue(past_end.any(), name)
      self.assertFalse(np.any(g["output"][past_end]), name)

  def test_every_golden_file_is_tested(self):
    found = {os.path.basename(p)[:-4] for p in glob.glob(os.path.join(GOLDEN_DIR, "*.npz"))}
    self.assertEqual(found, set(CASES), f"regenerate with: {REGENERATE}")


if __name__ == "__main__":
  absltest.main()
