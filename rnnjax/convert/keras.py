"""Keras 3 `SimpleRNN` / `LSTM` / `GRU` / `Bidirectional` weights <-> rnnjax params.

Keras is never imported. `layer.get_weights()` is [kernel [D, G*H], recurrent_kernel [H, G*H],
bias] per layer (forward, then backward for `Bidirectional`); the bias is [G*H], or [2, 3H]
(input row, recurrent row) for GRU(reset_after=True), and absent with use_bias=False. LSTM
gates are i, f, c, o as in rnnjax; Keras' GRU gates are z, r, h where rnnjax's are r, z, n.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnnjax.convert import common

_CLASSES = {"SimpleRNN": "rnn", "LSTM": "lstm", "GRU": "gru"}


def _swap_gru_gates(a: np.ndarray) -> np.ndarray:
  """Keras z, r, h <-> rnnjax r, z, n on the last axis (its own inverse)."""
  z, r, h = np.split(a, 3, axis=-1)
  return np.concatenate([r, z, h], axis=-1)


def _class_name(layer) -> str | None:
  names = [c.__name__ for c in type(layer).__mro__]
  return next((n for n in names if n in _CLASSES or n == "Bidirectional"), None)


def _name(fn) -> str:
  return str(getattr(fn, "__name__", fn))


def _layer_spec(layer) -> common.CellSpec:
  """The CellSpec of one Keras SimpleRNN / LSTM / GRU layer; errors for what rnnjax lacks."""
  cls = _class_name(layer)
  if cls not in _CLASSES:
    raise ValueError(f"Keras layer {type(layer).__name__} is not supported; expected "
                     "SimpleRNN, LSTM, GRU or Bidirectional of one of them.")
  kind, activation = _CLASSES[cls], _name(layer.activation)
  allowed = ("tanh", "relu") if kind == "rnn" else ("tanh",)
  if activation not in allowed:
    raise ValueError(f"Keras {cls}(activation={activation!r}) is not supported: rnnjax's "
                     f"{cls} cell uses {' or '.join(allowed)}.")
  if kind != "rnn" and _name(layer.recurrent_activation) != "sigmoid":
    raise ValueError(f"Keras {cls}(recurrent_activation="
                     f"{_name(layer.recurrent_activation)!r}) is not supported: rnnjax's gates "
                     "use 'sigmoid'.")
  return common.CellSpec(kind, int(layer.units), activation=activation,
                         reset_after=bool(getattr(layer, "reset_after", True)))


def _weights_spec(weights: Sequence[np.ndarray], reset_after: bool) -> common.CellSpec:
  """The CellSpec of one layer's weight list, read from the shapes."""
  hidden, columns = weights[1].shape                                 # [H, G*H]
  kind = {1: "rnn", 3: "gru", 4: "lstm"}.get(columns // hidden)
  if kind is None or columns % hidden:
    raise ValueError(f"recurrent_kernel has shape {weights[1].shape}: not a Keras SimpleRNN, "
                     "GRU or LSTM.")
  if kind == "gru" and len(weights) == 3:
    reset_after = weights[2].ndim == 2                               # [2, 3H] vs [3H]
  return common.CellSpec(kind, hidden, reset_after=reset_after)


def _cell(weights: Sequence[np.ndarray], spec: common.CellSpec) -> common.Params:
  kernel, recurrent = weights[0], weights[1]                         # [D, G*H], [H, G*H]
  zeros = np.zeros(kernel.shape[-1:], kernel.dtype)
  bias = weights[2] if len(weights) == 3 else None
  reset_after = spec.kind == "gru" and spec.reset_after
  if bias is None:
    bias = np.stack([zeros, zeros]) if reset_after else zeros
  if reset_after and bias.shape != (2, kernel.shape[-1]):
    raise ValueError(f"Keras GRU(reset_after=True) has a bias [2, 3H]; got {bias.shape}.")
  swap = _swap_gru_gates if spec.kind == "gru" else np.array
  cell = {"input": {"kernel": swap(kernel), "bias": swap(bias[0] if reset_after else bias)},
          "recurrent_kernel": swap(recurrent)}
  if reset_after:
    cell["recurrent_bias"] = swap(bias[1])
  return cell


def _layer_weights(layer_or_weights):
  if hasattr(layer_or_weights, "get_weights"):
    return [common.to_numpy(w) for w in layer_or_weights.get_weights()]
  return [common.to_numpy(w) for w in layer_or_weights]


def _one_layer(layer_or_weights, reset_after: bool):
  """-> (specs per direction, cell params per direction) of one Keras layer or weight list."""
  if hasattr(layer_or_weights, "get_weights"):
    if _class_name(layer_or_weights) == "Bidirectional":
      directions = [layer_or_weights.forward_layer, layer_or_weights.backward_layer]
    else:
      directions = [layer_or_weights]
    specs = [_layer_spec(d) for d in directions]
    weights = [_layer_weights(d) for d in directions]
  else:
    flat = _layer_weights(layer_or_weights)
    if len(flat) not in (2, 3, 4, 6):
      raise ValueError(f"a Keras weight list has 2 or 3 arrays (kernel, recurrent_kernel[, "
                       f"bias]) per direction; got {len(flat)} arrays.")
    weights = [flat[:len(flat) // 2], flat[len(flat) // 2:]] if len(flat) > 3 else [flat]
    specs = [_weights_spec(w, reset_after) for w in weights]
  return specs, [_cell(w, s) for w, s in zip(weights, specs)]


def _is_stack(obj) -> bool:
  return isinstance(obj, (list, tuple)) and bool(obj) and all(
      hasattr(o, "get_weights") or isinstance(o, (list, tuple)) for o in obj)


def _convert(layer_or_weights, reset_after: bool):
  items = list(layer_or_weights) if _is_stack(layer_or_weights) else [layer_or_weights]
  converted = [_one_layer(item, reset_after) for item in items]
  return [c[0] for c in converted], [c[1] for c in converted], _is_stack(layer_or_weights)


def from_keras(layer_or_weights, *, reset_after: bool = True,
               stacked: bool | None = None) -> common.Params:
  """Keras 3 SimpleRNN / LSTM / GRU / Bidirectional (or its weights) -> rnnjax params.

  Args:
    layer_or_weights: a Keras layer (duck-typed: `.get_weights()`, `.units`, `.activation`,
      `.recurrent_activation`, `.reset_after`; `.forward_layer` / `.backward_layer` for
      Bidirectional), its `get_weights()` list (2 or 3 arrays, or twice that for
      Bidirectional), or a list of such layers / lists (one per stacked layer -> Stacked).
    reset_after: for a GRU weight list without a bias only (otherwise read from the bias shape).
    stacked: see `common.nest`; a list of layers gives Stacked params.
  Returns the params of the matching Recurrent, Bidirectional or Stacked (`layer_from_keras`
  builds it). use_bias=False gives zero biases (the same function).
  """
  _, cell_params, is_stack = _convert(layer_or_weights, reset_after)
  return common.nest(cell_params, True if stacked is None and is_stack else stacked)


def _layer_options(layer, ignore_dropout: bool) -> dict:
  """Layer kwargs from a Keras layer's settings; errors for those rnnjax layers lack."""
  options = {}
  if _class_name(layer) == "Bidirectional":
    if layer.merge_mode is None:
      raise ValueError("Keras Bidirectional(merge_mode=None) returns two outputs; rnnjax's "
                       "Bidirectional merges them: use 'concat' and split the last axis.")
    options["merge_mode"] = layer.merge_mode
    inner = [layer.forward_layer, layer.backward_layer]
  else:
    if getattr(layer, "go_backwards", False):
      raise ValueError("Keras go_backwards=True returns the outputs in reversed order; rnnjax's "
                       "Recurrent(reverse=True) returns them in input order: build "
                       "layers.Recurrent(cell, reverse=True) with from_keras(...) params.")
    inner = [layer]
  if not ignore_dropout and any(getattr(d, "dropout", 0.0) for d in inner):
    raise ValueError(f"Keras dropout={inner[0].dropout} (on the inputs) has no rnnjax layer "
                     "option yet; pass ignore_dropout=True (inference is unaffected).")
  recurrent_dropout = max(float(getattr(d, "recurrent_dropout", 0.0)) for d in inner)
  if recurrent_dropout:
    options["recurrent_dropout"] = recurrent_dropout
  return options


def _return_sequences(layer) -> bool:
  inner = layer.forward_layer if _class_name(layer) == "Bidirectional" else layer
  return bool(getattr(inner, "return_sequences", True))


def layer_from_keras(layer_or_layers, *, stacked: bool | None = None, ignore_dropout: bool = False,
                     param_dtype=None, **layer_kwargs):
  """(rnnjax layer, params) matching a Keras layer (or a list of them: Stacked), e.g.

    layer, params = layer_from_keras(keras_gru, return_state=True)
    state, ys = layer.apply({"params": params}, xs, lengths)   # lengths: Keras' mask.sum(1)

  Carries return_sequences (the last layer's, for a list), merge_mode and recurrent_dropout;
  layer_kwargs override them. Keras' input `dropout` has no rnnjax option: it raises unless
  ignore_dropout=True. Masked steps: rnnjax outputs zeros where a standalone Keras layer
  repeats the last output (zero_output_for_mask=False); valid steps and states are equal.
  The cells and the returned params use `param_dtype` (default: the weights' dtype).
  """
  if not hasattr(layer_or_layers, "get_weights") and not _is_stack(layer_or_layers):
    raise TypeError("layer_from_keras needs Keras layers (for their settings); for a weight "
                    "list use from_keras and build the layer yourself.")
  specs, cell_params, is_stack = _convert(layer_or_layers, True)
  items = list(layer_or_layers) if is_stack else [layer_or_layers]
  options = [_layer_options(item, ignore_dropout) for item in items]
  stacked = True if stacked is None and is_stack else stacked
  if any(o != options[0] for o in options[1:]):
    raise ValueError("rnnjax.layers.Stacked uses one merge_mode and recurrent_dropout for "
                     "every layer; these Keras layers differ: build the layers yourself.")
  kwargs = dict(options[0], return_sequences=_return_sequences(items[-1]))
  kwargs.update(layer_kwargs)
  dtype = param_dtype or cell_params[0][0]["input"]["kernel"].dtype
  params = common.astype(common.nest(cell_params, stacked), dtype)
  return common.build_layer(specs, stacked, dtype, **kwargs), params


def _keras_weights(p: common.Params, where: str, use_bias: bool) -> list[np.ndarray]:
  spec = common.cell_spec(p, where)
  if spec.proj_size:
    raise ValueError(f"{where}: LSTMCell(proj_size=...) has no Keras equivalent.")
  swap = _swap_gru_gates if spec.kind == "gru" else np.array
  bias = np.asarray(p["input"]["bias"])
  if spec.kind != "gru" and spec.recurrent_bias:                     # torch's b_hh: one bias
    bias = bias + np.asarray(p["recurrent_bias"])
  if spec.kind == "gru" and spec.reset_after:
    bias = np.stack([swap(bias), swap(np.asarray(p["recurrent_bias"]))])   # [2, 3H]
  else:
    bias = swap(bias)
  weights = [swap(np.asarray(p["input"]["kernel"])), swap(np.asarray(p["recurrent_kernel"]))]
  if use_bias:
    return weights + [bias]
  if np.any(bias):
    raise ValueError(f"to_keras(use_bias=False) but {where} has nonzero biases: the Keras layer "
                     "would compute something else. Use use_bias=True.")
  return weights


def to_keras(params, *, use_bias: bool = True):
  """rnnjax params -> the weight list of the Keras layer, in `layer.get_weights()` order.

  Recurrent -> [kernel, recurrent_kernel, bias]; Bidirectional -> the forward layer's list
  followed by the backward layer's (`keras.layers.Bidirectional.set_weights`); Stacked -> one
  such list per layer. LSTM/SimpleRNN recurrent_bias (from torch) is added into the one Keras
  bias. GRUCell(reset_after=True) -> GRU(reset_after=True), bias [2, 3H]. use_bias=False leaves
  the bias out and requires it to be zero.
  """
  cell_params, stacked = common.unnest(params)
  lists = []
  for layer, dirs in enumerate(cell_params):
    lists.append([w for d, p in enumerate(dirs)
                  for w in _keras_weights(p, f"layer {layer} {common.DIRECTIONS[d]}", use_bias)])
  return lists if stacked else lists[0]
