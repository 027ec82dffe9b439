"""Type aliases and the shape letters used throughout rnnjax.

Shape letters (docstrings and `# [..]` comments):
  B batch, T time, D input features, H hidden units, P projected hidden (LSTM `proj_size`),
  G gates per cell (SimpleRNN 1, GRU 3, LSTM 4), C classes, L layers, V vocabulary size,
  E embedding size.
"""
from typing import Any

import jax

Array = jax.Array
PRNGKey = jax.Array
PyTree = Any
Batch = dict[str, Any]
