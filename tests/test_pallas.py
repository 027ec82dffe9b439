"""The Pallas kernels (rnnjax.recurrence.pallas) equal the scan, values and gradients, in Pallas
interpret mode on CPU, with both kernel structures ("gpu": Triton's, "tpu": Mosaic's, in several
time chunks); their forward and backward kernels lower to Triton and to Mosaic TPU; and the
contract tests (tests/cell_contract.py) pass with the backend switched on."""
import functools
from unittest import mock

from absl.testing import absltest, parameterized
import jax
import jax.numpy as jnp
import numpy as np

from rnnjax import cells, layers, recurrence
from rnnjax.recurrence import pallas
from rnnjax.recurrence.pallas import layout, vjp
import reference
from cell_contract import H, contract_tests

B, T, D = 3, 7, 5
LENGTHS = np.array([T, 0, 3], np.int32)               # 0, a middle length and T
CELLS = {"lstm": cells.LSTMCell, "gru": cells.GRUCell}
ON_ACCELERATOR = jax.default_backend() in ("gpu", "cuda", "rocm", "tpu")


def _loss(layer, variables, xs, train=False):
  out = layer.apply(variables, xs, LENGTHS, train=train, rngs={"dropout": jax.random.key(7)})
  return jax.tree.reduce(lambda a, x: a + jnp.sum(jnp.sin(x)), out, 0.0)


def _compare(test, layer, xs, train=False):
  """Values and gradients (parameters and inputs) of `layer` on pallas and on the scan."""
  scan = layer.clone(implementation="scan")
  v = scan.init(jax.random.key(1), xs, LENGTHS)
  v = jax.tree.map(lambda a: a + 0.3 * jax.random.normal(jax.random.key(2), a.shape), v)
  grad = lambda m: jax.value_and_grad(functools.partial(_loss, m, train=train),  # noqa: E731
                                      argnums=(0, 1))(v, xs)
  got = jax.jit(lambda: grad(layer.clone(implementation="pallas")))()
  want = jax.jit(lambda: grad(scan))()
  for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
    test.assertTrue(np.all(np.isfinite(a)))
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class PallasKernelTest(parameterized.TestCase):

  @parameterized.product(cell=["lstm", "gru"], platform=["gpu", "tpu"])
  def test_values_and_gradients_equal_the_scan_both_ways(self, cell, platform):
    xs = jax.random.normal(jax.random.key(0), (B, T, D))
    bi = layers.Bidirectional(CELLS[cell](H), CELLS[cell](H), return_state=True)
    with pallas.interpret(platform), mock.patch.object(layout, "TPU_TIME_CHUNK", 3):
      _compare(self, bi, xs)                          # T=7: chunks of 3, 2 padded steps

  @parameterized.parameters("lstm", "gru")
  def test_recurrent_dropout_and_final_output_only(self, cell):
    xs = jax.random.normal(jax.random.key(0), (B, T, D))
    layer = layers.Recurrent(CELLS[cell](H), return_sequences=False, recurrent_dropout=0.3)
    with pallas.interpret("gpu"):
      _compare(self, layer, xs, train=True)

  def test_bfloat16_inputs_run_in_float32_and_come_back_in_bfloat16(self):
    layer = layers.Recurrent(cells.LSTMCell(H, dtype=jnp.bfloat16), implementation="pallas")
    xs = jax.random.normal(jax.random.key(0), (B, T, D))
    v = layer.init(jax.random.key(1), xs, LENGTHS)
    with pallas.interpret("gpu"):
      got = jax.jit(layer.apply)(v, xs, LENGTHS)
    want = jax.jit(layer.clone(implementation="fused").apply)(v, xs, LENGTHS)
    self.assertEqual(got.dtype, jnp.bfloat16)
    np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32), atol=2 ** -6)

  @parameterized.product(cell=["lstm", "gru"], platform=["gpu", "tpu"])
  def test_forward_and_backward_kernels_lower_for_the_platform(self, cell, platform):
    gates = {"lstm": 4, "gru": 3}[cell]
    gx, w = jnp.ones((T, B, gates * H)), jnp.ones((H, gates * H))
    b = jnp.ones((gates * H,)) if cell == "gru" else None
    carry = (jnp.ones((B, H)),) * (2 if cell == "lstm" else 1)

    def grads(gx, w, carry):
      loss = lambda *a: jnp.sum(vjp.recurrence(cell, platform, False, *a[:2], b, a[2],  # noqa
                                               jnp.asarray(LENGTHS), jnp.ones((B, H)))[0])
      return jax.grad(loss, argnums=(0, 1, 2))(gx, w, carry)

    checks = [jax.export.DisabledSafetyCheck.custom_call(n)
              for n in ("__gpu$xla.gpu.triton", "tpu_custom_call")]
    exported = jax.export.export(jax.jit(grads), platforms=["cuda" if platform == "gpu" else "tpu"],
                                 disabled_checks=checks)(gx, w, carry)
    target = "__gpu$xla.gpu.triton" if platform == "gpu" else "tpu_custom_call"
    self.assertEqual(exported.mlir_module().count(target), 2)    # forward + backward kernel

  @parameterized.parameters("lstm", "gru")
  def test_compiled_kernels_equal_the_scan_on_this_accelerator(self, cell):
    if not ON_ACCELERATOR:
      self.skipTest("needs a GPU or TPU (run with JAX_PLATFORMS=cuda or tpu)")
    xs = jax.random.normal(jax.random.key(0), (B, T, D))
    bi = layers.Bidirectional(CELLS[cell](H), CELLS[cell](H), return_state=True,
                              recurrent_dropout=0.3)
    with jax.default_matmul_precision("float32"):       # the scan without TF32
      _compare(self, bi, xs, train=True)

  def test_not_on_cpu_without_interpret_mode_and_never_by_auto(self):
    if ON_ACCELERATOR:
      self.skipTest("checks the error on a CPU host")
    layer = layers.Recurrent(cells.LSTMCell(H), implementation="pallas")
    xs = jnp.ones((B, T, D))
    v = layer.clone(implementation="scan").init(jax.random.key(0), xs)
    with self.assertRaisesRegex(ValueError, "need a GPU or TPU.*interpret"):
      layer.apply(v, xs)
    self.assertFalse(recurrence.BACKENDS["pallas"].auto)
    with pallas.interpret("gpu"):
      names = [b.name for b in recurrence.BACKENDS.values() if b.auto]
    self.assertNotIn("pallas", names)

  def test_unsupported_cells_say_why(self):
    layer = layers.Recurrent(cells.LSTMCell(H, peepholes=True), implementation="pallas")
    xs = jnp.ones((B, T, D))
    v = layer.clone(implementation="scan").init(jax.random.key(0), xs)
    with pallas.interpret("gpu"), self.assertRaisesRegex(ValueError, "no Pallas kernel"):
      layer.apply(v, xs)


def _in_interpret_mode(cls):
  """The contract tests of `cls` with the pallas backend on (interpret mode), reduced to those
  that run backends other than "auto": every backend against the scan."""

  class Interpreted(cls):

    def setUp(self):
      super().setUp()
      self.enterContext(pallas.interpret("gpu"))

  for name in dir(cls):
    if name.startswith("test_") and name != (
        "test_every_backend_equals_the_scan_and_ignores_nan_padding"):
      setattr(Interpreted, name, None)
  Interpreted.__name__ = Interpreted.__qualname__ = "Pallas" + cls.__name__
  return Interpreted


for _key, _cls in (("lstm", cells.LSTMCell), ("gru", cells.GRUCell)):
  _test = _in_interpret_mode(contract_tests(functools.partial(_cls, H),
                                            reference.STEPS[_key], _cls.__name__))
  globals()[_test.__name__] = _test
del _test

if __name__ == "__main__":
  absltest.main()
