"""The GRU cell, in both variants: reset gate after (cuDNN) or before (Cho et al.) the matmul."""
from __future__ import annotations

from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax.cells.base import HiddenState, RecurrentCell, expand, gate_layer_norm
from rnnjax.typing import Array


class GRUWeights(NamedTuple):
  """What the GRU step closes over. b_hh is None exactly for the reset-before variant."""
  w_hh: Array                                 # [H, 3H]
  b_hh: Array | None = None                   # [3H]
  recurrent_norm_scale: Array | None = None   # [3H]


class GRUCell(RecurrentCell):
  """GRU (Cho et al. 2014). Gate order on every 3H axis: r (reset), z (update), n (candidate),
  as in PyTorch.

    reset_after=True (cuDNN, PyTorch, Keras 3 default):
      a = h_{t-1} @ U + b_h                      [B, 3H]
      r = sigmoid(x W_r + b_r + a_r),  z = sigmoid(x W_z + b_z + a_z)
      n = tanh(x W_n + b_n + r * a_n)
    reset_after=False (Cho et al. 2014, Keras `reset_after=False`):
      r, z as above with a = h_{t-1} @ U[:, :2H] (no recurrent bias)
      n = tanh(x W_n + b_n + (r * h_{t-1}) @ U[:, 2H:])
    h_t = (1 - z) * n + z * h_{t-1}

  layer_norm normalises each gate's slice of x @ W and of the recurrent term separately, with
  a learned scale (Ba et al. 2016).

  Parameters: `input/kernel` W [D, 3H], `input/bias` [3H], `recurrent_kernel` U [H, 3H], and
  for reset_after `recurrent_bias` b_h [3H]; with layer_norm `input/norm_scale`,
  `recurrent_norm_scale` [3H]. GRU(32) on 32 inputs has 6,336 parameters (reset after) or
  6,240 (reset before).

  Attributes:
    reset_after: which variant (above).
    layer_norm: per-gate layer normalisation.
    hidden_size, kernel_init, dtype, param_dtype: see `RecurrentCell`.
  """
  reset_after: bool = True
  layer_norm: bool = False

  num_gates = 3

  def setup(self):
    h = self.hidden_size
    self.input = self.input_projection(layer_norm=self.layer_norm)
    self.recurrent_kernel = self.recurrent_kernel_param()                  # [H, 3H]
    if self.reset_after:
      self.recurrent_bias = self.recurrent_bias_param(3 * h)
    if self.layer_norm:
      self.recurrent_norm_scale = self.param("recurrent_norm_scale", nn.initializers.ones_init(),
                                             (3 * h,), self.param_dtype)

  @property
  def fused_family(self) -> str | None:
    """"gru" when the fused GRU loops compute this configuration exactly: reset after, no
    layer norm."""
    return "gru" if self.reset_after and not self.layer_norm else None

  def weights(self) -> GRUWeights:
    return GRUWeights(
        w_hh=self.cast(self.recurrent_kernel),
        b_hh=self.cast(self.recurrent_bias) if self.reset_after else None,
        recurrent_norm_scale=self.cast(self.recurrent_norm_scale) if self.layer_norm else None)

  @nn.nowrap
  def step(self, weights: GRUWeights, state: HiddenState, gx_t: Array,
           h_mask: Array | None = None) -> tuple[HiddenState, Array]:
    """One GRU step. gx_t [B, 3H] hoisted input term -> (new state, h_t [B, H]).

    h_mask [B, H] (recurrent dropout, as Keras) multiplies h where it enters the recurrent
    matmuls; the update z * h_{t-1} uses the unmasked state.
    """
    w, dtype = weights, gx_t.dtype
    h_prev = state.h.astype(dtype)
    h_in = h_prev if h_mask is None else h_prev * h_mask.astype(dtype)
    hid = h_prev.shape[-1]
    gx_r, gx_z, gx_n = jnp.split(gx_t, 3, axis=-1)                   # each [B, H]
    scale = w.recurrent_norm_scale
    if w.b_hh is not None:                                           # reset after
      a = _norm(h_in @ w.w_hh.astype(dtype), scale, 3)                # [B, 3H]
      a = a + expand(w.b_hh.astype(dtype), a)
      a_r, a_z, a_n = jnp.split(a, 3, axis=-1)
      r, z = jax.nn.sigmoid(gx_r + a_r), jax.nn.sigmoid(gx_z + a_z)
      n = jnp.tanh(gx_n + r * a_n)
    else:                                                            # reset before
      w_hh = w.w_hh.astype(dtype)
      a = _norm(h_in @ w_hh[:, :2 * hid], None if scale is None else scale[:2 * hid], 2)
      a_r, a_z = jnp.split(a, 2, axis=-1)                            # each [B, H]
      r, z = jax.nn.sigmoid(gx_r + a_r), jax.nn.sigmoid(gx_z + a_z)
      a_n = _norm((r * h_in) @ w_hh[:, 2 * hid:], None if scale is None else scale[2 * hid:], 1)
      n = jnp.tanh(gx_n + a_n)
    h = (1.0 - z) * n + z * h_prev
    return HiddenState(h), h


def _norm(x: Array, scale: Array | None, num_gates: int) -> Array:
  return x if scale is None else gate_layer_norm(x, scale.astype(x.dtype), num_gates)
