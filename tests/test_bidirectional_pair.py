"""Both directions in one loop (implementation="fused_pair": recurrence.run_pair,
rnnjax.recurrence.fused.pair): the same
values and gradients as two separate runs on the scan, with lengths, every merge mode, returned
and given states, recurrent dropout, time-major inputs and Stacked bidirectional layers; and
the engine falls back to two runs where the pair cannot be fused."""
import functools
from unittest import mock

from absl.testing import absltest
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnjax import cells, layers, recurrence
from rnnjax.recurrence.fused import FusedBackend

B, T, D, H = 3, 7, 5, 4
LENGTHS = np.array([T, 0, 3], np.int32)               # 0, a middle length and T
XS = np.asarray(jax.random.normal(jax.random.key(0), (B, T, D)))
# NaN where the rows are padded: no value and no gradient may see it.
JUNK = np.where(np.arange(T)[None, :, None] >= LENGTHS[:, None, None], np.nan, XS)
CELLS = {"lstm": cells.LSTMCell, "gru": cells.GRUCell}


def _variables(layer, key=1):
  v = layer.clone(implementation="scan").init(jax.random.key(key), XS, LENGTHS)
  return jax.tree.map(lambda a: a + 0.3 * jax.random.normal(jax.random.key(key + 1), a.shape), v)


def _value_and_grads(layer, v, xs, initial_state=None, train=False):
  def loss(v, xs):
    out = layer.apply(v, xs, LENGTHS, initial_state, train=train,
                      rngs={"dropout": jax.random.key(5)})
    return jax.tree.reduce(lambda a, x: a + jnp.sum(jnp.sin(x)), out, 0.0)
  return jax.value_and_grad(loss, argnums=(0, 1))(v, xs)


def _assert_trees_close(got, want):
  for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class PairTest(absltest.TestCase):

  def test_every_merge_mode_and_output_equals_two_scans(self):
    self._merge_modes("lstm")

  def test_given_states_recurrent_dropout_and_time_major_equal_two_scans(self):
    self._given_states("lstm")

  @pytest.mark.slow   # the GRU runs of the two longest tests (CI time); the LSTM ones by default
  def test_gru_merge_modes_and_given_states_equal_two_scans(self):
    self._merge_modes("gru")
    self._given_states("gru")

  def _merge_modes(self, cell):
    configs = [dict(merge_mode=m, return_sequences=s, return_state=True)
               for m in ("concat", "sum", "mul", "ave") for s in (True, False)]
    bis = [layers.Bidirectional(CELLS[cell](H), CELLS[cell](H), **c) for c in configs]
    v = _variables(bis[0])

    def run(implementation, xs):
      return [_value_and_grads(bi.clone(implementation=implementation), v, xs) for bi in bis]

    got, want = jax.jit(lambda: (run("fused_pair", JUNK), run("scan", XS)))()
    for g in jax.tree.leaves(got):
      self.assertTrue(np.all(np.isfinite(g)))
    _assert_trees_close(got, want)

  def _given_states(self, cell):
    bi = layers.Bidirectional(CELLS[cell](H), CELLS[cell](H), return_state=True,
                              recurrent_dropout=0.4, time_major=True)
    v = _variables(bi.clone(time_major=False))
    states = jax.tree.map(lambda a: 0.5 * jnp.ones_like(a),
                          bi.clone(time_major=False).apply(v, XS, LENGTHS)[0])
    xs = jnp.swapaxes(XS, 0, 1)                                        # [T, B, D]
    got, want = jax.jit(lambda: [_value_and_grads(bi.clone(implementation=i), v, xs, states,
                                                  train=True) for i in ("fused_pair", "scan")])()
    _assert_trees_close(got, want)

  def test_stacked_bidirectional_equals_two_scans_per_layer(self):
    stacked = layers.Stacked([cells.LSTMCell(H), cells.LSTMCell(3)], bidirectional=True,
                             return_state=True)
    v = _variables(stacked)
    self.assertEqual(sorted(v["params"]["layer_1"]), ["backward", "forward"])
    got, want = jax.jit(lambda: [_value_and_grads(stacked.clone(implementation=i), v, XS)
                                 for i in ("fused_pair", "scan")])()
    _assert_trees_close(got, want)

  def test_fused_backend_takes_the_pair_whole(self):
    bi = layers.Bidirectional(cells.LSTMCell(H), cells.LSTMCell(H), implementation="fused_pair")
    v = _variables(bi)
    with mock.patch.object(FusedBackend, "run", side_effect=AssertionError("two runs")):
      ys = bi.apply(v, XS, LENGTHS)
    self.assertEqual(ys.shape, (B, T, 2 * H))
    self.assertEqual(sorted(v["params"]["forward"]["cell"]),
                     ["input", "recurrent_kernel"])                    # layout unchanged

  def test_cells_that_cannot_pair_run_one_after_the_other(self):
    bi = layers.Bidirectional(cells.LSTMCell(H), cells.GRUCell(H), return_state=True,
                              implementation="fused_pair")
    v = _variables(bi)
    with mock.patch.object(FusedBackend, "run_pair",
                           side_effect=AssertionError("paired")) as paired:
      got = jax.jit(bi.apply)(v, XS, LENGTHS)    # values: each direction's own loop is the
    paired.assert_not_called()                   # fused backend's, tested in the contract
    want = jax.jit(bi.clone(implementation="scan").apply)(v, XS, LENGTHS)
    _assert_trees_close(got, want)

  def test_supports_pair_names_what_differs(self):
    backend = recurrence.BACKENDS["fused"]
    xs = jnp.ones((T, B, D))

    def call(cell, reverse, h_mask=None):
      bound = cell.bind(cell.init(jax.random.key(0), xs[0], method=cell.project_inputs))
      return recurrence.Call(cell=bound, xs=xs, lengths=jnp.full((B,), T), masked=False,
                             state0=bound.initial_state(B), reverse=reverse, h_mask=h_mask)

    lstm = cells.LSTMCell(H)
    self.assertIsNone(backend.supports_pair(call(lstm, False), call(lstm, True)))
    self.assertIn("hidden_size", backend.supports_pair(call(lstm, False),
                                                       call(cells.LSTMCell(H + 1), True)))
    self.assertIn("fused loop", backend.supports_pair(call(lstm, False),
                                                      call(cells.LSTMCell(H, peepholes=True),
                                                           True)))
    self.assertIn("one direction", backend.supports_pair(
        call(lstm, False, jnp.ones((B, H))), call(lstm, True)))


if __name__ == "__main__":
  absltest.main()
