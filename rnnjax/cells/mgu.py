"""The minimal gated unit (MGU): one gate, as Flax's `nn.MGUCell`."""
from __future__ import annotations

from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax.cells.base import HiddenState, RecurrentCell, expand
from rnnjax.typing import Array


class MGUWeights(NamedTuple):
  """What the MGU step closes over. b_hn is None exactly when reset_gate is False."""
  w_hh: Array                  # [H, 2H]
  b_hn: Array | None = None    # [H]


class MGUCell(RecurrentCell):
  """Minimal gated unit (Zhou et al. 2016, "Minimal Gated Unit for Recurrent Neural Networks"),
  with Flax's equations (`flax.linen.MGUCell`). Gate order on every 2H axis: f (forget),
  n (candidate).

    reset_gate=True (Flax's default):
      f = sigmoid(x W_f + b_f + h_{t-1} U_f)
      n = tanh(x W_n + b_n + f * (h_{t-1} U_n + b_hn))
    reset_gate=False:
      n = tanh(x W_n + b_n + h_{t-1} U_n)
    h_t = (1 - f) * n + f * h_{t-1}

  The variant: Flax (and this cell) applies the forget gate to the candidate's recurrent term
  after its matmul, with its own bias b_hn (the GRU's "reset after" form, as cuDNN's GRU); the
  paper's equation applies f to h before it, tanh(x W_n + (f * h_{t-1}) U_n + b_n).

  Parameters: `input/kernel` W [D, 2H], `input/bias` [2H] (the f slice starts at
  `forget_bias`, 1.0 as Flax's `forget_bias_init=ones`), `recurrent_kernel` U [H, 2H], and with
  reset_gate `recurrent_bias` b_hn [H]. Flax's `if`, `in` kernels and biases are the f and n
  columns of `input`, its `hf`, `hn` kernels those of `recurrent_kernel`, its `hn` bias is
  `recurrent_bias`. MGU(32) on 32 inputs has 4,192 parameters (4,160 without reset_gate).

  Attributes:
    reset_gate: gate the candidate's recurrent term with f (above).
    forget_bias: initial value of the f slice of the input bias.
    hidden_size, kernel_init, dtype, param_dtype: see `RecurrentCell`.
  """
  reset_gate: bool = True
  forget_bias: float = 1.0

  num_gates = 2

  def setup(self):
    h = self.hidden_size
    self.input = self.input_projection(bias_init=self._bias_init)
    self.recurrent_kernel = self.recurrent_kernel_param()                  # [H, 2H]
    if self.reset_gate:
      self.recurrent_bias = self.recurrent_bias_param(h)

  def _bias_init(self, key, shape, dtype=jnp.float32):
    del key
    return jnp.zeros(shape, dtype).at[:self.hidden_size].set(self.forget_bias)

  def weights(self) -> MGUWeights:
    return MGUWeights(w_hh=self.cast(self.recurrent_kernel),
                      b_hn=self.cast(self.recurrent_bias) if self.reset_gate else None)

  @nn.nowrap
  def step(self, weights: MGUWeights, state: HiddenState, gx_t: Array,
           h_mask: Array | None = None) -> tuple[HiddenState, Array]:
    """One MGU step. gx_t [B, 2H] hoisted input term -> (new state, h_t [B, H]).

    h_mask [B, H] (recurrent dropout) multiplies h where it enters the recurrent matmul; the
    update f * h_{t-1} uses the unmasked state.
    """
    dtype = gx_t.dtype
    h_prev = state.h.astype(dtype)
    h_in = h_prev if h_mask is None else h_prev * h_mask.astype(dtype)
    a_f, a_n = jnp.split(h_in @ weights.w_hh.astype(dtype), 2, axis=-1)   # each [B, H]
    gx_f, gx_n = jnp.split(gx_t, 2, axis=-1)
    f = jax.nn.sigmoid(gx_f + a_f)
    if weights.b_hn is not None:
      n = jnp.tanh(gx_n + f * (a_n + expand(weights.b_hn.astype(dtype), a_n)))
    else:
      n = jnp.tanh(gx_n + a_n)
    h = (1.0 - f) * n + f * h_prev
    return HiddenState(h), h
