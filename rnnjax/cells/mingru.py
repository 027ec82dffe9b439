"""minGRU (Feng et al. 2024, "Were RNNs All We Needed?"): a GRU whose gates see only x_t."""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax.cells.linear import GatedLinearCell
from rnnjax.typing import Array


def g(x: Array) -> Array:
  """Feng et al.'s positive activation for the log-space candidate: x + 1/2 for x >= 0, else
  sigmoid(x) (continuous at 0, > 0 everywhere)."""
  return jnp.where(x >= 0, x + 0.5, jax.nn.sigmoid(x))


def log_g(x: Array) -> Array:
  """log g(x), computed stably: log(x + 1/2) for x >= 0, else -softplus(-x)."""
  return jnp.where(x >= 0, jnp.log(jax.nn.relu(x) + 0.5), -jax.nn.softplus(-x))


class MinGRUCell(GatedLinearCell):
  """minGRU (Feng et al. 2024, "Were RNNs All We Needed?", Sec. 3.1). Gate order on the 2H
  axis: z (update), h~ (candidate).

    z_t  = sigmoid(x_t W_z + b_z)
    h~_t = x_t W_h + b_h                   (log_space: g(x_t W_h + b_h))
    h_t  = (1 - z_t) * h_{t-1} + z_t * h~_t

  A linear recurrence h_t = a_t h_{t-1} + b_t with a = 1 - z = sigmoid(-k_z), b = z h~, so it
  runs as a parallel scan (`rnnjax.recurrence.associative`, what implementation="auto" picks)
  or step by step (scan, static), with the same numbers.

  log_space=True is the paper's log-space minGRU (its Appendix code): the candidate goes
  through g (x + 1/2 for x >= 0, sigmoid(x) below) so that it is positive, and the parallel
  scan combines log a = -softplus(k_z) and log b = -softplus(-k_z) + log g(k_h) in log space.
  log_space=False is the plain formulation above (candidate unbounded), scanned in linear space.

  Parameters: `input/kernel` [D, 2H], `input/bias` [2H]; nothing recurrent. minGRU(32) on 32
  inputs has 2,112 parameters. Attributes: see `GatedLinearCell`.
  """
  num_gates = 2

  @nn.nowrap
  def coefficients(self, k_z: Array, k_h: Array):
    """The pre-activations of z and h~ [..., H] -> (a,), (b,)."""
    if self.log_space:
      return (-jax.nn.softplus(k_z),), (-jax.nn.softplus(-k_z) + log_g(k_h),)
    return (jax.nn.sigmoid(-k_z),), (jax.nn.sigmoid(k_z) * k_h,)
