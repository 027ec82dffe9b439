"""ConvLSTMCell: the contract on 1-D frames (tests/test_cell_contract.py runs the registered 2-D
cell), Flax's ConvLSTMCell with mapped weights, Keras' parameter count, clear errors, and a
moving-square next-frame demo (moving MNIST in miniature) whose loss must drop below what no
spatial model could reach."""
import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from absl.testing import absltest

from rnnjax import cells, layers
import reference
import cell_contract
from cell_contract import B, D, H, T, contract_tests

ConvLSTM1DContractTest = contract_tests(
    functools.partial(cells.ConvLSTMCell, H, kernel_size=(3,)), reference.convlstm_step,
    "ConvLSTM1D", input_shape=(6, D),
    slow=(cell_contract.GRADIENTS, cell_contract.BFLOAT16, cell_contract.BACKENDS))  # as the 2-D


def moving_squares(rng: np.random.Generator, n: int, steps: int = 5, size: int = 6,
                   side: int = 2) -> np.ndarray:
  """n clips [n, steps, size, size, 1]: a side x side square moving one pixel per step
  diagonally, bouncing off the edges."""
  frames = np.zeros((n, steps, size, size, 1), np.float32)
  position = rng.integers(0, size - side + 1, (n, 2))
  velocity = rng.choice([-1, 1], (n, 2))
  for i in range(n):
    p, v = position[i].copy(), velocity[i].copy()
    for t in range(steps):
      frames[i, t, p[0]:p[0] + side, p[1]:p[1] + side] = 1.0
      v = np.where((p + v < 0) | (p + v > size - side), -v, v)
      p = p + v
  return frames


class NextFrame(nn.Module):
  """frames [B, T, H_img, W, 1] -> logits of the next frames [B, T, H_img, W, 1]."""
  filters: int = 6

  @nn.compact
  def __call__(self, frames):
    hs = layers.Recurrent(cells.ConvLSTMCell(self.filters, kernel_size=(3, 3)))(frames)
    return nn.Dense(1)(hs)                                               # per pixel


class ConvLSTMTest(absltest.TestCase):

  def test_equals_flax_conv_lstm_cell_with_mapped_weights(self):
    xs = jax.random.normal(jax.random.key(0), (B, T, 5, 4, D))
    layer = layers.Recurrent(cells.ConvLSTMCell(H, kernel_size=(3, 2)))
    flax_cell = nn.ConvLSTMCell(features=H, kernel_size=(3, 2))
    carry = flax_cell.initialize_carry(jax.random.key(1), xs[:, 0].shape)
    fp = flax_cell.init(jax.random.key(2), carry, xs[:, 0])["params"]
    fp = jax.tree.map(lambda p: p + 0.1 * jax.random.normal(jax.random.key(3), p.shape), fp)

    def ours(p):                       # Flax: gates i, g, f, o; sigmoid(f + 1); two biases
      i, g, f, o = jnp.split(p, 4, axis=-1)
      return jnp.concatenate([i, f, g, o], axis=-1)
    bias = fp["ih"]["bias"] + fp["hh"]["bias"] + jnp.repeat(jnp.array([0., 0., 1., 0.]), H)
    params = {"cell": {"input": {"kernel": ours(fp["ih"]["kernel"]), "bias": ours(bias)},
                       "recurrent_kernel": ours(fp["hh"]["kernel"])}}
    got, want = jax.jit(lambda: (layer.apply({"params": params}, xs),
                                 nn.RNN(flax_cell).apply({"params": {"cell": fp}}, xs)))()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)

  def test_parameter_count_matches_keras_conv_lstm_2d(self):
    # Keras ConvLSTM2D(32, 3) on 32 channels: 4 * (9*32*32 + 9*32*32 + 32) = 73,856.
    layer = layers.Recurrent(cells.ConvLSTMCell(32, kernel_size=(3, 3)))
    params = jax.eval_shape(layer.init, jax.random.key(0), jnp.zeros((1, 2, 5, 5, 32)))["params"]
    self.assertEqual(sum(p.size for p in jax.tree.leaves(params)), 73_856)
    self.assertEqual(params["cell"]["input"]["kernel"].shape, (3, 3, 32, 128))
    self.assertEqual(params["cell"]["recurrent_kernel"].shape, (3, 3, 32, 128))
    bias = layers.Recurrent(cells.ConvLSTMCell(2, kernel_size=(1,))).init(
        jax.random.key(0), jnp.zeros((1, 1, 1, 1)))["params"]["cell"]["input"]["bias"]
    np.testing.assert_array_equal(bias, [0, 0, 1, 1, 0, 0, 0, 0])        # forget bias 1.0

  def test_bad_options_and_inputs_fail_clearly(self):
    xs = jnp.zeros((2, 3, 4, 4, 1))
    for kwargs, message in ((dict(kernel_size=(3, 3, 3, 3)), "kernel_size"),
                            (dict(kernel_size=(3,), padding="valid"), "padding"),
                            (dict(kernel_size=(3,)), r"rank 4, \[B, T, \*S, D\]")):
      with self.assertRaisesRegex(ValueError, message):
        jax.eval_shape(layers.Recurrent(cells.ConvLSTMCell(2, **kwargs)).init,
                       jax.random.key(0), xs)
    with self.assertRaisesRegex(ValueError, "spatial shape"):
      cells.ConvLSTMCell(2).initial_state(2)

  def test_learns_to_predict_the_next_frame_of_a_moving_square(self):
    rng = np.random.default_rng(0)
    train, test = moving_squares(rng, 256), moving_squares(rng, 64)
    model, tx = NextFrame(), optax.adam(0.03)
    params = model.init(jax.random.key(0), train[:2, :-1])
    loss = lambda p, x: optax.sigmoid_binary_cross_entropy(  # noqa: E731
        model.apply(p, x[:, :-1]), x[:, 1:]).mean()

    @jax.jit
    def train_step(p, opt, x):
      grads = jax.grad(loss)(p, x)
      updates, opt = tx.update(grads, opt, p)
      return optax.apply_updates(p, updates), opt

    start, opt = float(loss(params, test)), tx.init(params)
    for i in range(100):
      params, opt = train_step(params, opt, train[16 * i % 256:16 * i % 256 + 16])
    mean = test[:, 1:].mean()
    best_constant = -(mean * np.log(mean) + (1 - mean) * np.log(1 - mean))   # no model of space
    pred = jax.nn.sigmoid(model.apply(params, test[:, :-1]))
    final = float(loss(params, test))
    error = float(jnp.mean((pred - test[:, 1:]) ** 2))
    repeat = float(np.mean((test[:, :-1] - test[:, 1:]) ** 2))      # "the square stays put"
    # Measured (these seeds): test loss 0.69 -> 0.21, against 0.35 for the best constant
    # prediction; squared error 0.067 against 0.167 for repeating the current frame.
    self.assertLess(final, 0.5 * start)
    self.assertLess(final, 0.75 * best_constant)
    self.assertLess(error, 0.6 * repeat)


if __name__ == "__main__":
  absltest.main()
