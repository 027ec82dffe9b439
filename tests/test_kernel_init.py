"""kernel_init names (cells.KERNEL_INITS, Keras' names): each initialiser's variance on a dense
and a conv kernel, orthogonality, and a clear error for an unknown name."""
import jax
import jax.numpy as jnp
import numpy as np
from absl.testing import absltest, parameterized

from rnnjax import cells, layers

D, H = 200, 64                                  # input kernel [200, 256]: 51,200 draws

# Variance of each initialiser for fans (fan_in, fan_out), as Keras defines them.
VARIANCE = {"glorot_uniform": lambda i, o: 2 / (i + o), "glorot_normal": lambda i, o: 2 / (i + o),
            "lecun_normal": lambda i, o: 1 / i, "lecun_uniform": lambda i, o: 1 / i,
            "he_normal": lambda i, o: 2 / i, "he_uniform": lambda i, o: 2 / i}


def input_kernel(cell, xs):
  return layers.Recurrent(cell).init(jax.random.key(0), xs)["params"]["cell"]["input"]["kernel"]


class KernelInitTest(parameterized.TestCase):

  def test_every_name_is_registered(self):
    self.assertCountEqual(cells.KERNEL_INITS, list(VARIANCE) + ["orthogonal"])

  @parameterized.parameters(*VARIANCE)
  def test_variance_of_a_dense_kernel(self, name):
    kernel = input_kernel(cells.LSTMCell(H, kernel_init=name), jnp.zeros((1, 1, D)))
    want = VARIANCE[name](D, 4 * H)
    # 51,200 draws: the sample variance is within ~1 % (2 standard errors) of the truth.
    self.assertAlmostEqual(float(jnp.var(kernel)) / want, 1.0, delta=0.03)

  def test_conv_kernel_fans_count_the_receptive_field(self):
    cell = cells.ConvLSTMCell(16, kernel_size=(3, 3), kernel_init="he_normal")
    kernel = input_kernel(cell, jnp.zeros((1, 1, 4, 4, 32)))             # [3, 3, 32, 64]
    self.assertAlmostEqual(float(jnp.var(kernel)) / (2 / (9 * 32)), 1.0, delta=0.03)

  def test_orthogonal_kernel_has_orthonormal_columns(self):
    kernel = input_kernel(cells.GRUCell(H, kernel_init="orthogonal"), jnp.zeros((1, 1, D)))
    np.testing.assert_allclose(kernel.T @ kernel, np.eye(3 * H), atol=1e-5)   # [200, 192]
    self.assertEqual(kernel.shape, (D, 3 * H))

  def test_unknown_name_fails_clearly(self):
    with self.assertRaisesRegex(ValueError, "he_uniform"):
      input_kernel(cells.SimpleRNNCell(H, kernel_init="he"), jnp.zeros((1, 1, D)))


if __name__ == "__main__":
  absltest.main()
