"""Both directions of a bidirectional layer in ONE fused loop.

A forward and a backward cell of the same family and size H run as one cell of width 2H whose
weights are block-diagonal, gate by gate: on every G*2H axis gate k holds [fw_k | bw_k], so
  w_hh [2H, G*2H] = per gate [[U_fw,k, 0], [0, U_bw,k]],   w_ih [2D, G*2H] likewise,
and the state [B, 2H] is [fw | bw]. The backward direction reads its inputs reversed (each row's
valid prefix, `reverse_padded`), so in processing order both directions have the same valid
steps, t < lengths[b], and one mask serves both. Every fused family is elementwise per hidden
unit, so the wide cell computes exactly the two directions' equations; each step then costs one
recurrent matmul and one pass of elementwise work instead of two of each, and the backward pass
likewise (the per-step overhead dominates at small H). The weight gradients come back through
the block construction (autodiff), so the off-diagonal blocks cost flops but carry nothing.
"""
from __future__ import annotations

import jax.numpy as jnp

from rnnjax.typing import Array


def interleave(fw: Array, bw: Array, gates: int) -> Array:
  """fw, bw [..., G*H] -> [..., G*2H]: gate k becomes [fw_k | bw_k]."""
  hidden = fw.shape[-1] // gates
  split = lambda a: a.reshape(a.shape[:-1] + (gates, hidden))        # noqa: E731
  both = jnp.concatenate([split(fw), split(bw)], axis=-1)             # [..., G, 2H]
  return both.reshape(fw.shape[:-1] + (gates * 2 * hidden,))


def block_diagonal(fw: Array, bw: Array, gates: int) -> Array:
  """fw [R, G*H], bw [S, G*H] -> [R + S, G*2H]: rows of fw feed the fw half of every gate, rows
  of bw the bw half."""
  top = interleave(fw, jnp.zeros_like(fw), gates)
  bottom = interleave(jnp.zeros_like(bw), bw, gates)
  return jnp.concatenate([top, bottom], axis=0)


def optional(combine, fw: Array | None, bw: Array | None, *args) -> Array | None:
  """combine(fw, bw, *args), or None when both are None."""
  if fw is None and bw is None:
    return None
  if fw is None or bw is None:
    raise ValueError("both directions must have this input or neither")
  return combine(fw, bw, *args)


def split_halves(a: Array) -> tuple[Array, Array]:
  """[..., 2H] -> ([..., H], [..., H])."""
  hidden = a.shape[-1] // 2
  return a[..., :hidden], a[..., hidden:]


def concat(fw: Array, bw: Array) -> Array:
  return jnp.concatenate([fw, bw], axis=-1)
