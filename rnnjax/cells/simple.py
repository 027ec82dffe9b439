"""The Elman / SimpleRNN cell."""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax.cells.base import HiddenState, RecurrentCell
from rnnjax.typing import Array

ACTIVATIONS = {"tanh": jnp.tanh, "relu": jax.nn.relu}


class SimpleRNNCell(RecurrentCell):
  """Elman RNN (Elman 1990; Keras SimpleRNN, PyTorch nn.RNN): one gate, G = 1.

    h_t = act(x_t @ W + b + h_{t-1} @ U)

  Parameters: `input/kernel` W [D, H], `input/bias` b [H], `recurrent_kernel` U [H, H], and
  with recurrent_bias a second bias `recurrent_bias` [H] (PyTorch's b_hh, added to b; it exists
  so that converted weights round-trip exactly).
  Parameter count D*H + H*H + H (SimpleRNN(32) on 32 inputs: 2,080).

  Attributes:
    activation: "tanh" (default) or "relu".
    recurrent_bias: keep PyTorch's second bias (above).
    hidden_size, kernel_init, dtype, param_dtype: see `RecurrentCell`.
  """
  activation: str = "tanh"
  recurrent_bias: bool = False

  num_gates = 1

  def setup(self):
    if self.activation not in ACTIVATIONS:
      raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {self.activation!r}.")
    h = self.hidden_size
    self.input = self.input_projection()
    self.recurrent_kernel = self.recurrent_kernel_param()                  # [H, H]
    if self.recurrent_bias:
      self.recurrent_bias_vector = self.recurrent_bias_param(h)

  def second_input_bias(self) -> Array | None:
    return self.recurrent_bias_vector if self.recurrent_bias else None

  def weights(self) -> Array:
    """U [H, H]: what the step closes over."""
    return self.cast(self.recurrent_kernel)

  @nn.nowrap
  def step(self, weights: Array, state: HiddenState, gx_t: Array,
           h_mask: Array | None = None) -> tuple[HiddenState, Array]:
    """One Elman step. weights U [H, H], state.h [B, H], gx_t [B, H] -> (state, h_t [B, H])."""
    h_in = state.h if h_mask is None else state.h * h_mask
    h = ACTIVATIONS[self.activation](gx_t + h_in.astype(gx_t.dtype) @ weights.astype(gx_t.dtype))
    return HiddenState(h), h
