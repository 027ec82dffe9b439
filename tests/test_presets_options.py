"""The presets added for the tutorials (multirnn: seed 001's four SimpleRNN(32); mgu) and the
options every preset passes to its layers (input_dropout, implementation)."""
import jax
import jax.numpy as jnp
import numpy as np
from absl.testing import absltest, parameterized

from rnnjax import models


def count(model, xs) -> int:
  params = jax.eval_shape(model.init, jax.random.key(0), xs, jnp.full(xs.shape[:1], xs.shape[1]))
  return sum(p.size for p in jax.tree.leaves(params["params"]))


class PresetOptionsTest(parameterized.TestCase):

  def test_seed_001_four_stacked_simple_rnns_have_328353_parameters(self):
    # Keras: Embedding(10000, 32) 320,000 + 4 x SimpleRNN(32) 2,080 + Dense(1) 33.
    model = models.build("multirnn", num_layers=4, num_classes=1, vocab_size=10000, embed_dim=32)
    self.assertEqual(count(model, jnp.zeros((2, 500), jnp.int32)), 320_000 + 4 * 2_080 + 33)
    self.assertLen(model.encoder.cells, 4)

  def test_mgu_preset_parameter_count(self):
    # MGU(32) on 9 channels: 2 * (9*32 + 32*32 + 32) + 32 = 2,720; Dense(32 -> 6) 198.
    self.assertEqual(count(models.build("mgu", num_classes=6), jnp.zeros((2, 128, 9))), 2918)

  @parameterized.parameters("lstm", "bigru", "multilstm")
  def test_implementation_and_input_dropout_reach_every_layer(self, name):
    model = models.build(name, num_classes=3, hidden_size=4, implementation="static",
                         input_dropout=0.25)
    self.assertEqual(model.encoder.implementation, "static")
    self.assertEqual(model.encoder.input_dropout, 0.25)
    xs, lengths = jax.random.normal(jax.random.key(0), (3, 5, 2)), jnp.array([5, 3, 1])
    variables = model.init(jax.random.key(1), xs, lengths)
    auto = models.build(name, num_classes=3, hidden_size=4)
    np.testing.assert_allclose(model.apply(variables, xs, lengths),
                               auto.apply(variables, xs, lengths), rtol=1e-5, atol=1e-6)


if __name__ == "__main__":
  absltest.main()
