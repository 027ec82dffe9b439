"""What every rnnjax cell shares: the state type, initialisers and a pure layer norm.

The cell contract (see `rnnjax.layers.Recurrent`):
  project_inputs(xs [..., D]) -> gx [..., G*H]   everything that does not depend on the carry
  optional, rnnjax's own cells (not FlaxCell):
    project_inputs(xs, add_bias=False)            the same without the input bias ...
    input_bias() -> [G*H]                         ... which this returns (the fast time loops
                                                  add it inside the loop: no [T, B, G*H] pass)
  weights() -> pytree                             what the per-step function closes over
  initial_state(batch_size) -> state              zeros
  step_fn() -> step(weights, state, gx_t [B, G*H], h_mask=None) -> (state, y_t [B, H]), a pure
               function; h_mask [B, H] is the recurrent-dropout mask on h where it enters the
               recurrent matmul (the state itself is never masked)
  output_size -> int                              H (P for a projected LSTM)
  output_is_h: bool (class attribute)             y_t is always the new state.h (a subclass
                                                  whose step outputs anything else must set
                                                  it to False)
"""
from __future__ import annotations

from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax.typing import Array

KERNEL_INITS = {
    "glorot_uniform": nn.initializers.glorot_uniform(),  # Keras' default
    "lecun_normal": nn.initializers.lecun_normal(),      # Flax's default
}
LAYER_NORM_EPS = 1e-5


class HiddenState(NamedTuple):
  """State of a SimpleRNN or GRU cell: h [B, H]."""
  h: Array


def expand(v: Array, like: Array) -> Array:
  """v [K] -> [1, ..., 1, K] of like's rank (explicit broadcasting: rnnjax runs under
  jax_numpy_rank_promotion="raise")."""
  return v.reshape((1,) * (like.ndim - v.ndim) + v.shape)


def kernel_init(name: str):
  if name not in KERNEL_INITS:
    raise ValueError(f"kernel_init must be one of {sorted(KERNEL_INITS)}; got {name!r}.")
  return KERNEL_INITS[name]


def gate_layer_norm(x: Array, scale: Array, num_gates: int) -> Array:
  """Normalises each gate's H slice of x [..., G*H] to zero mean, unit variance; then * scale."""
  shape = x.shape
  xg = x.reshape(shape[:-1] + (num_gates, shape[-1] // num_gates))   # [..., G, H]
  xg = xg.astype(jnp.promote_types(x.dtype, jnp.float32))          # bf16 -> f32, f64 stays
  mean = xg.mean(-1, keepdims=True)
  var = jnp.square(xg - mean).mean(-1, keepdims=True)
  xg = (xg - mean) * jax.lax.rsqrt(var + LAYER_NORM_EPS)
  xs = xg.reshape(shape)
  return (xs * expand(scale, xs)).astype(x.dtype)                    # [..., G*H]


def check_features(kernel: Array, xs: Array, cell_name: str) -> None:
  """Raises a clear error when xs' feature size D differs from the kernel's [D, G*H]."""
  if xs.shape[-1] != kernel.shape[0]:
    raise ValueError(f"{cell_name} was initialised for inputs with D={kernel.shape[0]} features "
                     f"but got inputs of shape {xs.shape} (D={xs.shape[-1]}).")


class InputProjection(nn.Module):
  """x [..., D] -> x @ kernel [D, G*H] + bias [G*H] (optionally gate-normalised before the bias).

  Attributes:
    features: G*H.
    num_gates: G (for the per-gate layer norm).
    layer_norm: normalise each gate's slice of x @ kernel before adding the bias.
  """
  features: int
  num_gates: int = 1
  layer_norm: bool = False
  kernel_init: str = "glorot_uniform"
  bias_init: nn.initializers.Initializer = nn.initializers.zeros_init()
  dtype: jnp.dtype | None = None
  param_dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, xs: Array, add_bias: bool = True) -> Array:
    """xs [..., D] -> [..., G*H]; add_bias=False leaves the bias out (see `bias`)."""
    d = xs.shape[-1]
    if self.has_variable("params", "kernel"):
      check_features(self.get_variable("params", "kernel"), xs, "This cell")
    kernel = self.param("kernel", kernel_init(self.kernel_init), (d, self.features),
                        self.param_dtype)
    bias = self.param("bias", self.bias_init, (self.features,), self.param_dtype)
    dtype = self.dtype or jnp.result_type(xs.dtype, self.param_dtype)
    # One 2-D matmul: XLA:CPU runs a [T, B, D] x [D, G*H] dot_general ~1.3x slower.
    gx = jnp.dot(xs.reshape(-1, d).astype(dtype), kernel.astype(dtype))
    gx = gx.reshape(xs.shape[:-1] + (self.features,))                 # [..., G*H]
    if self.layer_norm:
      scale = self.param("norm_scale", nn.initializers.ones_init(), (self.features,),
                         self.param_dtype)
      gx = gate_layer_norm(gx, scale.astype(dtype), self.num_gates)
    return gx + expand(bias.astype(dtype), gx) if add_bias else gx

  def kernel(self, dtype=None) -> Array:
    """The kernel [D, G*H] (in `dtype`); valid once the module has been called."""
    kernel = self.get_variable("params", "kernel")
    return kernel.astype(dtype or self.dtype or self.param_dtype)

  def bias(self, dtype=None) -> Array:
    """The bias [G*H] (in `dtype`); valid once the module has been called."""
    bias = self.get_variable("params", "bias")
    return bias.astype(dtype or self.dtype or self.param_dtype)
