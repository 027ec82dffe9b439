"""How the Pallas kernels tile a recurrence, and the padding in and out of that layout.

The kernels see every gate as its own tile (families.py): gx [T, G, Bp, Hp], the recurrent
kernel [G, Hp, Hp], states [Bp, Hp]. H is padded to Hp with zero weights and B to Bp with rows
of length 0; both paddings are exact: a padded hidden unit has zero input, recurrent and output
weights and stays 0 (LSTM: c = 0.5 c + 0.5 tanh(0) = 0, h = 0.5 tanh(0) = 0; GRU: h = z h = 0),
and a padded row never takes a valid step. Tile sizes per platform:
  gpu (Triton): every tile a power of 2 (Triton's tensor sizes), and matmul tiles at least 16 on
    each side (tl.dot); Bb = 16 rows per program, so that a batch spreads over many SMs.
  tpu (Mosaic): the last two tile dims multiples of (8, 128) (a vreg); time runs in chunks of
    `time_chunk` steps, the state kept in VMEM scratch between chunks (TPU grids run in order).
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from rnnjax.typing import Array


TPU_TIME_CHUNK = 16      # steps per grid step on a TPU (tests shrink it to cover several chunks)


def _next_power_of_2(n: int) -> int:
  return 1 << max(0, n - 1).bit_length()


def _round_up(n: int, multiple: int) -> int:
  return -(-n // multiple) * multiple


class Tiling(NamedTuple):
  """platform: "gpu" or "tpu" (the kernel structure); hidden: Hp; batch: Bp; block: Bb rows per
  program; time: Tp (T padded to whole chunks); chunk: steps per grid step (tpu) or 0 (gpu: the
  whole sequence in one kernel invocation per row block)."""
  platform: str
  hidden: int
  batch: int
  block: int
  time: int
  chunk: int

  @property
  def blocks(self) -> int:
    return self.batch // self.block

  @property
  def chunks(self) -> int:
    return self.time // self.chunk if self.chunk else 1


def tiling(platform: str, time: int, batch: int, hidden: int) -> Tiling:
  """The tiling of a [T, B, H] recurrence for platform "gpu" or "tpu"."""
  if platform == "gpu":
    block = 16
    return Tiling("gpu", max(16, _next_power_of_2(hidden)), _round_up(batch, block), block,
                  time, 0)
  if platform == "tpu":
    block = min(_round_up(batch, 8), 64)
    chunk = min(time, TPU_TIME_CHUNK)
    return Tiling("tpu", _round_up(hidden, 128), _round_up(batch, block), block,
                  _round_up(time, chunk), chunk)
  raise ValueError(f"platform must be 'gpu' or 'tpu'; got {platform!r}.")


def pad_to(a: Array, shape: tuple[int, ...]) -> Array:
  """Zero-pads a at the end of every axis to `shape`."""
  return jnp.pad(a, [(0, s - d) for s, d in zip(shape, a.shape)])


def gates_in(a: Array, gates: int, tile: Tiling, time_axis: bool) -> Array:
  """[T, B, G*H] (time_axis) or [B, G*H] -> [Tp, G, Bp, Hp] or [G, Bp, Hp], zero-padded."""
  hidden = a.shape[-1] // gates
  a = a.reshape(a.shape[:-1] + (gates, hidden))                       # [(T,) B, G, H]
  a = jnp.moveaxis(a, -2, -3)                                          # [(T,) G, B, H]
  lead = (tile.time,) if time_axis else ()
  return pad_to(a, lead + (gates, tile.batch, tile.hidden))


def gates_out(a: Array, batch: int, hidden: int) -> Array:
  """[T, G, Bp, Hp] -> [T, B, G*H] (the inverse of gates_in, padding dropped)."""
  a = jnp.moveaxis(a[..., :batch, :hidden], -3, -2)                    # [T, B, G, H]
  return a.reshape(a.shape[:-2] + (-1,))


def kernel_in(w: Array, gates: int, hidden_p: int) -> Array:
  """A recurrent kernel [H, G*H] -> [G, Hp, Hp] (gate k's [H, H] block, zero-padded)."""
  hidden = w.shape[0]
  w = jnp.moveaxis(w.reshape(hidden, gates, hidden), 1, 0)            # [G, H, H]
  return pad_to(w, (gates, hidden_p, hidden_p))


def rows_in(a: Array, tile: Tiling) -> Array:
  """[B, H] -> [Bp, Hp]."""
  return pad_to(a, (tile.batch, tile.hidden))


def steps_in(a: Array, tile: Tiling) -> Array:
  """[T, B, H] -> [Tp, Bp, Hp]."""
  return pad_to(a, (tile.time, tile.batch, tile.hidden))
