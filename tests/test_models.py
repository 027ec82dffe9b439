"""The --model presets and the classifier head: shapes, parameter counts, readouts."""
import jax
import jax.numpy as jnp
import numpy as np
from absl.testing import absltest, parameterized

from rnnjax import layers, models

B, T, D, C, H = 3, 6, 4, 5, 8
XS = jax.random.normal(jax.random.key(0), (B, T, D))
LENGTHS = jnp.array([6, 2, 4])


def _count(params) -> int:
  return sum(x.size for x in jax.tree.leaves(params))


class PresetTest(parameterized.TestCase):

  @parameterized.parameters(*models.MODELS)
  def test_every_preset_gives_logits(self, name):
    model = models.build(name, num_classes=C, hidden_size=H, num_layers=3)
    # Shapes through tracing only (values: tests/test_options.py, test_block_models.py).
    logits = jax.eval_shape(lambda: model.apply(model.init(jax.random.key(1), XS, LENGTHS), XS,
                                                LENGTHS))
    self.assertEqual(logits.shape, (B, C))

  def test_parameter_counts_of_the_har_presets(self):
    # LSTM(32) on 9 channels: 4 * (9*32 + 32*32 + 32) = 5,376; Dense(32 -> 6) 198.
    xs, lengths = jnp.zeros((2, 128, 9)), jnp.full((2,), 128)
    counts = {name: _count(jax.eval_shape(models.build(name, num_classes=6).init,  # shapes only
                                          jax.random.key(0), xs, lengths)["params"])
              for name in ("lstm", "bilstm", "lstm2", "gru")}
    self.assertEqual(counts["lstm"], 5376 + 198)
    self.assertEqual(counts["bilstm"], 2 * 5376 + 64 * 6 + 6)
    self.assertEqual(counts["lstm2"], 5376 + 4 * (32 * 32 + 32 * 32 + 32) + 198)
    self.assertEqual(counts["gru"], 3 * (9 * 32 + 32 * 32 + 2 * 32) + 198)   # reset-after biases

  def test_layer_count_is_the_presets_depth(self):
    self.assertEqual([models.layer_count(n, 3) for n in ("bilstm", "lstm", "lstm2", "multigru")],
                     [1, 1, 2, 3])

  def test_unknown_preset_and_readout_are_errors(self):
    with self.assertRaisesRegex(ValueError, "bilstm"):
      models.build("transformer", num_classes=C)
    with self.assertRaisesRegex(ValueError, "readout"):
      models.build("lstm", num_classes=C, readout="median")


def _check_pooled_readout(readout, pool, xs=XS):
  """A bilstm with `readout` on xs gives Dense(pool(its encoder's outputs over the first
  lengths[b] steps of row b, computed on XS)); returns (model, params)."""
  model = models.build("bilstm", num_classes=C, hidden_size=H, readout=readout)
  params = model.init(jax.random.key(2), XS, LENGTHS)["params"]
  logits = model.apply({"params": params}, xs, LENGTHS)
  encoder = layers.Bidirectional(model.encoder.forward_cell, model.encoder.backward_cell)
  ys = encoder.apply({"params": params["encoder"]}, XS, LENGTHS)                # [B, T, 2H]
  dense = params["classifier"]
  for b, n in enumerate(np.asarray(LENGTHS)):
    expected = pool(ys[b, :n]) @ dense["kernel"] + dense["bias"]
    np.testing.assert_allclose(logits[b], expected, rtol=1e-5, atol=1e-6)
  return model, params


class ReadoutTest(absltest.TestCase):

  def test_mean_readout_is_the_masked_mean_of_the_outputs(self):
    _check_pooled_readout("mean", lambda ys: ys.mean(0))

  def test_mean_readout_ignores_padding(self):
    model = models.build("gru", num_classes=C, hidden_size=H, readout="mean")
    params = model.init(jax.random.key(3), XS, LENGTHS)["params"]
    noisy = XS.at[1, 2:].set(100.0)                                 # beyond row 1's length 2
    np.testing.assert_allclose(model.apply({"params": params}, XS, LENGTHS),
                               model.apply({"params": params}, noisy, LENGTHS), rtol=1e-6)

  def test_max_readout_is_the_maximum_over_the_valid_steps_and_ignores_padding(self):
    noisy = XS.at[1, 2:].set(jnp.nan)                               # beyond row 1's length 2
    model, params = _check_pooled_readout("max", lambda ys: ys.max(0), noisy)
    grads = jax.grad(lambda x: model.apply({"params": params}, x, LENGTHS).sum())(noisy)
    self.assertTrue(np.all(np.isfinite(grads)))
    np.testing.assert_array_equal(grads[1, 2:], 0.0)

  def test_max_of_a_row_of_length_zero_is_zero(self):
    ys = jnp.arange(12.0).reshape(2, 3, 2) - 20.0                   # all negative
    np.testing.assert_array_equal(models.masked_max(ys, jnp.array([2, 0])),
                                  [[-18.0, -17.0], [0.0, 0.0]])

  def test_token_ids_are_embedded_first(self):
    model = models.build("lstm", num_classes=1, hidden_size=H, vocab_size=20, embed_dim=6)
    tokens = jnp.array([[3, 4, 5, 0], [7, 0, 0, 0]])
    params = model.init(jax.random.key(4), tokens, jnp.array([3, 1]))["params"]
    self.assertEqual(params["embedding"]["embedding"].shape, (20, 6))
    self.assertEqual(model.apply({"params": params}, tokens, jnp.array([3, 1])).shape, (2, 1))


class PersistenceSkipTest(absltest.TestCase):

  def test_skip_adds_the_feature_at_each_rows_last_valid_step(self):
    model = models.build("gru", num_classes=1, hidden_size=H, skip_feature=2)
    params = model.init(jax.random.key(5), XS, LENGTHS)["params"]
    plain = models.build("gru", num_classes=1, hidden_size=H)
    last = np.asarray(XS)[np.arange(B), np.asarray(LENGTHS) - 1, 2]            # [B]
    np.testing.assert_allclose(model.apply({"params": params}, XS, LENGTHS)[:, 0],
                               plain.apply({"params": params}, XS, LENGTHS)[:, 0] + last,
                               rtol=1e-6, atol=1e-6)
    # A zero head is the naive forecast "the next value is the last one observed".
    zero = {**params, "classifier": jax.tree.map(jnp.zeros_like, params["classifier"])}
    np.testing.assert_allclose(model.apply({"params": zero}, XS, LENGTHS)[:, 0], last, rtol=0)
    np.testing.assert_allclose(model.apply({"params": zero}, XS)[:, 0], XS[:, -1, 2], rtol=0)
    # A row of length 0 observed nothing: the skip adds 0, and its (NaN) padding is never read.
    empty = XS.at[1].set(jnp.nan)
    got = model.apply({"params": zero}, empty, jnp.array([6, 0, 4]))[:, 0]
    np.testing.assert_allclose(got, [last[0], 0.0, last[2]], rtol=0)

  def test_skip_needs_a_feature_of_float_inputs(self):
    with self.assertRaisesRegex(ValueError, "skip_feature=4 must index the D features"):
      model = models.build("gru", num_classes=1, hidden_size=H, skip_feature=D)
      model.init(jax.random.key(0), XS, LENGTHS)
    with self.assertRaisesRegex(ValueError, "token ids"):
      model = models.build("gru", num_classes=1, hidden_size=H, skip_feature=0, vocab_size=9)
      model.init(jax.random.key(0), jnp.zeros((2, 3), jnp.int32), jnp.array([3, 1]))


if __name__ == "__main__":
  absltest.main()
