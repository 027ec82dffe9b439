r"""Jena climate: forecast the temperature 24 h ahead from 10 days of hourly weather (seed 001).

  python experiments/jena.py --data_dir=<folder holding the CSV>
  python experiments/jena.py --nopersistence_skip --dropout=0 --recurrent_dropout=0 \
      --learning_rate=1e-3 --epochs=20                   # seed 001's model and schedule
  python experiments/jena.py --model=multigru --num_layers=2 --dropout=0.1 --recurrent_dropout=0.5
  python experiments/jena.py --model=bigru

Seed 001 (Chollet): 14 features, lookback 1440 rows sampled every 6 (240 hourly steps), target T
144 rows (24 h) after the window, GRU(32) -> Dense(1), RMSprop, MAE loss, 500 steps
of 128 windows per epoch, validation after each epoch. Training windows start every --stride
rows (1: every window, as the seed's shuffled generator draws). The validation split is
evaluated after every epoch (the progress lines' "validation set" figures) when there is one
(see Protocol); the test split once at the end.

Writes to --workdir (default runs/jena/<model>): metrics.jsonl, curves.png, history.png (seed
001's training / validation loss per epoch), forecast.png (forecast vs truth, first 14 test
days, degrees C) and checkpoints. Logs the model's MAE beside the naive forecast's ("T 24 h
ahead = last observed T") on validation and test, in normalised units and in degrees C.

Data: the Keras file jena_climate_2009_2016.csv or a station CSV such as weather_2020.csv
(plain, .gz, .xz or .zip) in --data_dir (default $RNNJAX_DATA_DIR/jena_climate). The default
--split=seasonal cuts the rows, from the first, into 12-week cycles (--block_rows): 6 weeks of
training, 3 of validation and 3 of test rows in the runs that chose the defaults, 9 of training
and 3 of test in the default run (Protocol, below), so every part has labels in every season;
windows stay inside one block, and features are normalised with the training rows' mean and std.
--split=chronological is the seed's: 200k/100k/rest rows for the Keras file, else 50/25/25 %
(2020: Jan-Jun / Jul-Sep / Oct-Dec).

Protocol: every default was chosen by 3-fold cross-validation over the seasonal blocks, the test
blocks never read: --block_rows=6048,3024,3024 and --validation_fold=0, 1, 2, which put each
cycle's 3-week validation block just before its test block (0), 3 weeks earlier (1) or at the
cycle's start (2), so the three folds' validation blocks cover every training week once
(results/logs/validation_sweeps/jena_cv.sh runs the folds and averages their final validation
MAE; each run's log is beside it). The default run then trains with those defaults on the
training and validation blocks together (the default --block_rows, jena.REFIT_BLOCK_ROWS =
9072,0,3024: the same test blocks, 9 weeks of training before each) and its test MAE is the
result (the "refit" of Goodfellow, Bengio & Courville's "Deep Learning" sec. 7.8). Without a
validation split the per-epoch lines show the test split, for the record only (nothing is chosen
from them). The reproduce row jena_gru_validation runs the default with fold 0 held out and
reports validation and test MAE.

Until 2026-12-02 the defaults were chosen on fold 0 alone; the folds showed why its test figures
disagreed with it: one 3-week position per cycle (4 blocks, 40 days of labels) is too few
weather episodes. E.g. --learning_rate=1e-3 beat 3e-4 on fold 0 (0.3559 vs 0.3593) and lost by
far on folds 1 and 2 (0.3555 / 0.4309 vs 0.3122 / 0.4022), and the MSE loss adopted on fold 0
lost to the MAE loss on the folds' mean.

Changed from the seed, each chosen on validation data: the seasonal split (on one year of data
the chronological split trains on the first half only, which does not cover the seasons of the
validation and test parts); a persistence skip (the model outputs the last observed T plus the
GRU's prediction of the change, so a zero network is the naive forecast: SequenceClassifier's
skip_feature); dropout 0.3 before the output layer and recurrent dropout 0.2 (the seed's dropout
variant); RMSprop at 1.5e-4 for 4 epochs of 500 steps; and the derived features of TensorFlow's
"Time series forecasting" tutorial (--derived=wind,day,year, jena.DERIVED: the wind vector
instead of speed and direction, sin / cos of the time of day and of the year; 19 inputs).
On one year of data (20,584 training windows at stride 1) the seed's GRU memorises the training
windows within an epoch. Fold 0's validation MAE (normalised; naive forecast 0.4042) after each
epoch of 500 steps, 2026-12-02, jax 0.10.2, 2 CPU cores; the first row is
results/logs/jena_seed_model_10_epochs.log, the others results/logs/validation_sweeps/jena_sweep.py
(labels shifted by the last T instead of the skip: the same loss) and its jena_sweep_*.log:
  seed's model, lr 1e-3 (the previous default: 10 epochs)  0.399 0.465 0.443 ... 0.422
  + persistence skip                                        0.376 0.405 0.401
  + recurrent dropout 0.2                                   0.372 0.380 0.376
  + recurrent dropout 0.2, weight decay 1e-2                0.372 0.381 0.375
  + recurrent dropout 0.2, lr 3e-4                          0.365 0.366 0.371 0.379 0.378
  + recurrent dropout 0.2, dropout 0.3                      0.362 0.377 0.369
  + recurrent dropout 0.2, dropout 0.3, lr 3e-4 (adopted)   0.370 0.3616 0.3616 (first minimum: 2)
Fold 0 alone, one run per line (sweep.sh, its jena_*.log), final validation MAE, seed 0 / 1:
--loss=mse 0.3593 / 0.3568 (adopted then, dropped since), --lookback=288 / 720 8.7 % below naive
(default 10.5 %), --hidden_size=64 0.3616, --batch_size=256 0.3608.
Cross-validation (jena_cv.sh, seed 0; the flags as run, against that day's earlier defaults: lr
3e-4, 2 epochs, MSE loss, no derived features): final validation MAE of folds 0 / 1 / 2, their
mean, and the mean of the folds' % below the naive forecast (0.4042 / 0.3383 / 0.3954 per fold):
  (previous default: lr 3e-4, 2 epochs, mse)    0.3593 / 0.3122 / 0.4022  0.3579   5.7 %
  --loss=mae                                    0.3616 / 0.3090 / 0.3985  0.3564   6.1 %
  --epochs=1                                    0.3693 / 0.3192 / 0.3946  0.3610   4.8 %  (mse)
  --learning_rate=1e-3                          0.3559 / 0.3555 / 0.4309  0.3808  -0.7 %  (mse)
  --loss=mae --learning_rate=1.5e-4             0.3714 / 0.3122 / 0.3973  0.3603   5.1 %
  --loss=mae --epochs=4 --learning_rate=1.5e-4  0.3608 / 0.3074 / 0.3936  0.3539   6.8 %
  --loss=mae --dropout=0.5                      0.3677 / 0.3099 / 0.3967  0.3581   5.7 %
  --loss=mae --recurrent_dropout=0.4            0.3662 / 0.3104 / 0.4002  0.3589   5.5 %
  --loss=mae --hidden_size=16                   0.3706 / 0.3116 / 0.4001  0.3608   5.0 %
  then with --loss=mae --epochs=4 --learning_rate=1.5e-4:
  --derived=wind                                0.3546 / 0.3189 / 0.3989  0.3575   5.7 %
  --derived=day                                 0.3538 / 0.2992 / 0.3816  0.3449   9.2 %
  --derived=year                                0.3497 / 0.3169 / 0.3435  0.3367  11.0 %
  --derived=day,year                            0.3537 / 0.3187 / 0.3354  0.3359  11.2 %
  --derived=wind,day,year (adopted)             0.3422 / 0.2902 / 0.3195  0.3173  16.3 %
(The "(mse)" rows kept the then default MSE loss.) The adopted row is the best on every fold.
On one year of data the time-of-year inputs do more than climatology: the seasonal split puts
training weeks on both sides of every validation and test block, and the date lets the model
carry that year's weather regime from them (the split offers the same to every model through
its inputs; a multi-year file would separate the two).

Results: the default runs' figures (with command, wall time, load and package versions) are the
rows jena_gru, jena_gru_seed1, jena_gru_seed2 and jena_gru_validation of results/results.md,
regenerated by `python experiments/reproduce.py
--only=jena_gru,jena_gru_seed1,jena_gru_seed2,jena_gru_validation`. Their "Final ... MAE" lines
give the % below the naive forecast, to read against issue 17's target (GRU(32) 5 % below naive;
Chollet's GRU on the 2009-2016 file: MAE 0.265 vs naive 0.29, as the book reports). On the 2020
file, 2026-12-02, with the cross-validated defaults: refit on the training and validation
blocks, test MAE 0.3267 / 0.3293 / 0.3228 for seeds 0 / 1 / 2 against the naive forecast's
0.3437: 5.0 / 4.2 / 6.1 % below naive (mean MAE 0.3263, std 0.0033: 5.1 % below, the target
met by 0.1 point); with fold 0 held out, validation 15.3 % and test 4.6 % below naive. The
previous defaults (chosen on fold 0 alone) were 9.5 % ABOVE naive on test (mean MAE 0.3763).
Each part holds 4 blocks, 40 days of labels, so these figures rest on few weather episodes; the
2009-2016 file (8 years) gives each part ~8 times as many days.
"""
from absl import app, flags, logging

import common_flags  # experiments/ is on sys.path when this file runs
import entry_point
from rnnjax import models, trainer
from rnnjax.reports import curves, forecast
from rnnjax.data import jena

common_flags.define("jena", data_folder="jena_climate", model="gru", optimizer="rmsprop",
                    learning_rate=1.5e-4, batch_size=128, notes={
                        "hidden_size": "seed 001: 32", "learning_rate": "Keras RMSprop: 1e-3",
                        "dropout": "seed 001: none",
                        "recurrent_dropout": "seed 001: 0.2 in its dropout variant"})
flags.FLAGS.set_default("dropout", 0.3)             # chosen on validation (docstring)
flags.FLAGS.set_default("recurrent_dropout", 0.2)
flags.DEFINE_integer("epochs", 4, "Epochs (seed 001: 20; 40 with dropout).")
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
                  "of each cycle. Default: jena.REFIT_BLOCK_ROWS = 9072,0,3024 (the final fit: "
                  "9 weeks of training, no validation, 3 weeks of test); the runs that chose the "
                  "defaults held validation out with 6048,3024,3024 (jena.SEASONAL_BLOCK_ROWS).")
flags.DEFINE_integer("validation_fold", 0, "seasonal split with a validation block: where it "
                     "sits in each cycle, 0 .. train/validation blocks (0: just before the test "
                     "block; 6,3,3 weeks give folds 0, 1, 2). Cross-validation runs every fold "
                     "(results/logs/validation_sweeps/jena_cv.sh); the test blocks never move.")
flags.DEFINE_list("derived", list(jena.DERIVED), "Derived input features (jena.DERIVED: wind, "
                  "day, year): the wind vector instead of speed and direction, and sin / cos of "
                  "the time of day and of the year, as TensorFlow's time series tutorial builds "
                  "them (seed 001: none; all three chosen by cross-validation, see the "
                  "docstring). --derived= : none.")
flags.DEFINE_enum("loss", "mae", ["mae", "mse"], "Training loss (seed 001: mae, kept by "
                  "cross-validation, see the docstring). The reported metric is the MAE either "
                  "way.")
flags.DEFINE_bool("persistence_skip", True, "Add the last observed T to the model's output, so "
                  "that the network learns the change over the next 24 h (a zero network is the "
                  "naive forecast); --nopersistence_skip: seed 001's model, which predicts T.")
FLAGS = flags.FLAGS
flags.adopt_module_key_flags(common_flags)  # --help lists the shared flags too


def train_from_flags() -> trainer.Result:
  """main's body, with the flags already parsed."""
  block_rows = (tuple(int(r) for r in FLAGS.block_rows) if FLAGS.block_rows else
                jena.REFIT_BLOCK_ROWS if FLAGS.split == "seasonal" else None)
  data = jena.load(FLAGS.data_dir, filename=FLAGS.filename, lookback=FLAGS.lookback,
                   step=FLAGS.step, delay=FLAGS.delay, stride=FLAGS.stride, split=FLAGS.split,
                   block_rows=block_rows, fold=FLAGS.validation_fold,
                   derived=tuple(FLAGS.derived))
  model = models.build(FLAGS.model, num_classes=1, **common_flags.model_kwargs(),
                       skip_feature=data.target_index if FLAGS.persistence_skip else None)
  config = trainer.TrainConfig.for_epochs(FLAGS, epochs=FLAGS.epochs,
                                          steps_per_epoch=FLAGS.steps_per_epoch)
  result = common_flags.fit(model, data.spec, config, "jena", lookback=FLAGS.lookback,
                            step=FLAGS.step, delay=FLAGS.delay, stride=FLAGS.stride,
                            split=FLAGS.split, block_rows=block_rows,
                            validation_fold=FLAGS.validation_fold, derived=list(FLAGS.derived),
                            persistence_skip=FLAGS.persistence_skip,
                            features=list(data.feature_names))
  curves.history_figure(result.workdir, FLAGS.steps_per_epoch)
  for row in forecast.report(data, result.state, result.workdir, stride=FLAGS.stride):
    logging.info("Final %s MAE: %.4f (%.2f degC), naive %.4f (%.2f degC): %.1f %% below naive",
                 row["split"], row["mae"], row["mae_degC"], row["naive_mae"],
                 row["naive_mae_degC"], row["below_naive_pct"])
  return result


run, main = entry_point.entry_points(__file__, train_from_flags)


if __name__ == "__main__":
  app.run(main)
