"""Runs any Flax `nn.RNNCellBase` cell (LSTMCell, GRUCell, OptimizedLSTMCell, ...) in rnnjax layers."""
from __future__ import annotations

import flax.linen as nn
import jax

from rnnjax.typing import Array


class FlaxCell(nn.Module):
  """Adapter: a Flax cell `cell(carry, x_t) -> (carry, y_t)` behind the rnnjax cell contract.

  The Flax cell's parameters live under `wrapped`; its inputs are not hoisted (the projection
  stays inside its step). Its carry must depend on the batch size alone (true of Flax's
  SimpleCell, LSTMCell, OptimizedLSTMCell, GRUCell, MGUCell). Recurrent dropout needs an rnnjax
  cell, whose state has an `h` field.

  Attributes:
    cell: an unbound Flax cell, e.g. `nn.GRUCell(features=H)`.
  """
  cell: nn.RNNCellBase

  num_gates = None

  def _definition(self) -> nn.RNNCellBase:
    return self.cell.clone(parent=None)

  @property
  def output_size(self) -> int:
    return self.cell.features

  @nn.compact
  def project_inputs(self, xs: Array) -> Array:
    """Creates the wrapped cell's parameters from xs [..., D]; returns xs unchanged."""
    definition = self._definition()

    def init(key):
      x0 = xs.reshape(-1, xs.shape[-1])[:1]                            # [1, D]
      carry = definition.initialize_carry(jax.random.key(0), x0.shape)
      return definition.init(key, carry, x0)["params"]

    self.param("wrapped", init)
    return xs

  def weights(self):
    return self.variables["params"]["wrapped"]

  def initial_state(self, batch_size: int):
    return self._definition().initialize_carry(jax.random.key(0), (batch_size, 1))

  def step_fn(self):
    definition = self._definition()

    def step(params, carry, x_t):
      return definition.apply({"params": params}, carry, x_t)

    return step
