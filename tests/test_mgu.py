"""MGUCell beyond the contract (tests/test_cell_contract.py runs it): Flax's MGUCell with mapped
weights in both variants, the parameter count, and the contract without reset gating."""
import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from absl.testing import absltest, parameterized

from rnnjax import cells, layers
import reference
import cell_contract
from cell_contract import B, D, H, LENGTHS, T, contract_tests

MGUNoResetGateContractTest = contract_tests(
    functools.partial(cells.MGUCell, H, reset_gate=False), reference.mgu_step, "MGUNoResetGate",
    slow=(cell_contract.BFLOAT16,))


class MGUTest(parameterized.TestCase):

  @parameterized.parameters(True, False)
  def test_equals_flax_mgu_cell_with_mapped_weights(self, reset_gate):
    xs = jax.random.normal(jax.random.key(0), (B, T, D))
    flax_cell = nn.MGUCell(features=H, reset_gate=reset_gate)
    carry = flax_cell.initialize_carry(jax.random.key(1), xs[:, 0].shape)
    fp = flax_cell.init(jax.random.key(2), carry, xs[:, 0])["params"]
    fp = jax.tree.map(lambda p: p + 0.1 * jax.random.normal(jax.random.key(3), p.shape), fp)
    cat = lambda a, b: jnp.concatenate([a, b], axis=-1)  # noqa: E731  (gate order f, n)
    params = {"input": {"kernel": cat(fp["if"]["kernel"], fp["in"]["kernel"]),
                        "bias": cat(fp["if"]["bias"], fp["in"]["bias"])},
              "recurrent_kernel": cat(fp["hf"]["kernel"], fp["hn"]["kernel"])}
    if reset_gate:
      params["recurrent_bias"] = fp["hn"]["bias"]
    layer = layers.Recurrent(cells.MGUCell(H, reset_gate=reset_gate))
    got, want = jax.jit(lambda: (
        layer.apply({"params": {"cell": params}}, xs, LENGTHS),
        nn.RNN(flax_cell).apply({"params": {"cell": fp}}, xs, seq_lengths=LENGTHS)))()
    valid = (np.arange(T)[None, :] < LENGTHS[:, None])[..., None]        # Flax leaves the
    np.testing.assert_allclose(np.where(valid, got, 0), np.where(valid, want, 0),  # padding
                               rtol=1e-5, atol=1e-6)

  def test_parameter_count_and_forget_bias(self):
    xs = jnp.zeros((1, 2, 32))
    for reset_gate, count in ((True, 4192), (False, 4160)):   # 2 * (32*32 + 32*32 + 32) (+ 32)
      params = jax.eval_shape(layers.Recurrent(cells.MGUCell(32, reset_gate=reset_gate)).init,
                              jax.random.key(0), xs)["params"]
      self.assertEqual(sum(p.size for p in jax.tree.leaves(params)), count)
    bias = layers.Recurrent(cells.MGUCell(2)).init(
        jax.random.key(0), jnp.zeros((1, 1, 3)))["params"]["cell"]["input"]["bias"]
    np.testing.assert_array_equal(bias, [1, 1, 0, 0])                  # f slice: forget bias


if __name__ == "__main__":
  absltest.main()
