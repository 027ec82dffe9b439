"""The model presets that `--model` flags select, and `build`."""
from __future__ import annotations

import math
from typing import Callable

import flax.linen as nn

from rnnjax import cells, layers
from rnnjax.models.blocks import ResidualEncoder
from rnnjax.models.classifier import READOUTS, SequenceClassifier
from rnnjax.models.tagger import SequenceTagger


def _recurrent(cell_cls, bidirectional: bool, depth: int | None,
               residual: bool = False) -> Callable[..., nn.Module]:
  def make(hidden_size: int, num_layers: int, dropout: float, recurrent_dropout: float,
           return_sequences: bool = False, return_state: bool = False,
           input_dropout: float = 0.0, implementation: str = "auto", **cell_kwargs) -> nn.Module:
    layers_ = depth or num_layers
    common = dict(return_sequences=return_sequences, return_state=return_state,
                  recurrent_dropout=recurrent_dropout, input_dropout=input_dropout,
                  implementation=implementation)
    if layers_ == 1 and not bidirectional:
      return layers.Recurrent(cell_cls(hidden_size, **cell_kwargs), **common)
    if layers_ == 1:
      return layers.Bidirectional(cell_cls(hidden_size, **cell_kwargs),
                                  cell_cls(hidden_size, **cell_kwargs), **common)
    return layers.Stacked([cell_cls(hidden_size, **cell_kwargs) for _ in range(layers_)],
                          bidirectional=bidirectional, dropout=dropout, residual=residual,
                          **common)
  make.depth = depth         # None: the num_layers argument decides
  return make


def _blocks(cell_cls, **defaults) -> Callable[..., nn.Module]:
  """num_layers residual blocks around a linear recurrent cell (models/blocks.py)."""
  def make(hidden_size: int, num_layers: int, dropout: float, recurrent_dropout: float,
           return_sequences: bool = False, return_state: bool = False,
           input_dropout: float = 0.0, implementation: str = "auto", **cell_kwargs) -> nn.Module:
    if recurrent_dropout or input_dropout:
      raise ValueError(f"recurrent_dropout={recurrent_dropout}, input_dropout={input_dropout}: "
                       f"the {cell_cls.__name__} blocks take neither; use dropout (inside each "
                       "block).")
    if return_state:
      raise ValueError(f"The {cell_cls.__name__} residual blocks do not return their states "
                       "(no stateful training or generation); use a recurrent preset such as "
                       "'lstm' or 'gru'.")
    kwargs = {**defaults, **cell_kwargs}
    return ResidualEncoder([cell_cls(hidden_size, **kwargs) for _ in range(num_layers)],
                           dropout=dropout, return_sequences=return_sequences,
                           implementation=implementation)
  return make


# The LRU block's cell: eigenvalues near the unit circle with small phases, which the LRU paper
# recommends for long-range memory (Orvieto et al. 2023, Sec. 3.3; these values are the
# minimal-LRU / S5 codebases' long-range settings), and the paper's diagonal D.
LRU_BLOCK = dict(r_min=0.9, r_max=0.999, max_phase=math.pi / 10, skip="diagonal")

# name -> encoder factory(hidden_size, num_layers, dropout, recurrent_dropout, return_sequences,
# return_state, input_dropout, implementation, **cell_kwargs). multi* stack --num_layers layers
# ("multirnn --num_layers=4" is the Keras tutorial's four SimpleRNN(32) of seed 001).
ENCODERS = {
    "rnn": _recurrent(cells.SimpleRNNCell, False, 1),
    "mgu": _recurrent(cells.MGUCell, False, 1),
    "lstm": _recurrent(cells.LSTMCell, False, 1),
    "gru": _recurrent(cells.GRUCell, False, 1),
    "bilstm": _recurrent(cells.LSTMCell, True, 1),
    "bigru": _recurrent(cells.GRUCell, True, 1),
    "lstm2": _recurrent(cells.LSTMCell, False, 2),
    "multirnn": _recurrent(cells.SimpleRNNCell, False, None),
    "multilstm": _recurrent(cells.LSTMCell, False, None),
    "multigru": _recurrent(cells.GRUCell, False, None),
    "resbilstm": _recurrent(cells.LSTMCell, True, 2, residual=True),
    "mingru": _blocks(cells.MinGRUCell),
    "minlstm": _blocks(cells.MinLSTMCell),
    "lru": _blocks(cells.LRUCell, **LRU_BLOCK),
}
MODELS = tuple(ENCODERS)


def layer_count(name: str, num_layers: int) -> int:
  """How many recurrent layers preset `name` has when asked for `num_layers` (which only the
  multi* presets follow)."""
  _check(name)
  return getattr(ENCODERS[name], "depth", None) or num_layers


def _check_sizes(**values) -> None:
  """Clear errors for sizes < 1 (or not integers) and rates outside [0, 1)."""
  for key, value in values.items():
    if key.endswith("dropout"):
      if not 0.0 <= value < 1.0:
        raise ValueError(f"{key} must be in [0, 1); got {value!r}.")
    elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
      raise ValueError(f"{key} must be an integer >= 1; got {value!r}.")


def _check(name: str) -> None:
  if name not in ENCODERS:
    raise ValueError(f"Unknown model {name!r}; choose one of {sorted(ENCODERS)}.")


def build(name: str, *, num_classes: int, hidden_size: int = 32, num_layers: int = 2,
          dropout: float = 0.0, recurrent_dropout: float = 0.0, vocab_size: int | None = None,
          embed_dim: int | None = None, readout: str = "last", input_dropout: float = 0.0,
          implementation: str = "auto", skip_feature: int | None = None,
          input_scaling: float = 0.0, input_noise: float = 0.0,
          **cell_kwargs) -> SequenceClassifier:
  """The `name` preset as a SequenceClassifier: inputs [B, T, D] (or ids [B, T]) -> [B, C].

  `num_layers` applies to the multi* presets and to the residual-block presets (mingru,
  minlstm, lru: num_layers blocks of width hidden_size, models/blocks.py); `dropout` is applied
  between stacked layers (inside each block for the block presets) and before the classifier;
  `input_dropout` is Keras' `dropout=` on every recurrent layer's inputs and `implementation`
  the recurrence backend of every layer (see `layers.Recurrent`); `readout`, `skip_feature`,
  `input_scaling` and `input_noise` are SequenceClassifier's; `cell_kwargs` go to every cell (e.g. `layer_norm=True`,
  `kernel_init="he_normal"`).
  """
  _check(name)
  _check_sizes(num_classes=num_classes, hidden_size=hidden_size, num_layers=num_layers,
               dropout=dropout, recurrent_dropout=recurrent_dropout, input_dropout=input_dropout)
  if readout not in READOUTS:
    raise ValueError(f"readout must be one of {READOUTS}; got {readout!r}.")
  encoder = ENCODERS[name](hidden_size, num_layers, dropout, recurrent_dropout,
                           return_sequences=readout != "last", input_dropout=input_dropout,
                           implementation=implementation, **cell_kwargs)
  return SequenceClassifier(encoder, num_classes, vocab_size=vocab_size, embed_dim=embed_dim,
                            dropout=dropout, readout=readout, skip_feature=skip_feature,
                            input_scaling=input_scaling, input_noise=input_noise)


def build_tagger(name: str, *, num_outputs: int, hidden_size: int = 32, num_layers: int = 2,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 vocab_size: int | None = None, embed_dim: int | None = None,
                 **cell_kwargs) -> SequenceTagger:
  """The `name` preset as a SequenceTagger (one prediction per step): inputs [B, T, D] (or ids
  [B, T]) -> [B, T, num_outputs]; it can carry its state between calls (stateful training,
  generation). Arguments as `build`."""
  _check(name)
  _check_sizes(num_outputs=num_outputs, hidden_size=hidden_size, num_layers=num_layers,
               dropout=dropout, recurrent_dropout=recurrent_dropout)
  encoder = ENCODERS[name](hidden_size, num_layers, dropout, recurrent_dropout,
                           return_sequences=True, return_state=True, **cell_kwargs)
  return SequenceTagger(encoder, num_outputs, vocab_size=vocab_size, embed_dim=embed_dim,
                        dropout=dropout)
