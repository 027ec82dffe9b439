"""The cuDNN LSTM (`jax.experimental.rnn.lstm`) behind `Recurrent(..., implementation="cudnn")`.

cuDNN runs the whole LSTM (forward and backward, with `seq_lengths`) as one fused GPU kernel.
It takes one flat weight vector in its own layout: for one layer and direction,
  [W_ih [4H, D], W_hh [4H, H], b_ih [4H], b_hh [4H]], gates i, f, g, o (PyTorch's order).
rnnjax's LSTMCell keeps W_ih^T [D, 4H], W_hh^T [H, 4H] and one bias, so `pack_weights` transposes
them and gives cuDNN a zero b_hh (the sum of the two biases is what counts).

Covered: the plain LSTMCell (no peepholes, projection or layer norm), float32, without recurrent
dropout. Tested: the weight layout and semantics on CPU against `jax.experimental.rnn.lstm_ref`
(JAX's reference of the cuDNN kernel) and the scan; on an H100 (jax 0.11.2), values and
gradients equal to the scan's (tests/test_cudnn.py, with lengths and reverse).
Not chosen by `implementation="auto"`: on the H100, this path (JAX's cuDNN binding) was 1.0-3.2x
slower than rnnjax's fused loop on every benchmarked workload, training and inference
(benchmarks/results/gpu/results.md), although torch's nn.LSTM on the same cuDNN was faster
than both on small batches: the cost is in JAX's binding, not in cuDNN.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from rnnjax.typing import Array


def pack_weights(kernel: Array, w_hh: Array, bias: Array) -> Array:
  """kernel [D, 4H], w_hh [H, 4H], bias [4H] -> cuDNN's flat weights [4H * (D + H + 2)]."""
  return jnp.concatenate([kernel.T.reshape(-1), w_hh.T.reshape(-1), bias,
                          jnp.zeros_like(bias)])


def supported(weights, h_mask: Array | None, *dtypes) -> str | None:
  """None if cuDNN can run this LSTM configuration, else the reason it cannot. `dtypes`: those
  of the inputs, weights and state (all must be float32)."""
  if weights.peepholes is not None or weights.projection is not None or \
      weights.recurrent_norm_scale is not None or weights.cell_norm is not None:
    return "cuDNN runs the plain LSTM only (no peepholes, proj_size or layer_norm)"
  if h_mask is not None:
    return "cuDNN has no variational recurrent dropout"
  others = sorted({jnp.dtype(d).name for d in dtypes} - {"float32"})
  if others:
    return f"the cuDNN path runs float32 only, got {', '.join(others)}"
  if jax.default_backend() != "gpu":
    return f"cuDNN needs a GPU; the default backend is {jax.default_backend()!r}"
  return None


def lstm(xs: Array, lengths: Array, kernel: Array, w_hh: Array, bias: Array, h0: Array,
         c0: Array) -> tuple[Array, tuple[Array, Array]]:
  """One cuDNN LSTM layer: xs [B, T, D], lengths [B] -> (ys [B, T, H], (h [B, H], c [B, H])).

  Outputs past a row's length are zero; (h, c) is the state at its last valid step.
  """
  from jax.experimental import rnn  # noqa: PLC0415  (imports GPU plugins lazily)
  hidden = w_hh.shape[0]
  ys, h, c = rnn.lstm(xs, h0[None], c0[None], pack_weights(kernel, w_hh, bias),
                      lengths.astype(jnp.int32), input_size=xs.shape[-1], hidden_size=hidden,
                      num_layers=1, dropout=0.0, bidirectional=False)
  return ys, (h[0], c[0])
