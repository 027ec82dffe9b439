"""The LSTM and GRU steps as the Pallas kernels run them: every gate its own [Bb, Hp] tile.

Triton (GPU) cannot slice a tile held in registers, and Mosaic (TPU) lays tiles out in
(8, 128) vregs, so the kernels never split a [Bb, G*H] row: the input term, the recurrent
weights and every saved array come gate by gate (G tiles of [Bb, Hp]). The equations are those
of rnnjax.recurrence.fused (lstm.py, gru.py) and of the cells' own `step`.

A `KernelFamily` gives:
  gates: G.  state_size: how many [Bb, Hp] tiles the state holds (LSTM (h, c): 2; GRU (h,): 1).
  saved: how many [Bb, Hp] tiles one step saves for the backward pass.
  forward(x, rec, state) -> (new state, saved): x the G input terms (bias included), rec the
      G recurrent terms (h * h_mask) @ W_k (+ b_k).
  backward(saved, d_h, d_rest, valid) -> (d_x, d_rec, d_h_direct, d_rest_prev): the gradients of
      the G input terms and of the G recurrent terms (0 where not valid), the part of h's
      gradient that bypasses the recurrent matmul (or None), and the other state tiles'
      gradients before the step (passed through where not valid).
  rec_is_x: d_rec == d_x (the LSTM), so the backward kernel writes only d_x.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax.numpy as jnp


def sigmoid(x):
  """As the fused loops compute it: (1 + tanh(x / 2)) / 2."""
  return 0.5 * jnp.tanh(0.5 * x) + 0.5


def keep(valid, new, old):
  return jnp.where(valid, new, old)


class KernelFamily(NamedTuple):
  gates: int
  state_size: int
  saved: int
  rec_is_x: bool
  forward: Callable
  backward: Callable


def _lstm_forward(x, rec, state):
  h, c = state
  del h
  i = sigmoid(x[0] + rec[0])
  f = sigmoid(x[1] + rec[1])
  g = jnp.tanh(x[2] + rec[2])
  o = sigmoid(x[3] + rec[3])
  c_new = f * c + i * g
  return (o * jnp.tanh(c_new), c_new), (i, f, g, o, c)


def _lstm_backward(saved, d_h, d_rest, valid):
  i, f, g, o, c_prev = saved
  (d_c,) = d_rest
  tanh_c = jnp.tanh(f * c_prev + i * g)                                # c after the step
  d_cn = d_c + d_h * o * (1 - tanh_c * tanh_c)
  zero = jnp.zeros_like(d_h)
  d_z = (keep(valid, d_cn * g * i * (1 - i), zero), keep(valid, d_cn * c_prev * f * (1 - f), zero),
         keep(valid, d_cn * i * (1 - g * g), zero), keep(valid, d_h * tanh_c * o * (1 - o), zero))
  return d_z, d_z, None, (keep(valid, d_cn * f, d_c),)


def _gru_forward(x, rec, state):
  (h,) = state
  r = sigmoid(x[0] + rec[0])
  z = sigmoid(x[1] + rec[1])
  n = jnp.tanh(x[2] + r * rec[2])
  d_pre_n = (1 - z) * (1 - n * n)
  saved = (d_pre_n * r, d_pre_n * rec[2] * r * (1 - r), (h - n) * z * (1 - z), d_pre_n, z)
  return (n + z * (h - n),), saved


def _gru_backward(saved, d_h, d_rest, valid):
  del d_rest
  zero = jnp.zeros_like(d_h)
  d_hh_n, d_r, d_z, d_n = (keep(valid, coef * d_h, zero) for coef in saved[:4])
  return (d_r, d_z, d_n), (d_r, d_z, d_hh_n), d_h * saved[4], ()


LSTM = KernelFamily(gates=4, state_size=2, saved=5, rec_is_x=True, forward=_lstm_forward,
                    backward=_lstm_backward)
GRU = KernelFamily(gates=3, state_size=1, saved=5, rec_is_x=False, forward=_gru_forward,
                   backward=_gru_backward)
FAMILIES = {"lstm": LSTM, "gru": GRU}
