"""Layers: `Recurrent` (one cell over time), `Bidirectional`, `Stacked`, and the non-recurrent
pieces around them (`Embedding`, `OutputProjection`, the training-time input augmentation
`RandomScaling` and `GaussianNoise`). None of them knows how the time loop runs:
`Recurrent` hands every call to the recurrence engine (`rnnjax.recurrence`)."""
from rnnjax.layers.augment import GaussianNoise, RandomScaling
from rnnjax.layers.bidirectional import MERGE_MODES, Bidirectional, merge
from rnnjax.layers.embedding import Embedding
from rnnjax.layers.projection import OutputProjection
from rnnjax.layers.recurrent import Recurrent, check_inputs, last_output, zero_state
from rnnjax.layers.stacked import Stacked
from rnnjax.recurrence import IMPLEMENTATIONS, reverse_padded

__all__ = ["Bidirectional", "Embedding", "GaussianNoise", "IMPLEMENTATIONS", "MERGE_MODES",
           "OutputProjection", "RandomScaling", "Recurrent", "Stacked", "check_inputs",
           "last_output", "merge", "reverse_padded", "zero_state"]
