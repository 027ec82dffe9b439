"""The persistent recurrence kernels: the forward and the backward loop, each ONE pallas_call.

Each program owns a block of Bb rows for the whole sequence: it loads the recurrent kernel once
(it stays on chip across every step: registers or shared memory on a GPU, VMEM on a TPU), keeps
the state on chip, and per step reads its input term, runs G [Bb, Hp] x [Hp, Hp] matmuls and
the gates, and writes h (and, for training, what the backward pass needs). The backward kernel
runs the same way from the last step to the first with the transposed kernel and writes the
per-step gradients of the gate pre-activations; the weight gradients are then ONE matmul over
all steps outside the kernel (vjp.py), as in the fused loops.

Structures (layout.py): "gpu" runs the whole sequence inside one program per row block
(grid (Bp/Bb,)); "tpu" adds a sequential grid axis over time chunks and carries the state
between chunks in VMEM scratch. Arrays (S state tiles, K saved tiles per step):
  forward:  lengths [Bp, 1], gx [Tp, G, Bp, Hp], w [G, Hp, Hp], b [G, 1, Hp] (GRU), init
            [S, Bp, Hp], h_mask [Bp, Hp] (optional) -> hs [Tp, Bp, Hp] (h after each step,
            frozen past a row's length), final [S, Bp, Hp], saved [Tp, K, Bp, Hp] (training)
  backward: lengths, saved, w_t [G, Hp, Hp] (each w_k^T), h_mask, d_hs [Tp, Bp, Hp] (optional),
            init = d final [S, Bp, Hp] -> d_x [Tp, G, Bp, Hp], d_rec [Tp, G, Bp, Hp] (GRU),
            final = d state0 [S, Bp, Hp]
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl

from rnnjax.recurrence.pallas.families import KernelFamily
from rnnjax.recurrence.pallas.layout import Tiling

# How each named array is blocked: its rank-role (see _spec).
ROLES = {"lengths": "rows", "h_mask": "rows", "gx": "steps", "saved": "steps", "d_x": "steps",
         "d_rec": "steps", "hs": "steps", "d_hs": "steps", "w": "whole", "w_t": "whole",
         "b": "whole", "init": "state", "final": "state"}


def _dot(a, b):
  """float32 matmul at full precision (Triton would otherwise use TF32)."""
  return jnp.dot(a, b, preferred_element_type=jnp.float32, precision=jax.lax.Precision.HIGHEST)


def _spec(name: str, shape, tile: Tiling, backward: bool) -> pl.BlockSpec:
  """The BlockSpec of array `name` [shape]: rows blocked by Bb; time by chunks ("tpu", in
  reverse chunk order for the backward kernel) or whole ("gpu")."""
  role = ROLES[name]
  steps = tile.chunk or tile.time
  last = tile.chunks - 1

  def time_block(j):
    return last - j if backward else j

  if role == "rows":                                                   # [Bp, X]
    return pl.BlockSpec((tile.block, shape[1]), lambda i, *j: (i, 0))
  if role == "state":                                                  # [S, Bp, Hp]
    return pl.BlockSpec((shape[0], tile.block, shape[2]), lambda i, *j: (0, i, 0))
  if role == "whole":
    return pl.BlockSpec(shape, lambda i, *j: (0,) * len(shape))
  if len(shape) == 3:                                                  # [Tp, Bp, Hp]
    return pl.BlockSpec((steps, tile.block, shape[2]),
                        lambda i, *j: (time_block(j[0]) if j else 0, i, 0))
  return pl.BlockSpec((steps, shape[1], tile.block, shape[3]),         # [Tp, K, Bp, Hp]
                      lambda i, *j: (time_block(j[0]) if j else 0, 0, i, 0))


def _forward_steps(family: KernelFamily, r, state, t0, steps: int):
  lengths = r["lengths"][...]                                          # [Bb, 1]
  w = [r["w"][k] for k in range(family.gates)]                         # loaded once: on chip
  b = [r["b"][k] for k in range(family.gates)] if "b" in r else None
  mask = r["h_mask"][...] if "h_mask" in r else None

  def body(t, state):
    valid = (t0 + t) < lengths                                         # [Bb, 1]
    h = state[0] if mask is None else state[0] * mask
    rec = [_dot(h, w[k]) if b is None else _dot(h, w[k]) + b[k] for k in range(family.gates)]
    x = [r["gx"][t, k] for k in range(family.gates)]
    new, saved = family.forward(x, rec, state)
    state = tuple(jnp.where(valid, n, o) for n, o in zip(new, state))
    r["hs"][t] = state[0]
    if "saved" in r:
      for k, s in enumerate(saved):
        r["saved"][t, k] = s
    return state

  return jax.lax.fori_loop(0, steps, body, state)


def _backward_steps(family: KernelFamily, r, d_state, t0, steps: int):
  lengths = r["lengths"][...]
  w_t = [r["w_t"][k] for k in range(family.gates)]
  mask = r["h_mask"][...] if "h_mask" in r else None

  def body(back, d_state):
    t = steps - 1 - back
    valid = (t0 + t) < lengths
    d_h = d_state[0] if "d_hs" not in r else d_state[0] + r["d_hs"][t]
    saved = [r["saved"][t, k] for k in range(family.saved)]
    d_x, d_rec, d_direct, d_rest = family.backward(saved, d_h, d_state[1:], valid)
    d_hm = _dot(d_rec[0], w_t[0])
    for k in range(1, family.gates):
      d_hm = d_hm + _dot(d_rec[k], w_t[k])                             # [Bb, Hp]
    d_prev = d_hm if mask is None else d_hm * mask
    if d_direct is not None:
      d_prev = d_prev + d_direct
    for k in range(family.gates):
      r["d_x"][t, k] = d_x[k]
      if "d_rec" in r:
        r["d_rec"][t, k] = d_rec[k]
    return (jnp.where(valid, d_prev, d_state[0]), *d_rest)

  return jax.lax.fori_loop(0, steps, body, d_state)


def _kernel(steps_fn, names, tile: Tiling, backward: bool, *refs):
  """The kernel body around steps_fn(r, state, t0, steps): the whole sequence ("gpu"), or one
  time chunk with the state kept in VMEM scratch between chunks ("tpu")."""
  r = dict(zip(names, refs))
  init, final = r["init"], r["final"]                                  # [S, Bb, Hp]
  size = init.shape[0]
  if not tile.chunk:
    state = steps_fn(r, tuple(init[k] for k in range(size)), 0, tile.time)
    for k in range(size):
      final[k] = state[k]
    return
  j, scratch = pl.program_id(1), r["scratch"]

  @pl.when(j == 0)
  def _():
    scratch[...] = init[...]

  t0 = ((tile.chunks - 1 - j) if backward else j) * tile.chunk
  state = steps_fn(r, tuple(scratch[k] for k in range(size)), t0, tile.chunk)
  for k in range(size):
    scratch[k] = state[k]

  @pl.when(j == tile.chunks - 1)
  def _():
    final[...] = scratch[...]


def _call(family, tile: Tiling, backward: bool, inputs: dict, outputs: dict, interpret: bool):
  """One pallas_call over the named inputs (arrays) -> the named outputs (ShapeDtypeStructs)."""
  steps_fn = functools.partial(_backward_steps if backward else _forward_steps, family)
  names = list(inputs) + list(outputs)
  scratch = []
  if tile.chunk:
    from jax.experimental.pallas import tpu as pltpu  # noqa: PLC0415
    names.append("scratch")
    scratch = [pltpu.VMEM(outputs["final"].shape[:1] + (tile.block, tile.hidden), jnp.float32)]
  grid = (tile.blocks,) + ((tile.chunks,) if tile.chunk else ())
  out = pl.pallas_call(
      functools.partial(_kernel, steps_fn, names, tile, backward),
      out_shape=list(outputs.values()), grid=grid,
      in_specs=[_spec(n, a.shape, tile, backward) for n, a in inputs.items()],
      out_specs=[_spec(n, s.shape, tile, backward) for n, s in outputs.items()],
      scratch_shapes=scratch, compiler_params=None if interpret else _params(tile),
      interpret=interpret, name=f"rnnjax_{'backward' if backward else 'forward'}")(
          *inputs.values())
  return dict(zip(outputs, out))


def _params(tile: Tiling):
  if tile.platform == "tpu":
    from jax.experimental.pallas import tpu as pltpu  # noqa: PLC0415
    return pltpu.CompilerParams(dimension_semantics=("parallel", "arbitrary"))
  from jax.experimental.pallas import triton as pltriton  # noqa: PLC0415
  return pltriton.CompilerParams(num_warps=4, num_stages=1)


def forward(family: KernelFamily, tile: Tiling, arrays: dict, save: bool, interpret: bool):
  """arrays: lengths, gx, w, (b), init, (h_mask) -> hs, final, (saved)."""
  size = arrays["init"].shape[0]
  f32 = jnp.float32
  outputs = {"hs": jax.ShapeDtypeStruct((tile.time, tile.batch, tile.hidden), f32),
             "final": jax.ShapeDtypeStruct((size, tile.batch, tile.hidden), f32)}
  if save:
    outputs["saved"] = jax.ShapeDtypeStruct(
        (tile.time, family.saved, tile.batch, tile.hidden), f32)
  return _call(family, tile, False, arrays, outputs, interpret)


def backward(family: KernelFamily, tile: Tiling, arrays: dict, interpret: bool):
  """arrays: lengths, saved, w_t, (h_mask), (d_hs), init -> d_x, (d_rec), final."""
  size = arrays["init"].shape[0]
  gates = (tile.time, family.gates, tile.batch, tile.hidden)
  outputs = {"d_x": jax.ShapeDtypeStruct(gates, jnp.float32)}
  if not family.rec_is_x:
    outputs["d_rec"] = jax.ShapeDtypeStruct(gates, jnp.float32)
  outputs["final"] = jax.ShapeDtypeStruct((size, tile.batch, tile.hidden), jnp.float32)
  return _call(family, tile, True, arrays, outputs, interpret)
