"""A new cell needs one class, one registry line and a numpy transcription: this file is the
whole of it for a toy diagonal cell (IndRNN-style, Li et al. 2018: h_t = tanh(x W + b + u * h)),
and `contract_tests` gives it every contract test the registered cells get."""
import flax.linen as nn
import jax.numpy as jnp
import numpy as np
from absl.testing import absltest

from rnnjax import cells
from rnnjax.cells.base import HiddenState
import reference
from cell_contract import H, contract_tests


class ToyCell(cells.RecurrentCell):
  """h_t = tanh(x_t W + b + u * h_{t-1}); u [H] is the diagonal recurrent weight."""

  def setup(self):
    self.input = self.input_projection()
    self.recurrent_weight = self.param("recurrent_weight", nn.initializers.uniform(1.0),
                                       (self.hidden_size,), self.param_dtype)

  def weights(self):
    return self.cast(self.recurrent_weight)

  @nn.nowrap
  def step(self, weights, state, gx_t, h_mask=None):
    h_in = state.h if h_mask is None else state.h * h_mask
    h = jnp.tanh(gx_t + weights.astype(gx_t.dtype)[None, :] * h_in.astype(gx_t.dtype))
    return HiddenState(h), h


def toy_step(p, x, state):
  (h,) = state
  h = np.tanh(reference.input_term(p, x, 1) + p["recurrent_weight"] * h)
  return (h,), h


REGISTRY = {**cells.CELLS, "toy": ToyCell}          # the registry line, kept local to this test
ToyCellContractTest = contract_tests(lambda **kw: REGISTRY["toy"](H, **kw), toy_step, "ToyCell")

if __name__ == "__main__":
  absltest.main()
