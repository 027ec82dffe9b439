"""The residual-block presets of the linear recurrent cells (mingru, minlstm, lru): shapes,
parameter counts, padding, and overfitting one tiny batch."""
import functools

import jax
import jax.numpy as jnp
import numpy as np
from absl.testing import absltest, parameterized

from rnnjax import models, train

B, T, D, C, H = 4, 9, 3, 2, 8
XS = np.asarray(jax.random.normal(jax.random.key(0), (B, T, D)))
LENGTHS = np.array([9, 5, 1, 7], np.int32)
BLOCKS = ("mingru", "minlstm", "lru")


def _count(params) -> int:
  return sum(x.size for x in jax.tree.leaves(params))


class BlockPresetTest(parameterized.TestCase):

  def test_parameter_counts(self):
    counts = {name: _count(jax.eval_shape(
        models.build(name, num_classes=C, hidden_size=H, num_layers=2).init,
        jax.random.key(0), XS, LENGTHS)["params"]) for name in BLOCKS}
    # Each block: LayerNorm 2H, the cell, GLU 2 (H*H + H); around them Dense(D -> H), the
    # final LayerNorm 2H and the classifier H*C + C.
    around = D * H + H + 2 * H + H * C + C
    block = 2 * H + 2 * (H * H + H)
    cell = {"mingru": 2 * (H * H + H), "minlstm": 3 * (H * H + H),
            # LRU, N = H, diagonal skip: B [H, 2N] + bias 2N, nu/theta/gamma 3N, C [2N, H], D H
            "lru": H * 2 * H + 2 * H + 3 * H + 2 * H * H + H}
    self.assertEqual(counts, {n: around + 2 * (block + cell[n]) for n in BLOCKS})

  @parameterized.parameters(*BLOCKS)
  def test_padding_reaches_no_logit_and_no_gradient(self, name):
    model = models.build(name, num_classes=C, hidden_size=H, num_layers=2, readout="mean")
    params = jax.jit(model.init)(jax.random.key(1), XS, LENGTHS)["params"]
    pad = np.arange(T)[None, :, None] >= LENGTHS[:, None, None]
    junk = np.where(pad, np.nan, XS).astype(np.float32)

    def loss(params, xs):
      return jnp.sum(jnp.sin(model.apply({"params": params}, xs, LENGTHS)))

    (clean, g_clean), (dirty, g_dirty) = jax.jit(
        lambda p: [jax.value_and_grad(loss)(p, x) for x in (XS, junk)])(params)
    np.testing.assert_allclose(dirty, clean, rtol=1e-6)
    for a, b in zip(jax.tree.leaves(g_dirty), jax.tree.leaves(g_clean)):
      np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)

  def test_recurrent_dropout_is_an_error_that_names_it(self):
    with self.assertRaisesRegex(ValueError, "recurrent_dropout"):
      models.build("lru", num_classes=C, recurrent_dropout=0.2)

  @parameterized.parameters(*BLOCKS)
  def test_overfits_one_small_batch(self, name):
    # 8 sequences, label = whether the first step's first feature is positive: the model must
    # carry the first step to the last (readout "last") through two blocks.
    xs = np.asarray(jax.random.normal(jax.random.key(2), (8, T, D)), np.float32)
    batch = {"inputs": xs, "lengths": np.full((8,), T, np.int32),
             "labels": (xs[:, 0, 0] > 0).astype(np.int32)}
    model = models.build(name, num_classes=C, hidden_size=H, num_layers=2)
    state = train.create_train_state(model, jax.random.key(3), batch,
                                     train.make_optimizer("adam", 1e-2))
    step = jax.jit(functools.partial(train.train_step, key=jax.random.key(4)))
    for _ in range(150):
      state, metrics = step(state, batch)
    self.assertLess(float(metrics["loss"] / metrics["count"]), 0.05, name)
    self.assertEqual(float(metrics["correct"]), 8.0)


if __name__ == "__main__":
  absltest.main()
