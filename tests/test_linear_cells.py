"""minGRU, minLSTM and LRU beyond the contract every cell gets (tests/test_cell_contract.py):
the log-space variants against their numpy transcriptions, the LRU's initialisation, state
width and skip options, parameter counts and the errors."""
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from absl.testing import absltest, parameterized

from rnnjax import cells, layers
import reference
import cell_contract
from cell_contract import H, contract_tests

MinGRULogSpaceContractTest = contract_tests(
    lambda **kw: cells.MinGRUCell(H, log_space=True, **kw),
    functools.partial(reference.mingru_step, log_space=True), "MinGRULogSpace",
    slow=(cell_contract.BFLOAT16,))
MinLSTMLogSpaceContractTest = contract_tests(
    lambda **kw: cells.MinLSTMCell(H, log_space=True, **kw),
    functools.partial(reference.minlstm_step, log_space=True), "MinLSTMLogSpace",
    slow=(cell_contract.BFLOAT16,))

B, T, D = 3, 6, 5


def _count(params) -> int:
  return sum(x.size for x in jax.tree.leaves(params))


class LRUTest(parameterized.TestCase):

  def test_initialisation_draws_lambda_from_the_ring_and_normalises_by_gamma(self):
    cell = cells.LRUCell(4, state_size=256, r_min=0.5, r_max=0.9, max_phase=1.0)
    xs = jnp.ones((2, 3, 7))
    params = jax.jit(functools.partial(cell.init, method=cell.project_inputs))(
        jax.random.key(0), xs)["params"]
    w = cell.bind({"params": params}).weights()
    modulus = np.hypot(w.lambda_re, w.lambda_im)
    phase = np.arctan2(w.lambda_im, w.lambda_re)
    self.assertTrue(np.all((modulus >= 0.5 - 1e-6) & (modulus <= 0.9 + 1e-6)))
    self.assertTrue(np.all((phase >= 0) & (phase <= 1.0)))
    np.testing.assert_allclose(w.gamma, np.sqrt(1 - modulus ** 2), rtol=1e-5)
    # |lambda|^2 uniform in [r_min^2, r_max^2] (uniform on the ring's area): its mean is the
    # midpoint 0.53; 256 draws have standard error 0.19 / sqrt(256) = 0.012.
    self.assertAlmostEqual(float(np.mean(modulus ** 2)), 0.53, delta=0.05)
    kernel = params["input"]["kernel"]                               # [D, 2N + H]
    self.assertEqual(kernel.shape, (7, 2 * 256 + 4))
    self.assertAlmostEqual(float(np.std(kernel[:, :512])), 1 / math.sqrt(14), delta=0.02)
    self.assertEqual(params["output_kernel"].shape, (512, 4))

  @parameterized.parameters("dense", "diagonal", "none")
  def test_state_width_differs_from_the_output_width(self, skip):
    n, hid = 6, 5                        # inputs as wide as the output, for the diagonal skip
    layer = layers.Recurrent(cells.LRUCell(hid, state_size=n, skip=skip), return_state=True)
    xs = jax.random.normal(jax.random.key(1), (B, T, hid))
    lengths = np.array([T, 3, 1])
    params = jax.jit(layer.init)(jax.random.key(2), xs, lengths)["params"]
    final, ys = jax.jit(layer.apply)({"params": params}, xs, lengths)
    self.assertEqual(ys.shape, (B, T, hid))
    self.assertEqual((final.re.shape, final.im.shape), ((B, n), (B, n)))
    self.assertEqual("skip" in params["cell"], skip == "diagonal")
    p = jax.tree.map(lambda a: np.asarray(a, np.float64), params["cell"])
    want_ys, want_final = reference.run(reference.lru_step, p, np.asarray(xs, np.float64),
                                        lengths, (np.zeros((B, n)), np.zeros((B, n))))
    np.testing.assert_allclose(ys, want_ys, rtol=1e-4, atol=1e-5)
    for got, want in zip(final, want_final):
      np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)

  def test_bad_options_are_errors_that_name_them(self):
    xs = jnp.ones((2, 3, 7))
    for kwargs, pattern in [(dict(skip="full"), "skip"), (dict(r_min=0.9, r_max=0.5), "r_min"),
                            (dict(skip="diagonal"), "D = H = 4")]:
      with self.assertRaisesRegex(ValueError, pattern):
        jax.eval_shape(layers.Recurrent(cells.LRUCell(4, **kwargs)).init, jax.random.key(0), xs)


class MinCellsTest(parameterized.TestCase):

  def test_parameter_counts_match_the_docstrings(self):
    xs = jnp.ones((1, 2, 32))
    counts = {name: _count(jax.eval_shape(layers.Recurrent(cell).init, jax.random.key(0),
                                          xs)["params"])
              for name, cell in [("mingru", cells.MinGRUCell(32)),
                                 ("minlstm", cells.MinLSTMCell(32)),
                                 ("lru", cells.LRUCell(32)),
                                 ("lru_diagonal", cells.LRUCell(32, skip="diagonal"))]}
    self.assertEqual(counts, {"mingru": 2 * (32 * 32 + 32), "minlstm": 3 * (32 * 32 + 32),
                              "lru": 32 * 96 + 96 + 3 * 32 + 64 * 32,
                              "lru_diagonal": 32 * 64 + 64 + 3 * 32 + 64 * 32 + 32})
    self.assertEqual(counts, {"mingru": 2112, "minlstm": 3168, "lru": 5312,
                              "lru_diagonal": 4288})

  @parameterized.parameters(cells.MinGRUCell, cells.MinLSTMCell)
  def test_log_space_states_stay_positive_from_a_zero_state(self, cls):
    # The log-space form's candidate g(k) > 0, so from h_0 = 0 every state is a positive
    # mixture of positive candidates (what makes the log-space scan possible).
    layer = layers.Recurrent(cls(H, log_space=True))
    xs = 3.0 * jax.random.normal(jax.random.key(3), (B, 40, D))
    ys = jax.jit(lambda xs: layer.apply(layer.init(jax.random.key(4), xs), xs))(xs)
    self.assertTrue(np.all(np.asarray(ys) > 0))

  @parameterized.parameters("mingru", "minlstm", "lru")
  def test_recurrent_dropout_is_a_clear_error(self, name):
    layer = layers.Recurrent(cells.CELLS[name](H), recurrent_dropout=0.5)
    xs = jnp.ones((2, 3, D))
    variables = jax.eval_shape(layer.init, jax.random.key(0), xs)
    with self.assertRaisesRegex((ValueError, TypeError), "recurrent_dropout"):
      jax.eval_shape(functools.partial(layer.apply, train=True),
                     variables, xs, rngs={"dropout": jax.random.key(1)})


if __name__ == "__main__":
  absltest.main()
