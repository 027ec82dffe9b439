"""The residual block that linear recurrent cells (minGRU, minLSTM, LRU) are used in, and the
encoder that stacks them.

A linear recurrence mixes information over time but is linear in its inputs; the nonlinearity
and the mixing across features come from the block around it. As in Orvieto et al. 2023
("Resurrecting Recurrent Neural Networks for Long Sequences", Sec. 3 and the minimal-LRU code)
and the minGRU/minLSTM language models of Feng et al. 2024 ("Were RNNs All We Needed?"):

  x [B, T, H] -> LayerNorm -> Recurrent(cell) -> GELU -> GLU: Dense(H)(u) * sigmoid(Dense(H)(u))
              -> dropout -> + x

Normalisation comes first in each block (pre-norm, as in the minGRU models; the LRU paper's
default is post-norm with batch norm, which needs batch statistics across padded rows), and a
final LayerNorm closes the stack.
"""
from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax.layers import Recurrent, check_inputs, last_output
from rnnjax.layers.recurrent import detached
from rnnjax.typing import Array


class ResidualBlock(nn.Module):
  """x [B, T, H] -> x + dropout(GLU(GELU(Recurrent(cell)(LayerNorm(x))))) [B, T, H].

  Attributes:
    cell: an rnnjax cell whose output width is H (the block's width).
    dropout: rate after the recurrence's GELU and after the GLU (train only).
    implementation: the recurrence backend (`layers.Recurrent`).
  """
  cell: nn.Module
  dropout: float = 0.0
  implementation: str = "auto"

  @nn.compact
  def __call__(self, xs: Array, seq_lengths: Array | None = None, *,
               train: bool = False) -> Array:
    width = xs.shape[-1]
    drop = nn.Dropout(self.dropout, deterministic=not train)
    u = nn.LayerNorm(name="norm")(xs)
    u = Recurrent(detached(self.cell), implementation=self.implementation,
                  name="recurrent")(u, seq_lengths)                    # [B, T, H]
    u = drop(nn.gelu(u))
    u = nn.Dense(width, name="glu_value")(u) * jax.nn.sigmoid(nn.Dense(width, name="glu_gate")(u))
    return xs + drop(u)


class ResidualEncoder(nn.Module):
  """Dense(D -> H) -> one ResidualBlock per cell -> LayerNorm: xs [B, T, D] -> [B, T, H], or
  the last valid step's [B, H] unless `return_sequences`. Steps past each length are zeroed
  on the way in (so NaN there reaches nothing) and on the way out.

  Attributes:
    cells: one cell per block, each of output width H.
    dropout: each block's dropout rate.
    return_sequences: every step [B, T, H], else the last valid one [B, H].
    implementation: the recurrence backend of every block.
  """
  cells: Sequence[nn.Module]
  dropout: float = 0.0
  return_sequences: bool = False
  implementation: str = "auto"

  @nn.compact
  def __call__(self, xs: Array, seq_lengths: Array | None = None, *,
               train: bool = False) -> Array:
    if not self.cells:
      raise ValueError("ResidualEncoder needs at least one cell.")
    lengths = check_inputs(xs, seq_lengths, time_major=False)            # [B]
    valid = (jnp.arange(xs.shape[1])[None, :] < lengths[:, None])[..., None]   # [B, T, 1]
    x = nn.Dense(self.cells[0].output_size, name="encoder")(jnp.where(valid, xs, 0))
    for index, cell in enumerate(self.cells):
      x = ResidualBlock(cell, self.dropout, self.implementation,
                        name=f"block_{index}")(x, seq_lengths, train=train)
    x = nn.LayerNorm(name="norm")(x)                                     # [B, T, H]
    if self.return_sequences:
      return jnp.where(valid, x, 0)
    return last_output(x, lengths, reverse=False)                        # [B, H]
