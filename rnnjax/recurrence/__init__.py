"""The recurrence engine: one `run` that every layer calls, and the backends it picks from.

  final_state, ys = recurrence.run(cell, xs [T, B, D], lengths [B], state0, reverse=...,
                                   implementation="auto")

A backend (`Backend`: `supports(call) -> None or a reason`, `run(call)`) is one way to run a
cell over time: "scan" (`jax.lax.scan` over the cell's `step`, autodiff: the reference),
"static" (a Python loop, TensorFlow's static_rnn), "fused" (loops with hand-written VJPs for the
plain LSTM and GRU, rnnjax.recurrence.fused) and "cudnn" (the cuDNN LSTM on a GPU).
`implementation="auto"` takes the first preferred backend that supports the call; a named one
that cannot run it raises its reason. `run_pair` runs a bidirectional layer's two cells: a
backend with `run_pair` (the fused one) takes both directions into one loop, else each runs on
its own. Adding a backend: README.md, "Adding a backend".
"""
from rnnjax.recurrence.call import Backend, Call, reverse_padded
from rnnjax.recurrence.engine import BACKENDS, IMPLEMENTATIONS, run, run_pair, select

__all__ = ["BACKENDS", "Backend", "Call", "IMPLEMENTATIONS", "reverse_padded", "run", "run_pair",
           "select"]
