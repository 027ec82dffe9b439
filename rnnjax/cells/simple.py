"""The Elman / SimpleRNN cell."""
from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax.cells.base import HiddenState, InputProjection, expand
from rnnjax.typing import Array

ACTIVATIONS = {"tanh": jnp.tanh, "relu": jax.nn.relu}


class SimpleRNNCell(nn.Module):
  """Elman RNN (Elman 1990; Keras SimpleRNN, PyTorch nn.RNN): one gate, G = 1.

    h_t = act(x_t @ W + b + h_{t-1} @ U)

  Parameters: `input/kernel` W [D, H], `input/bias` b [H], `recurrent_kernel` U [H, H], and
  with `recurrent_bias` a second bias [H] (PyTorch's b_hh) added to b.
  Parameter count D*H + H*H + H (SimpleRNN(32) on 32 inputs: 2,080).

  Attributes:
    hidden_size: H.
    activation: "tanh" (default) or "relu".
    recurrent_bias: a second bias [H] (PyTorch's b_hh), added to the input bias.
    kernel_init: "glorot_uniform" (Keras) or "lecun_normal" (Flax) for W; U is orthogonal.
    dtype: compute dtype (None: from inputs and parameters); param_dtype: parameter dtype.
  """
  hidden_size: int
  activation: str = "tanh"
  recurrent_bias: bool = False
  kernel_init: str = "glorot_uniform"
  dtype: jnp.dtype | None = None
  param_dtype: jnp.dtype = jnp.float32

  num_gates = 1
  output_is_h = True   # each step outputs its new state.h

  def setup(self):
    if self.activation not in ACTIVATIONS:
      raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {self.activation!r}.")
    h = self.hidden_size
    self.input = InputProjection(h, kernel_init=self.kernel_init, dtype=self.dtype,
                                 param_dtype=self.param_dtype)
    self.recurrent_kernel = self.param("recurrent_kernel", nn.initializers.orthogonal(),
                                       (h, h), self.param_dtype)
    if self.recurrent_bias:
      self.hidden_bias = self.param("recurrent_bias", nn.initializers.zeros_init(), (h,),
                                    self.param_dtype)

  @property
  def output_size(self) -> int:
    return self.hidden_size

  def project_inputs(self, xs: Array, add_bias: bool = True) -> Array:
    """xs [..., D] -> [..., H]: one matmul for every step (without the bias if not add_bias)."""
    gx = self.input(xs, add_bias)
    if add_bias and self.recurrent_bias:
      gx = gx + expand(self.hidden_bias.astype(gx.dtype), gx)
    return gx

  def input_bias(self) -> Array:
    """The input bias [H] (+ recurrent_bias) that `project_inputs(xs, add_bias=False)` leaves
    out."""
    bias = self.input.bias()
    return bias + self.hidden_bias.astype(bias.dtype) if self.recurrent_bias else bias

  def weights(self) -> Array:
    """U [H, H]: what the step closes over."""
    return self.recurrent_kernel.astype(self.dtype or self.param_dtype)

  def initial_state(self, batch_size: int) -> HiddenState:
    return HiddenState(jnp.zeros((batch_size, self.hidden_size), self.dtype or self.param_dtype))

  def step_fn(self):
    """The pure per-step function `(weights, state, gx_t) -> (state, h_t)`."""
    return functools.partial(simple_step, activation=self.activation)


def simple_step(w_hh: Array, state: HiddenState, gx_t: Array, *, activation: str = "tanh",
                h_mask: Array | None = None) -> tuple[HiddenState, Array]:
  """One Elman step. w_hh [H, H], state.h [B, H], gx_t [B, H] -> (state, h_t [B, H]).

  h_mask [B, H] (recurrent dropout) multiplies h where it enters the recurrent matmul.
  """
  h_in = state.h if h_mask is None else state.h * h_mask
  h = ACTIVATIONS[activation](gx_t + h_in.astype(gx_t.dtype) @ w_hh.astype(gx_t.dtype))
  return HiddenState(h), h
