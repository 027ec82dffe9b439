"""What the torch and Keras converters share: a cell's description, the layer layouts, arrays.

A converted model is described by `CellSpec`s, one per (layer, direction), and is nested into
the parameter tree of the matching rnnjax layer:
  Recurrent      {"cell": cell}
  Bidirectional  {"forward": {"cell": cell}, "backward": {"cell": cell}}
  Stacked        {"layer_0": <Recurrent or Bidirectional params>, "layer_1": ...}
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rnnjax import cells, layers

KINDS = ("rnn", "lstm", "gru")
DIRECTIONS = ("forward", "backward")
# rnnjax cell options that neither torch nor Keras has.
UNCONVERTIBLE = {"peepholes": "peepholes=True", "recurrent_norm_scale": "layer_norm=True",
                 "cell_norm_scale": "layer_norm=True", "wrapped": "FlaxCell"}

Params = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class CellSpec:
  """One rnnjax cell: kind "rnn" | "lstm" | "gru", hidden size H and its options."""
  kind: str
  hidden_size: int
  activation: str = "tanh"          # SimpleRNNCell only
  proj_size: int | None = None      # LSTMCell only
  reset_after: bool = True          # GRUCell only
  recurrent_bias: bool = False      # LSTMCell / SimpleRNNCell: a second bias (torch's b_hh)

  def make_cell(self, param_dtype=np.float32):
    """The rnnjax cell with these options (parameters stored in `param_dtype`)."""
    if self.kind == "rnn":
      return cells.SimpleRNNCell(self.hidden_size, activation=self.activation,
                                 recurrent_bias=self.recurrent_bias, param_dtype=param_dtype)
    if self.kind == "lstm":
      return cells.LSTMCell(self.hidden_size, proj_size=self.proj_size,
                            recurrent_bias=self.recurrent_bias, param_dtype=param_dtype)
    return cells.GRUCell(self.hidden_size, reset_after=self.reset_after, param_dtype=param_dtype)


def to_numpy(value) -> np.ndarray:
  """A numpy copy of an array-like: numpy, jax, or anything with torch's `.detach().cpu()`."""
  if hasattr(value, "detach"):
    value = value.detach().cpu().numpy()
  return np.array(value)


def astype(tree: Params, dtype) -> Params:
  """A copy of a nested dict of arrays in `dtype`."""
  if isinstance(tree, Mapping):
    return {k: astype(v, dtype) for k, v in tree.items()}
  return np.asarray(tree).astype(dtype)


def nest(cell_params: Sequence[Sequence[Params]], stacked: bool | None = None) -> Params:
  """cell_params[layer][direction] -> the params of Recurrent, Bidirectional or Stacked.

  One or two directions per layer (forward, backward). `stacked=None` gives `Stacked` params
  only for several layers; True always (`layer_0`, ...); False refuses several layers.
  """
  per_layer = []
  for dirs in cell_params:
    if len(dirs) == 1:
      per_layer.append({"cell": dirs[0]})
    else:
      per_layer.append({name: {"cell": p} for name, p in zip(DIRECTIONS, dirs)})
  if stacked is None:
    stacked = len(per_layer) > 1
  if not stacked:
    if len(per_layer) != 1:
      raise ValueError(f"stacked=False needs one layer; got {len(per_layer)} layers. Use "
                       "stacked=None or True (rnnjax.layers.Stacked params).")
    return per_layer[0]
  return {f"layer_{index}": p for index, p in enumerate(per_layer)}


def _directions(tree: Params, where: str) -> list[Params]:
  if set(tree) == {"cell"}:
    return [tree["cell"]]
  if set(tree) == set(DIRECTIONS) and all(set(tree[d]) == {"cell"} for d in DIRECTIONS):
    return [tree[d]["cell"] for d in DIRECTIONS]
  raise ValueError(f"{where} must hold {{'cell': ...}} (Recurrent) or {{'forward': {{'cell': "
                   f"...}}, 'backward': {{'cell': ...}}}} (Bidirectional); got keys "
                   f"{sorted(tree)}.")


def unnest(params: Mapping) -> tuple[list[list[Params]], bool]:
  """The params of Recurrent, Bidirectional or Stacked (or {"params": ...}) ->
  (cell_params[layer][direction], stacked)."""
  tree = dict(params)
  if set(tree) == {"params"}:
    tree = dict(tree["params"])
  names = [f"layer_{index}" for index in range(len(tree))]
  if tree and set(tree) == set(names):
    per_layer = [_directions(dict(tree[n]), f"params[{n!r}]") for n in names]
    if len({len(dirs) for dirs in per_layer}) != 1:
      raise ValueError("Every layer of a Stacked must have the same number of directions.")
    return per_layer, True
  return [_directions(tree, "params")], False


def cell_spec(p: Mapping, where: str = "params") -> CellSpec:
  """Infers the CellSpec of an rnnjax cell's params from their names and shapes."""
  for name, option in UNCONVERTIBLE.items():
    if name in p or name in p.get("input", {}):
      raise ValueError(f"{where} has {name!r}: cells with {option} have no torch or Keras "
                       "equivalent and cannot be converted.")
  if "norm_scale" in p.get("input", {}):
    raise ValueError(f"{where} has 'input/norm_scale': cells with layer_norm=True have no torch "
                     "or Keras equivalent and cannot be converted.")
  recurrent = np.shape(p["recurrent_kernel"])                         # [H or P, G*H]
  proj = np.shape(p["projection_kernel"]) if "projection_kernel" in p else None  # [H, P]
  hidden = proj[0] if proj else recurrent[0]
  gates = recurrent[1] // hidden
  kind = {1: "rnn", 3: "gru", 4: "lstm"}.get(gates)
  if kind is None or gates * hidden != recurrent[1] or (proj and kind != "lstm"):
    raise ValueError(f"{where}/recurrent_kernel has shape {recurrent}: not an rnnjax "
                     "SimpleRNN (G=1), GRU (G=3) or LSTM (G=4) cell.")
  has_recurrent_bias = "recurrent_bias" in p
  return CellSpec(kind, hidden, proj_size=proj[1] if proj else None,
                  reset_after=has_recurrent_bias, recurrent_bias=has_recurrent_bias)


def build_layer(specs: Sequence[Sequence[CellSpec]], stacked: bool | None = None,
                param_dtype=np.float32, **layer_kwargs):
  """specs[layer][direction] -> Recurrent, Bidirectional or Stacked (as `nest` lays out params).

  layer_kwargs go to the layer (return_state, time_major, merge_mode, dropout, ...).
  """
  if stacked is None:
    stacked = len(specs) > 1
  bidirectional = len(specs[0]) == 2
  if stacked:
    if any(len(set(dirs)) != 1 for dirs in specs):
      raise ValueError("rnnjax.layers.Stacked(bidirectional=True) uses one cell for both "
                       "directions; the two directions here differ: build the layers yourself.")
    layer_cells = [dirs[0].make_cell(param_dtype) for dirs in specs]
    return layers.Stacked(layer_cells, bidirectional=bidirectional, **layer_kwargs)
  if len(specs) != 1:
    raise ValueError(f"stacked=False needs one layer; got {len(specs)} layers.")
  if bidirectional:
    forward, backward = (s.make_cell(param_dtype) for s in specs[0])
    return layers.Bidirectional(forward, backward, **layer_kwargs)
  return layers.Recurrent(specs[0][0].make_cell(param_dtype), **layer_kwargs)
