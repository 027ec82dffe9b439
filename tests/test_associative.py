"""The "associative" (parallel) and "linear" (hoisted sequential) backends against the scan
beyond the contract tests: longer sequences, initial states, lengths 0..T, reverse, Stacked and
Bidirectional, values and gradients; which backend "auto" picks on CPU and on accelerators."""
import dataclasses
import functools
from unittest import mock

import jax
import jax.numpy as jnp
import numpy as np
from absl.testing import absltest, parameterized

from rnnjax import cells, layers, recurrence

B, T, D, H = 4, 37, 3, 5               # T odd and no power of 2: the scan's uneven tree
LENGTHS = np.array([T, 17, 1, 0], np.int32)
XS = np.asarray(jax.random.normal(jax.random.key(0), (B, T, D)))
CELLS = {"minlstm_log": lambda: cells.MinLSTMCell(H, log_space=True),
         "lru": lambda: cells.LRUCell(H, state_size=3, r_min=0.9, r_max=0.999)}


def _loss(layer, v, xs, state0):
  final, ys = layer.apply(v, xs, LENGTHS, state0)
  return jax.tree.reduce(lambda a, x: a + jnp.sum(jnp.sin(x)), (final, ys), 0.0)


def _bound(cell, xs):
  variables = cell.init(jax.random.key(0), xs, method=cell.project_inputs)
  return cell.bind(variables)


class AssociativeTest(parameterized.TestCase):

  @parameterized.named_parameters((n, n) for n in CELLS)
  def test_equals_the_scan_with_initial_state_lengths_and_reverse(self, name):
    layer = layers.Recurrent(CELLS[name](), return_state=True)
    v = layer.init(jax.random.key(1), XS, LENGTHS)
    state0 = jax.tree.map(
        lambda s: jax.random.normal(jax.random.key(2), s.shape, s.dtype),
        jax.eval_shape(lambda: CELLS[name]().initial_state(B)))

    def both(v, xs, state0):
      out = {}
      for reverse in (False, True):
        for impl in ("associative", "linear", "scan"):
          other = layer.clone(reverse=reverse, implementation=impl)
          out[impl, reverse] = jax.value_and_grad(functools.partial(_loss, other),
                                                  argnums=(0, 1, 2))(v, xs, state0)
      return out

    out = jax.jit(both)(v, XS, state0)
    for (impl, reverse), got in out.items():
      for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(out["scan", reverse])):
        scale = max(1.0, float(np.max(np.abs(b))))        # as tests/cell_contract.py
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6 * scale,
                                   err_msg=f"{name} {impl} reverse={reverse}")

  def test_stacked_bidirectional_equals_the_scan(self):
    def make(impl):
      return layers.Stacked([cells.MinGRUCell(H), cells.LRUCell(H)], bidirectional=True,
                            return_state=True, implementation=impl)
    xs, lengths = XS[:, :9], np.minimum(LENGTHS, 9)                 # T = 9 is enough here
    v = make("scan").init(jax.random.key(3), xs, lengths)

    def loss(impl, v, xs):
      states, ys = make(impl).apply(v, xs, lengths)
      return jnp.sum(jnp.sin(ys)) + sum(jnp.sum(jnp.cos(s)) for s in jax.tree.leaves(states))

    *got, want = jax.jit(lambda v, xs: [jax.value_and_grad(functools.partial(loss, i),
                                                           argnums=(0, 1))(v, xs)
                                        for i in ("associative", "linear", "scan")])(v, xs)
    for one in got:
      for a, b in zip(jax.tree.leaves(one), jax.tree.leaves(want)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6 * max(1.0, np.max(np.abs(b))))

  def test_auto_picks_them_for_linear_cells_only_the_parallel_one_off_cpu(self):
    xs = jnp.asarray(XS).swapaxes(0, 1)                               # [T, B, D]
    lengths = jnp.asarray(LENGTHS)
    picks, gpu_picks = {}, {}
    for name, cell in [("mingru", cells.MinGRUCell(H)), ("minlstm", cells.MinLSTMCell(H)),
                       ("lru", cells.LRUCell(H)), ("lstm", cells.LSTMCell(H)),
                       ("lstm_peepholes", cells.LSTMCell(H, peepholes=True)),
                       ("gru", cells.GRUCell(H)),
                       ("gru_before", cells.GRUCell(H, reset_after=False)),
                       ("rnn", cells.SimpleRNNCell(H))]:
      bound = _bound(cell, xs)
      call = recurrence.Call(cell=bound, xs=xs, lengths=lengths, masked=True,
                             state0=bound.initial_state(B))
      picks[name] = recurrence.select(call).name
      with mock.patch("jax.default_backend", return_value="gpu"):
        gpu_picks[name] = recurrence.select(call).name if name.startswith(("min", "lru")) else None
      if name in ("mingru", "lru"):          # options only the scan has fall back to it
        self.assertEqual(recurrence.select(dataclasses.replace(call, unroll=2)).name, "scan")
    self.assertEqual(picks, {"mingru": "linear", "minlstm": "linear", "lru": "linear",
                             "lstm": "fused", "lstm_peepholes": "scan", "gru": "fused",
                             "gru_before": "scan", "rnn": "scan"})
    self.assertEqual({k: v for k, v in gpu_picks.items() if v},
                     {"mingru": "associative", "minlstm": "associative", "lru": "associative"})
    layer = layers.Recurrent(cells.GRUCell(H), implementation="associative")
    variables = jax.eval_shape(layer.init, jax.random.key(0), XS)
    with self.assertRaisesRegex(ValueError, "has no linear recurrence"):
      jax.eval_shape(layer.apply, variables, XS)


if __name__ == "__main__":
  absltest.main()
