"""input_dropout (Keras' `dropout=`) on Recurrent, Bidirectional and Stacked: one mask per
sequence over the input features, reused at every step, scaled by 1 / (1 - rate), train only.

The layers here see their inputs directly: SimpleRNN cells with W = I, b = 0 and U = 0 give
h_t = tanh(x_t * mask / keep), so the outputs show the mask of every step.
"""
import jax
import jax.numpy as jnp
import numpy as np
from absl.testing import absltest

from rnnjax import cells, layers

B, T, F = 3, 6, 16
RATE = 0.5
XS = jnp.full((B, T, F), 0.1)
KEEP = 1.0 - RATE


def see_through(params):
  """Every cell's parameters set to W = I, b = 0, U = 0."""
  def fix(path, p):
    name = jax.tree_util.keystr(path)
    return jnp.eye(F) if "kernel" in name and "recurrent" not in name else jnp.zeros_like(p)
  return jax.tree_util.tree_map_with_path(fix, params)


def run(layer, key=0, train=True):
  params = see_through(layer.init(jax.random.key(9), XS)["params"])
  return layer.apply({"params": params}, XS, train=train, rngs={"dropout": jax.random.key(key)})


class InputDropoutTest(absltest.TestCase):

  def test_one_mask_per_sequence_reused_at_every_step(self):
    ys = np.asarray(run(layers.Recurrent(cells.SimpleRNNCell(F), input_dropout=RATE)))
    kept = ys != 0                                                   # [B, T, F]
    np.testing.assert_array_equal(kept, np.broadcast_to(kept[:, :1], kept.shape))
    np.testing.assert_allclose(ys[kept], np.tanh(0.1 / KEEP), rtol=1e-6)
    self.assertTrue(0 < kept[:, 0].mean() < 1)
    self.assertFalse(np.array_equal(kept[0, 0], kept[1, 0]))         # each row its own mask

  def test_only_in_training_and_reproducible_per_key(self):
    layer = layers.Recurrent(cells.SimpleRNNCell(F), input_dropout=RATE)
    np.testing.assert_allclose(run(layer, train=False), np.tanh(0.1), rtol=1e-6)
    np.testing.assert_array_equal(run(layer, key=0), run(layer, key=0))
    self.assertFalse(np.array_equal(run(layer, key=0), run(layer, key=1)))

  def test_bidirectional_directions_draw_their_own_masks(self):
    ys = np.asarray(run(layers.Bidirectional(cells.SimpleRNNCell(F), cells.SimpleRNNCell(F),
                                             input_dropout=RATE)))
    forward, backward = ys[..., :F] != 0, ys[..., F:] != 0
    for kept in (forward, backward):
      np.testing.assert_array_equal(kept, np.broadcast_to(kept[:, :1], kept.shape))
    self.assertFalse(np.array_equal(forward, backward))

  def test_stacked_drops_every_layers_inputs(self):
    ys = np.asarray(run(layers.Stacked([cells.SimpleRNNCell(F)] * 2, input_dropout=RATE)))
    kept = ys != 0
    np.testing.assert_array_equal(kept, np.broadcast_to(kept[:, :1], kept.shape))
    # Both layers scaled their kept inputs by 1 / keep: layer 1 saw tanh(0.1 / keep).
    np.testing.assert_allclose(ys[kept], np.tanh(np.tanh(0.1 / KEEP) / KEEP), rtol=1e-6)

  def test_bad_rate_fails_clearly(self):
    with self.assertRaisesRegex(ValueError, "input_dropout must be in"):
      run(layers.Recurrent(cells.SimpleRNNCell(F), input_dropout=1.0))


if __name__ == "__main__":
  absltest.main()
