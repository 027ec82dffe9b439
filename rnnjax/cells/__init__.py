"""Recurrent cells. `CELLS` maps the lowercase names used by `--model` flags to classes.

Every cell follows the contract in `rnnjax.cells.base` (`RecurrentCell`); registering a class
here makes the contract tests in tests/test_cell_contract.py run for it. ConvLSTMCell steps over
frames: its layers take [B, T, *S, D] (a 2-D 3x3 cell by default, `kernel_size=(k,)` for 1-D).
"""
from rnnjax.cells.base import (KERNEL_INITS, HiddenState, InputProjection, RecurrentCell,
                               gate_layer_norm)
from rnnjax.cells.convlstm import ConvLSTMCell
from rnnjax.cells.flax_cell import FlaxCell
from rnnjax.cells.gru import GRUCell, GRUWeights
from rnnjax.cells.linear import LinearRecurrentCell
from rnnjax.cells.lru import LRUCell, LRUState, LRUWeights
from rnnjax.cells.lstm import LSTMCell, LSTMState, LSTMWeights
from rnnjax.cells.mgu import MGUCell, MGUWeights
from rnnjax.cells.mingru import MinGRUCell
from rnnjax.cells.minlstm import MinLSTMCell
from rnnjax.cells.simple import SimpleRNNCell

CELLS = {"rnn": SimpleRNNCell, "lstm": LSTMCell, "gru": GRUCell, "mgu": MGUCell,
         "convlstm": ConvLSTMCell, "mingru": MinGRUCell, "minlstm": MinLSTMCell, "lru": LRUCell}

__all__ = ["CELLS", "ConvLSTMCell", "FlaxCell", "GRUCell", "GRUWeights", "HiddenState",
           "InputProjection", "KERNEL_INITS", "LRUCell", "LRUState", "LRUWeights", "LSTMCell",
           "LSTMState", "LSTMWeights", "LinearRecurrentCell", "MGUCell", "MGUWeights",
           "MinGRUCell", "MinLSTMCell", "RecurrentCell", "SimpleRNNCell", "gate_layer_norm"]
