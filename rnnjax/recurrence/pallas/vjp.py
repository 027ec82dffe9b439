"""The Pallas recurrence with its VJP: the forward kernel saves what the backward kernel needs;
the weight gradients are one matmul over all steps (as in rnnjax.recurrence.fused)."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from rnnjax.recurrence.fused.common import dot_tn, shift_in
from rnnjax.recurrence.pallas import kernels, layout
from rnnjax.recurrence.pallas.families import FAMILIES
from rnnjax.typing import Array


def _inputs(name, tile, gx, w, b, carry0, lengths, h_mask):
  """The kernels' arrays in their tiled layout (layout.py)."""
  gates = FAMILIES[name].gates
  arrays = {"lengths": layout.pad_to(lengths[:, None], (tile.batch, 1)),
            "gx": layout.gates_in(gx, gates, tile, time_axis=True),
            "w": layout.kernel_in(w, gates, tile.hidden)}
  if b is not None:
    arrays["b"] = layout.pad_to(b.reshape(gates, 1, -1), (gates, 1, tile.hidden))
  arrays["init"] = jnp.stack([layout.rows_in(c, tile) for c in carry0])   # [S, Bp, Hp]
  if h_mask is not None:
    arrays["h_mask"] = layout.rows_in(h_mask, tile)
  return arrays


def _run_forward(name, platform, interpret, gx, w, b, carry0, lengths, h_mask, save):
  time, batch, hidden = gx.shape[0], gx.shape[1], w.shape[0]
  tile = layout.tiling(platform, time, batch, hidden)
  arrays = _inputs(name, tile, gx, w, b, carry0, lengths, h_mask)
  out = kernels.forward(FAMILIES[name], tile, arrays, save, interpret)
  h_states = out["hs"][:time, :batch, :hidden]                         # [T, B, H]
  final = tuple(out["final"][k, :batch, :hidden] for k in range(len(carry0)))
  return h_states, final, tile, arrays, out.get("saved")


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2))
def _recurrence(name, platform, interpret, gx, w, b, carry0, lengths, h_mask):
  h_states, final, *_ = _run_forward(name, platform, interpret, gx, w, b, carry0, lengths,
                                     h_mask, save=False)
  return h_states, final


def _value(primal):
  return None if primal is None else primal.value


def _recurrence_fwd(name, platform, interpret, *primals):
  mask_grad = primals[5] is not None and primals[5].perturbed
  gx, w, b, carry0, lengths, h_mask = (
      jax.tree.map(_value, p, is_leaf=lambda x: hasattr(x, "perturbed")) for p in primals)
  h_states, final, tile, arrays, saved = _run_forward(name, platform, interpret, gx, w, b,
                                                      carry0, lengths, h_mask, save=True)
  del tile                         # rebuilt from the shapes: residuals hold arrays only
  residuals = (saved, arrays["lengths"], w, arrays.get("h_mask"), h_mask,
               shift_in(carry0[0], h_states), mask_grad or None,
               None if b is None else jnp.zeros((0,), b.dtype))
  return (h_states, final), residuals


def _recurrence_bwd(name, platform, interpret, residuals, cotangents):
  saved, lengths_p, w, h_mask_p, h_mask, h_prev, mask_grad, b_marker = residuals
  family = FAMILIES[name]
  d_states, d_final = cotangents
  time, batch, hidden = h_prev.shape
  tile = layout.tiling(platform, time, batch, hidden)
  arrays = {"lengths": lengths_p, "saved": saved,
            "w_t": jnp.swapaxes(layout.kernel_in(w, family.gates, tile.hidden), 1, 2)}
  if h_mask_p is not None:
    arrays["h_mask"] = h_mask_p
  if not isinstance(d_states, SymbolicZero):
    arrays["d_hs"] = layout.steps_in(d_states, tile)
  arrays["init"] = jnp.stack([
      jnp.zeros((tile.batch, tile.hidden), jnp.float32) if isinstance(d, SymbolicZero)
      else layout.rows_in(d, tile) for d in d_final])
  out = kernels.backward(family, tile, arrays, interpret)
  d_gx = layout.gates_out(out["d_x"][:time], batch, hidden)           # [T, B, G*H]
  d_rec = d_gx if family.rec_is_x else layout.gates_out(out["d_rec"][:time], batch, hidden)
  h_prev_m = h_prev if h_mask is None else h_prev * h_mask[None]
  d_w = dot_tn(h_prev_m, d_rec)                                        # [H, G*H]: one matmul
  d_b = None if b_marker is None else d_rec.sum(axis=(0, 1))
  d_carry0 = tuple(out["final"][k, :batch, :hidden] for k in range(len(d_final)))
  d_mask = None
  if mask_grad:                                   # sum_t (d_rec_t @ w^T) * h_prev_t
    d_hm = jnp.dot(d_rec.reshape(-1, d_rec.shape[-1]), w.T).reshape(h_prev.shape)
    d_mask = (d_hm * h_prev).sum(axis=0)
  return d_gx, d_w, d_b, d_carry0, None, d_mask


_recurrence.defvjp(_recurrence_fwd, _recurrence_bwd, symbolic_zeros=True)


def recurrence(name: str, platform: str, interpret: bool, gx: Array, w_hh: Array,
               b_hh: Array | None, carry0: tuple[Array, ...], lengths: Array,
               h_mask: Array | None = None) -> tuple[Array, tuple[Array, ...]]:
  """Runs family `name` ("lstm" or "gru") over gx [T, B, G*H] (input term with its bias, in
  processing order) in float32 -> (h states [T, B, H], frozen past each row's length (not
  zeroed), final carry). w_hh [H, G*H] and b_hh [G*H] (GRU) in the cell's layout; carry0 the
  state's fields [B, H]; lengths [B] int32; h_mask [B, H] or None. platform: the kernel
  structure ("gpu" or "tpu"); interpret: run in Pallas interpret mode (any host)."""
  f32 = jnp.float32
  cast = lambda a: None if a is None else a.astype(f32)               # noqa: E731
  return _recurrence(name, platform, interpret, gx.astype(f32), w_hh.astype(f32), cast(b_hh),
                     tuple(c.astype(f32) for c in carry0), lengths.astype(jnp.int32),
                     cast(h_mask))
