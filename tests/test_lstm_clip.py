"""LSTMCell's TensorFlow clips: cell_clip (c) and proj_clip (the projected h) against the numpy
transcription (the whole contract), with bounds tight enough that the clips bind; clipped cells
are not fused."""
import functools

import jax
import jax.numpy as jnp
import numpy as np
from absl.testing import absltest

from rnnjax import cells, layers
import reference
import cell_contract
from cell_contract import B, H, LENGTHS, XS, contract_tests, randomize

CELL_CLIP, PROJ_CLIP, P = 0.3, 0.2, 3
make = functools.partial(cells.LSTMCell, H, cell_clip=CELL_CLIP, proj_size=P, proj_clip=PROJ_CLIP)
step = functools.partial(reference.lstm_step, cell_clip=CELL_CLIP, proj_clip=PROJ_CLIP)
ClippedLSTMContractTest = contract_tests(make, step, "ClippedLSTM",
                                         slow=(cell_contract.BFLOAT16,))


class ClipTest(absltest.TestCase):

  def test_the_clips_bind_on_the_contract_inputs(self):
    # Otherwise the contract above would not test them.
    layer = layers.Recurrent(make(), return_state=True)
    params = randomize(layer.init(jax.random.key(1), XS, LENGTHS)["params"], jax.random.key(2))
    free = layers.Recurrent(cells.LSTMCell(H, proj_size=P), return_state=True)
    (h, c), ys = layer.apply({"params": params}, XS, LENGTHS)
    (_, c_free), ys_free = free.apply({"params": params}, XS, LENGTHS)
    self.assertEqual(float(jnp.abs(c).max()), np.float32(CELL_CLIP))
    self.assertGreater(float(jnp.abs(c_free).max()), CELL_CLIP)
    self.assertEqual(float(jnp.abs(ys).max()), np.float32(PROJ_CLIP))
    self.assertGreater(float(jnp.abs(ys_free).max()), PROJ_CLIP)

  def test_peepholes_see_the_clipped_cell_as_tensorflow(self):
    with jax.enable_x64(True):
      layer = layers.Recurrent(cells.LSTMCell(H, cell_clip=CELL_CLIP, peepholes=True,
                                              param_dtype=jnp.float64))
      xs = jnp.asarray(XS, jnp.float64)
      params = randomize(layer.init(jax.random.key(1), xs, LENGTHS)["params"], jax.random.key(2))
      got = layer.apply({"params": params}, xs, LENGTHS)
      want, _ = reference.run(functools.partial(reference.lstm_step, cell_clip=CELL_CLIP),
                              jax.tree.map(np.asarray, params["cell"]), np.asarray(xs),
                              LENGTHS, (np.zeros((B, H)), np.zeros((B, H))))
      np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)

  def test_clipped_cells_are_not_fused_and_bad_clips_fail_clearly(self):
    self.assertIsNone(cells.LSTMCell(H, cell_clip=1.0).fused_family)
    self.assertEqual(cells.LSTMCell(H).fused_family, "lstm")
    for kwargs, message in ((dict(proj_clip=1.0), "set proj_size"),
                            (dict(cell_clip=0.0), "cell_clip must be a positive")):
      with self.assertRaisesRegex(ValueError, message):
        jax.eval_shape(layers.Recurrent(cells.LSTMCell(H, **kwargs)).init, jax.random.key(0), XS)


if __name__ == "__main__":
  absltest.main()
