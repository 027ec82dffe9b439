"""Running an experiment from Python (a notebook, a test) instead of from its command line.

Every experiment has `run(argv) -> trainer.Result`: it parses `argv` with `parse` and runs the
body of its `main`. The notebooks in colab/ call it:

  import har                                             # experiments/ is on sys.path
  result = har.run(["--model=gru", "--num_steps=500"])   # python experiments/har.py --model=gru ...
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from absl import flags, logging

FLAGS = flags.FLAGS


def parse(program: str, argv: Sequence[str]) -> None:
  """Sets the flags as `python <program> <argv>` would: from their defaults (a flag set by an
  earlier call does not linger), then `argv` (flags only, e.g. ["--model=gru"]). Shows absl's
  INFO lines (the progress lines) as `app.run` does, unless `argv` sets --verbosity."""
  if isinstance(argv, str):
    raise TypeError(f"argv={argv!r} must be a list of flags such as ['--model=gru'], not a "
                    "string.")
  FLAGS.unparse_flags()
  rest = FLAGS([program, *argv])
  if len(rest) > 1:
    raise ValueError(f"argv={list(argv)!r}: {rest[1:]} are not flags; {program} takes flags "
                     "only, e.g. ['--model=gru'].")
  if not FLAGS["verbosity"].present:
    logging.set_verbosity(logging.INFO)


def entry_points(program: str, train_from_flags: Callable[[], Any]):
  """(run, main) of the experiment `program` (its __file__) whose body is `train_from_flags`
  (flags already parsed): run(argv) for Python and notebooks, main(argv) for app.run."""

  def run(argv: Sequence[str] = ()) -> Any:
    """This program from Python (colab/<program>.ipynb): sets its flags from `argv` (flags only,
    e.g. ["--model=gru"]) over the defaults, trains and returns the result."""
    parse(program, argv)
    return train_from_flags()

  def main(argv: Sequence[str]) -> None:
    del argv
    train_from_flags()

  return run, main
