"""rnnjax.convert against torch and Keras 3 layers stored in tests/golden/convert/*.npz.

The files hold each layer's weights exactly as the framework gives them and its outputs and
final states on variable-length inputs (torch packed sequences, Keras masks), computed in float64
(tests/golden/README.md, "Converter goldens"). Neither framework is imported: the modules and
layers are stood in for by duck-typed objects holding the stored settings and weights.
"""
import os
import types

from absl.testing import absltest
from absl.testing import parameterized
import jax
import jax.numpy as jnp
import numpy as np

from rnnjax import cells, convert, layers
from rnnjax.cells import HiddenState, LSTMState

GOLDEN_DIR = os.path.join(os.path.dirname(__file__), "golden", "convert")
REGENERATE = "KERAS_BACKEND=jax python tests/golden/make_convert_golden.py (torch 2.13.0, keras 3)"
TORCH_CASES = ("torch_rnn_tanh", "torch_rnn_relu_2layer", "torch_rnn_tanh_bi", "torch_lstm",
               "torch_lstm_proj", "torch_lstm_proj_bi_2layer", "torch_lstm_nobias_seqfirst",
               "torch_gru", "torch_gru_bi_2layer")
KERAS_CASES = ("keras_simple_rnn", "keras_simple_rnn_relu", "keras_lstm", "keras_lstm_nobias_last",
               "keras_gru", "keras_gru_reset_before", "keras_bi_lstm",
               "keras_bi_gru_reset_before_sum", "keras_bi_simple_rnn_ave", "keras_lstm_stack")
TOLERANCE = {"float32": 1e-5, "float64": 1e-10}
# The "auto" time loop (users' default) on a few cases; the "static" implementation elsewhere: it
# gives the same numbers (tests/test_layers.py) and runs eagerly ~20x faster than a fresh scan.
AUTO_CASES = ("torch_lstm", "torch_gru", "torch_rnn_tanh_bi", "keras_gru_reset_before", "keras_lstm")


def named(cases):
  return [(name, name) for name in cases]


def with_dtypes(cases):
  return [(f"{name}_{dtype}", name, dtype) for name in cases for dtype in TOLERANCE]


def load(name: str) -> dict:
  path = os.path.join(GOLDEN_DIR, f"{name}.npz")
  if not os.path.exists(path):
    raise FileNotFoundError(f"golden file {path} is missing; regenerate it with: {REGENERATE}")
  with np.load(path) as f:
    return {k: f[k] for k in f.files}


def torch_state(g) -> dict:
  return {k: g[f"torch/{k}"] for k in g["torch_keys"]}


def torch_module(g):
  """A stand-in for the torch module: its settings and `state_dict()`."""
  mode = str(g["mode"])
  return types.SimpleNamespace(
      state_dict=lambda: torch_state(g), mode=mode, num_layers=int(g["num_layers"]),
      bidirectional=bool(g["bidirectional"]), proj_size=int(g["proj_size"]),
      bias=bool(g["bias"]), batch_first=bool(g["batch_first"]), dropout=0.0,
      nonlinearity=mode[4:].lower() if mode.startswith("RNN") else None)


def keras_weights(g, index: int) -> list:
  count = sum(k.startswith(f"keras/{index}/") for k in g)
  return [g[f"keras/{index}/{j}"] for j in range(count)]


def _with(obj, attrs: dict):
  for k, v in attrs.items():
    setattr(obj, k, v)
  return obj


def _fake(class_name: str, **attrs):
  """An object of a new class named `class_name` (the converters read Keras' class names)."""
  return _with(type(class_name, (), {})(), attrs)


def keras_layer(g, index: int):
  """A stand-in for Keras layer `index`: an object of a class with the Keras class' name."""
  meta = {k.split("/")[-1]: g[k].item() for k in g if k.startswith(f"meta/{index}/")}
  weights = keras_weights(g, index)
  settings = {k: v for k, v in meta.items() if k not in ("class", "bidirectional", "merge_mode")}
  if not meta["bidirectional"]:
    return _fake(meta["class"], get_weights=lambda: weights, **settings)
  half = len(weights) // 2
  forward = _fake(meta["class"], get_weights=lambda: weights[:half], **settings)
  backward = _fake(meta["class"], get_weights=lambda: weights[half:],
                   **dict(settings, go_backwards=True))
  return _fake("Bidirectional", get_weights=lambda: weights, forward_layer=forward,
               backward_layer=backward, merge_mode=meta["merge_mode"])


def keras_source(g):
  layers_ = [keras_layer(g, i) for i in range(int(g["num_keras_layers"]))]
  return layers_ if len(layers_) > 1 else layers_[0]


def flat_states(states, layer) -> list:
  """rnnjax final states -> a list in torch's / Keras' order (layer, then direction)."""
  per_layer = states if isinstance(layer, layers.Stacked) else [states]
  bidirectional = isinstance(layer, layers.Bidirectional) or getattr(layer, "bidirectional", False)
  return [s for ls in per_layer for s in (ls if bidirectional else (ls,))]


def cast(tree, dtype):
  return jax.tree.map(lambda a: jnp.asarray(a, dtype), tree)


def check_torch(g, dtype="float32", implementation="static", params=None, **options):
  """Runs the converted torch module in rnnjax; asserts torch's outputs, h_n and c_n."""
  layer, converted = convert.layer_from_torch(torch_module(g), return_state=True,
                                              param_dtype=dtype, implementation=implementation,
                                              **options)
  xs = jnp.asarray(g["x"], dtype)                                      # [B, T, D]
  if not g["batch_first"]:
    xs = jnp.swapaxes(xs, 0, 1)                                        # [T, B, D]
  initial = None
  if "h0" in g:                                                        # one layer, one direction
    h0 = jnp.asarray(g["h0"][0], dtype)
    initial = LSTMState(h0, jnp.asarray(g["c0"][0], dtype)) if "c0" in g else HiddenState(h0)
    initial = [initial] if isinstance(layer, layers.Stacked) else initial
  params = converted if params is None else cast(params, dtype)
  states, ys = layer.apply({"params": params}, xs, g["lengths"], initial)
  if not g["batch_first"]:
    ys = jnp.swapaxes(ys, 0, 1)
  states, tol = flat_states(states, layer), TOLERANCE[dtype]
  np.testing.assert_allclose(ys, g["output"], rtol=0, atol=tol)
  np.testing.assert_allclose(np.stack([s.h for s in states]), g["h_n"], rtol=0, atol=tol)
  if "c_n" in g:
    np.testing.assert_allclose(np.stack([s.c for s in states]), g["c_n"], rtol=0, atol=tol)


def check_keras(g, dtype="float32", implementation="static"):
  """Runs the converted Keras layer(s) in rnnjax; asserts Keras' outputs and states."""
  layer, params = convert.layer_from_keras(keras_source(g), return_state=True, param_dtype=dtype,
                                           implementation=implementation)
  initial = None
  if "initial_state/0" in g:
    initial = [jnp.asarray(g[k], dtype) for k in ("initial_state/0", "initial_state/1") if k in g]
    initial = LSTMState(*initial) if len(initial) == 2 else HiddenState(*initial)
  states, ys = layer.apply({"params": params}, jnp.asarray(g["x"], dtype),
                           g["lengths"], initial)
  want, tol = g["output"], TOLERANCE[dtype]
  if ys.ndim == 3 and not isinstance(layer, layers.Bidirectional):
    # A standalone Keras layer repeats its last output on masked steps; rnnjax gives zeros.
    valid = (np.arange(want.shape[1])[None, :] < g["lengths"][:, None])[..., None]   # [B, T, 1]
    np.testing.assert_array_equal(np.asarray(ys)[~valid[..., 0]], 0.0)
    want = np.where(valid, want, 0.0)
  np.testing.assert_allclose(ys, want, rtol=0, atol=tol)
  flat = [a for s in flat_states(states, layer) for a in s]            # h (, c) per direction
  assert len(flat) == int(g["num_states"]), (len(flat), g["num_states"])
  for j, got in enumerate(flat):
    np.testing.assert_allclose(got, g[f"states/{j}"], rtol=0, atol=tol, err_msg=f"state {j}")


class GoldenTest(parameterized.TestCase):

  @parameterized.named_parameters(with_dtypes(TORCH_CASES))
  def test_torch_outputs_and_states_match(self, name, dtype):
    with jax.enable_x64(dtype == "float64"):
      check_torch(load(name), dtype)

  @parameterized.named_parameters(with_dtypes(KERAS_CASES))
  def test_keras_outputs_and_states_match(self, name, dtype):
    with jax.enable_x64(dtype == "float64"):
      check_keras(load(name), dtype)

  @parameterized.named_parameters(named(AUTO_CASES))
  def test_default_implementation_matches(self, name):
    check = check_torch if name.startswith("torch") else check_keras
    check(load(name), "float32", implementation="auto")

  @parameterized.named_parameters(named(TORCH_CASES + KERAS_CASES))
  def test_params_match_layer_init(self, name):
    g = load(name)
    if name.startswith("torch"):
      layer, params = convert.layer_from_torch(torch_module(g))
    else:
      layer, params = convert.layer_from_keras(keras_source(g))
    xs = jnp.asarray(g["x"])
    if name.startswith("torch") and not g["batch_first"]:
      xs = jnp.swapaxes(xs, 0, 1)
    init = jax.eval_shape(layer.init, jax.random.key(0), xs)["params"]
    self.assertEqual(jax.tree.structure(init), jax.tree.structure(params))
    self.assertEqual(jax.tree.map(lambda a: (a.shape, a.dtype), init),
                     jax.tree.map(lambda a: (a.shape, a.dtype), params))


class RoundTripTest(parameterized.TestCase):

  def assert_identical(self, got, want):
    self.assertEqual(list(got), list(want))                            # keys and their order
    for k in want:
      self.assertEqual(got[k].dtype, want[k].dtype, k)
      np.testing.assert_array_equal(got[k], want[k], err_msg=k)

  @parameterized.named_parameters(named(TORCH_CASES))
  def test_torch_round_trip_is_identical(self, name):
    g = load(name)
    bias = bool(g["bias"])
    for source in (torch_module(g), torch_state(g)):                   # module or state dict
      self.assert_identical(convert.to_torch(convert.from_torch(source), bias=bias),
                            torch_state(g))
    prefixed = {f"rnn.{k}": v for k, v in torch_state(g).items()}
    prefixed["head.weight"] = np.zeros((2, 2))
    back = convert.to_torch(convert.from_torch(prefixed, prefix="rnn."), bias=bias, prefix="rnn.")
    self.assert_identical(back, {k: v for k, v in prefixed.items() if k.startswith("rnn.")})

  @parameterized.named_parameters(named(KERAS_CASES))
  def test_keras_round_trip_is_identical(self, name):
    g = load(name)
    per_layer = [keras_weights(g, i) for i in range(int(g["num_keras_layers"]))]
    use_bias = bool(g["meta/0/use_bias"])
    sources = [keras_source(g), per_layer if len(per_layer) > 1 else per_layer[0]]
    for source in sources:                                             # layers or weight lists
      back = convert.to_keras(convert.from_keras(source), use_bias=use_bias)
      back = back if len(per_layer) > 1 else [back]
      for got, want in zip(back, per_layer, strict=True):
        self.assert_identical(dict(enumerate(got)), dict(enumerate(want)))

  def test_torch_biases_summed_for_plain_cells(self):
    g = load("torch_lstm")
    params = convert.from_torch(torch_state(g), recurrent_bias=False)
    self.assertNotIn("recurrent_bias", params["cell"])
    np.testing.assert_array_equal(params["cell"]["input"]["bias"],
                                  g["torch/bias_ih_l0"] + g["torch/bias_hh_l0"])
    layer = layers.Recurrent(cells.LSTMCell(4), return_state=True)
    initial = LSTMState(jnp.asarray(g["h0"][0]), jnp.asarray(g["c0"][0]))
    _, ys = layer.apply({"params": params}, g["x"], g["lengths"], initial)
    np.testing.assert_allclose(ys, g["output"], rtol=0, atol=1e-5)
    state = convert.to_torch(params)
    np.testing.assert_array_equal(state["bias_hh_l0"], 0.0)
    np.testing.assert_array_equal(state["bias_ih_l0"], params["cell"]["input"]["bias"])

  @parameterized.named_parameters(named(("torch_gru", "torch_gru_bi_2layer", "torch_rnn_tanh_bi",
                                         "torch_lstm_nobias_seqfirst")))
  def test_torch_to_keras_and_back(self, name):
    g = load(name)
    params = convert.from_torch(torch_state(g), stacked=True)
    again = convert.from_keras(convert.to_keras(params), stacked=True)
    if name.startswith("torch_gru"):                                   # one-to-one: identical
      jax.tree.map(np.testing.assert_array_equal, again, params)
    check_torch(g, params=again, stacked=True, recurrent_bias=False)   # LSTM/RNN: summed biases


def init_params(cell):
  """The params tree of Recurrent(cell) on D=3 inputs, every entry 0.5 (no initialiser run)."""
  shapes = jax.eval_shape(layers.Recurrent(cell).init, jax.random.key(0), jnp.ones((1, 2, 3)))
  return jax.tree.map(lambda s: np.full(s.shape, 0.5, s.dtype), shapes["params"])


def _lstm_params(**options):
  return init_params(cells.LSTMCell(4, **options))


class ErrorTest(parameterized.TestCase):

  def keras_lstm(self, **attrs):
    g = load("keras_lstm")
    return _with(keras_layer(g, 0), attrs)

  @parameterized.named_parameters(
      ("activation", dict(activation="relu"), "activation='relu'"),
      ("recurrent_activation", dict(recurrent_activation="hard_sigmoid"),
       "recurrent_activation='hard_sigmoid'"))
  def test_keras_activation_is_refused(self, attrs, message):
    with self.assertRaisesRegex(ValueError, message):
      convert.from_keras(self.keras_lstm(**attrs))

  def test_keras_layer_options_are_refused(self):
    with self.assertRaisesRegex(ValueError, "go_backwards=True"):
      convert.layer_from_keras(self.keras_lstm(go_backwards=True))
    with self.assertRaisesRegex(ValueError, "ignore_dropout=True"):
      convert.layer_from_keras(self.keras_lstm(dropout=0.25))
    layer, _ = convert.layer_from_keras(self.keras_lstm(dropout=0.25, recurrent_dropout=0.5),
                                        ignore_dropout=True)
    self.assertEqual(layer.recurrent_dropout, 0.5)
    bi = keras_layer(load("keras_bi_lstm"), 0)
    with self.assertRaisesRegex(ValueError, "merge_mode=None"):
      convert.layer_from_keras(_with(bi, dict(merge_mode=None)))
    with self.assertRaisesRegex(ValueError, "ConvLSTM2D is not supported"):
      convert.from_keras(_fake("ConvLSTM2D", get_weights=lambda: []))

  def test_keras_weight_list_of_wrong_length(self):
    with self.assertRaisesRegex(ValueError, "got 5 arrays"):
      convert.from_keras([np.zeros((3, 4))] * 5)

  def test_torch_state_dict_problems(self):
    state = torch_state(load("torch_lstm"))
    with self.assertRaisesRegex(ValueError, "prefix='rnn.'"):
      convert.from_torch({f"rnn.{k}": v for k, v in state.items()})
    module = _with(torch_module(load("torch_lstm")), dict(num_layers=2))
    with self.assertRaisesRegex(ValueError, "module.num_layers=2"):
      convert.from_torch(module)
    with self.assertRaisesRegex(ValueError, "nonlinearity='tanh' or 'relu'"):
      convert.layer_from_torch(torch_state(load("torch_rnn_tanh")))
    layer, _ = convert.layer_from_torch(torch_state(load("torch_rnn_relu_2layer")),
                                        nonlinearity="relu")
    self.assertEqual(layer.cells[1].activation, "relu")
    with self.assertRaisesRegex(ValueError, "mode 'LSTM_PEEPHOLE'"):
      convert.from_torch(_with(torch_module(load("torch_lstm")), dict(mode="LSTM_PEEPHOLE")))

  def test_to_torch_refusals(self):
    params = init_params(cells.GRUCell(4, reset_after=False))
    with self.assertRaisesRegex(ValueError, "reset_after=False"):
      convert.to_torch(params)
    with self.assertRaisesRegex(ValueError, "bias=False"):
      convert.to_torch(_lstm_params(), bias=False)
    with self.assertRaisesRegex(ValueError, "use_bias=False"):
      convert.to_keras(_lstm_params(), use_bias=False)
    with self.assertRaisesRegex(ValueError, "proj_size"):
      convert.to_keras(_lstm_params(proj_size=2))

  @parameterized.named_parameters(("peepholes", dict(peepholes=True), "peepholes=True"),
                                  ("layer_norm", dict(layer_norm=True), "layer_norm=True"))
  def test_unconvertible_cells(self, options, message):
    for to in (convert.to_torch, convert.to_keras):
      with self.assertRaisesRegex(ValueError, message):
        to(_lstm_params(**options))


if __name__ == "__main__":
  absltest.main()
