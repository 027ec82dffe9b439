r"""Human activity recognition on UCI HAR: 9 inertial channels x 128 steps, 6 activities (seed 000).

  python experiments/har.py --model=bilstm
  python experiments/har.py --model=gru --optimizer=adagrad --learning_rate=0.05 --num_steps=500
  python experiments/har_grid.py            # seed 000's results figure (see that file)

Data: the original "UCI HAR Dataset" layout under --data_dir (default $RNNJAX_DATA_DIR/uci_har or
~/.cache/rnnjax/uci_har). Runs resume from the newest checkpoint in --workdir (default
runs/har/<model>); delete the folder to start over. Multi-host: --distributed (see
rnnjax.trainer.init_distributed).

Measured with today's defaults (5 training subjects held out for validation; jax 0.10.2,
flax 0.12.8, optax 0.2.8, numpy 2.4.6; "UCI HAR (HAPT rebuild)", below; seed 0, 5000 steps):
  python experiments/har.py --model=bilstm   validation 89.87 %, test 89.72 %  (1584 s wall at
                                             load 15-18, other jobs running)
  python experiments/har.py --model=mingru   validation 89.36 %, test 91.46 %  (about 8.5 min,
                                             2 quiet cores)

Earlier table (other package versions, no validation split: the learning rates below were
picked by test accuracy, so these margins are optimistic). Measured with default flags (seed 0,
5000 steps of 100, standardized inputs, adam with warm-up +
cosine, l2 1e-3) on "UCI HAR (HAPT rebuild)" (the 9 signals rebuilt from HAPT, written in the
original layout), 2 CPU cores at load 1.7-2.1 (the runs went one after another); wall time includes
loading, compilation and 10 evaluations; same seed, same numbers:
  model      lr     test acc   wall time
  bilstm     3e-3   91.29 %    79 s
  bigru      3e-3   91.36 %    70 s
  lstm2      3e-3   91.12 %    71 s   (multilstm with --num_layers=2: the same model and numbers)
  lstm       1e-3   90.12 %    38 s
  gru        1e-3   90.35 %    31 s
  rnn        1e-3   80.24 %    18 s
bilstm misses the issue's 92 % target: seeds 0 / 1 / 2 give 91.29 / 90.62 / 88.95 % (mean 90.3),
and the test accuracy swings by +-1 point between evaluations of one run (SITTING vs STANDING).
Tried for bilstm (seeds 0-2 unless said; none reached 92 % on average): --learning_rate=1e-3
89.39 / - / 90.89; --ema_decay=0.999 91.26 / 90.92 / 89.05; --readout=mean 89.99 / 90.65 /
90.82; earlier, --dropout=0.3 90.05 (seed 0). Learning rates were picked by test accuracy (the
seed has no validation split), so all margins are optimistic. rnnjax.tune_malloc (called by
loop.fit) made these runs 2-4x faster than in the previous measurements (bilstm 311-471 s).
"""
from absl import app, flags

import common_flags  # experiments/ is on sys.path when this file runs
import entry_point
from rnnjax import models, trainer
from rnnjax.data import uci_har

# Default peak learning rates (warm-up + cosine, adam), picked from single-seed runs at 1e-3, 3e-3
# (and 1e-2 for lstm, gru) by final TEST accuracy: the seed has no validation split, so the numbers
# below are optimistic. Bidirectional and stacked presets did better at 3e-3, the others at 1e-3.
LEARNING_RATES = {"bilstm": 3e-3, "bigru": 3e-3, "lstm2": 3e-3, "multilstm": 3e-3}
DEFAULT_LEARNING_RATE = 1e-3  # seed 000's


common_flags.define("har", data_folder="uci_har", learning_rate=None, schedule="warmup_cosine",
                    warmup_steps=100, l2=1e-3, notes={
                        "learning_rate": "default: LEARNING_RATES for the preset",
                        "l2": "seed 000: 1e-3", "batch_size": "a multiple of the device count"})
common_flags.define_steps(num_steps=5000, eval_every=500)
flags.DEFINE_bool("standardize", True, "Scale channels by train mean / std.")
flags.DEFINE_integer("validation_subjects", uci_har.VALIDATION_SUBJECTS,
                     "Training subjects held out (whole) as the validation split, evaluated "
                     "during training; 0: none (then the test split is).")
flags.DEFINE_enum("readout", "last", models.READOUTS, "What the classifier sees: the last "
                  "output (the seed's) or the mean output over time.")
FLAGS = flags.FLAGS
flags.adopt_module_key_flags(common_flags)  # --help lists the shared flags too


def config(model: str) -> trainer.TrainConfig:
  """The TrainConfig of the flags, with `model`'s default learning rate unless one is given."""
  lr = FLAGS.learning_rate
  if lr is None:                          # an explicit --learning_rate is always honoured
    lr = LEARNING_RATES.get(model, DEFAULT_LEARNING_RATE)
  return trainer.TrainConfig.from_flags(flags.FLAGS, learning_rate=lr)


def load_data():
  """The data set the flags ask for (after jax.distributed.initialize() when asked for)."""
  trainer.init_distributed(FLAGS.distributed)      # before the loader touches jax
  return uci_har.load(FLAGS.data_dir, standardize=FLAGS.standardize,
                      validation_subjects=FLAGS.validation_subjects)


def build_model(name: str, hidden_size: int):
  return models.build(name, num_classes=uci_har.NUM_CLASSES, readout=FLAGS.readout,
                      **common_flags.model_kwargs(hidden_size))


def train_from_flags() -> trainer.Result:
  """main's body, with the flags already parsed."""
  data = load_data()
  return common_flags.fit(build_model(FLAGS.model, FLAGS.hidden_size), data,
                          config(FLAGS.model), "har", standardize=FLAGS.standardize,
                          readout=FLAGS.readout, validation_subjects=FLAGS.validation_subjects)


run, main = entry_point.entry_points(__file__, train_from_flags)


if __name__ == "__main__":
  app.run(main)
