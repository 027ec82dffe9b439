"""minLSTM (Feng et al. 2024, "Were RNNs All We Needed?"): an LSTM whose gates see only x_t."""
from __future__ import annotations

import flax.linen as nn
import jax

from rnnjax.cells.linear import GatedLinearCell
from rnnjax.cells.mingru import log_g
from rnnjax.typing import Array


class MinLSTMCell(GatedLinearCell):
  """minLSTM (Feng et al. 2024, "Were RNNs All We Needed?", Sec. 3.2). Gate order on the 3H
  axis: f (forget), i (input), h~ (candidate).

    f_t = sigmoid(x_t W_f + b_f),  i_t = sigmoid(x_t W_i + b_i)
    f'_t = f_t / (f_t + i_t),      i'_t = i_t / (f_t + i_t)      (time-independent scale)
    h~_t = x_t W_h + b_h                   (log_space: g(x_t W_h + b_h), see mingru.g)
    h_t  = f'_t * h_{t-1} + i'_t * h~_t

  The normalised gates are computed stably from the pre-activations k_f, k_i:
  with d = softplus(-k_f) - softplus(-k_i) = log i - log f, f' = sigmoid(-d), i' = sigmoid(d)
  (log f' = -softplus(d), log i' = -softplus(-d), the paper's Appendix code).

  A linear recurrence h_t = a_t h_{t-1} + b_t with a = f', b = i' h~: it runs as a parallel
  scan (`rnnjax.recurrence.associative`, implementation="auto") or step by step. log_space=True
  is the paper's log-space minLSTM: a positive candidate g(k_h), and the parallel scan combines
  log a and log b in log space; log_space=False is the plain formulation, scanned in linear
  space. The output is h_t (there is no output gate).

  Parameters: `input/kernel` [D, 3H], `input/bias` [3H]; nothing recurrent. minLSTM(32) on 32
  inputs has 3,168 parameters. Attributes: see `GatedLinearCell`.
  """
  num_gates = 3

  @nn.nowrap
  def coefficients(self, k_f: Array, k_i: Array, k_h: Array):
    """The pre-activations of f, i and h~ [..., H] -> (a,), (b,)."""
    d = jax.nn.softplus(-k_f) - jax.nn.softplus(-k_i)                # log i - log f
    if self.log_space:
      return (-jax.nn.softplus(d),), (-jax.nn.softplus(-d) + log_g(k_h),)
    return (jax.nn.sigmoid(-d),), (jax.nn.sigmoid(d) * k_h,)
