"""Recurrent, Bidirectional and Stacked: lengths, reverse, merge modes, dropout, transforms."""
import functools

from absl.testing import absltest, parameterized
import flax.linen as nn
import jax
import jax.numpy as jnp
from jax.test_util import check_grads
import numpy as np
import pytest

from rnnjax import cells, layers, recurrence
from rnnjax.layers import OutputProjection
import reference
from test_cells import CONFIGS, randomize, to_numpy

B, T, D, H = 3, 7, 5, 4
LENGTHS = np.array([T, 4, 1])
XS = jax.random.normal(jax.random.key(0), (B, T, D))
CELLS = {"lstm": lambda: cells.LSTMCell(H), "gru": lambda: cells.GRUCell(H),
         "rnn": lambda: cells.SimpleRNNCell(H)}
STEPS = {"lstm": reference.lstm_step, "gru": reference.gru_step, "rnn": reference.simple_step}


def init(layer, xs=XS, lengths=LENGTHS, key=1):
  return {"params": randomize(layer.init(jax.random.key(key), xs, lengths)["params"],
                              jax.random.key(key + 1))}


def zeros_state(cell_name, size=H):
  return tuple(np.zeros((B, size)) for _ in range(2 if cell_name == "lstm" else 1))


class RecurrentTest(parameterized.TestCase):

  # The cell contract (tests/cell_contract.py) checks every backend against the scan for every
  # registered cell, NaN padding included; this older, narrower check repeats it: slow.
  @parameterized.product(cell=sorted(CELLS), implementation=["auto", "static"])
  @pytest.mark.slow
  def test_implementations_equal_the_scan(self, cell, implementation):
    ref = layers.Recurrent(CELLS[cell](), implementation="scan", return_state=True)
    other = ref.clone(implementation=implementation)
    variables = init(ref)
    loss = lambda layer: lambda v: jax.tree.reduce(  # noqa: E731
        lambda a, x: a + jnp.sum(jnp.sin(x)), layer.apply(v, XS, LENGTHS), 0.0)
    np.testing.assert_allclose(loss(ref)(variables), loss(other)(variables), rtol=1e-6)
    for a, b in zip(jax.tree.leaves(jax.grad(loss(ref))(variables)),
                    jax.tree.leaves(jax.grad(loss(other))(variables))):
      np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

  @parameterized.parameters(sorted(CELLS))
  def test_padding_does_not_leak(self, cell):
    layer = layers.Recurrent(CELLS[cell](), return_state=True)
    junk = jnp.where(jnp.arange(T)[None, :, None] < LENGTHS[:, None, None], XS, 1e3)
    variables = init(layer)
    for reverse in (False, True):
      layer = layer.clone(reverse=reverse)
      for a, b in zip(jax.tree.leaves(layer.apply(variables, XS, LENGTHS)),
                      jax.tree.leaves(layer.apply(variables, junk, LENGTHS))):
        np.testing.assert_array_equal(a, b)

  @parameterized.product(cell=sorted(CELLS), reverse=[False, True])
  def test_lengths_and_reverse_match_per_sequence_reference(self, cell, reverse):
    layer = layers.Recurrent(CELLS[cell](), return_state=True, reverse=reverse)
    variables = init(layer)
    lengths = np.array([T, 3, 0])
    final, ys = layer.apply(variables, XS, lengths)
    want_ys, want_final = reference.run(STEPS[cell], to_numpy(variables["params"]["cell"]),
                                        np.asarray(XS, np.float64), lengths, zeros_state(cell),
                                        reverse=reverse)
    np.testing.assert_allclose(ys, want_ys, rtol=1e-5, atol=1e-6)
    for got, want in zip(final, want_final):
      np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)

  def test_length_zero_gives_zero_outputs_and_the_initial_state(self):
    layer = layers.Recurrent(cells.LSTMCell(H), return_state=True)
    variables = init(layer)
    h0 = cells.LSTMState(h=jnp.ones((B, H)), c=2 * jnp.ones((B, H)))
    final, ys = layer.apply(variables, XS, jnp.zeros((B,), jnp.int32), h0)
    np.testing.assert_array_equal(ys, 0.0)
    np.testing.assert_array_equal(final.h, h0.h)
    np.testing.assert_array_equal(final.c, h0.c)
    last = layer.clone(return_sequences=False).apply(variables, XS, jnp.zeros((B,), jnp.int32))
    np.testing.assert_array_equal(last[1], 0.0)

  def test_initial_state_is_used(self):
    layer = layers.Recurrent(cells.GRUCell(H), return_state=True)
    variables = init(layer)
    h0 = 0.5 * np.ones((B, H))
    final, ys = layer.apply(variables, XS, LENGTHS, cells.HiddenState(jnp.asarray(h0)))
    want_ys, want_final = reference.run(reference.gru_step, to_numpy(variables["params"]["cell"]),
                                        np.asarray(XS, np.float64), LENGTHS, (h0,))
    np.testing.assert_allclose(ys, want_ys, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(final.h, want_final[0], rtol=1e-5, atol=1e-6)

  @parameterized.parameters(False, True)
  def test_last_output_is_the_last_valid_step(self, reverse):
    layer = layers.Recurrent(cells.LSTMCell(H), reverse=reverse)
    variables = init(layer)
    ys = layer.apply(variables, XS, LENGTHS)
    last = layer.clone(return_sequences=False).apply(variables, XS, LENGTHS)
    index = np.zeros(B, int) if reverse else LENGTHS - 1
    np.testing.assert_allclose(last, ys[np.arange(B), index], rtol=1e-6)

  def test_time_major_equals_batch_major(self):
    layer = layers.Recurrent(cells.LSTMCell(H))
    variables = init(layer)
    ys = layer.apply(variables, XS, LENGTHS)
    ys_tm = layer.clone(time_major=True).apply(variables, jnp.swapaxes(XS, 0, 1), LENGTHS)
    np.testing.assert_allclose(jnp.swapaxes(ys_tm, 0, 1), ys, rtol=1e-6)

  @parameterized.parameters(True, False)
  def test_remat_gives_the_same_values_and_gradients(self, with_lengths):
    layer = layers.Recurrent(cells.LSTMCell(H), implementation="scan")
    remat = layer.clone(remat=True, remat_chunk=3)                     # 7 steps: chunks 3, 3, 1
    variables = init(layer)
    lengths = LENGTHS if with_lengths else None
    loss = lambda l: lambda v: jnp.sum(jnp.sin(l.apply(v, XS, lengths)))  # noqa: E731
    np.testing.assert_allclose(loss(layer)(variables), loss(remat)(variables), rtol=1e-6)
    for a, b in zip(jax.tree.leaves(jax.grad(loss(layer))(variables)),
                    jax.tree.leaves(jax.grad(loss(remat))(variables))):
      np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

  @parameterized.parameters("lstm_all_options", "gru_reset_before_layer_norm", "rnn_tanh")
  def test_layer_gradients_match_finite_differences(self, name):
    with jax.enable_x64(True):
      layer = layers.Recurrent(CONFIGS[name][0](param_dtype=jnp.float64), return_state=True)
      xs = jnp.asarray(XS, jnp.float64)
      variables = init(layer, xs)
      check_grads(jax.jit(lambda v, x: layer.apply(v, x, LENGTHS)), (variables, xs), order=1,
                  modes=["rev"], atol=1e-6, rtol=1e-6, eps=1e-6)

  def test_reverse_padded_reverses_only_the_valid_prefix(self):
    xs = jnp.arange(B * T).reshape(B, T)
    got = layers.reverse_padded(xs, jnp.array([T, 3, 0]))
    np.testing.assert_array_equal(got[0], xs[0, ::-1])
    np.testing.assert_array_equal(got[1], np.r_[xs[1, 2::-1], xs[1, 3:]])
    np.testing.assert_array_equal(got[2], xs[2])


class BidirectionalTest(parameterized.TestCase):

  @parameterized.parameters("concat", "sum", "mul", "ave")
  def test_merge_modes_match_per_sequence_reference(self, mode):
    layer = layers.Bidirectional(cells.LSTMCell(H), cells.LSTMCell(H), merge_mode=mode,
                                 return_state=True)
    variables = init(layer)
    (fw_state, bw_state), ys = layer.apply(variables, XS, LENGTHS)
    p = to_numpy(variables["params"])
    xs = np.asarray(XS, np.float64)
    fw, fw_final = reference.run(reference.lstm_step, p["forward"]["cell"], xs, LENGTHS,
                                 zeros_state("lstm"))
    bw, bw_final = reference.run(reference.lstm_step, p["backward"]["cell"], xs, LENGTHS,
                                 zeros_state("lstm"), reverse=True)
    want = {"concat": np.concatenate([fw, bw], -1), "sum": fw + bw, "mul": fw * bw,
            "ave": (fw + bw) / 2}[mode]
    np.testing.assert_allclose(ys, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fw_state.h, fw_final[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bw_state.c, bw_final[1], rtol=1e-5, atol=1e-6)

  def test_parameters_live_under_forward_and_backward(self):
    layer = layers.Bidirectional(cells.GRUCell(H), cells.GRUCell(H))
    self.assertEqual(set(layer.init(jax.random.key(0), XS)["params"]), {"forward", "backward"})

  def test_bad_merge_mode_fails_clearly(self):
    with self.assertRaisesRegex(ValueError, "merge_mode"):
      layers.Bidirectional(cells.GRUCell(H), cells.GRUCell(H), merge_mode="max").init(
          jax.random.key(0), XS)


class StackedTest(parameterized.TestCase):

  def test_equals_chained_layers(self):
    stacked = layers.Stacked([cells.LSTMCell(H), cells.GRUCell(3)], return_state=True)
    variables = init(stacked)
    states, ys = stacked.apply(variables, XS, LENGTHS)
    p = variables["params"]
    h1 = layers.Recurrent(cells.LSTMCell(H)).apply({"params": p["layer_0"]}, XS, LENGTHS)
    s2, h2 = layers.Recurrent(cells.GRUCell(3), return_state=True).apply(
        {"params": p["layer_1"]}, h1, LENGTHS)
    np.testing.assert_allclose(ys, h2, rtol=1e-6)
    np.testing.assert_allclose(states[1].h, s2.h, rtol=1e-6)
    self.assertEqual(ys.shape, (B, T, 3))

  def test_dropout_only_in_training_and_reproducible_per_key(self):
    stacked = layers.Stacked([cells.LSTMCell(H)] * 3, bidirectional=True, dropout=0.5,
                             recurrent_dropout=0.3)
    variables = init(stacked)
    plain = jax.jit(stacked.clone(dropout=0.0, recurrent_dropout=0.0).apply)(variables, XS,
                                                                            LENGTHS)
    np.testing.assert_array_equal(jax.jit(stacked.apply)(variables, XS, LENGTHS), plain)
    run = jax.jit(lambda key: stacked.apply(variables, XS, LENGTHS, train=True,
                                            rngs={"dropout": jax.random.key(key)}))
    np.testing.assert_array_equal(run(0), run(0))
    self.assertGreater(float(jnp.abs(run(0) - run(1)).max()), 1e-3)
    self.assertGreater(float(jnp.abs(run(0) - plain).max()), 1e-3)
    padding = jnp.arange(T)[None, :, None] >= LENGTHS[:, None, None]
    np.testing.assert_array_equal(jnp.where(padding, run(0), 0.0), 0.0)

  @parameterized.parameters("scan", "auto")
  def test_recurrent_dropout_reuses_one_mask_at_every_step(self, implementation):
    cell = cells.GRUCell(H)
    variables = init(layers.Recurrent(cell))
    bound = cell.bind({"params": variables["params"]["cell"]})
    mask = np.asarray(jax.random.bernoulli(jax.random.key(5), 0.5, (B, H)), np.float64) * 2.0
    _, ys = recurrence.run(bound, jnp.swapaxes(XS, 0, 1), jnp.asarray(LENGTHS),
                           bound.initial_state(B), h_mask=jnp.asarray(mask, jnp.float32),
                           implementation=implementation)
    want = np.zeros((B, T, H))
    params = to_numpy(variables["params"]["cell"])
    for b in range(B):                       # the mask touches h only inside the recurrent matmul
      step = functools.partial(reference.gru_step, h_mask=mask[b])
      want[b:b + 1] = reference.run(step, params, np.asarray(XS[b:b + 1], np.float64),
                                    LENGTHS[b:b + 1], (np.zeros((1, H)),))[0]
    np.testing.assert_allclose(jnp.swapaxes(ys, 0, 1), want, rtol=1e-5, atol=1e-6)


class CompositionTest(parameterized.TestCase):

  def test_jit_grad_and_vmap_compose(self):
    layer = layers.Bidirectional(cells.LSTMCell(H), cells.GRUCell(H), return_sequences=False)
    variables = init(layer)
    loss = lambda v, x, n: jnp.sum(layer.apply(v, x, n) ** 2)  # noqa: E731
    grads = jax.jit(jax.grad(loss))(variables, XS, LENGTHS)
    self.assertEqual(jax.tree.structure(grads), jax.tree.structure(variables))
    per_row = jax.vmap(lambda x, n: loss(variables, x[None], n[None]))(XS, jnp.asarray(LENGTHS))
    np.testing.assert_allclose(per_row.sum(), loss(variables, XS, LENGTHS), rtol=1e-5)

  @parameterized.parameters(sorted(CELLS))
  def test_bfloat16_compute_with_float32_params_stays_close(self, cell):
    make = {"lstm": cells.LSTMCell, "gru": cells.GRUCell, "rnn": cells.SimpleRNNCell}[cell]
    layer32 = layers.Recurrent(make(H))
    layer16 = layers.Recurrent(make(H, dtype=jnp.bfloat16))
    variables = layer32.init(jax.random.key(1), XS)
    ys16 = layer16.apply(variables, XS, LENGTHS)
    self.assertEqual(ys16.dtype, jnp.bfloat16)
    self.assertEqual(jax.tree.leaves(layer16.init(jax.random.key(1), XS))[0].dtype, jnp.float32)
    # Inputs, projections and gate pre-activations are each rounded to bfloat16 (relative error
    # eps = 2^-8) and the contracting recurrence does not compound them: outputs in (-1, 1) are
    # off by a few eps. 4 eps = 0.016 (measured: below 2 eps).
    np.testing.assert_allclose(ys16.astype(jnp.float32), layer32.apply(variables, XS, LENGTHS),
                               rtol=0, atol=4 * 2.0 ** -8)

  def test_flax_cells_run_in_rnnjax_layers(self):
    for flax_cell in (nn.GRUCell(H), nn.OptimizedLSTMCell(H), nn.SimpleCell(H)):
      layer = layers.Recurrent(cells.FlaxCell(flax_cell))
      variables = layer.init(jax.random.key(0), XS)
      ys = layer.apply(variables, XS)
      want = nn.RNN(flax_cell).apply({"params": {"cell": variables["params"]["cell"]["wrapped"]}},
                                     XS)
      np.testing.assert_allclose(ys, want, rtol=1e-5, atol=1e-6)

  def test_output_projection_applies_per_step_and_masks_padding(self):
    proj = OutputProjection(2)
    ys = jax.random.normal(jax.random.key(3), (B, T, H))
    variables = proj.init(jax.random.key(0), ys)
    out = proj.apply(variables, ys, LENGTHS)
    p = variables["params"]["dense"]
    want = np.asarray(ys) @ np.asarray(p["kernel"]) + np.asarray(p["bias"])[None, None]
    want[np.arange(T)[None, :] >= LENGTHS[:, None]] = 0.0
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)


class BadInputTest(parameterized.TestCase):

  def setUp(self):
    super().setUp()
    self.layer = layers.Recurrent(cells.LSTMCell(H))
    self.variables = self.layer.init(jax.random.key(0), XS)

  @parameterized.named_parameters(
      ("rank", XS[0], None, ValueError, "rank 3"),
      ("features", XS[..., :2], None, ValueError, "D=5"),
      ("lengths_shape", XS, np.ones((B, 1), np.int32), ValueError, r"seq_lengths must have shape"),
      ("lengths_dtype", XS, np.ones(B, np.float32), TypeError, "integer"),
      ("lengths_negative", XS, np.array([1, -1, 2]), ValueError, r"\[0, T=7\]"),
      ("lengths_too_long", XS, np.array([1, 8, 2]), ValueError, r"\[0, T=7\]"),
  )
  def test_bad_input_fails_with_a_clear_error(self, xs, lengths, error, message):
    with self.assertRaisesRegex(error, message):
      self.layer.apply(self.variables, xs, lengths)

  def test_wrong_initial_state_fails_clearly(self):
    with self.assertRaisesRegex(ValueError, "initial_state"):
      self.layer.apply(self.variables, XS, None, cells.LSTMState(jnp.zeros((B, 2)),
                                                                 jnp.zeros((B, H))))

  def test_recurrent_dropout_needs_an_rnnjax_cell(self):
    layer = layers.Recurrent(cells.FlaxCell(nn.GRUCell(H)), recurrent_dropout=0.1)
    variables = layer.init(jax.random.key(0), XS)
    with self.assertRaisesRegex(TypeError, "recurrent_dropout"):
      layer.apply(variables, XS, train=True, rngs={"dropout": jax.random.key(0)})


if __name__ == "__main__":
  absltest.main()
