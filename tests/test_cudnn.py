"""The cuDNN backend: its weight layout and semantics against JAX's reference of the cuDNN
kernel (on any backend); the whole backend on CPU with that reference in place of the GPU call
(packing, lengths, reverse, final state, gradients); its errors off GPU; and, on a GPU only,
the real kernel against the scan."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import rnn

from rnnjax import cells, layers
from rnnjax.recurrence import cudnn

B, T, D, H = 3, 5, 4, 6
XS = jax.random.normal(jax.random.key(0), (B, T, D))
LENGTHS = jnp.array([5, 2, 0])
ON_GPU = jax.default_backend() == "gpu"


def _layer(implementation, **kwargs):
  return layers.Recurrent(cells.LSTMCell(H, **kwargs), return_state=True,
                          implementation=implementation)


def _reference_kernel(x, h0, c0, weights, seq_lengths, *, input_size, hidden_size, num_layers,
                      dropout, bidirectional):
  """rnn.lstm's signature, computed by JAX's CPU reference of the cuDNN kernel."""
  w_ih, w_hh, b_ih, b_hh = rnn.unpack_lstm_weights(weights, input_size, hidden_size, num_layers,
                                                   bidirectional)
  return rnn.lstm_ref(x, h0, c0, w_ih, w_hh, b_ih, b_hh, seq_lengths, input_size, hidden_size,
                      num_layers, dropout, bidirectional)


def _loss(layer, params, lengths):
  (h, c), ys = layer.apply(params, XS, lengths)
  return jnp.sum(jnp.sin(ys)) + jnp.sum(h * c), (ys, h, c)


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


@pytest.mark.parametrize("reverse", [False, True])
def test_backend_with_the_reference_kernel_equals_the_scan(monkeypatch, reverse):
  # lstm_ref does not freeze a row of length 0 (the GPU kernel does: the GPU test below).
  lengths = jnp.array([5, 2, 1])
  monkeypatch.setattr(cudnn, "_platform", lambda: "gpu")
  monkeypatch.setattr(cudnn, "_kernel", lambda: _reference_kernel)
  scan = layers.Recurrent(cells.LSTMCell(H), return_state=True, reverse=reverse,
                          implementation="scan")
  params = scan.init(jax.random.key(1), XS, lengths)
  params["params"]["cell"]["input"]["bias"] = jax.random.normal(jax.random.key(2), (4 * H,))
  (_, want), g_want = jax.value_and_grad(lambda p: _loss(scan, p, lengths), has_aux=True)(params)
  (_, got), g_got = jax.value_and_grad(lambda p: _loss(scan.clone(implementation="cudnn"), p,
                                                       lengths), has_aux=True)(params)
  for a, b in zip(jax.tree.leaves((got, g_got)), jax.tree.leaves((want, g_want))):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(ON_GPU, reason="checks the error off GPU")
def test_cudnn_layer_initialises_off_gpu_but_running_it_there_is_a_clear_error():
  layer = _layer("cudnn")
  params = layer.init(jax.random.key(0), XS)                  # same parameters as the scan's
  assert jax.tree.map(jnp.shape, params) == jax.tree.map(
      jnp.shape, _layer("scan").init(jax.random.key(0), XS))
  with pytest.raises(ValueError, match="needs a GPU"):
    layer.apply(params, XS)


@pytest.mark.parametrize("layer, message", [
    (_layer("cudnn", peepholes=True), "plain LSTMCell only"),
    (layers.Recurrent(cells.GRUCell(H), implementation="cudnn"), "plain LSTMCell only"),
    (layers.Recurrent(cells.LSTMCell(H, dtype=jnp.bfloat16), implementation="cudnn"),
     "float32 only"),
    (layers.Recurrent(cells.LSTMCell(H), implementation="cudnn", recurrent_dropout=0.5),
     "recurrent dropout"),
])
def test_unsupported_configurations_are_named(monkeypatch, layer, message):
  monkeypatch.setattr(cudnn, "_platform", lambda: "gpu")
  params = layer.init(jax.random.key(0), XS)
  with pytest.raises(ValueError, match=message):
    layer.apply(params, XS, train=True, rngs={"dropout": jax.random.key(1)})


@pytest.mark.skipif(not ON_GPU, reason="needs a GPU with cuDNN")
@pytest.mark.parametrize("reverse", [False, True])
def test_cudnn_matches_the_scan_on_gpu(reverse):
  scan = layers.Recurrent(cells.LSTMCell(H), return_state=True, reverse=reverse,
                          implementation="scan")
  params = scan.init(jax.random.key(1), XS, LENGTHS)
  (_, want), g_want = jax.value_and_grad(lambda p: _loss(scan, p, LENGTHS), has_aux=True)(params)
  (_, got), g_got = jax.value_and_grad(lambda p: _loss(scan.clone(implementation="cudnn"), p,
                                                       LENGTHS), has_aux=True)(params)
  for a, b in zip(jax.tree.leaves((got, g_got)), jax.tree.leaves((want, g_want))):
    np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-4)    # TF32 matmuls on recent GPUs
