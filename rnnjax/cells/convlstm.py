"""The convolutional LSTM (Shi et al. 2015) over 1-D or 2-D frames.

Shape letters as elsewhere, plus S: the spatial axes of a frame (W for 1-D frames, H_img, W for
2-D ones; written *S). Layer inputs are [B, T, *S, D] (D channels), outputs [B, T, *S, H]
(H filters); each step sees one frame per row, x_t [B, *S, D].
"""
from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax.cells.base import Projection, RecurrentCell, expand, kernel_init
from rnnjax.cells.lstm import LSTMState
from rnnjax.typing import Array

SPATIAL = {1: "W", 2: "HW"}      # the frame axes lax.conv names, by their number


def conv_same(x: Array, kernel: Array) -> Array:
  """x [N, *S, D] (*) kernel [*K, D, F] -> [N, *S, F]: cross-correlation with stride 1 and
  "same" zero padding (XLA's: (k - 1) // 2 before each axis, the rest after)."""
  axes = SPATIAL[kernel.ndim - 2]
  return jax.lax.conv_general_dilated(
      x, kernel, window_strides=(1,) * len(axes), padding="SAME",
      dimension_numbers=(f"N{axes}C", f"{axes}IO", f"N{axes}C"))


class ConvProjection(Projection):
  """The hoisted input term of a conv cell: x [..., *S, D] -> conv(x, kernel) + bias
  [..., *S, G*H], one convolution over every frame of every step.

  Attributes:
    features: G*H.
    kernel_size: K, one entry per spatial axis.
  """
  features: int
  kernel_size: tuple[int, ...]
  kernel_init: str = "glorot_uniform"
  bias_init: nn.initializers.Initializer = nn.initializers.zeros_init()

  @nn.compact
  def __call__(self, xs: Array, add_bias: bool = True) -> Array:
    frame_rank = len(self.kernel_size) + 1                             # *S and D
    d = xs.shape[-1]
    if self.has_variable("params", "kernel"):
      want = self.get_variable("params", "kernel").shape[-2]
      if want != d:
        raise ValueError(f"This cell was initialised for inputs with D={want} channels but got "
                         f"inputs of shape {xs.shape} (D={d}).")
    kernel = self.param("kernel", kernel_init(self.kernel_init),
                        (*self.kernel_size, d, self.features), self.param_dtype)
    bias = self.param("bias", self.bias_init, (self.features,), self.param_dtype)
    dtype = self.dtype or jnp.result_type(xs.dtype, self.param_dtype)
    frames = xs.reshape((-1,) + xs.shape[-frame_rank:]).astype(dtype)  # [N, *S, D]
    gx = conv_same(frames, kernel.astype(dtype))                       # [N, *S, G*H]
    gx = gx.reshape(xs.shape[:-1] + (self.features,))                 # [..., *S, G*H]
    return gx + expand(bias.astype(dtype), gx) if add_bias else gx


class ConvLSTMCell(RecurrentCell):
  """Convolutional LSTM (Shi et al. 2015, "Convolutional LSTM Network: A Machine Learning
  Approach for Precipitation Nowcasting"), as Keras' ConvLSTM1D/ConvLSTM2D: the LSTM's matmuls
  become convolutions over each frame. Gate order on every 4H axis: i, f, g, o (as LSTMCell).

    z = conv(x_t, W) + b + conv(h_{t-1}, U)                        [B, *S, 4H]
    i, f, g, o = split(z)
    c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)
    h_t = sigmoid(o) * tanh(c_t)

  Convolutions have stride 1 and "same" padding, so h and c keep the frame's shape [B, *S, H].
  Without the paper's peepholes (W_c * c terms), as Keras and Flax; unlike Flax's ConvLSTMCell
  (gate order i, g, f, o, a constant +1 on f, a second bias on the recurrent conv), the forget
  bias is a learned bias that starts at `forget_bias` (Keras' unit_forget_bias).

  Parameters (Keras' layout): `input/kernel` W [*K, D, 4H], `input/bias` [4H],
  `recurrent_kernel` U [*K, H, 4H]. ConvLSTM2D(32 filters, 3x3) on 32 channels has 73,856.

  Attributes:
    hidden_size: H, the number of filters.
    kernel_size: K, (k,) for 1-D frames [B, T, W, D] or (kh, kw) for 2-D [B, T, H_img, W, D].
    padding: "same" (the only padding that keeps the state's shape).
    forget_bias: initial value of the forget-gate slice of the bias.
    kernel_init, dtype, param_dtype: see `RecurrentCell` (the recurrent kernel is orthogonal
      over its [K*H, 4H] matrix, as Keras').
  """
  kernel_size: Sequence[int] = (3, 3)
  padding: str = "same"
  forget_bias: float = 1.0

  num_gates = 4

  @property
  def spatial_dims(self) -> int:
    return len(self._kernel_size())

  def _kernel_size(self) -> tuple[int, ...]:
    size = tuple(self.kernel_size)
    if len(size) not in SPATIAL or not all(isinstance(k, int) and k > 0 for k in size):
      raise ValueError(f"kernel_size must hold 1 or 2 positive ints (1-D or 2-D frames); got "
                       f"{self.kernel_size!r}.")
    return size

  def setup(self):
    size = self._kernel_size()
    if self.padding.lower() != "same":
      raise ValueError(f'padding must be "same" (the state keeps the frame shape); got '
                       f"{self.padding!r}.")
    h = self.hidden_size
    self.input = ConvProjection(4 * h, size, kernel_init=self.kernel_init,
                                bias_init=self._bias_init, dtype=self.dtype,
                                param_dtype=self.param_dtype)
    self.recurrent_kernel = self.recurrent_kernel_param((*size, h))        # [*K, H, 4H]

  def _bias_init(self, key, shape, dtype=jnp.float32):
    del key
    h = self.hidden_size
    return jnp.zeros(shape, dtype).at[h:2 * h].set(self.forget_bias)

  def weights(self) -> Array:
    """U [*K, H, 4H]: what the step closes over."""
    return self.cast(self.recurrent_kernel)

  def initial_state(self, batch_size: int, frame_shape: Sequence[int] | None = None
                    ) -> LSTMState:
    """Zeros h, c [B, *S, H] for frames of spatial shape S (len(kernel_size) axes)."""
    if frame_shape is None or len(frame_shape) != len(self.kernel_size):
      raise ValueError(f"ConvLSTMCell.initial_state needs the frames' spatial shape S with "
                       f"{len(self.kernel_size)} axes (inputs [B, T, *S, D]); got "
                       f"{frame_shape!r}.")
    shape = (batch_size, *frame_shape, self.hidden_size)
    return LSTMState(h=jnp.zeros(shape, self.state_dtype), c=jnp.zeros(shape, self.state_dtype))

  @nn.nowrap
  def step(self, weights: Array, state: LSTMState, gx_t: Array,
           h_mask: Array | None = None) -> tuple[LSTMState, Array]:
    """One step. gx_t [B, *S, 4H] hoisted input term -> (new state, h_t [B, *S, H]).

    h_mask [B, *S, H] (recurrent dropout) multiplies h where it enters the recurrent conv.
    """
    dtype = gx_t.dtype
    h_in = state.h if h_mask is None else state.h * h_mask
    z = gx_t + conv_same(h_in.astype(dtype), weights.astype(dtype))    # [B, *S, 4H]
    i, f, g, o = jnp.split(z, 4, axis=-1)                              # each [B, *S, H]
    c = jax.nn.sigmoid(f) * state.c.astype(dtype) + jax.nn.sigmoid(i) * jnp.tanh(g)
    h = jax.nn.sigmoid(o) * jnp.tanh(c)
    return LSTMState(h=h, c=c), h
