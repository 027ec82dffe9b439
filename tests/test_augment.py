"""Training-time input augmentation (rnnjax.layers.augment): RandomScaling and GaussianNoise."""
from absl.testing import absltest
import jax
import jax.numpy as jnp
import numpy as np

from rnnjax import layers, models

B, T, D = 512, 6, 3
XS = 1.0 + jax.random.uniform(jax.random.key(0), (B, T, D))          # in [1, 2): no zeros


def apply(layer, xs=XS, key=1, train=True):
  return layer.apply({}, xs, train=train, rngs={"dropout": jax.random.key(key)})


class RandomScalingTest(absltest.TestCase):

  def test_one_factor_per_sequence_and_channel_distributed_as_normal_1_stddev(self):
    factors = np.asarray(apply(layers.RandomScaling(0.1)) / XS)                # [B, T, D]
    np.testing.assert_allclose(factors, factors[:, :1, :] * np.ones((1, T, 1)), rtol=1e-6)
    self.assertAlmostEqual(factors[:, 0].mean(), 1.0, delta=3 * 0.1 / np.sqrt(B * D))
    self.assertAlmostEqual(factors[:, 0].std(), 0.1, delta=0.01)

  def test_identity_in_evaluation_and_reproducible_per_key(self):
    layer = layers.RandomScaling(0.1)
    np.testing.assert_array_equal(apply(layer, train=False), XS)
    np.testing.assert_array_equal(apply(layer, key=3), apply(layer, key=3))
    self.assertFalse(np.allclose(apply(layer, key=3), apply(layer, key=4)))


class GaussianNoiseTest(absltest.TestCase):

  def test_adds_independent_noise_of_the_given_stddev(self):
    noise = np.asarray(apply(layers.GaussianNoise(0.2)) - XS)
    self.assertAlmostEqual(noise.mean(), 0.0, delta=3 * 0.2 / np.sqrt(noise.size))
    self.assertAlmostEqual(noise.std(), 0.2, delta=0.01)
    self.assertLess(abs(np.corrcoef(noise[:, 0, 0], noise[:, 1, 0])[0, 1]), 0.15)

  def test_identity_in_evaluation_and_a_negative_stddev_is_an_error(self):
    np.testing.assert_array_equal(apply(layers.GaussianNoise(0.2), train=False), XS)
    with self.assertRaisesRegex(ValueError, "stddev must be >= 0"):
      apply(layers.GaussianNoise(-0.1))


class ClassifierAugmentationTest(absltest.TestCase):

  def test_changes_training_outputs_only(self):
    xs, lengths = XS[:4], jnp.array([6, 2, 4, 1])
    plain = models.build("lstm", num_classes=2, hidden_size=4)
    model = models.build("lstm", num_classes=2, hidden_size=4, input_scaling=0.1,
                         input_noise=0.1)
    params = plain.init(jax.random.key(0), xs, lengths)["params"]     # no parameters added
    rngs = {"dropout": jax.random.key(5)}
    np.testing.assert_array_equal(model.apply({"params": params}, xs, lengths),
                                  plain.apply({"params": params}, xs, lengths))
    self.assertFalse(np.allclose(model.apply({"params": params}, xs, lengths, train=True,
                                             rngs=rngs),
                                 plain.apply({"params": params}, xs, lengths, train=True,
                                             rngs=rngs)))

  def test_token_ids_cannot_be_augmented(self):
    model = models.build("lstm", num_classes=1, hidden_size=4, vocab_size=10, input_noise=0.1)
    with self.assertRaisesRegex(ValueError, "input_scaling and input_noise augment float"):
      model.init(jax.random.key(0), jnp.ones((2, 3), jnp.int32), jnp.array([3, 2]))


if __name__ == "__main__":
  absltest.main()
