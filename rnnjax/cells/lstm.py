"""The LSTM cell: forget-gate bias, peepholes, projection and layer norm as options."""
from __future__ import annotations

from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax.cells.base import InputProjection, expand, gate_layer_norm
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


class LSTMCell(nn.Module):
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
  with a scale and shift before the output tanh).

  Parameters: `input/kernel` W [D, 4H], `input/bias` b [4H] (forget slice starts at
  `forget_bias`), `recurrent_kernel` U [H or P, 4H], and with the options `peepholes` [3, H],
  `projection_kernel` [H, P], `input/norm_scale` [4H], `recurrent_norm_scale` [4H],
  `cell_norm_scale` [H], `cell_norm_bias` [H], `recurrent_bias` [4H] (PyTorch's b_hh, added to
  the input bias; `rnnjax.convert` sets it so that torch weights round-trip exactly).
  Parameter count without options 4 * (D*H + H*H + H) (LSTM(32) on 32 inputs: 8,320).

  Attributes:
    hidden_size: H.
    forget_bias: initial value of the forget-gate bias (1.0, as Keras and seed 000).
    peepholes, proj_size, layer_norm: the options above.
    recurrent_bias: a second bias [4H] (PyTorch's b_hh), added to the input bias.
    kernel_init: "glorot_uniform" (Keras) or "lecun_normal" for W; U is orthogonal.
    dtype: compute dtype (None: from inputs and parameters); param_dtype: parameter dtype.
  """
  hidden_size: int
  forget_bias: float = 1.0
  peepholes: bool = False
  proj_size: int | None = None
  layer_norm: bool = False
  recurrent_bias: bool = False
  kernel_init: str = "glorot_uniform"
  dtype: jnp.dtype | None = None
  param_dtype: jnp.dtype = jnp.float32

  num_gates = 4
  output_is_h = True   # each step outputs its new state.h

  def setup(self):
    h = self.hidden_size
    if self.proj_size is not None and not 0 < self.proj_size < h:
      raise ValueError(f"proj_size must be in (0, hidden_size={h}); got {self.proj_size}.")
    self.input = InputProjection(4 * h, num_gates=4, layer_norm=self.layer_norm,
                                 kernel_init=self.kernel_init, bias_init=self._bias_init,
                                 dtype=self.dtype, param_dtype=self.param_dtype)
    self.recurrent_kernel = self.param("recurrent_kernel", nn.initializers.orthogonal(),
                                       (self.output_size, 4 * h), self.param_dtype)
    ones, zeros = nn.initializers.ones_init(), nn.initializers.zeros_init()
    if self.recurrent_bias:
      self.hidden_bias = self.param("recurrent_bias", zeros, (4 * h,), self.param_dtype)
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

  def _bias_init(self, key, shape, dtype=jnp.float32):
    del key
    h = self.hidden_size
    return jnp.zeros(shape, dtype).at[h:2 * h].set(self.forget_bias)

  @property
  def output_size(self) -> int:
    return self.proj_size or self.hidden_size

  def project_inputs(self, xs: Array, add_bias: bool = True) -> Array:
    """xs [..., D] -> [..., 4H]: one matmul for every step (without the bias if not add_bias)."""
    gx = self.input(xs, add_bias)
    if add_bias and self.recurrent_bias:
      gx = gx + expand(self.hidden_bias.astype(gx.dtype), gx)
    return gx

  def input_bias(self) -> Array:
    """The input bias [4H] (+ recurrent_bias) that `project_inputs(xs, add_bias=False)` leaves
    out."""
    bias = self.input.bias()
    return bias + self.hidden_bias.astype(bias.dtype) if self.recurrent_bias else bias

  def input_kernel(self) -> Array:
    """The input kernel W [D, 4H] (for fused kernels that take the raw inputs, e.g. cuDNN)."""
    return self.input.kernel()

  def weights(self) -> LSTMWeights:
    cast = lambda a: a.astype(self.dtype or self.param_dtype)  # noqa: E731
    return LSTMWeights(
        w_hh=cast(self.recurrent_kernel),
        peepholes=cast(self.peephole_weights) if self.peepholes else None,
        recurrent_norm_scale=cast(self.recurrent_norm_scale) if self.layer_norm else None,
        cell_norm=((cast(self.cell_norm_scale), cast(self.cell_norm_bias))
                   if self.layer_norm else None),
        projection=cast(self.projection_kernel) if self.proj_size is not None else None)

  def initial_state(self, batch_size: int) -> LSTMState:
    dtype = self.dtype or self.param_dtype
    return LSTMState(h=jnp.zeros((batch_size, self.output_size), dtype),
                     c=jnp.zeros((batch_size, self.hidden_size), dtype))

  def step_fn(self):
    """The pure per-step function `(LSTMWeights, LSTMState, gx_t) -> (LSTMState, h_t)`."""
    return lstm_step


def lstm_step(w: LSTMWeights, state: LSTMState, gx_t: Array,
              h_mask: Array | None = None) -> tuple[LSTMState, Array]:
  """One LSTM step. gx_t [B, 4H] hoisted input term -> (new state, h_t [B, H or P]).

  h_mask [B, H or P] (recurrent dropout) multiplies h where it enters the recurrent matmul.
  """
  dtype = gx_t.dtype
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
  if w.peepholes is not None:
    o = o + expand(w.peepholes[2], c) * c
  c_out = c
  if w.cell_norm is not None:
    scale, bias = w.cell_norm
    c_out = gate_layer_norm(c, scale.astype(dtype), 1) + expand(bias.astype(dtype), c)
  h = jax.nn.sigmoid(o) * jnp.tanh(c_out)                            # [B, H]
  if w.projection is not None:
    h = h @ w.projection.astype(dtype)                               # [B, P]
  return LSTMState(h=h, c=c), h
