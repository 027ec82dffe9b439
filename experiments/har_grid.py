r"""Seed 000's results figure on UCI HAR: final test accuracy over models x optimizers x learning
rates x hidden sizes. Every other flag (l2, batch_size, data_dir, ...) is har.py's, with one
default changed to keep the default grid (12 points) short: --num_steps=1000 (the seed trained
5000 steps per point; pass --num_steps=5000 for that).

  python experiments/har_grid.py
  python experiments/har_grid.py --models=rnn,lstm,gru,bilstm --optimizers=adam,sgd,adagrad \
      --learning_rates=0.0001,0.001,0.01,0.1 --hidden_sizes=16,32,64

Writes <workdir>/grid.csv (one row per point) and <workdir>/grid.png (one panel per optimizer and
hidden size, accuracy against learning rate, one line per model); the workdir defaults to
runs/har/grid. Each point trains in its own sub-folder, so a killed grid resumes. A separate
program rather than a --grid mode of har.py: the axes are lists here but single values there, and
har.py stays a plain single run.
"""
from collections.abc import Sequence
from typing import Any

from absl import app, flags

import har  # experiments/ is on sys.path when this file runs; defines the shared flags
import entry_point
from rnnjax import trainer
from rnnjax.trainer import grid

_MODELS = flags.DEFINE_list("models", ["rnn", "lstm", "gru"], "Model presets.")
_OPTIMIZERS = flags.DEFINE_list("optimizers", ["adam", "adagrad"], "Optimizers.")
_LRS = flags.DEFINE_list("learning_rates", ["0.001", "0.01"], "Learning rates.")
_HIDDEN_SIZES = flags.DEFINE_list("hidden_sizes", ["32"], "Hidden sizes.")


def run(argv: Sequence[str] = ()) -> list[dict[str, Any]]:
  """This program from Python (colab/har_grid.ipynb): sets its flags from `argv` (flags only,
  e.g. ["--models=rnn,lstm"]) over the defaults (--num_steps=1000 included), trains the grid and
  returns its rows; grid.csv and grid.png are in workdir()."""
  entry_point.parse(__file__, ["--num_steps=1000", *argv])
  return train_from_flags()


def workdir() -> str:
  """--workdir, else runs/har/grid."""
  return flags.FLAGS.workdir or trainer.default_workdir("har", "grid")


def train_from_flags() -> list[dict[str, Any]]:
  """main's body, with the flags already parsed: one row per grid point."""
  base = trainer.TrainConfig.from_flags(flags.FLAGS, learning_rate=har.DEFAULT_LEARNING_RATE)
  return grid.run(har.build_model, har.load_data(), base, workdir(),
                  models=_MODELS.value, optimizers=_OPTIMIZERS.value,
                  learning_rates=[float(lr) for lr in _LRS.value],
                  hidden_sizes=[int(h) for h in _HIDDEN_SIZES.value],
                  hparams={"num_layers": flags.FLAGS.num_layers,
                           "standardize": flags.FLAGS.standardize})


def main(argv):
  del argv
  train_from_flags()


if __name__ == "__main__":
  flags.FLAGS.set_default("num_steps", 1000)
  app.run(main)
