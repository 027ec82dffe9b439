r"""Jena climate: forecast the temperature 24 h ahead from 10 days of hourly weather (seed 001).

  python experiments/jena.py --data_dir=<folder holding the CSV>
  python experiments/jena.py --recurrent_dropout=0.2 --epochs=40
  python experiments/jena.py --model=multigru --num_layers=2 --dropout=0.1 --recurrent_dropout=0.5
  python experiments/jena.py --model=bigru

Seed 001 (Chollet): 14 features, lookback 1440 rows sampled every 6 (240 hourly steps), target
T 144 rows (24 h) after the window, GRU(32) -> Dense(1), RMSprop, MAE loss, 500 steps of 128
windows per epoch, validation after each epoch. Training windows start every --stride rows (1:
every window, as the seed's shuffled generator draws). The validation split is evaluated after
every epoch (the progress lines' "validation set" figures); the test split once at the end.

Writes to --workdir (default runs/jena/<model>): metrics.jsonl, curves.png, history.png (seed
001's training / validation loss per epoch), forecast.png (forecast vs truth, first 14 test
days, degrees C) and checkpoints. Logs the model's MAE beside the naive forecast's ("T 24 h
ahead = last observed T") on validation and test, in normalised units and in degrees C.

Data: the Keras file jena_climate_2009_2016.csv or a station CSV such as weather_2020.csv
(plain, .gz, .xz or .zip) in --data_dir (default $RNNJAX_DATA_DIR/jena_climate). The split is
200k/100k/rest rows for the Keras file, else 50/25/25 % (2020: Jan-Jun / Jul-Sep / Oct-Dec).

Changed from the seed: 10 epochs instead of 20 (chosen when a run took 9 min on a loaded
machine; the extra epochs only overfit further: validation MAE is best after epoch 1).

Measured (weather_2020.csv.xz, 1 CPU device, 2 cores at load ~1.5; wall time includes loading
and compilation), default command, 5,000 steps, 79 s (9.0 min at load 6 before
rnnjax.tune_malloc); the same figures as before:
  validation MAE 0.527 (3.50 degC) vs naive 0.440 (2.92 degC): 20 % WORSE than naive
  test       MAE 0.530 (3.52 degC) vs naive 0.325 (2.16 degC): 63 % WORSE than naive
With --recurrent_dropout=0.2 (6.1 min): validation 0.505 (3.35 degC), 15 % worse than naive;
test 0.428 (2.84 degC), 32 % worse.
The issue's target (GRU(32) 10 % below naive) is NOT met on the 2020 file. The GRU overfits
from the first epoch (training MAE 0.39 -> 0.14, validation best 0.434 after epoch 1, 1 %
below naive): six months of training rows (Jan-Jun) is 1/8 of the Keras file's and does not
cover the validation (Jul-Sep) or test (Oct-Dec) seasons. Even a ridge regression on the last
48 hourly steps beats the naive forecast by at most 3 % (validation) and loses on test with all
14 features; a GRU on the temperature alone got at best 4 % (validation) and 1 % (test) below
naive. Chollet's own GRU on the 2009-2016 file was 8.6 % below naive (0.265 vs 0.29).
Is the target reachable on one year at all? A ridge regression of the 24 h change of T on the last
48 hourly steps of the 14 features (stride 6, lambda 1-1000; its forecasts include the naive one as
a special case) was tried on five splits of the 2020 rows (figures: % below the naive MAE, so + is
better): chronological 50/25/25 (validation +0.6 to +1.7 %, test -4 to -15 %); whole months
interleaved so that training covers every season (train Jan/Mar/May/Jul/Sep/Nov: validation -8 to
-22 %, test +1 to +4 %; train Jan/Feb/May/Jun/Sep/Oct: -4 to -17 %, test -6 to +3 %; train
Jan/Apr/Jul/Oct: -40 to +1 %, test -7 to -33 %) and alternating 2-week blocks (validation +0 to +10
%, test -18 to -64 %). No split gives a model that beats the naive forecast by 10 % on both
held-out parts: 24 h ahead, yesterday's temperature at the same hour is a strong forecast, and one
year of data is too little to learn a correction that carries across weeks.
"""
from absl import app, flags, logging

import common_flags  # experiments/ is on sys.path when this file runs
import entry_point
from rnnjax import models, trainer
from rnnjax.reports import curves, forecast
from rnnjax.data import jena

common_flags.define("jena", data_folder="jena_climate", model="gru", optimizer="rmsprop",
                    batch_size=128, notes={
                        "hidden_size": "seed 001: 32", "learning_rate": "Keras RMSprop: 1e-3",
                        "recurrent_dropout": "seed 001: 0.2 in its dropout variant"})
flags.DEFINE_integer("epochs", 10, "Epochs (seed 001: 20; 40 with dropout).")
flags.DEFINE_integer("steps_per_epoch", 500, "Steps per epoch (seed: 500).")
flags.DEFINE_integer("lookback", 1440, "Rows of history per window (10 days).")
flags.DEFINE_integer("step", 6, "Rows between the steps of a window (6: hourly).")
flags.DEFINE_integer("delay", 144, "Rows from the window's end to the target (24 h).")
flags.DEFINE_integer("stride", 1, "Rows between the starts of consecutive windows.")
flags.DEFINE_string("filename", None, "Which CSV in --data_dir when several.")
flags.DEFINE_enum("split", "seasonal", jena.SPLITS, "seasonal: alternating train / validation "
                  "/ test blocks over the whole file (every part sees every season); "
                  "chronological: the seed's first half / next quarter / last quarter.")
flags.DEFINE_list("block_rows", None, "seasonal: rows of the train, validation and test blocks "
                  "of each cycle (default rnnjax.data.jena.SEASONAL_BLOCK_ROWS).")
flags.DEFINE_enum("loss", "mae", ["mae", "mse"], "Training loss (seed 001: mae).")
FLAGS = flags.FLAGS
flags.adopt_module_key_flags(common_flags)  # --help lists the shared flags too


def train_from_flags() -> trainer.Result:
  """main's body, with the flags already parsed."""
  data = jena.load(FLAGS.data_dir, filename=FLAGS.filename, lookback=FLAGS.lookback,
                   step=FLAGS.step, delay=FLAGS.delay, stride=FLAGS.stride, split=FLAGS.split,
                   block_rows=tuple(int(r) for r in FLAGS.block_rows) if FLAGS.block_rows
                   else None)
  model = models.build(FLAGS.model, num_classes=1, **common_flags.model_kwargs())
  config = trainer.TrainConfig.for_epochs(FLAGS, epochs=FLAGS.epochs,
                                          steps_per_epoch=FLAGS.steps_per_epoch)
  result = common_flags.fit(model, data.spec, config, "jena", lookback=FLAGS.lookback,
                            step=FLAGS.step, delay=FLAGS.delay, stride=FLAGS.stride,
                            split=FLAGS.split, block_rows=FLAGS.block_rows,
                            features=list(data.feature_names))
  curves.history_figure(result.workdir, FLAGS.steps_per_epoch)
  test = forecast.report(data, result.state, result.workdir, stride=FLAGS.stride)[-1]
  logging.info("Final test MAE: %.4f (%.2f degC), naive %.4f (%.2f degC): %.1f %% below naive",
               test["mae"], test["mae_degC"], test["naive_mae"], test["naive_mae_degC"],
               test["below_naive_pct"])
  return result


run, main = entry_point.entry_points(__file__, train_from_flags)


if __name__ == "__main__":
  app.run(main)
