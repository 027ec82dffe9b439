r"""IMDB sentiment: Embedding(10000, 32) -> recurrent layer -> one sigmoid unit (seed 001).

  python experiments/imdb.py --data_dir=<folder holding aclImdb/ or its archive>
  python experiments/imdb.py --model=rnn              # seed 001's SimpleRNN(32)
  python experiments/imdb.py --model=gru
  python experiments/imdb.py --model=bilstm
  python experiments/imdb.py --model=multilstm --num_layers=2 --dropout=0.2   # stacked
  python experiments/imdb.py --model=multirnn --num_layers=4   # seed 001's four SimpleRNN(32)

Seed 001 (Chollet): the 10,000 most frequent words, reviews cut to their last 500 words,
Embedding(10000, 32) -> SimpleRNN(32) / LSTM(32) -> Dense(1, sigmoid), binary cross-entropy,
RMSprop 1e-3, batches of 128, 10 epochs, validation_split=0.2. Here the 20 % held out (5,000
reviews) are drawn at random with --seed; after every epoch they are evaluated (the progress
lines' "validation set" figures), and the 25,000 test reviews are evaluated once at the end.

The seed's stacked model (four SimpleRNN(32), return_sequences between them, the last one's final
output to the classifier) is --model=multirnn --num_layers=4: 328,353 parameters (Embedding
320,000, 4 x 2,080, Dense 33); Keras' dropout=/recurrent_dropout= are --input_dropout and
--recurrent_dropout.

Changed from the seed: batches of 32 at a peak learning rate of 5e-4 (chosen by VALIDATION accuracy
from batch 16 / 32 / 64 / 128 runs, see below), and 5 epochs with cosine decay of the learning rate
instead of 10 at a constant 1e-3. The seed's schedule overfits (training accuracy 96 %) and its
validation accuracy swings by several points from epoch to epoch: it ended at 88.52 % validation
but 86.32 % test. LSTM(32) variants tried (test accuracy; validation in brackets; measured before
later rnnjax.fast changes, under which the default moved from 87.92 % (88.68) to 87.88 % (89.06)):
learning rate 2e-3 87.80 % (89.74); --clip_norm=1 87.62 % (88.74); --l2=1e-5 88.06 % (89.16);
--l2=1e-4 87.92 % (88.98); --dropout=0.3 --recurrent_dropout=0.2 85.19 % (85.78, underfits in 5
epochs). Test accuracy stays 1-2 points below validation: the held-out reviews share films with the
training reviews, the test reviews do not.

Writes to --workdir (default runs/imdb/<model>): history.png (seed 001's two figures: training
and validation accuracy, training and validation loss, per epoch), metrics.jsonl (the last
record holds the test figures), curves.png and checkpoints.

Data: aclImdb/{train,test}/{pos,neg}/*.txt or its .tar.gz / .tar.xz archive in --data_dir
(default $RNNJAX_DATA_DIR/imdb); the tokenised arrays are cached in --cache_dir (default: the
data folder when writable; pass --cache_dir for a read-only shared copy). Tokenisation is
rnnjax.data.imdb's, not Keras' word index.

Expected results (measured on the real data, 1 CPU device, 2 cores at load ~1.5; wall time
includes compilation; tokenising the archive once adds ~15 s, later runs read the cache):
  --model=lstm (default)  test 88.25 %, validation 89.52 %   5 epochs, 3,125 steps   50 s
  --model=rnn             test 87.95 %, validation 89.10 %   5 epochs, 3,125 steps   25 s
The issue's LSTM target (88.5 % test) is NOT met; SimpleRNN's (85 %) is. LSTM(32) runs of this
session (test; validation in brackets), batch 128 / lr 1e-3 unless said: the old default
87.86 % (88.88); --ema_decay=0.99 87.87 % (88.9); adam 2e-3 86.63 % (88.24); adam 1e-3 87.24 %
(89.14); 8 epochs 87.50 % (89.26); 3 epochs 87.52 % (87.9); --dropout=0.2 87.91 % (88.98); 8
epochs + dropout 0.2 87.50 % (89.38); 10 epochs + dropout 0.3 + recurrent dropout 0.2 85.0 %
(85.82); 8 epochs + ema 0.998 87.51 % (89.24); batch 64 lr 7e-4 88.11 % (89.50), seed 1
88.26 % (89.2); batch 64 lr 1e-3 88.02 % (89.36); batch 32 lr 5e-4 88.25 % (89.52, the new
default), seed 1 88.37 % (89.12); batch 32 lr 7e-4 88.11 % (89.46); batch 16 lr 3.5e-4
88.37 % (89.44).
"""
from absl import app, flags

import common_flags  # experiments/ is on sys.path when this file runs
import entry_point
from rnnjax import models, trainer
from rnnjax.reports import curves
from rnnjax.data import imdb

common_flags.define("imdb", optimizer="rmsprop", learning_rate=5e-4, schedule="warmup_cosine",
                    batch_size=32,
                    notes={"hidden_size": "seed 001: 32", "learning_rate": "seed 001: 1e-3",
                           "schedule": "seed 001: constant", "batch_size": "seed 001: 128",
                           "seed": "also draws the held-out reviews"})
flags.DEFINE_integer("vocab_size", 10000, "Words kept, padding and unknown included.")
flags.DEFINE_integer("embed_dim", 32, "Embedding size (seed 001: 32).")
flags.DEFINE_integer("max_len", 500, "Words kept per review (its last ones).")
flags.DEFINE_float("validation_fraction", 0.2, "Training reviews held out (seed: 0.2).")
flags.DEFINE_integer("epochs", 5, "Passes over the training reviews (seed 001: 10).")
flags.DEFINE_string("cache_dir", None, "Where the tokenised arrays are cached (default: "
                    "--data_dir when writable, else ~/.cache/rnnjax/imdb).")
FLAGS = flags.FLAGS
flags.adopt_module_key_flags(common_flags)  # --help lists the shared flags too


def train_from_flags() -> trainer.Result:
  """main's body, with the flags already parsed."""
  data = imdb.load(FLAGS.data_dir, vocab_size=FLAGS.vocab_size, max_len=FLAGS.max_len,
                   validation_fraction=FLAGS.validation_fraction, seed=FLAGS.seed,
                   cache_dir=FLAGS.cache_dir)
  model = models.build(FLAGS.model, num_classes=1, vocab_size=FLAGS.vocab_size,
                       embed_dim=FLAGS.embed_dim, **common_flags.model_kwargs())
  steps_per_epoch = len(data.train) // FLAGS.batch_size
  config = trainer.TrainConfig.for_epochs(FLAGS, epochs=FLAGS.epochs,
                                          steps_per_epoch=steps_per_epoch)
  result = common_flags.fit(model, data, config, "imdb", max_len=FLAGS.max_len,
                            vocab_size=FLAGS.vocab_size, embed_dim=FLAGS.embed_dim,
                            validation_fraction=FLAGS.validation_fraction)
  curves.history_figure(result.workdir, steps_per_epoch)
  return result


run, main = entry_point.entry_points(__file__, train_from_flags)


if __name__ == "__main__":
  app.run(main)
