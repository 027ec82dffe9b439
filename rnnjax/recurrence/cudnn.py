"""The cuDNN LSTM (`jax.experimental.rnn.lstm`): the "cudnn" backend.

cuDNN runs the whole LSTM (forward and backward, with `seq_lengths`) as one fused GPU kernel.
It takes one flat weight vector in its own layout: for one layer and direction,
  [W_ih [4H, D], W_hh [4H, H], b_ih [4H], b_hh [4H]], gates i, f, g, o (PyTorch's order).
rnnjax's LSTMCell keeps W_ih^T [D, 4H], W_hh^T [H, 4H] and one bias, so `pack_weights` transposes
them and gives cuDNN a zero b_hh (the sum of the two biases is what counts).

Covered: the plain LSTMCell (`fused_family == "lstm"`), float32, without recurrent dropout.
Tested: the weight layout and semantics on CPU against `jax.experimental.rnn.lstm_ref` (JAX's
reference of the cuDNN kernel) and the scan; on an H100 (jax 0.11.2), values and gradients
equal to the scan's (tests/test_cudnn.py, with lengths and reverse).
Not chosen by `implementation="auto"`: it has not been measured against the fused loop with the
current code (the GPU command in benchmarks/README.md adds a `cudnn_lstm` row).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from rnnjax.cells.base import check_features
from rnnjax.recurrence.call import Call, reverse_padded
from rnnjax.typing import Array


def pack_weights(kernel: Array, w_hh: Array, bias: Array) -> Array:
  """kernel [D, 4H], w_hh [H, 4H], bias [4H] -> cuDNN's flat weights [4H * (D + H + 2)]."""
  return jnp.concatenate([kernel.T.reshape(-1), w_hh.T.reshape(-1), bias,
                          jnp.zeros_like(bias)])


def unsupported(call: Call, platform: str | None = None) -> str | None:
  """None if cuDNN can run `call`, else the reason it cannot (platform: default backend)."""
  if getattr(call.cell, "fused_family", None) != "lstm":
    return (f"cuDNN runs the plain LSTMCell only (no peepholes, proj_size or layer_norm); got "
            f"{type(call.cell).__name__}")
  if call.h_mask is not None:
    return "cuDNN has no variational recurrent dropout"
  dtypes = (call.xs.dtype, call.cell.weights().w_hh.dtype, call.state0.h.dtype)
  others = sorted({jnp.dtype(d).name for d in dtypes} - {"float32"})
  if others:
    return f"the cuDNN path runs float32 only, got {', '.join(others)}"
  platform = platform or _platform()
  if platform != "gpu":
    return f"cuDNN needs a GPU; the default backend is {platform!r}"
  return None


def _platform() -> str:
  return jax.default_backend()


def _kernel():
  """JAX's cuDNN LSTM call (tests on CPU swap in its reference, `rnn.lstm_ref`)."""
  from jax.experimental import rnn  # noqa: PLC0415  (imports GPU plugins lazily)
  return rnn.lstm


def lstm(xs: Array, lengths: Array, kernel: Array, w_hh: Array, bias: Array, h0: Array,
         c0: Array) -> tuple[Array, tuple[Array, Array]]:
  """One cuDNN LSTM layer: xs [B, T, D], lengths [B] -> (ys [B, T, H], (h [B, H], c [B, H])).

  Outputs past a row's length are zero; (h, c) is the state at its last valid step.
  """
  hidden = w_hh.shape[0]
  ys, h, c = _kernel()(xs, h0[None], c0[None], pack_weights(kernel, w_hh, bias),
                      lengths.astype(jnp.int32), input_size=xs.shape[-1], hidden_size=hidden,
                      num_layers=1, dropout=0.0, bidirectional=False)
  return ys, (h[0], c[0])


class CudnnBackend:
  """The cuDNN LSTM on a GPU; asked for with implementation="cudnn" (auto does not pick it)."""
  name = "cudnn"
  auto = False

  def supports(self, call: Call) -> str | None:
    return unsupported(call)

  def run(self, call: Call):
    cell = call.cell
    kernel = cell.input_kernel()
    check_features(kernel, call.xs, "This LSTMCell")
    xs = jnp.swapaxes(call.xs, 0, 1)                                   # [B, T, D]
    if call.reverse:
      xs = reverse_padded(xs, call.lengths)
    ys, (h, c) = lstm(xs, call.lengths, kernel, cell.weights().w_hh, cell.input_bias(),
                      call.state0.h, call.state0.c)
    return call.final_state((h, c)), call.in_time_order(jnp.swapaxes(ys, 0, 1))
