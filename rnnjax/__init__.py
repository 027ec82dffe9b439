"""rnnjax: recurrent neural networks in JAX/Flax.

Cells (`rnnjax.cells`) own fused gate weights and a pure per-step function; layers
(`rnnjax.layers`) run them over time with `jax.lax.scan`; `rnnjax.models` builds task heads.
"""
from rnnjax import cells, layers, models, modules, runtime, summary, time_loop
from rnnjax.cells import (CELLS, FlaxCell, GRUCell, HiddenState, LSTMCell, LSTMState,
                          SimpleRNNCell)
from rnnjax.layers import Bidirectional, Recurrent, Stacked, reverse_padded
from rnnjax.models import MODELS, SequenceClassifier, build
from rnnjax.modules import Embedding, OutputProjection
from rnnjax.runtime import tune_malloc
from rnnjax.summary import param_counts

__version__ = "0.1.0"

__all__ = ["Bidirectional", "CELLS", "Embedding", "FlaxCell", "GRUCell", "HiddenState",
           "LSTMCell", "LSTMState", "MODELS", "OutputProjection", "Recurrent", "SequenceClassifier",
           "SimpleRNNCell", "Stacked", "build", "cells", "layers", "models", "modules",
           "param_counts", "reverse_padded", "runtime", "summary", "time_loop", "tune_malloc"]
