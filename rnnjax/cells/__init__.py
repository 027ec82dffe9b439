"""Recurrent cells. `CELLS` maps the lowercase names used by `--model` flags to classes.

Every cell follows the contract in `rnnjax.cells.base` (`RecurrentCell`); registering a class
here makes the contract tests in tests/test_cell_contract.py run for it.
"""
from rnnjax.cells.base import (HiddenState, InputProjection, RecurrentCell, gate_layer_norm)
from rnnjax.cells.flax_cell import FlaxCell
from rnnjax.cells.gru import GRUCell, GRUWeights
from rnnjax.cells.linear import LinearRecurrentCell
from rnnjax.cells.lru import LRUCell, LRUState, LRUWeights
from rnnjax.cells.lstm import LSTMCell, LSTMState, LSTMWeights
from rnnjax.cells.mingru import MinGRUCell
from rnnjax.cells.minlstm import MinLSTMCell
from rnnjax.cells.simple import SimpleRNNCell

CELLS = {"rnn": SimpleRNNCell, "lstm": LSTMCell, "gru": GRUCell, "mingru": MinGRUCell,
         "minlstm": MinLSTMCell, "lru": LRUCell}

__all__ = ["CELLS", "FlaxCell", "GRUCell", "GRUWeights", "HiddenState", "InputProjection",
           "LRUCell", "LRUState", "LRUWeights", "LSTMCell", "LSTMState", "LSTMWeights",
           "LinearRecurrentCell", "MinGRUCell", "MinLSTMCell", "RecurrentCell", "SimpleRNNCell",
           "gate_layer_norm"]
