"""rnnjax: recurrent neural networks in JAX/Flax.

The data path, top to bottom: `rnnjax.trainer` (the driver: fit loop, checkpoints, devices)
calls the pure steps of `rnnjax.train` on a model from `rnnjax.models`; models are built from
`rnnjax.layers` (Recurrent, Bidirectional, Stacked); a layer hands each call to the recurrence
engine (`rnnjax.recurrence.run`), which picks a backend (scan, fused, cuDNN, ...) to run the
cell's `step` (`rnnjax.cells`) over time.
"""
import importlib
import warnings

from rnnjax import cells, layers, models, recurrence, summary
from rnnjax.cells import (CELLS, FlaxCell, GRUCell, HiddenState, LSTMCell, LSTMState,
                          RecurrentCell, SimpleRNNCell)
from rnnjax.layers import (Bidirectional, Embedding, OutputProjection, Recurrent, Stacked,
                           reverse_padded)
from rnnjax.models import MODELS, SequenceClassifier, build
from rnnjax.summary import param_counts
from rnnjax.trainer.runtime import tune_malloc

__version__ = "0.1.0"

__all__ = ["Bidirectional", "CELLS", "Embedding", "FlaxCell", "GRUCell", "HiddenState",
           "LSTMCell", "LSTMState", "MODELS", "OutputProjection", "Recurrent", "RecurrentCell",
           "SequenceClassifier", "SimpleRNNCell", "Stacked", "build", "cells", "layers", "models",
           "param_counts", "recurrence", "reverse_padded", "summary", "tune_malloc"]

# Modules that were renamed: `rnnjax.<old>` still works, with a DeprecationWarning.
_RENAMED = {"time_loop": "rnnjax.recurrence", "modules": "rnnjax.layers",
            "runtime": "rnnjax.trainer.runtime"}


def __getattr__(name: str):
  if name in _RENAMED:
    warnings.warn(f"rnnjax.{name} is now {_RENAMED[name]}.", DeprecationWarning, stacklevel=2)
    return importlib.import_module(_RENAMED[name])
  raise AttributeError(f"module 'rnnjax' has no attribute {name!r}")
