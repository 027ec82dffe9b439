"""The model presets that `--model` flags select, and `build`."""
from __future__ import annotations

import math
from typing import Callable

import flax.linen as nn

from rnnjax import cells, layers
from rnnjax.models.blocks import ResidualEncoder
from rnnjax.models.classifier import READOUTS, SequenceClassifier


def _recurrent(cell_cls, bidirectional: bool, depth: int | None) -> Callable[..., nn.Module]:
  def make(hidden_size: int, num_layers: int, dropout: float, recurrent_dropout: float,
           return_sequences: bool = False, **cell_kwargs) -> nn.Module:
    layers_ = depth or num_layers
    common = dict(return_sequences=return_sequences, recurrent_dropout=recurrent_dropout)
    if layers_ == 1 and not bidirectional:
      return layers.Recurrent(cell_cls(hidden_size, **cell_kwargs), **common)
    if layers_ == 1:
      return layers.Bidirectional(cell_cls(hidden_size, **cell_kwargs),
                                  cell_cls(hidden_size, **cell_kwargs), **common)
    return layers.Stacked([cell_cls(hidden_size, **cell_kwargs) for _ in range(layers_)],
                          bidirectional=bidirectional, dropout=dropout, **common)
  return make


def _blocks(cell_cls, **defaults) -> Callable[..., nn.Module]:
  """num_layers residual blocks around a linear recurrent cell (models/blocks.py)."""
  def make(hidden_size: int, num_layers: int, dropout: float, recurrent_dropout: float,
           return_sequences: bool = False, **cell_kwargs) -> nn.Module:
    if recurrent_dropout:
      raise ValueError(f"recurrent_dropout={recurrent_dropout}: {cell_cls.__name__} has no "
                       "recurrent matmul for it to act on; use dropout (inside each block).")
    kwargs = {**defaults, **cell_kwargs}
    return ResidualEncoder([cell_cls(hidden_size, **kwargs) for _ in range(num_layers)],
                           dropout=dropout, return_sequences=return_sequences)
  return make


# The LRU block's cell: eigenvalues near the unit circle with small phases, which the LRU paper
# recommends for long-range memory (Orvieto et al. 2023, Sec. 3.3; these values are the
# minimal-LRU / S5 codebases' long-range settings), and the paper's diagonal D.
LRU_BLOCK = dict(r_min=0.9, r_max=0.999, max_phase=math.pi / 10, skip="diagonal")

# name -> encoder factory(hidden_size, num_layers, dropout, recurrent_dropout, return_sequences,
# **cell_kwargs).
ENCODERS = {
    "rnn": _recurrent(cells.SimpleRNNCell, False, 1),
    "lstm": _recurrent(cells.LSTMCell, False, 1),
    "gru": _recurrent(cells.GRUCell, False, 1),
    "bilstm": _recurrent(cells.LSTMCell, True, 1),
    "bigru": _recurrent(cells.GRUCell, True, 1),
    "lstm2": _recurrent(cells.LSTMCell, False, 2),
    "multilstm": _recurrent(cells.LSTMCell, False, None),
    "multigru": _recurrent(cells.GRUCell, False, None),
    "mingru": _blocks(cells.MinGRUCell),
    "minlstm": _blocks(cells.MinLSTMCell),
    "lru": _blocks(cells.LRUCell, **LRU_BLOCK),
}
MODELS = tuple(ENCODERS)


def build(name: str, *, num_classes: int, hidden_size: int = 32, num_layers: int = 2,
          dropout: float = 0.0, recurrent_dropout: float = 0.0, vocab_size: int | None = None,
          embed_dim: int | None = None, readout: str = "last",
          **cell_kwargs) -> SequenceClassifier:
  """The `name` preset as a SequenceClassifier: inputs [B, T, D] (or ids [B, T]) -> [B, C].

  `num_layers` applies to the multi* presets and to the residual-block presets (mingru,
  minlstm, lru: num_layers blocks of width hidden_size, models/blocks.py); `dropout` is applied
  between stacked layers (inside each block for the block presets) and before the classifier;
  `readout` is SequenceClassifier's; `cell_kwargs` go to every cell (e.g. `layer_norm=True`).
  """
  if name not in ENCODERS:
    raise ValueError(f"Unknown model {name!r}; choose one of {sorted(ENCODERS)}.")
  if readout not in READOUTS:
    raise ValueError(f"readout must be one of {READOUTS}; got {readout!r}.")
  encoder = ENCODERS[name](hidden_size, num_layers, dropout, recurrent_dropout,
                           return_sequences=readout != "last", **cell_kwargs)
  return SequenceClassifier(encoder, num_classes, vocab_size=vocab_size, embed_dim=embed_dim,
                            dropout=dropout, readout=readout)
