r"""IMDB sentiment: Embedding(10000, 32) -> recurrent layer -> one sigmoid unit (seed 001).

  python experiments/imdb.py --data_dir=<folder holding aclImdb/ or its archive>
  python experiments/imdb.py --model=rnn              # seed 001's SimpleRNN(32)
  python experiments/imdb.py --model=gru
  python experiments/imdb.py --model=bilstm
  python experiments/imdb.py --model=multilstm --num_layers=2 --dropout=0.2   # stacked

Seed 001 (Chollet): the 10,000 most frequent words, reviews cut to their last 500 words,
Embedding(10000, 32) -> SimpleRNN(32) / LSTM(32) -> Dense(1, sigmoid), binary cross-entropy,
RMSprop 1e-3, batches of 128, 10 epochs, validation_split=0.2. Here the 20 % held out (5,000
reviews) are drawn at random with --seed; after every epoch they are evaluated (see
rnnjax.epochs: during training the progress lines' "test set" figures are this VALIDATION
split), and the 25,000 test reviews are evaluated once at the end.

Writes to --workdir (default runs/imdb/<model>): history.png (seed 001's two figures: training
and validation accuracy, training and validation loss, per epoch), metrics.jsonl (the last
record holds the test figures), curves.png and checkpoints.

Data: aclImdb/{train,test}/{pos,neg}/*.txt or its .tar.gz / .tar.xz archive in --data_dir
(default $RNNJAX_DATA_DIR/imdb); the tokenised arrays are cached beside it (see
rnnjax.data.imdb: tokenisation differs from Keras' word index, which is not used).

Expected results: filled in below once measured.
"""
from absl import app, flags

from rnnjax import epochs, loop, models, train
from rnnjax.data import imdb

_MODEL = flags.DEFINE_enum("model", "lstm", models.MODELS, "Model preset (rnnjax.models).")
_HIDDEN = flags.DEFINE_integer("hidden_size", 32, "Units per recurrent layer (seed 001: 32).")
_LAYERS = flags.DEFINE_integer("num_layers", 2, "Layers of the multi* presets.")
_DROPOUT = flags.DEFINE_float("dropout", 0.0, "Dropout between layers and before the classifier.")
_RDROP = flags.DEFINE_float("recurrent_dropout", 0.0, "Variational dropout on h.")
_VOCAB = flags.DEFINE_integer("vocab_size", 10000, "Words kept, padding and unknown included.")
_EMBED = flags.DEFINE_integer("embed_dim", 32, "Embedding size (seed 001: 32).")
_MAX_LEN = flags.DEFINE_integer("max_len", 500, "Words kept per review (its last ones).")
_VAL = flags.DEFINE_float("validation_fraction", 0.2, "Training reviews held out (seed: 0.2).")
_EPOCHS = flags.DEFINE_integer("epochs", 10, "Passes over the training reviews (seed 001: 10).")
_DATA_DIR = flags.DEFINE_string("data_dir", None, "Folder holding aclImdb/ or its archive.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Metrics, figures, checkpoints; default runs/imdb/<model>.")
flags.DEFINE_enum("optimizer", "rmsprop", sorted(train.OPTIMIZERS), "Optimizer (rnnjax.train).")
flags.DEFINE_float("learning_rate", 1e-3, "Peak learning rate (Keras RMSprop: 1e-3).")
flags.DEFINE_enum("schedule", "constant", train.SCHEDULES, "Learning-rate schedule.")
flags.DEFINE_float("clip_norm", 0.0, "Clip gradients to this global norm; 0: off.")
flags.DEFINE_integer("batch_size", 128, "Training batch size (seed 001: 128).")
flags.DEFINE_integer("seed", 0, "Seed of the held-out reviews, initialisation and data order.")


def main(argv):
  del argv
  data = imdb.load(_DATA_DIR.value, vocab_size=_VOCAB.value, max_len=_MAX_LEN.value,
                   validation_fraction=_VAL.value, seed=flags.FLAGS.seed)
  model = models.build(_MODEL.value, num_classes=1, hidden_size=_HIDDEN.value,
                       num_layers=_LAYERS.value, dropout=_DROPOUT.value,
                       recurrent_dropout=_RDROP.value, vocab_size=_VOCAB.value,
                       embed_dim=_EMBED.value)
  steps_per_epoch = len(data.train) // flags.FLAGS.batch_size
  result = epochs.fit_with_validation(
      model, data, epochs.config(flags.FLAGS, epochs=_EPOCHS.value, steps_per_epoch=steps_per_epoch),
      _WORKDIR.value or loop.default_workdir("imdb", _MODEL.value),
      hparams={"preset": _MODEL.value, "hidden_size": _HIDDEN.value, "max_len": _MAX_LEN.value})
  epochs.history_figure(result.workdir, steps_per_epoch)
  loop.log_report(result, imdb.CLASS_NAMES)


if __name__ == "__main__":
  app.run(main)
