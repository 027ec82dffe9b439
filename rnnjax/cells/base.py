"""The cell contract every rnnjax cell inherits (`RecurrentCell`), its state type and helpers.

A cell owns its weights and splits its work in two (STYLE.md, "the cell owns the weights"):
everything that does not depend on the carry runs once over all steps (`project_inputs`, one
batched matmul [T*B, D] x [D, G*H]); what does (`step`) is a pure function that the recurrence
engine (`rnnjax.recurrence`) runs over time with whichever backend it picks. A cell's equations
are written once, in its `step`; the fused backends are tested equal to the scan over it.

  cell.project_inputs(xs [..., D], add_bias=True) -> gx [..., G*H]
  cell.input_bias() -> [G*H]       the bias project_inputs(add_bias=False) leaves out (backends
                                   that can add it inside their loop take it separately)
  cell.input_kernel() -> [D, G*H]  for backends that take the raw inputs (cuDNN)
  cell.weights() -> pytree          everything `step` closes over
  cell.initial_state(B) -> state    zeros (cells whose steps see frames, below: initial_state(B, S))
  cell.step(weights, state, gx_t [B, G*H], h_mask=None) -> (state, y_t [B, output_size])
  cell.output_size                  H (P for a projected LSTM)

`step` is marked `nn.nowrap`: a plain method of the cell's configuration (activation, variant)
that touches no Flax variable, so it works on bound and unbound cells and inside any JAX
transform. h_mask [B, H] (variational recurrent dropout) multiplies h where it enters the
recurrent matmul; the state itself is never masked.

Frames: a cell with `spatial_dims = n > 0` (ConvLSTMCell) steps over frames: gx_t [B, *S, G*H]
with n spatial axes S, state and y_t [B, *S, H], and `initial_state(B, S)`; its layer inputs are
[B, T, *S, D]. Everything else (lengths, reverse, dropout, the engine) is the same.
"""
from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax.typing import Array

# Input-kernel initialisers by their Keras names (fans of conv kernels [*K, D, G*H] count the
# receptive field, as Keras does).
KERNEL_INITS = {
    "glorot_uniform": nn.initializers.glorot_uniform(),  # Keras' default
    "glorot_normal": nn.initializers.glorot_normal(),
    "lecun_normal": nn.initializers.lecun_normal(),      # Flax's default
    "lecun_uniform": nn.initializers.lecun_uniform(),
    "he_normal": nn.initializers.he_normal(),            # He et al. 2015, for relu
    "he_uniform": nn.initializers.he_uniform(),
    "orthogonal": nn.initializers.orthogonal(),          # Saxe et al. 2014
}
LAYER_NORM_EPS = 1e-5


class HiddenState(NamedTuple):
  """State of a cell whose state is its output, h [B, H] (SimpleRNN, GRU, MGU, ...)."""
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


class Projection(nn.Module, kw_only=True):
  """What every cell's `input` submodule shares: the dtypes (keyword-only, so a subclass's own
  fields come first) and the `kernel` and `bias` accessors the backends read. A subclass's
  `__call__(xs, add_bias=True)` creates the params "kernel" and "bias" and returns the input term
  (without the bias when add_bias=False)."""
  dtype: jnp.dtype | None = None
  param_dtype: jnp.dtype = jnp.float32

  def kernel(self, dtype=None) -> Array:
    """The kernel (in `dtype`); valid once the module has been called."""
    kernel = self.get_variable("params", "kernel")
    return kernel.astype(dtype or self.dtype or self.param_dtype)

  def bias(self, dtype=None) -> Array:
    """The bias (in `dtype`); valid once the module has been called."""
    bias = self.get_variable("params", "bias")
    return bias.astype(dtype or self.dtype or self.param_dtype)


class InputProjection(Projection):
  """x [..., D] -> x @ kernel [D, G*H] + bias [G*H] (optionally gate-normalised before the bias).

  Attributes:
    features: G*H.
    num_gates: G (for the per-gate layer norm).
    layer_norm: normalise each gate's slice of x @ kernel before adding the bias.
    kernel_init, bias_init, dtype, param_dtype: as the cell's.
  """
  features: int
  num_gates: int = 1
  layer_norm: bool = False
  kernel_init: str = "glorot_uniform"
  bias_init: nn.initializers.Initializer = nn.initializers.zeros_init()

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
    # One 2-D matmul: XLA:CPU runs a [T, B, D] x [D, G*H] dot_general slower.
    gx = jnp.dot(xs.reshape(-1, d).astype(dtype), kernel.astype(dtype))
    gx = gx.reshape(xs.shape[:-1] + (self.features,))                 # [..., G*H]
    if self.layer_norm:
      scale = self.param("norm_scale", nn.initializers.ones_init(), (self.features,),
                         self.param_dtype)
      gx = gate_layer_norm(gx, scale.astype(dtype), self.num_gates)
    return gx + expand(bias.astype(dtype), gx) if add_bias else gx


class RecurrentCell(nn.Module):
  """Base class of rnnjax's cells: the shared fields and the contract (module docstring).

  A subclass sets `num_gates` (G), builds `self.input = self.input_projection(...)` and its
  other parameters in `setup`, and defines `weights` and `step` (and `initial_state` when its
  state is not `HiddenState(h)`). Everything else comes from here.

  Attributes:
    hidden_size: H.
    kernel_init: the input kernel W's initialiser, a name in KERNEL_INITS: "glorot_uniform"
      (Keras' default), "lecun_normal" (Flax's), "he_normal", "he_uniform", "glorot_normal",
      "lecun_uniform" or "orthogonal"; recurrent kernels are orthogonal.
    dtype: compute dtype (None: from the inputs and parameters); param_dtype: parameter dtype.
  """
  hidden_size: int
  kernel_init: str = "glorot_uniform"
  dtype: jnp.dtype | None = None
  param_dtype: jnp.dtype = jnp.float32

  num_gates: ClassVar[int] = 1
  output_is_h: ClassVar[bool] = True   # step's y_t is its new state.h (False: override)
  spatial_dims: ClassVar[int] = 0      # n > 0: steps see frames [B, *S, D] (module docstring)

  def __post_init__(self):
    if isinstance(self.hidden_size, bool) or not isinstance(self.hidden_size, int) \
        or self.hidden_size < 1:
      raise ValueError(f"{type(self).__name__}: hidden_size must be an integer >= 1; got "
                       f"{self.hidden_size!r}.")
    super().__post_init__()

  @property
  def output_size(self) -> int:
    """Width of y_t and of state.h."""
    return self.hidden_size

  @property
  def state_dtype(self) -> jnp.dtype:
    """Dtype of the state: the compute dtype if set, else the parameters'."""
    return self.dtype or self.param_dtype

  @nn.nowrap
  def recurrent_kernel_param(self, rows: tuple[int, ...] | None = None) -> Array:
    """Declares "recurrent_kernel" [*rows, G*H], orthogonal (as Keras' recurrent_initializer);
    rows default to (output_size,). Call it from `setup`."""
    rows = (self.output_size,) if rows is None else rows
    return self.param("recurrent_kernel", nn.initializers.orthogonal(),
                      (*rows, self.num_gates * self.hidden_size), self.param_dtype)

  @nn.nowrap
  def recurrent_bias_param(self, size: int) -> Array:
    """Declares "recurrent_bias" [size], zeros (PyTorch's b_hh). Call it from `setup`."""
    return self.param("recurrent_bias", nn.initializers.zeros_init(), (size,), self.param_dtype)

  def input_projection(self, *, layer_norm: bool = False,
                       bias_init: nn.initializers.Initializer = nn.initializers.zeros_init()
                       ) -> InputProjection:
    """The `input` submodule: kernel [D, G*H], bias [G*H] (for use in `setup`)."""
    return InputProjection(self.num_gates * self.hidden_size, num_gates=self.num_gates,
                           layer_norm=layer_norm, kernel_init=self.kernel_init,
                           bias_init=bias_init, dtype=self.dtype, param_dtype=self.param_dtype)

  def cast(self, a: Array | None) -> Array | None:
    """A parameter in the compute dtype (None stays None): for `weights`."""
    return None if a is None else a.astype(self.state_dtype)

  def project_inputs(self, xs: Array, add_bias: bool = True) -> Array:
    """xs [..., D] -> [..., G*H]: one matmul for every step (without the bias if not add_bias)."""
    gx = self.input(xs, add_bias)
    extra = self.second_input_bias() if add_bias else None
    return gx if extra is None else gx + expand(extra.astype(gx.dtype), gx)

  def input_bias(self) -> Array:
    """The input bias [G*H] that `project_inputs(xs, add_bias=False)` leaves out."""
    bias, extra = self.input.bias(), self.second_input_bias()
    return bias if extra is None else bias + self.cast(extra)

  def second_input_bias(self) -> Array | None:
    """A bias [G*H] added to the projected inputs besides `input/bias` (PyTorch's b_hh where
    it adds to every gate: `recurrent_bias=True`), or None."""
    return None

  def input_kernel(self) -> Array:
    """The input kernel W [D, G*H] (for backends that take the raw inputs, e.g. cuDNN)."""
    return self.input.kernel()

  def weights(self) -> Any:
    """The pytree `step` closes over."""
    raise NotImplementedError

  def initial_state(self, batch_size: int) -> Any:
    """The zero state for a batch of `batch_size` rows."""
    return HiddenState(jnp.zeros((batch_size, self.output_size), self.state_dtype))

  @nn.nowrap
  def step(self, weights: Any, state: Any, gx_t: Array,
           h_mask: Array | None = None) -> tuple[Any, Array]:
    """One step: gx_t [B, G*H] hoisted input term -> (new state, y_t [B, output_size])."""
    raise NotImplementedError
