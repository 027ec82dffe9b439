"""Recurrent cells. `CELLS` maps the lowercase names used by `--model` flags to classes."""
from rnnjax.cells.base import HiddenState, InputProjection, gate_layer_norm
from rnnjax.cells.flax_cell import FlaxCell
from rnnjax.cells.gru import GRUCell, GRUWeights, gru_step
from rnnjax.cells.lstm import LSTMCell, LSTMState, LSTMWeights, lstm_step
from rnnjax.cells.simple import SimpleRNNCell, simple_step

CELLS = {"rnn": SimpleRNNCell, "lstm": LSTMCell, "gru": GRUCell}

__all__ = ["CELLS", "FlaxCell", "GRUCell", "GRUWeights", "HiddenState", "InputProjection",
           "LSTMCell", "LSTMState", "LSTMWeights", "SimpleRNNCell", "gate_layer_norm",
           "gru_step", "lstm_step", "simple_step"]
