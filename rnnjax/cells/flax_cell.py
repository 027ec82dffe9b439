"""Runs any Flax `nn.RNNCellBase` cell (LSTMCell, GRUCell, OptimizedLSTMCell, ...) in rnnjax layers."""
from __future__ import annotations

import flax.linen as nn
import jax

from rnnjax.typing import Array


class FlaxCell(nn.Module):
  """Adapter: a Flax cell `cell(carry, x_t) -> (carry, y_t)` behind the rnnjax cell contract
  (`rnnjax.cells.base`).

  The Flax cell's parameters live under `wrapped`; its inputs are not hoisted (the projection
  stays inside its step), so `project_inputs` is the identity and there is no separate input
  bias. Its carry must depend on the batch size alone (true of Flax's SimpleCell, LSTMCell,
  OptimizedLSTMCell, GRUCell, MGUCell). Recurrent dropout needs an rnnjax cell, whose state has
  an `h` field. Only the reference backends ("scan", "static") run it.

  Attributes:
    cell: an unbound Flax cell, e.g. `nn.GRUCell(features=H)`.
  """
  cell: nn.RNNCellBase

  num_gates = None
  output_is_h = False      # Flax carries are tuples such as (c, h)
  fused_family = None

  def _definition(self) -> nn.RNNCellBase:
    return self.cell.clone(parent=None)

  @property
  def output_size(self) -> int:
    return self.cell.features

  @nn.compact
  def project_inputs(self, xs: Array, add_bias: bool = True) -> Array:
    """Creates the wrapped cell's parameters from xs [..., D]; returns xs unchanged."""
    del add_bias
    definition = self._definition()

    def init(key):
      x0 = xs.reshape(-1, xs.shape[-1])[:1]                            # [1, D]
      carry = definition.initialize_carry(jax.random.key(0), x0.shape)
      return definition.init(key, carry, x0)["params"]

    self.param("wrapped", init)
    return xs

  def input_bias(self) -> None:
    """None: the wrapped cell adds its own biases inside its step."""
    return None

  def weights(self):
    return self.variables["params"]["wrapped"]

  def initial_state(self, batch_size: int):
    return self._definition().initialize_carry(jax.random.key(0), (batch_size, 1))

  @nn.nowrap
  def step(self, weights, state, x_t: Array, h_mask: Array | None = None):
    """The wrapped cell's own step on x_t [B, D] -> (carry, y_t [B, H])."""
    if h_mask is not None:
      raise TypeError("recurrent_dropout needs an rnnjax cell; FlaxCell has no h to mask.")
    return self._definition().apply({"params": weights}, state, x_t)
