r"""Jena climate: forecast the temperature 24 h ahead from 10 days of hourly weather (seed 001).

  python experiments/jena.py --data_dir=<folder holding the CSV>
  python experiments/jena.py --nopersistence_skip --dropout=0 --recurrent_dropout=0 \
      --learning_rate=1e-3 --epochs=20                   # seed 001's model and schedule
  python experiments/jena.py --model=multigru --num_layers=2 --dropout=0.1 --recurrent_dropout=0.5
  python experiments/jena.py --model=bigru

Seed 001 (Chollet): 14 features, lookback 1440 rows sampled every 6 (240 hourly steps), target T
144 rows (24 h) after the window, GRU(32) -> Dense(1), RMSprop, MAE loss (here MSE), 500 steps
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

Protocol: every default was chosen with the validation blocks held out
(--block_rows=6048,3024,3024: 6 weeks of training, 3 of validation, 3 of test per cycle; the
test split not read); the default run then trains with those defaults on the training and
validation blocks together (the default --block_rows, jena.REFIT_BLOCK_ROWS = 9072,0,3024: the
same test blocks, 9 weeks of training before each) and its test MAE is the result (the "refit"
of Goodfellow, Bengio & Courville's "Deep Learning" sec. 7.8). Without a validation split the
per-epoch lines show the test split, for the record only (nothing is chosen from them). The
reproduce row jena_gru_validation runs the default with the validation blocks held out and
reports validation and test MAE.

Changed from the seed, all chosen on the VALIDATION split (the runs below evaluated no test window):
the seasonal split (on one year of data the chronological split trains on the first half only,
which does not cover the seasons of the validation and test parts); a persistence skip (the
model outputs the last observed T plus the GRU's prediction of the change, so a zero network is
the naive forecast: SequenceClassifier's skip_feature); dropout 0.3 before the output layer,
recurrent dropout 0.2 (the seed's dropout variant), RMSprop at 3e-4, 2 epochs of 500 steps and
the MSE loss (the MAE remains the metric).
On one year of data (20,584 training windows at stride 1) the seed's GRU memorises the training
windows within an epoch. Validation MAE (normalised; naive forecast 0.4042) after each epoch of
500 steps, 2026-12-02, jax 0.10.2, 2 CPU cores; the first row is
results/logs/jena_seed_model_10_epochs.log, the others results/logs/validation_sweeps/jena_sweep.py
(labels shifted by the last T instead of the skip: the same loss) and its jena_sweep_*.log:
  seed's model, lr 1e-3 (the previous default: 10 epochs)  0.399 0.465 0.443 ... 0.422
  + persistence skip                                        0.376 0.405 0.401
  + recurrent dropout 0.2                                   0.372 0.380 0.376
  + recurrent dropout 0.2, weight decay 1e-2                0.372 0.381 0.375
  + recurrent dropout 0.2, lr 3e-4                          0.365 0.366 0.371 0.379 0.378
  + recurrent dropout 0.2, dropout 0.3                      0.362 0.377 0.369
  + recurrent dropout 0.2, dropout 0.3, lr 3e-4 (adopted)   0.370 0.3616 0.3616 (first minimum: 2)
Then, from that default (MAE loss), one run per line with sweep.sh (its jena_*.log), final
validation MAE, % below naive (the naive forecast's MAE differs with the lookback), seed 0 / 1:
  (the default, MAE loss)                                   0.3616 / 0.3586 (10.5 / 11.3 %)
  --loss=mse (adopted)                                      0.3593 / 0.3568 (11.1 / 11.7 %)
  --lookback=288 / --lookback=720                           8.7 % / 8.7 % below naive
  --hidden_size=64                                          0.3616
  --recurrent_dropout=0.4 / --dropout=0.5                   0.3662 / 0.3677
  --epochs=4 --learning_rate=1.5e-4                         0.3608 / 0.3652
  --batch_size=256                                          0.3608
The MSE loss was lower on both seeds, by 0.6 % (within the seed-to-seed spread, in the same
direction twice: the rule that adopted HAR's 10000 steps); the metric stays the MAE.

Results: the default runs' figures (with command, wall time, load and package versions) are the
rows jena_gru, jena_gru_seed1, jena_gru_seed2 and jena_gru_validation of results/results.md,
regenerated by `python experiments/reproduce.py
--only=jena_gru,jena_gru_seed1,jena_gru_seed2,jena_gru_validation`. Their "Final ... MAE" lines
give the % below the naive forecast, to read against issue 17's target (GRU(32) 5 % below naive;
Chollet's GRU on the 2009-2016 file: MAE 0.265 vs naive 0.29, as the book reports). On the 2020
file, 2026-12-02, with the MSE loss: with the validation blocks held out the model is 11.1 %
below naive on validation but 11.7 % above it on test; refit on the training and validation
blocks, it is 11.4 / 7.5 / 9.5 % above naive on test for seeds 0 / 1 / 2 (mean MAE 0.3763
against naive 0.3437: 9.5 % above). With the MAE loss (the default before the MSE loss was
chosen on validation) the same rows gave 10.5 % below naive on validation, 7.5 % above on test
held out, and 10.0 / 5.6 / 7.2 % above refit (mean 0.3698: 7.6 % above): the validation gain did
not carry to the test blocks; the choice stands, since it was made on validation. Each part
holds 4 blocks, 40 days of labels, so these comparisons rest on few weather episodes; the
2009-2016 file (8 years) gives each part ~8 times as many days.
"""
from absl import app, flags, logging

import common_flags  # experiments/ is on sys.path when this file runs
import entry_point
from rnnjax import models, trainer
from rnnjax.reports import curves, forecast
from rnnjax.data import jena

common_flags.define("jena", data_folder="jena_climate", model="gru", optimizer="rmsprop",
                    learning_rate=3e-4, batch_size=128, notes={
                        "hidden_size": "seed 001: 32", "learning_rate": "Keras RMSprop: 1e-3",
                        "dropout": "seed 001: none",
                        "recurrent_dropout": "seed 001: 0.2 in its dropout variant"})
flags.FLAGS.set_default("dropout", 0.3)             # chosen on validation (docstring)
flags.FLAGS.set_default("recurrent_dropout", 0.2)
flags.DEFINE_integer("epochs", 2, "Epochs (seed 001: 20; 40 with dropout).")
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
flags.DEFINE_enum("loss", "mse", ["mae", "mse"], "Training loss (seed 001: mae; mse chosen on "
                  "validation, see the docstring). The reported metric is the MAE either way.")
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
                   block_rows=block_rows)
  model = models.build(FLAGS.model, num_classes=1, **common_flags.model_kwargs(),
                       skip_feature=data.target_index if FLAGS.persistence_skip else None)
  config = trainer.TrainConfig.for_epochs(FLAGS, epochs=FLAGS.epochs,
                                          steps_per_epoch=FLAGS.steps_per_epoch)
  result = common_flags.fit(model, data.spec, config, "jena", lookback=FLAGS.lookback,
                            step=FLAGS.step, delay=FLAGS.delay, stride=FLAGS.stride,
                            split=FLAGS.split, block_rows=block_rows,
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
