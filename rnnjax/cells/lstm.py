"""The LSTM cell: forget-gate bias, peepholes, projection and layer norm as options."""
from __future__ import annotations

from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax.cells.base import RecurrentCell, expand, gate_layer_norm
from rnnjax.typing import Array


class LSTMState(NamedTuple):
  """h [B, H] (or [B, P] with a projection) and the cell c [B, H]."""
  h: Array
  c: Array


class LSTMWeights(NamedTuple):
  """What the LSTM step closes over. Optional parts are None when the option is off."""
  w_hh: Array                             # [H or P, 4H]
  peepholes: Array | None = None          # [3, H]: rows i, f, o
  recurrent_norm_scale: Array | None = None  # [4H]
  cell_norm: tuple[Array, Array] | None = None  # (scale [H], bias [H])
  projection: Array | None = None         # [H, P]


class LSTMCell(RecurrentCell):
  """LSTM (Hochreiter & Schmidhuber 1997; Gers et al. 2000). Gate order on every 4H axis:
  i (input), f (forget), g (candidate), o (output), as in PyTorch and Keras.

    z = x_t @ W + b + h_{t-1} @ U                                  [B, 4H]
    i, f, g, o = split(z)
    c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)
    h_t = sigmoid(o) * tanh(c_t)            (then h_t @ W_proj [H, P] with proj_size)

  Options: peepholes (Gers & Schmidhuber 2000: i and f see c_{t-1}, o sees c_t, through
  diagonal weights, initialised to zero); proj_size P (Sak et al. 2014, as PyTorch: h is
  projected to P, the recurrent kernel is [P, 4H]); layer_norm (Ba et al. 2016: each gate's
  slice of x @ W and of h @ U normalised separately with a learned scale, and c_t normalised
  with a scale and shift before the output tanh); recurrent_bias (a second bias b_hh [4H] as
  PyTorch's nn.LSTM keeps, added to b; it exists so that converted weights round-trip exactly);
  cell_clip and proj_clip (TensorFlow's tf.compat.v1.nn.rnn_cell.LSTMCell: c_t is clipped to
  [-cell_clip, cell_clip] as soon as it is computed, so the state, the output peephole and
  tanh(c_t) all see the clipped value; the projected h_t is clipped to [-proj_clip, proj_clip]).

  Parameters: `input/kernel` W [D, 4H], `input/bias` b [4H] (forget slice starts at
  `forget_bias`), `recurrent_kernel` U [H or P, 4H], and with the options `peepholes` [3, H],
  `projection_kernel` [H, P], `input/norm_scale` [4H], `recurrent_norm_scale` [4H],
  `cell_norm_scale` [H], `cell_norm_bias` [H], `recurrent_bias` [4H].
  Parameter count without options 4 * (D*H + H*H + H) (LSTM(32) on 32 inputs: 8,320).

  Attributes:
    forget_bias: initial value of the forget-gate bias (1.0, as Keras and the UCI HAR tutorial).
    peepholes, proj_size, layer_norm, recurrent_bias, cell_clip, proj_clip: the options above
      (proj_clip needs proj_size; clipped cells run on the scan, not the fused loops).
    hidden_size, kernel_init, dtype, param_dtype: see `RecurrentCell`.
  """
  forget_bias: float = 1.0
  peepholes: bool = False
  proj_size: int | None = None
  layer_norm: bool = False
  recurrent_bias: bool = False
  cell_clip: float | None = None
  proj_clip: float | None = None

  num_gates = 4

  def setup(self):
    h = self.hidden_size
    if self.proj_size is not None and not 0 < self.proj_size < h:
      raise ValueError(f"proj_size must be in (0, hidden_size={h}); got {self.proj_size}.")
    for name in ("cell_clip", "proj_clip"):
      value = getattr(self, name)
      if value is not None and not value > 0:
        raise ValueError(f"{name} must be a positive float or None; got {value!r}.")
    if self.proj_clip is not None and self.proj_size is None:
      raise ValueError(f"proj_clip={self.proj_clip} clips the projected h: set proj_size too.")
    self.input = self.input_projection(layer_norm=self.layer_norm, bias_init=self._bias_init)
    self.recurrent_kernel = self.recurrent_kernel_param()                  # [P or H, 4H]
    ones, zeros = nn.initializers.ones_init(), nn.initializers.zeros_init()
    if self.peepholes:
      self.peephole_weights = self.param("peepholes", zeros, (3, h), self.param_dtype)
    if self.proj_size is not None:
      self.projection_kernel = self.param("projection_kernel", nn.initializers.glorot_uniform(),
                                          (h, self.proj_size), self.param_dtype)
    if self.layer_norm:
      self.recurrent_norm_scale = self.param("recurrent_norm_scale", ones, (4 * h,),
                                             self.param_dtype)
      self.cell_norm_scale = self.param("cell_norm_scale", ones, (h,), self.param_dtype)
      self.cell_norm_bias = self.param("cell_norm_bias", zeros, (h,), self.param_dtype)
    if self.recurrent_bias:
      self.recurrent_bias_vector = self.recurrent_bias_param(4 * h)

  def _bias_init(self, key, shape, dtype=jnp.float32):
    del key
    h = self.hidden_size
    return jnp.zeros(shape, dtype).at[h:2 * h].set(self.forget_bias)

  @property
  def output_size(self) -> int:
    return self.proj_size or self.hidden_size

  @property
  def fused_family(self) -> str | None:
    """"lstm" when the fused LSTM loops (and cuDNN) compute this configuration exactly: no
    peepholes, projection, layer norm or clipping."""
    plain = not (self.peepholes or self.proj_size is not None or self.layer_norm
                 or self.cell_clip is not None)
    return "lstm" if plain else None

  def second_input_bias(self) -> Array | None:
    return self.recurrent_bias_vector if self.recurrent_bias else None

  def weights(self) -> LSTMWeights:
    return LSTMWeights(
        w_hh=self.cast(self.recurrent_kernel),
        peepholes=self.cast(self.peephole_weights) if self.peepholes else None,
        recurrent_norm_scale=self.cast(self.recurrent_norm_scale) if self.layer_norm else None,
        cell_norm=((self.cast(self.cell_norm_scale), self.cast(self.cell_norm_bias))
                   if self.layer_norm else None),
        projection=self.cast(self.projection_kernel) if self.proj_size is not None else None)

  def initial_state(self, batch_size: int) -> LSTMState:
    return LSTMState(h=jnp.zeros((batch_size, self.output_size), self.state_dtype),
                     c=jnp.zeros((batch_size, self.hidden_size), self.state_dtype))

  @nn.nowrap
  def step(self, weights: LSTMWeights, state: LSTMState, gx_t: Array,
           h_mask: Array | None = None) -> tuple[LSTMState, Array]:
    """One LSTM step. gx_t [B, 4H] hoisted input term -> (new state, h_t [B, H or P])."""
    w, dtype = weights, gx_t.dtype
    h_in = state.h if h_mask is None else state.h * h_mask
    z = h_in.astype(dtype) @ w.w_hh.astype(dtype)                      # [B, 4H]
    if w.recurrent_norm_scale is not None:
      z = gate_layer_norm(z, w.recurrent_norm_scale.astype(dtype), 4)
    i, f, g, o = jnp.split(gx_t + z, 4, axis=-1)                       # each [B, H]
    c_prev = state.c.astype(dtype)
    if w.peepholes is not None:
      i = i + expand(w.peepholes[0], c_prev) * c_prev
      f = f + expand(w.peepholes[1], c_prev) * c_prev
    c = jax.nn.sigmoid(f) * c_prev + jax.nn.sigmoid(i) * jnp.tanh(g)   # [B, H]
    if self.cell_clip is not None:
      c = jnp.clip(c, -self.cell_clip, self.cell_clip)
    if w.peepholes is not None:
      o = o + expand(w.peepholes[2], c) * c
    c_out = c
    if w.cell_norm is not None:
      scale, bias = w.cell_norm
      c_out = gate_layer_norm(c, scale.astype(dtype), 1) + expand(bias.astype(dtype), c)
    h = jax.nn.sigmoid(o) * jnp.tanh(c_out)                            # [B, H]
    if w.projection is not None:
      h = h @ w.projection.astype(dtype)                               # [B, P]
      if self.proj_clip is not None:
        h = jnp.clip(h, -self.proj_clip, self.proj_clip)
    return LSTMState(h=h, c=c), h
