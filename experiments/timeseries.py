r"""One-step-ahead forecasting of a series from 20-step windows (seed 002, Simplilearn / Géron).

  python experiments/timeseries.py                                   # t sin(t) / 3 + 2 sin(5t)
  python experiments/timeseries.py --data=jena --data_dir=<folder holding the Jena CSV>
  python experiments/timeseries.py --model=gru --num_steps=3000

Seed 002's setup: windows of 20 consecutive values (--steps), targets the same values shifted one
step into the future, 100 units (--hidden_size), a linear projection of every step's output
(TF's OutputProjectionWrapper: models.build_tagger), MSE, Adam 1e-3, batches of 50 random
windows, 1500 iterations (--num_steps).

--data=synthetic: the lesson's t * sin(t) / 3 + 2 * sin(5 t), 0.1 apart, on t in [0, 30] (its
range); windows start anywhere on a 0.01 grid. The t axis is cut into cycles of 5 / 2.5 / 2.5
t-units of train / validation / test windows (rnnjax.data.timeseries), so the held-out windows
lie between training ones and no window crosses two parts.
--data=jena: the hourly temperature (every 6th ten-minute row) of the Jena CSV, normalised with
the training rows' mean and std, windows one hour apart inside the seasonal blocks of
rnnjax.data.jena (6 / 3 / 3 weeks of train / validation / test rows).

Reports the test MSE (over every step of every test window) beside the naive forecast's ("next
value = this value"), and a free-running continuation (models.generate: primed with the first 20
values of the first validation / test block, then fed its own predictions for
--generate_steps steps): for how many steps it stays within --tolerance (10 %) of the series'
range of the truth. Writes to --workdir (default runs/timeseries/<data>_<model>):
metrics.jsonl, curves.png, timeseries.png ((a) prediction vs target on a test window, (b) the
generated continuation against the true one) and checkpoints. Ends with
"Final test MSE: <value> (naive <value>)".

Measured: see the end of this docstring (filled in from the runs).
"""
from absl import app, flags, logging

import common_flags  # experiments/ is on sys.path when this file runs
from rnnjax import models, trainer
from rnnjax.data import timeseries
from rnnjax.reports import timeseries as series_report

common_flags.define("timeseries", data_folder="jena_climate", model="rnn", hidden_size=100,
                    batch_size=50, notes={
                        "hidden_size": "seed 002: 100", "learning_rate": "seed 002: Adam 1e-3",
                        "batch_size": "seed 002: 50",
                        "data_dir": "--data=jena: the folder holding the Jena CSV"})
flags.DEFINE_enum("data", "synthetic", ["synthetic", "jena"], "The series.")
flags.DEFINE_integer("num_steps", 1500, "Training steps (seed 002: 1500).")
flags.DEFINE_integer("eval_every", 250, "Steps between validation evaluations (and checkpoints).")
flags.DEFINE_integer("steps", 60, "Values per window (seed 002: 20; see the docstring).")
flags.DEFINE_integer("burn_in", 5, "Steps at the start of every window that are not scored "
                     "(weight 0 in training and evaluation; the naive MSE skips them too).")
flags.DEFINE_float("t_max", 60.0, "--data=synthetic: the series runs over t in [0, t_max] "
                   "(seed 002: 30).")
flags.DEFINE_list("block_t", ["12", "7", "7"], "--data=synthetic: t-units of the train, "
                  "validation and test blocks of each cycle.")
flags.DEFINE_enum("activation", "relu", ["tanh", "relu"], "--model=rnn's activation (seed 002: "
                  "relu).")
flags.DEFINE_string("filename", None, "--data=jena: which CSV in --data_dir when several.")
flags.DEFINE_list("block_rows", None, "--data=jena: ten-minute rows of the train, validation "
                  "and test blocks of each cycle (default rnnjax.data.jena.SEASONAL_BLOCK_ROWS).")
flags.DEFINE_integer("generate_steps", 200, "Steps of the free-running continuation.")
flags.DEFINE_float("tolerance", 0.1, "The continuation counts as right while within this "
                   "fraction of the series' range of the truth.")
FLAGS = flags.FLAGS
flags.adopt_module_key_flags(common_flags)  # --help lists the shared flags too


def load_data() -> timeseries.SeriesData:
  if FLAGS.data == "jena":
    blocks = tuple(int(r) for r in FLAGS.block_rows) if FLAGS.block_rows else None
    return timeseries.load_jena(FLAGS.data_dir, filename=FLAGS.filename, steps=FLAGS.steps,
                                burn_in=FLAGS.burn_in, block_rows=blocks)
  return timeseries.load_synthetic(t_max=FLAGS.t_max, steps=FLAGS.steps, burn_in=FLAGS.burn_in,
                                   block_t=tuple(float(t) for t in FLAGS.block_t))


def main(argv):
  del argv
  data = load_data()
  cell = {"activation": FLAGS.activation} if FLAGS.model == "rnn" else {}
  model = models.build_tagger(FLAGS.model, num_outputs=1, **common_flags.model_kwargs(), **cell)
  result = trainer.fit(model, data.spec, trainer.TrainConfig.from_flags(FLAGS),
                       common_flags.workdir("timeseries", f"{FLAGS.data}_{FLAGS.model}"),
                       hparams={"preset": FLAGS.model, "data": FLAGS.data, "steps": FLAGS.steps,
                                "burn_in": FLAGS.burn_in, "activation": cell.get("activation")})
  rows = series_report.report(model, result.state, data, {
      "validation": result.validation, "test": result.eval}, result.workdir,
      prime_steps=FLAGS.steps, generate_steps=FLAGS.generate_steps, tolerance=FLAGS.tolerance)
  logging.info("Final test MSE: %.4g (naive %.4g)", rows["test"]["mse"], rows["test"]["naive_mse"])


if __name__ == "__main__":
  app.run(main)
