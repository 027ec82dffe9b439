"""The cuDNN LSTM path: its weight layout and semantics against JAX's reference of the cuDNN
kernel (on any backend), the layer's errors off GPU, and (on a GPU only) cudnn == scan."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import rnn

from rnnjax import cells, cudnn, layers

B, T, D, H = 3, 5, 4, 6
XS = jax.random.normal(jax.random.key(0), (B, T, D))
ON_GPU = jax.default_backend() == "gpu"


def _layer(implementation, **kwargs):
  return layers.Recurrent(cells.LSTMCell(H, **kwargs), return_state=True,
                          implementation=implementation)


def test_packed_weights_run_by_the_cudnn_reference_match_the_scan():
  layer = _layer("scan")
  params = layer.init(jax.random.key(1), XS)["params"]
  params["cell"]["input"]["bias"] = jax.random.normal(jax.random.key(2), (4 * H,))
  (h, c), ys = layer.apply({"params": params}, XS)
  p = params["cell"]
  flat = cudnn.pack_weights(p["input"]["kernel"], p["recurrent_kernel"], p["input"]["bias"])
  assert flat.size == rnn.get_num_params_in_lstm(D, H, 1, False)
  w_ih, w_hh, b_ih, b_hh = rnn.unpack_lstm_weights(flat, D, H, 1, False)
  zeros = jnp.zeros((1, B, H))
  ref_ys, ref_h, ref_c = rnn.lstm_ref(XS, zeros, zeros, w_ih, w_hh, b_ih, b_hh,
                                      jnp.full((B,), T, jnp.int32), D, H, 1, 0.0, False)
  np.testing.assert_allclose(ys, ref_ys, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(h, ref_h[0], rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(c, ref_c[0], rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(ON_GPU, reason="checks the error off GPU")
def test_cudnn_layer_initialises_off_gpu_but_running_it_there_is_a_clear_error():
  layer = _layer("cudnn")
  params = layer.init(jax.random.key(0), XS)                  # same parameters as the scan's
  assert jax.tree.map(jnp.shape, params) == jax.tree.map(
      jnp.shape, _layer("scan").init(jax.random.key(0), XS))
  with pytest.raises(ValueError, match="needs a GPU"):
    layer.apply(params, XS)


def test_unsupported_configurations_are_named():
  weights = cells.lstm.LSTMWeights(w_hh=jnp.zeros((H, 4 * H)), peepholes=jnp.zeros((3, H)))
  assert "plain LSTM" in cudnn.supported(weights, None, jnp.float32)
  plain = cells.lstm.LSTMWeights(w_hh=jnp.zeros((H, 4 * H)))
  assert "recurrent dropout" in cudnn.supported(plain, jnp.ones((B, H)), jnp.float32)
  assert "bfloat16" in cudnn.supported(plain, None, jnp.float32, jnp.bfloat16)
  gru = layers.Recurrent(cells.GRUCell(H), implementation="cudnn")
  with pytest.raises(ValueError, match="LSTMCell only"):
    gru.apply(gru.init(jax.random.key(0), XS), XS)


@pytest.mark.skipif(not ON_GPU, reason="needs a GPU with cuDNN")
@pytest.mark.parametrize("reverse", [False, True])
def test_cudnn_matches_the_scan_on_gpu(reverse):
  lengths = jnp.array([5, 2, 0])
  scan = layers.Recurrent(cells.LSTMCell(H), return_state=True, reverse=reverse,
                          implementation="scan")
  fused = layers.Recurrent(cells.LSTMCell(H), return_state=True, reverse=reverse,
                           implementation="cudnn")
  params = scan.init(jax.random.key(1), XS, lengths)

  def loss(layer, p):
    (h, c), ys = layer.apply(p, XS, lengths)
    return ys.sum() + (h * c).sum(), (ys, h, c)

  (_, want), g_want = jax.value_and_grad(lambda p: loss(scan, p), has_aux=True)(params)
  (_, got), g_got = jax.value_and_grad(lambda p: loss(fused, p), has_aux=True)(params)
  for a, b in zip(jax.tree.leaves((got, g_got)), jax.tree.leaves((want, g_want))):
    np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-4)    # TF32 matmuls on recent GPUs
