"""The Linear Recurrent Unit (Orvieto et al. 2023, "Resurrecting Recurrent Neural Networks for
Long Sequences"): a complex diagonal linear recurrence read out by a real projection."""
from __future__ import annotations

import math
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax.cells.base import Projection, check_features, expand
from rnnjax.cells.linear import COMPLEX, LinearRecurrentCell
from rnnjax.typing import Array

SKIPS = ("dense", "diagonal", "none")


class LRUState(NamedTuple):
  """The complex state h [B, N] as its real and imaginary parts."""
  re: Array   # [B, N]
  im: Array   # [B, N]


class LRUWeights(NamedTuple):
  """What the LRU step closes over (derived from the parameters in the state dtype)."""
  lambda_re: Array       # [N] Re(lambda) = exp(-exp(nu_log)) cos(exp(theta_log))
  lambda_im: Array       # [N] Im(lambda)
  gamma: Array           # [N] exp(gamma_log)
  output_kernel: Array   # [2N, H]


def _normal(scale: float):
  def init(key, shape, dtype=jnp.float32):
    return scale * jax.random.normal(key, shape, dtype)
  return init


class LRUInput(Projection):
  """The `input` submodule: x [..., D] -> x @ kernel [D, 2N + S] + bias, S = H with a dense skip
  else 0. Columns: Re B^T (N), Im B^T (N), each N(0, 1/(2D)) as in the paper; then the dense
  skip D^T (H), N(0, 1/D)."""
  state_size: int
  skip_size: int

  def _kernel_init(self, key, shape, dtype=jnp.float32):
    d = shape[0]
    b_key, d_key = jax.random.split(key)
    b = _normal(1.0 / math.sqrt(2 * d))(b_key, (d, 2 * self.state_size), dtype)
    skip = _normal(1.0 / math.sqrt(d))(d_key, (d, self.skip_size), dtype)
    return jnp.concatenate([b, skip], axis=1)

  @nn.compact
  def __call__(self, xs: Array, add_bias: bool = True) -> Array:
    d, features = xs.shape[-1], 2 * self.state_size + self.skip_size
    if self.has_variable("params", "kernel"):
      check_features(self.get_variable("params", "kernel"), xs, "This LRUCell")
    kernel = self.param("kernel", self._kernel_init, (d, features), self.param_dtype)
    bias = self.param("bias", nn.initializers.zeros_init(), (features,), self.param_dtype)
    dtype = self.dtype or jnp.result_type(xs.dtype, self.param_dtype)
    gx = jnp.dot(xs.reshape(-1, d).astype(dtype), kernel.astype(dtype))
    gx = gx.reshape(xs.shape[:-1] + (features,))                      # [..., 2N + S]
    return gx + expand(bias.astype(dtype), gx) if add_bias else gx


class LRUCell(LinearRecurrentCell):
  """Linear Recurrent Unit (Orvieto et al. 2023, "Resurrecting Recurrent Neural Networks for
  Long Sequences", Sec. 3 and Appendix A). State h in C^N, output y in R^H:

    lambda = exp(-exp(nu_log) + i exp(theta_log))                [N]  (|lambda| < 1 always)
    gamma  = exp(gamma_log)       (initialised to sqrt(1 - |lambda|^2))
    h_t = lambda * h_{t-1} + gamma * (B x_t + b)                 [B, N] complex
    y_t = Re(C h_t) + D x_t                                      [B, H]

  Initialisation (the paper's): |lambda| uniform on the ring [r_min, r_max] (by area:
  nu = -log(u (r_max^2 - r_min^2) + r_min^2) / 2), phase exp(theta_log) uniform in
  [0, max_phase]; B complex with N(0, 1/(2D)) real and imaginary parts, C with N(0, 1/N) ones.

  The state is kept as its real and imaginary parts, `LRUState(re, im)` [B, N] each, and the
  complex products are written out (`linear.COMPLEX`): JAX has no complex bfloat16. The state
  and lambda stay in float32 when the compute dtype is bfloat16: |lambda| is often within 1e-3
  of 1, which bfloat16 (8 significant bits) rounds to 1. The output is not the state
  (`output_is_h = False`): H = hidden_size is the output width, N = state_size (default H).

  The skip term D x_t: skip="dense" (default) folds a full D [D_in, H] into the input kernel,
  so that any input width works; "diagonal" is the paper's D [H] (inputs must have D_in = H, as
  in the residual blocks of `rnnjax.models`); "none" leaves it out.

  Parameters: `input/kernel` [D, 2N (+ H dense)] (columns Re B^T, Im B^T, D^T), `input/bias`
  [2N (+ H)] (the paper has none; zeros), `nu_log`, `theta_log`, `gamma_log` [N],
  `output_kernel` [2N, H] (rows Re C^T then -Im C^T, so y = [Re h, Im h] @ output_kernel),
  and `skip` [H] with skip="diagonal". LRUCell(32) on 32 inputs (N = 32) has 5,312 parameters
  (dense skip) or 4,288 (diagonal).

  Attributes:
    state_size: N (None: hidden_size).
    r_min, r_max: the ring |lambda| is drawn from.
    max_phase: the largest initial phase of lambda.
    skip: "dense", "diagonal" or "none" (above).
    hidden_size (the output width H), kernel_init (unused: the paper's initialisers), dtype,
    param_dtype: see `RecurrentCell`.
  """
  state_size: int | None = None
  r_min: float = 0.0
  r_max: float = 1.0
  max_phase: float = 2 * math.pi
  skip: str = "dense"

  num_gates = 3            # gx is [.., 2N + H] = [.., 3H] for the default N = H, dense skip
  algebra = COMPLEX
  output_is_h = False

  @property
  def n(self) -> int:
    return self.state_size or self.hidden_size

  @property
  def state_dtype(self) -> jnp.dtype:
    return jnp.promote_types(self.dtype or self.param_dtype, jnp.float32)

  def setup(self):
    if self.skip not in SKIPS:
      raise ValueError(f"skip must be one of {SKIPS}; got {self.skip!r}.")
    if not 0.0 <= self.r_min < self.r_max <= 1.0:
      raise ValueError(f"LRUCell needs 0 <= r_min < r_max <= 1; got r_min={self.r_min}, "
                       f"r_max={self.r_max}.")
    n, h = self.n, self.hidden_size
    self.input = LRUInput(n, h if self.skip == "dense" else 0, dtype=self.dtype,
                          param_dtype=self.param_dtype)
    self.nu_log = self.param("nu_log", self._nu_init, (n,), self.param_dtype)
    self.theta_log = self.param("theta_log", self._theta_init, (n,), self.param_dtype)
    self.gamma_log = self.param("gamma_log", _gamma_log, self.nu_log)
    self.output_kernel = self.param("output_kernel", _normal(1.0 / math.sqrt(n)), (2 * n, h),
                                    self.param_dtype)
    if self.skip == "diagonal":
      self.skip_weight = self.param("skip", _normal(1.0), (h,), self.param_dtype)

  def _nu_init(self, key, shape, dtype=jnp.float32):
    u = jax.random.uniform(key, shape, dtype)
    return jnp.log(-0.5 * jnp.log(u * (self.r_max ** 2 - self.r_min ** 2) + self.r_min ** 2))

  def _theta_init(self, key, shape, dtype=jnp.float32):
    return jnp.log(self.max_phase * jax.random.uniform(key, shape, dtype))

  def project_inputs(self, xs: Array, add_bias: bool = True) -> Array:
    """xs [..., D] -> [..., 2N + H] (B x (+ b), then D x), or [..., 2N] with skip="none"."""
    gx = self.input(xs, add_bias)
    if self.skip != "diagonal":
      return gx
    if xs.shape[-1] != self.hidden_size:
      raise ValueError(f'LRUCell(skip="diagonal") needs inputs as wide as its output, D = H = '
                       f'{self.hidden_size}; got inputs of shape {xs.shape}. Use skip="dense".')
    dx = xs.astype(gx.dtype) * expand(self.skip_weight.astype(gx.dtype), gx)
    return jnp.concatenate([gx, dx], axis=-1)

  def input_bias(self) -> Array:
    bias = self.input.bias()
    if self.skip == "diagonal":
      bias = jnp.concatenate([bias, jnp.zeros((self.hidden_size,), bias.dtype)])
    return bias

  def weights(self) -> LRUWeights:
    modulus = jnp.exp(-jnp.exp(self.cast(self.nu_log)))
    phase = jnp.exp(self.cast(self.theta_log))
    return LRUWeights(lambda_re=modulus * jnp.cos(phase), lambda_im=modulus * jnp.sin(phase),
                      gamma=jnp.exp(self.cast(self.gamma_log)),
                      output_kernel=self.cast(self.output_kernel))

  def initial_state(self, batch_size: int) -> LRUState:
    zeros = jnp.zeros((batch_size, self.n), self.state_dtype)
    return LRUState(zeros, zeros)

  @nn.nowrap
  def linear_recurrence(self, weights: LRUWeights, gx: Array):
    """gx [..., 2N (+ H)] -> a = (Re, Im) lambda [1, .., 1, N] (the same at every step) and
    b = (Re, Im) gamma (B x + b) [..., N]."""
    w, n = weights, weights.gamma.shape[-1]
    bx = gx[..., :2 * n].astype(w.gamma.dtype)                       # [..., 2N]
    gamma = expand(w.gamma, bx[..., :n])
    b = (gamma * bx[..., :n], gamma * bx[..., n:])
    return (expand(w.lambda_re, b[0]), expand(w.lambda_im, b[0])), b

  @nn.nowrap
  def readout(self, weights: LRUWeights, h, gx: Array) -> Array:
    """h = (Re, Im) [..., N], gx [..., 2N (+ H)] -> y = Re(C h) + D x [..., H] in gx's dtype."""
    n, dtype = weights.gamma.shape[-1], gx.dtype
    kernel = weights.output_kernel.astype(dtype)                     # [2N, H]
    flat = [x.astype(dtype).reshape(-1, n) for x in h]               # 2 x [*, N]
    y = jnp.dot(flat[0], kernel[:n]) + jnp.dot(flat[1], kernel[n:])  # [*, H] (2-D: fast on CPU)
    y = y.reshape(h[0].shape[:-1] + y.shape[-1:])                     # [..., H]
    return y + gx[..., 2 * n:] if gx.shape[-1] > 2 * n else y


def _gamma_log(key, nu_log: Array) -> Array:
  """log sqrt(1 - |lambda|^2), |lambda|^2 = exp(-2 exp(nu_log)): the paper's normalisation."""
  del key
  return 0.5 * jnp.log(-jnp.expm1(-2.0 * jnp.exp(nu_log)))
