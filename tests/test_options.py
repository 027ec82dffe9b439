"""Every documented option is honoured (checked against a reference) or refused clearly:
unroll, initialisers, Embedding's checks, lengths under jit, Bidirectional / Stacked with
initial_state and time_major, Bidirectional's backward last output, the model presets, and the
Jena forecast helpers behind the experiment's figures."""
import functools

from absl.testing import absltest, parameterized
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from rnnjax import cells, layers, models, train
from rnnjax.data import jena, splits
from rnnjax.reports import forecast
import reference
from cell_contract import randomize, to_numpy

B, T, D, H = 3, 7, 5, 4
LENGTHS = np.array([T, 4, 1], np.int32)
XS = np.asarray(jax.random.normal(jax.random.key(0), (B, T, D)))


def init(layer, *args):
  return {"params": randomize(layer.init(jax.random.key(1), *args)["params"], jax.random.key(2))}


def numpy_run(params, reverse, state0, step=reference.lstm_step, lengths=LENGTHS):
  return reference.run(step, to_numpy(params), np.asarray(XS, np.float64), lengths,
                       tuple(np.asarray(s, np.float64) for s in state0), reverse=reverse)


class UnrollTest(absltest.TestCase):

  def test_unroll_runs_the_scan_with_the_same_numbers_and_the_fused_loop_refuses_it(self):
    layer = layers.Recurrent(cells.LSTMCell(H), return_state=True)
    variables = init(layer, XS, LENGTHS)
    want = layer.apply(variables, XS, LENGTHS)
    got = layer.clone(unroll=3).apply(variables, XS, LENGTHS)      # auto -> the scan backend
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
      np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with self.assertRaisesRegex(ValueError, r"do not unroll \(unroll=3\)"):
      layer.clone(unroll=3, implementation="fused").apply(variables, XS, LENGTHS)


class InitialiserTest(parameterized.TestCase):

  def test_glorot_uniform_and_lecun_normal_input_kernels_have_their_ranges(self):
    d, h = 64, 48                                              # kernel [64, 192]: 12,288 draws
    x = jnp.ones((1, d))
    glorot = cells.LSTMCell(h).init(jax.random.key(0), x, method="project_inputs")
    lecun = cells.LSTMCell(h, kernel_init="lecun_normal").init(jax.random.key(0), x,
                                                               method="project_inputs")
    w = np.asarray(glorot["params"]["input"]["kernel"])
    limit = np.sqrt(6 / (d + 4 * h))                          # Glorot & Bengio 2010, uniform
    self.assertLessEqual(np.abs(w).max(), limit)
    self.assertGreater(np.abs(w).max(), 0.99 * limit)
    np.testing.assert_allclose(w.std(), limit / np.sqrt(3), rtol=0.03)
    w = np.asarray(lecun["params"]["input"]["kernel"])        # truncated normal, std 1/sqrt(D)
    np.testing.assert_allclose(w.std(), 1 / np.sqrt(d), rtol=0.05)
    self.assertLessEqual(np.abs(w).max(), 2 / np.sqrt(d) / 0.87962566 + 1e-6)


class EmbeddingTest(absltest.TestCase):

  def test_type_and_range_errors_and_nan_for_traced_ids_out_of_range(self):
    emb = layers.Embedding(5, 3)
    variables = emb.init(jax.random.key(0), jnp.zeros((1, 2), jnp.int32))
    with self.assertRaisesRegex(TypeError, "integer token ids"):
      emb.apply(variables, jnp.zeros((1, 2)))
    with self.assertRaisesRegex(ValueError, r"token ids must lie in \[0, 5\); got \[0, 7\]"):
      emb.apply(variables, np.array([[0, 7]]))
    got = jax.jit(emb.apply)(variables, jnp.array([[4, 9]]))       # traced: cannot be checked
    np.testing.assert_array_equal(got[0, 0], np.asarray(variables["params"]["embedding"])[4])
    self.assertTrue(np.all(np.isnan(got[0, 1])))                     # loud, not another word


class LengthsUnderJitTest(absltest.TestCase):

  def test_traced_lengths_outside_the_range_are_clipped(self):
    layer = layers.Recurrent(cells.GRUCell(H), return_state=True)
    variables = init(layer, XS, LENGTHS)
    got = jax.jit(layer.apply)(variables, XS, jnp.array([T + 3, -2, 4]))
    want = layer.apply(variables, XS, np.array([T, 0, 4]))
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
      np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


class WrapperOptionsTest(parameterized.TestCase):

  @parameterized.parameters(False, True)
  def test_bidirectional_initial_state_and_time_major_match_the_transcription(self, time_major):
    bi = layers.Bidirectional(cells.LSTMCell(H), cells.LSTMCell(H), return_state=True,
                              time_major=time_major)
    xs = np.swapaxes(XS, 0, 1) if time_major else XS
    variables = init(bi, xs, LENGTHS)
    rng = np.random.default_rng(0)
    start = [cells.LSTMState(*(rng.normal(size=(B, H)).astype(np.float32) for _ in range(2)))
             for _ in range(2)]
    (fw, bw), ys = bi.apply(variables, xs, LENGTHS, tuple(start))
    ys = np.swapaxes(ys, 0, 1) if time_major else ys
    for part, state, reverse, out, s0 in (("forward", fw, False, ys[..., :H], start[0]),
                                          ("backward", bw, True, ys[..., H:], start[1])):
      want_ys, want_final = numpy_run(variables["params"][part]["cell"], reverse, s0)
      np.testing.assert_allclose(out, want_ys, rtol=1e-5, atol=1e-5, err_msg=part)
      for got, want in zip(state, want_final):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=part)

  def test_bidirectional_last_output_holds_the_backward_output_at_step_0(self):
    bi = layers.Bidirectional(cells.GRUCell(H), cells.GRUCell(H), return_sequences=False)
    variables = init(bi, XS, LENGTHS)
    last = bi.apply(variables, XS, LENGTHS)                        # [B, 2H]
    zeros = (np.zeros((B, H)),)
    fw_ys, _ = numpy_run(variables["params"]["forward"]["cell"], False, zeros,
                         reference.gru_step)
    bw_ys, _ = numpy_run(variables["params"]["backward"]["cell"], True, zeros,
                         reference.gru_step)
    np.testing.assert_allclose(last[:, :H], fw_ys[np.arange(B), LENGTHS - 1], rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(last[:, H:], bw_ys[:, 0], rtol=1e-5, atol=1e-6)

  @parameterized.parameters(False, True)
  def test_stacked_initial_state_and_time_major_equal_chained_layers(self, time_major):
    stack = layers.Stacked([cells.GRUCell(H), cells.LSTMCell(H)], return_state=True,
                           time_major=time_major)
    xs = np.swapaxes(XS, 0, 1) if time_major else XS
    variables = init(stack, xs, LENGTHS)
    start = [cells.HiddenState(jnp.full((B, H), 0.3)),
             cells.LSTMState(jnp.full((B, H), -0.2), jnp.full((B, H), 0.5))]
    states, ys = stack.apply(variables, xs, LENGTHS, start)
    out = xs
    for index, (cell, s0) in enumerate(zip((cells.GRUCell(H), cells.LSTMCell(H)), start)):
      layer = layers.Recurrent(cell, return_state=True, time_major=time_major)
      state, out = layer.apply({"params": variables["params"][f"layer_{index}"]}, out, LENGTHS,
                               s0)
      for a, b in zip(jax.tree.leaves(state), jax.tree.leaves(states[index])):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(out, ys, rtol=1e-6)


class ResidualTest(absltest.TestCase):

  def test_residual_stack_adds_each_layers_input_and_reads_the_last_output_per_direction(self):
    stack = layers.Stacked([cells.LSTMCell(H)] * 2, bidirectional=True, residual=True)
    variables = init(stack, XS, LENGTHS)
    ys = stack.apply(variables, XS, LENGTHS)                       # [B, T, 2H]
    first = layers.Bidirectional(cells.LSTMCell(H), cells.LSTMCell(H)).apply(
        {"params": variables["params"]["layer_0"]}, XS, LENGTHS)
    second = layers.Bidirectional(cells.LSTMCell(H), cells.LSTMCell(H)).apply(
        {"params": variables["params"]["layer_1"]}, first, LENGTHS)
    np.testing.assert_allclose(ys, first + second, rtol=1e-6, atol=1e-7)
    last = stack.clone(return_sequences=False).apply(variables, XS, LENGTHS)   # [B, 2H]
    np.testing.assert_allclose(last[:, :H], ys[np.arange(B), LENGTHS - 1, :H], rtol=1e-6)
    np.testing.assert_allclose(last[:, H:], ys[:, 0, H:], rtol=1e-6)
    model = models.build("resbilstm", num_classes=6)
    self.assertEqual(models.layer_count("resbilstm", 5), 2)
    self.assertEqual(model.apply(model.init(jax.random.key(0), XS, LENGTHS), XS, LENGTHS).shape,
                     (B, 6))


class PresetBehaviourTest(parameterized.TestCase):
  """Each preset computes what its layers, built by hand with the same parameters, compute."""

  @parameterized.named_parameters(
      ("rnn", "rnn", lambda: layers.Recurrent(cells.SimpleRNNCell(H), return_sequences=False)),
      ("bigru", "bigru", lambda: layers.Bidirectional(cells.GRUCell(H), cells.GRUCell(H),
                                                      return_sequences=False)),
      ("multilstm", "multilstm", lambda: layers.Stacked([cells.LSTMCell(H)] * 3,
                                                        return_sequences=False)),
      ("multigru", "multigru", lambda: layers.Stacked([cells.GRUCell(H)] * 3,
                                                      return_sequences=False)),
  )
  def test_preset_equals_its_layers_and_a_dense_classifier(self, name, make_encoder):
    model = models.build(name, num_classes=2, hidden_size=H, num_layers=3)
    variables = init(model, XS, LENGTHS)
    logits = model.apply(variables, XS, LENGTHS)
    params = variables["params"]
    encoded = make_encoder().apply({"params": params["encoder"]}, XS, LENGTHS)
    dense = nn.Dense(2).apply({"params": params["classifier"]}, encoded)
    np.testing.assert_allclose(logits, dense, rtol=1e-6, atol=1e-7)


class ForecastTest(absltest.TestCase):

  def test_predict_and_compare_give_the_model_and_naive_errors(self):
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(7, 4, 2)).astype(np.float32)         # [N, T, F], target feature 1
    labels = rng.normal(size=(7,)).astype(np.float32)
    split = splits.Split(inputs, labels, splits.full_lengths(7, 4))
    data = jena.JenaData(splits.DataSpec(train=split, test=split, num_classes=0, feature_dim=2),
                         ("p", "T"), np.array([0.0, 10.0]), np.array([1.0, 2.0]), 1)
    model = models.build("gru", num_classes=1, hidden_size=3)
    state = train.create_train_state(model, jax.random.key(0), split.batch(np.arange(7)),
                                     train.make_optimizer("sgd", 0.1))
    predictions = forecast.predict(state, split, batch_size=3)     # 3 batches, the last padded
    want = np.asarray(model.apply({"params": state.params}, inputs, split.lengths))[:, 0]
    np.testing.assert_allclose(predictions, want, rtol=1e-6)
    row = forecast.compare(data, "test", predictions)
    mae = np.mean(np.abs(want - labels))
    naive = np.mean(np.abs(inputs[:, -1, 1] - labels))
    np.testing.assert_allclose([row["mae"], row["naive_mae"], row["mae_degC"],
                                row["below_naive_pct"]],
                               [mae, naive, 2 * mae, 100 * (1 - mae / naive)], rtol=1e-5)


if __name__ == "__main__":
  absltest.main()
