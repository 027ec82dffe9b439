"""Every cell against a numpy transcription of its equations, its gradients, its layout."""
import functools

from absl.testing import absltest, parameterized
import flax.linen as nn
import jax
import jax.numpy as jnp
from jax.test_util import check_grads
import numpy as np

from rnnjax import cells, layers, summary
from rnnjax.layers import Embedding
import reference

B, T, D, H, P = 3, 7, 5, 4, 3
LENGTHS = np.array([T, 4, 1])

# name -> (cell factory, numpy step)
CONFIGS = {
    "rnn_tanh": (lambda **k: cells.SimpleRNNCell(H, **k), reference.simple_step),
    "rnn_relu": (lambda **k: cells.SimpleRNNCell(H, activation="relu", **k),
                 functools.partial(reference.simple_step, activation="relu")),
    "lstm": (lambda **k: cells.LSTMCell(H, **k), reference.lstm_step),
    "lstm_peepholes": (lambda **k: cells.LSTMCell(H, peepholes=True, **k), reference.lstm_step),
    "lstm_projection": (lambda **k: cells.LSTMCell(H, proj_size=P, **k), reference.lstm_step),
    "lstm_layer_norm": (lambda **k: cells.LSTMCell(H, layer_norm=True, **k), reference.lstm_step),
    "lstm_all_options": (lambda **k: cells.LSTMCell(H, peepholes=True, proj_size=P,
                                                    layer_norm=True, **k), reference.lstm_step),
    "gru_reset_after": (lambda **k: cells.GRUCell(H, **k), reference.gru_step),
    "gru_reset_before": (lambda **k: cells.GRUCell(H, reset_after=False, **k), reference.gru_step),
    "gru_reset_after_layer_norm": (lambda **k: cells.GRUCell(H, layer_norm=True, **k),
                                   reference.gru_step),
    "gru_reset_before_layer_norm": (
        lambda **k: cells.GRUCell(H, reset_after=False, layer_norm=True, **k), reference.gru_step),
}
NAMES = sorted(CONFIGS)


def randomize(params, key, scale=0.5):
  """Random values for every parameter, so zero-initialised options (peepholes) matter."""
  leaves, tree = jax.tree.flatten(params)
  keys = jax.random.split(key, len(leaves))
  return jax.tree.unflatten(tree, [scale * jax.random.normal(k, l.shape, l.dtype)
                                   for k, l in zip(keys, leaves)])


def to_numpy(tree):
  return jax.tree.map(np.asarray, tree)


class CellEquationsTest(parameterized.TestCase):

  @parameterized.named_parameters((n, n) for n in NAMES)
  def test_matches_numpy_equations_in_float64(self, name):
    make_cell, numpy_step = CONFIGS[name]
    with jax.enable_x64(True):
      layer = layers.Recurrent(make_cell(param_dtype=jnp.float64), return_state=True)
      xs = jax.random.normal(jax.random.key(0), (B, T, D), jnp.float64)
      params = randomize(layer.init(jax.random.key(1), xs)["params"], jax.random.key(2))
      final, ys = layer.apply({"params": params}, xs, LENGTHS)
      state0 = tuple(np.zeros((B, s.shape[-1])) for s in final)
      want_ys, want_final = reference.run(numpy_step, to_numpy(params["cell"]), np.asarray(xs),
                                          LENGTHS, state0)
      self.assertEqual(ys.dtype, jnp.float64)
      np.testing.assert_allclose(ys, want_ys, rtol=1e-6, atol=1e-6)
      for got, want in zip(final, want_final):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)

  @parameterized.named_parameters((n, n) for n in NAMES)
  def test_step_gradients_match_finite_differences(self, name):
    make_cell, _ = CONFIGS[name]
    with jax.enable_x64(True):
      cell = make_cell(param_dtype=jnp.float64)
      xs = jax.random.normal(jax.random.key(0), (B, D), jnp.float64)
      variables = cell.init(jax.random.key(1), xs, method="project_inputs")
      params = randomize(variables["params"], jax.random.key(2))
      bound = cell.bind({"params": params})
      gx, weights, step = bound.project_inputs(xs), bound.weights(), bound.step
      state = jax.tree.map(lambda s: 0.3 * jnp.ones_like(s), bound.initial_state(B))
      check_grads(lambda w, s, g: step(w, s, g), (weights, state, gx), order=1,
                  modes=["rev"], atol=1e-6, rtol=1e-6)
      check_grads(lambda p: cell.apply({"params": p}, xs, method="project_inputs"), (params,),
                  order=1, modes=["rev"], atol=1e-6, rtol=1e-6)


class CellLayoutTest(parameterized.TestCase):

  def _params(self, cell, d=D):
    return cell.init(jax.random.key(0), jnp.ones((1, d)), method="project_inputs")["params"]

  @parameterized.named_parameters(
      ("lstm", cells.LSTMCell(H), {"input": {"kernel": (D, 4 * H), "bias": (4 * H,)},
                                   "recurrent_kernel": (H, 4 * H)}),
      ("lstm_projection", cells.LSTMCell(H, proj_size=P),
       {"input": {"kernel": (D, 4 * H), "bias": (4 * H,)}, "recurrent_kernel": (P, 4 * H),
        "projection_kernel": (H, P)}),
      ("gru", cells.GRUCell(H), {"input": {"kernel": (D, 3 * H), "bias": (3 * H,)},
                                 "recurrent_kernel": (H, 3 * H), "recurrent_bias": (3 * H,)}),
      ("gru_reset_before", cells.GRUCell(H, reset_after=False),
       {"input": {"kernel": (D, 3 * H), "bias": (3 * H,)}, "recurrent_kernel": (H, 3 * H)}),
      ("rnn", cells.SimpleRNNCell(H), {"input": {"kernel": (D, H), "bias": (H,)},
                                       "recurrent_kernel": (H, H)}),
  )
  def test_fused_parameter_layout(self, cell, shapes):
    self.assertEqual(jax.tree.map(jnp.shape, self._params(cell)), shapes)

  def test_lstm_forget_bias_is_set_at_initialisation(self):
    bias = self._params(cells.LSTMCell(H, forget_bias=1.0))["input"]["bias"]
    np.testing.assert_array_equal(bias, np.r_[np.zeros(H), np.ones(H), np.zeros(2 * H)])

  def test_recurrent_kernel_is_orthogonal(self):
    u = np.asarray(self._params(cells.SimpleRNNCell(H))["recurrent_kernel"])
    np.testing.assert_allclose(u @ u.T, np.eye(H), atol=1e-5)

  @parameterized.named_parameters(
      ("lstm", cells.LSTMCell(32), 8_320),
      ("gru_reset_after", cells.GRUCell(32), 6_336),
      ("gru_reset_before", cells.GRUCell(32, reset_after=False), 6_240),
      ("simple_rnn", cells.SimpleRNNCell(32), 2_080),
  )
  def test_parameter_counts_match_keras(self, cell, count):
    self.assertEqual(sum(x.size for x in jax.tree.leaves(self._params(cell, 32))), count)

  def test_seed_001_embedding_plus_simple_rnn_has_322080_parameters(self):

    class Model(nn.Module):
      @nn.compact
      def __call__(self, ids):
        return layers.Recurrent(cells.SimpleRNNCell(32), return_sequences=False,
                                name="simple_rnn")(Embedding(10_000, 32, name="embedding")(ids))

    variables = Model().init(jax.random.key(0), jnp.zeros((1, 5), jnp.int32))
    counts = summary.param_counts(variables["params"])
    self.assertEqual(counts, {"embedding": 320_000, "simple_rnn": 2_080})
    text = summary.summary(variables)
    self.assertIn("320,000", text)
    self.assertIn("322,080", text)

  def test_unknown_options_fail_clearly(self):
    with self.assertRaisesRegex(ValueError, "activation"):
      self._params(cells.SimpleRNNCell(H, activation="sigmoid"))
    with self.assertRaisesRegex(ValueError, "proj_size"):
      self._params(cells.LSTMCell(H, proj_size=H))
    with self.assertRaisesRegex(ValueError, "kernel_init"):
      self._params(cells.GRUCell(H, kernel_init="zeros"))


if __name__ == "__main__":
  absltest.main()
