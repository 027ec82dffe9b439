r"""Echo-RNN: learn to echo a random binary series 3 steps later (seed 004, Hallström).

  python experiments/echo.py
  python experiments/echo.py --model=lstm
  python experiments/echo.py --echo_step=5 --truncated_length=20 --hidden_size=8

Seed 004's setup, with its constants as flags: a random 0/1 series of 50,000 steps, labels the
series shifted by echo_step=3 (the first 3 labels 0), cut into batch_size=5 contiguous rows and
read in chunks of truncated_length=15 steps with the RNN state (state_size 4, --hidden_size)
carried from one chunk to the next and reset at each epoch start (truncated backpropagation
through time: rnnjax.data.splits.Stream, trainer.fit), a softmax over 2 classes at every step,
Adagrad 0.3, 100 epochs (66,600 steps). Differences: the seed draws a fresh series every epoch,
this program reads one fixed training series (--seed) every epoch; its W is uniform in [0, 1),
ours Glorot / orthogonal.

Evaluation: validation and test are fresh series of the same length (other seeds, cut and read
the same way); each row is scored from step echo_step on (weight 0 before: those labels echo
the end of the previous row, which the row's state never saw). The validation series is scored
every --eval_every_epochs epochs, the test series once at the end.

Writes to --workdir (default runs/echo/<model>): metrics.jsonl (with every step's training
loss), curves.png, echo.png (seed 004's figure: the per-batch loss, spiking at each epoch start,
and input / target / prediction bars for the 5 rows of one test batch), checkpoints.
Ends with "Final test per-step accuracy: <value> %".

Measured (jax 0.10.2, flax 0.12.8, optax 0.2.8, numpy 2.4.6, Python 3.11; 1 CPU device; the 2
cores shared with other jobs at load 13-18, so this job got 26 % of one core; wall time includes
compilation, 10 validation passes, the test pass and the figure):
  python experiments/echo.py                   100 epochs (66,600 steps), 11 min 13 s wall
                                               (2.9 min of CPU time): test per-step accuracy
                                               100.000 % (49,935 scored steps, none wrong);
                                               validation 100.00 % from epoch 10 on
  python experiments/echo.py --epochs=2        test 99.998 % (1 wrong step), 90 s
  python experiments/echo.py --model=lstm --epochs=5    test 100.000 %, 130 s
  python experiments/echo.py --model=gru --epochs=5     test 100.000 %, 105 s
The loss curve (echo.png) spikes to ~0.1-0.2 nats at the first batch of every epoch and falls
to ~1e-5 within it: the rows' first echo_step labels are unknowable from a zero state.
"""
from absl import app, flags, logging

import common_flags  # experiments/ is on sys.path when this file runs
import entry_point
from rnnjax import models, trainer
from rnnjax.data import echo
from rnnjax.reports import echo as echo_report

common_flags.define("echo", model="rnn", hidden_size=4, optimizer="adagrad", learning_rate=0.3,
                    batch_size=5, notes={
                        "hidden_size": "seed 004: state_size 4",
                        "learning_rate": "seed 004: Adagrad 0.3",
                        "batch_size": "seed 004: 5; the rows the series is cut into"})
flags.DEFINE_integer("series_length", 50_000, "Steps of each series (seed 004: 50,000).")
flags.DEFINE_integer("echo_step", 3, "Steps between an input and its echo (seed 004: 3).")
flags.DEFINE_integer("truncated_length", 15, "Steps per chunk: the truncated backpropagation "
                     "length (seed 004: 15).")
flags.DEFINE_integer("epochs", 100, "Passes over the training series (seed 004: 100).")
flags.DEFINE_integer("eval_every_epochs", 10, "Epochs between evaluations of the validation "
                     "series (and checkpoints).")
flags.DEFINE_integer("plot_batch", -1, "Which test batch (chunk) the figure shows; -1: the last.")
FLAGS = flags.FLAGS
flags.adopt_module_key_flags(common_flags)  # --help lists the shared flags too


def train_from_flags() -> trainer.Result:
  """main's body, with the flags already parsed."""
  data = echo.load(FLAGS.series_length, FLAGS.echo_step, rows=FLAGS.batch_size,
                   chunk=FLAGS.truncated_length, seed=FLAGS.seed)
  model = models.build_tagger(FLAGS.model, num_outputs=echo.NUM_CLASSES,
                              **common_flags.model_kwargs())
  chunks = data.train.num_chunks
  config = trainer.TrainConfig.from_flags(
      FLAGS, num_steps=FLAGS.epochs * chunks, eval_every=FLAGS.eval_every_epochs * chunks,
      step_losses=True)
  result = trainer.fit(model, data, config, common_flags.workdir("echo"), hparams={
      "preset": FLAGS.model, "series_length": FLAGS.series_length,
      "echo_step": FLAGS.echo_step, "truncated_length": FLAGS.truncated_length})
  predicted = echo_report.predict_rows(model, result.state, data.test)
  png = echo_report.figure(echo_report.step_losses(result.workdir), data.test, predicted,
                           FLAGS.plot_batch % data.test.num_chunks,
                           f"{result.workdir}/{echo_report.FIGURE_FILE}", steps_per_epoch=chunks)
  test, scored = result.eval, int(data.test.weights[:, :chunks * FLAGS.truncated_length].sum())
  logging.info("Test series: %d scored steps, per-step accuracy %.3f %%; chunks of a row with "
               "every step right %.2f %%. Figure: %s", scored, 100 * test["accuracy"],
               100 * test["sequence_accuracy"], png)
  logging.info("Final test per-step accuracy: %.3f %%", 100 * test["accuracy"])
  return result


run, main = entry_point.entry_points(__file__, train_from_flags)


if __name__ == "__main__":
  app.run(main)
