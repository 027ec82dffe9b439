"""PyTorch `nn.RNN` / `nn.LSTM` / `nn.GRU` weights <-> rnnjax params. torch is never imported.

torch stores, per layer l and direction ("" forward, "_reverse" backward):
  weight_ih_l{l} [G*H, D_in], weight_hh_l{l} [G*H, H or P], bias_ih_l{l}, bias_hh_l{l} [G*H],
  weight_hr_l{l} [P, H] (LSTM with proj_size)
with the gate orders of rnnjax (LSTM i, f, g, o; GRU r, z, n), so kernels are only transposed.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from rnnjax.convert import common

_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?$")
_MODES = {"RNN_TANH": ("rnn", "tanh"), "RNN_RELU": ("rnn", "relu"), "LSTM": ("lstm", "tanh"),
          "GRU": ("gru", "tanh")}


def _state_dict(module_or_state_dict, prefix: str) -> dict[str, np.ndarray]:
  if hasattr(module_or_state_dict, "state_dict"):
    state = module_or_state_dict.state_dict()
  elif isinstance(module_or_state_dict, Mapping):
    state = module_or_state_dict
  else:
    raise TypeError("module_or_state_dict must be a torch nn.RNN/LSTM/GRU (anything with "
                    f".state_dict()) or a mapping; got {type(module_or_state_dict).__name__}.")
  state = {k[len(prefix):]: common.to_numpy(v) for k, v in state.items() if k.startswith(prefix)}
  unknown = sorted(k for k in state if not _KEY.match(k))
  if unknown:
    raise ValueError(f"unexpected keys {unknown[:4]} in the torch state dict: expected "
                     "weight_ih_l0, weight_hh_l0, bias_ih_l0, ... of one nn.RNN/LSTM/GRU. For a "
                     "submodule of a larger model pass prefix='<name>.' (e.g. prefix='rnn.').")
  if "weight_ih_l0" not in state:
    raise ValueError(f"no weight_ih_l0 in the torch state dict (keys {sorted(state)[:4]}, "
                     f"prefix={prefix!r}).")
  return state


def _kind(module, state: dict[str, np.ndarray]) -> tuple[str, str]:
  """(kind, activation): from the module's `.mode` when it has one, else from the shapes."""
  mode = getattr(module, "mode", None)
  if mode is not None:
    if mode not in _MODES:
      raise ValueError(f"torch module mode {mode!r} is not supported; expected one of "
                       f"{sorted(_MODES)}.")
    return _MODES[mode]
  if "weight_hr_l0" in state:
    return "lstm", "tanh"
  rows, cols = state["weight_hh_l0"].shape                           # [G*H, H]
  kind = {1: "rnn", 3: "gru", 4: "lstm"}.get(rows // cols)
  if kind is None or rows % cols:
    raise ValueError(f"weight_hh_l0 has shape {(rows, cols)}: not an RNN, LSTM or GRU.")
  return kind, str(getattr(module, "nonlinearity", "tanh"))


def _layout(module, state) -> tuple[int, int]:
  """(num_layers, directions), checked against the module's attributes when it has them."""
  indices = sorted({int(_KEY.match(k).group(2)) for k in state})
  num_layers = indices[-1] + 1
  if indices != list(range(num_layers)):
    raise ValueError(f"torch layer indices must be 0..{num_layers - 1}; got {indices}.")
  dirs = 2 if any(k.endswith("_reverse") for k in state) else 1
  for name, value in (("num_layers", num_layers), ("bidirectional", dirs == 2)):
    if getattr(module, name, value) != value:
      raise ValueError(f"module.{name}={getattr(module, name)} but its state dict holds "
                       f"{value}.")
  return num_layers, dirs


def _specs(module_or_state_dict, prefix: str, recurrent_bias: bool, nonlinearity: str | None):
  module = None if isinstance(module_or_state_dict, Mapping) else module_or_state_dict
  state = _state_dict(module_or_state_dict, prefix)
  kind, activation = _kind(module, state)
  if nonlinearity is not None:
    activation = nonlinearity
  num_layers, dirs = _layout(module, state)
  hidden = state["weight_hr_l0"].shape[1] if "weight_hr_l0" in state else (
      state["weight_hh_l0"].shape[1])
  proj = state["weight_hr_l0"].shape[0] if "weight_hr_l0" in state else None
  spec = common.CellSpec(kind, hidden, activation=activation, proj_size=proj,
                         recurrent_bias=recurrent_bias and kind != "gru", reset_after=True)
  return module, state, [[spec] * dirs for _ in range(num_layers)]


def _cell(state, suffix: str, spec: common.CellSpec) -> common.Params:
  w_ih, w_hh = state[f"weight_ih_{suffix}"], state[f"weight_hh_{suffix}"]   # [G*H, D], [G*H, H]
  if f"bias_ih_{suffix}" in state:
    b_ih, b_hh = state[f"bias_ih_{suffix}"], state[f"bias_hh_{suffix}"]     # [G*H]
  else:                                                 # bias=False: zero biases, same function
    b_ih = b_hh = np.zeros(w_ih.shape[:1], w_ih.dtype)
  separate = spec.kind == "gru" or spec.recurrent_bias
  cell = {"input": {"kernel": np.ascontiguousarray(w_ih.T),                 # [D, G*H]
                    "bias": b_ih.copy() if separate else b_ih + b_hh},
          "recurrent_kernel": np.ascontiguousarray(w_hh.T)}                 # [H or P, G*H]
  if separate:
    cell["recurrent_bias"] = b_hh.copy()
  if spec.proj_size:
    cell["projection_kernel"] = np.ascontiguousarray(state[f"weight_hr_{suffix}"].T)  # [H, P]
  return cell


def from_torch(module_or_state_dict, *, recurrent_bias: bool = True, stacked: bool | None = None,
               prefix: str = "") -> common.Params:
  """torch nn.RNN / nn.LSTM / nn.GRU (or its state dict) -> rnnjax params.

  Returns the params of `Recurrent` (one layer), `Bidirectional` (one bidirectional layer) or
  `Stacked` (several layers; or always with stacked=True), for use as
  `layer.apply({"params": params}, xs, lengths)`; `layer_from_torch` builds that layer.

  Args:
    module_or_state_dict: the torch module (duck-typed: `.state_dict()`, and `.mode`,
      `.num_layers`, `.bidirectional` where present) or a mapping of its tensors / arrays. From a
      bare state dict the cell kind is read from the shapes (G = 1, 3 or 4), and nn.RNN's
      nonlinearity is unknown (it does not change the params).
    recurrent_bias: LSTM and RNN: keep torch's bias_hh as the cell's `recurrent_bias` param
      (cells built with recurrent_bias=True; exact round trip). False adds it into input/bias
      (plain cells; to_torch then returns bias_hh = 0). GRU always keeps it (it sits inside r *).
    stacked: see `common.nest`.
    prefix: the keys' prefix inside a larger model's state dict, e.g. "rnn.".
  torch's bias=False gives zero biases (the same function).
  """
  _, state, specs = _specs(module_or_state_dict, prefix, recurrent_bias, None)
  cell_params = [[_cell(state, f"l{layer}" + ("_reverse" if d else ""), spec)
                  for d, spec in enumerate(dirs)] for layer, dirs in enumerate(specs)]
  return common.nest(cell_params, stacked)


def layer_from_torch(module_or_state_dict, *, recurrent_bias: bool = True,
                     stacked: bool | None = None, prefix: str = "", nonlinearity: str | None = None,
                     param_dtype=None, **layer_kwargs):
  """(rnnjax layer, params) matching a torch module, e.g.

    layer, params = layer_from_torch(torch_lstm, return_state=True)
    state, ys = layer.apply({"params": params}, xs, lengths)

  The module's batch_first=False gives time_major=True; dropout (between layers) goes to
  `Stacked`. layer_kwargs (return_state, implementation, ...) override these. `nonlinearity`
  ("tanh" or "relu") is needed for an nn.RNN given as a bare state dict. The cells and the
  returned params use `param_dtype` (default: the weights' dtype).
  """
  module, state, specs = _specs(module_or_state_dict, prefix, recurrent_bias, nonlinearity)
  if module is None and specs[0][0].kind == "rnn" and nonlinearity is None:
    raise ValueError("an nn.RNN state dict does not say its nonlinearity: pass "
                     "nonlinearity='tanh' or 'relu' (or the module itself).")
  params = from_torch(module_or_state_dict, recurrent_bias=recurrent_bias, stacked=stacked,
                      prefix=prefix)
  kwargs = {}
  if module is not None and not getattr(module, "batch_first", True):
    kwargs["time_major"] = True
  if getattr(module, "dropout", 0.0) and (stacked or len(specs) > 1):
    kwargs["dropout"] = float(module.dropout)
  kwargs.update(layer_kwargs)
  dtype = param_dtype or state["weight_ih_l0"].dtype
  return common.build_layer(specs, stacked, dtype, **kwargs), common.astype(params, dtype)


def _bias(p: common.Params, spec: common.CellSpec, bias: bool, where: str):
  """(bias_ih, bias_hh) of one cell, or None for bias=False (after checking they are zero)."""
  b_ih = np.asarray(p["input"]["bias"])
  b_hh = np.asarray(p["recurrent_bias"]) if "recurrent_bias" in p else np.zeros_like(b_ih)
  if not bias:
    if np.any(b_ih) or np.any(b_hh):
      raise ValueError(f"to_torch(bias=False) but {where} has nonzero biases: the torch module "
                       "would compute something else. Use bias=True.")
    return None
  return b_ih.copy(), b_hh.copy()


def to_torch(params, *, bias: bool = True, prefix: str = "") -> dict[str, np.ndarray]:
  """rnnjax params of Recurrent / Bidirectional / Stacked -> a torch state dict of numpy arrays.

  Keys and their order are torch's (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0,
  weight_hr_l0, then the `_reverse` ones, then layer 1, ...), each prefixed with `prefix`; load
  with `module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})`.
  LSTM/RNN cells without recurrent_bias give bias_hh = 0. bias=False (torch's bias=False) leaves
  the biases out and requires them to be zero. GRUCell(reset_after=False) has no torch twin.
  """
  cell_params, _ = common.unnest(params)
  state = {}
  for layer, dirs in enumerate(cell_params):
    for d, p in enumerate(dirs):
      suffix = f"l{layer}" + ("_reverse" if d else "")
      where = f"layer {layer} {common.DIRECTIONS[d]}"
      spec = common.cell_spec(p, where)
      if spec.kind == "gru" and not spec.reset_after:
        raise ValueError(f"{where}: torch's nn.GRU is the reset-after GRU; params of "
                         "GRUCell(reset_after=False) (no 'recurrent_bias') cannot be converted.")
      state[f"weight_ih_{suffix}"] = np.ascontiguousarray(np.asarray(p["input"]["kernel"]).T)
      state[f"weight_hh_{suffix}"] = np.ascontiguousarray(np.asarray(p["recurrent_kernel"]).T)
      biases = _bias(p, spec, bias, where)
      if biases is not None:
        state[f"bias_ih_{suffix}"], state[f"bias_hh_{suffix}"] = biases
      if spec.proj_size:
        state[f"weight_hr_{suffix}"] = np.ascontiguousarray(
            np.asarray(p["projection_kernel"]).T)
  return {prefix + k: v for k, v in state.items()}
