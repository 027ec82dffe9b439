r"""IMDB sentiment: Embedding(10000, 32) -> recurrent layer -> one sigmoid unit (seed 001).

  python experiments/imdb.py --data_dir=<folder holding aclImdb/ or its archive>
  python experiments/imdb.py --model=rnn              # seed 001's SimpleRNN(32)
  python experiments/imdb.py --model=gru
  python experiments/imdb.py --model=bilstm
  python experiments/imdb.py --model=multilstm --num_layers=2 --dropout=0.2   # stacked
  python experiments/imdb.py --model=multirnn --num_layers=4   # seed 001's four SimpleRNN(32)

Seed 001 (Chollet): the 10,000 most frequent words, reviews cut to their last 500 words,
Embedding(10000, 32) -> SimpleRNN(32) / LSTM(32) -> Dense(1, sigmoid), binary cross-entropy,
RMSprop 1e-3, batches of 128, 10 epochs, validation_split=0.2. Here, with
--validation_fraction=0.2, the 20 % held out (5,000 reviews) are drawn at random with --seed;
after every epoch they are evaluated (the progress lines' "validation set" figures), and the
25,000 test reviews are evaluated once at the end.

The seed's stacked model (four SimpleRNN(32), return_sequences between them, the last one's final
output to the classifier) is --model=multirnn --num_layers=4: 328,353 parameters (Embedding
320,000, 4 x 2,080, Dense 33); Keras' dropout=/recurrent_dropout= are --input_dropout and
--recurrent_dropout.

Protocol: every default was chosen with --validation_fraction=0.2 (the seed's 5,000 held-out
reviews, the test split not read); the default run then trains with those defaults on all
25,000 training reviews (--validation_fraction=0, the default: the "refit" of Goodfellow,
Bengio & Courville's "Deep Learning" sec. 7.8), and its test accuracy is the result. Without a
validation split the per-epoch lines show the test split, for the record only (nothing is
chosen from them; the last epoch's model is tested). The reproduce row imdb_lstm_validation
runs the default with the 20 % held out and reports validation and test accuracy.

Changed from the seed: batches of 32 at a peak learning rate of 5e-4 (chosen by VALIDATION accuracy
from batch 16 / 32 / 64 / 128 runs), and 5 epochs with cosine decay of the learning rate instead
of 10 at a constant 1e-3: the seed's schedule overfits and its validation accuracy swings from
epoch to epoch. Other learning rates, clipping, l2, EMA, epoch counts and dropout were tried
for LSTM(32) and not adopted (those runs' output was not kept). Runs of 2026-12-02 (jax 0.10.2,
validation accuracy after the 5 epochs; their test lines were not read for the choice): the
default 89.66 %, --readout=mean 88.24 %, --readout=max 87.90 %, --dropout=0.3 89.60 %,
--input_dropout=0.3 89.38 %, --vocab_size=20000 89.70 %; none adopted (a difference of 0.04
points is 2 of the 5,000 held-out reviews, so the seed's 10,000 words stay; logs and script in
results/logs/validation_sweeps/, the default's figure from imdb_default.log there, the imdb_lstm
row's run). Numbers as words (--digits: "7/10" gives the tokens 7 and 10), seeds 0 / 1 (each
seed also draws its held-out reviews): 89.76 / 89.22 % against the default's 89.66 / 89.24 %
(imdb_seed_1.log): +0.04 points on average, not in the same direction twice: not adopted then
(with films held out, below, it was).
Held-out films instead of reviews (--validation_by=film: no film on both sides, as between the
training and test sets), the default otherwise, seeds 0 / 1: validation 86.69 / 87.39 %, against
89.66 / 89.24 % with random reviews (imdb_validation_by_film*.log): held-out reviews of films
seen in training read about 2.4 points higher, so those validation figures overstate test
accuracy. The film hold-out is noisier (aclImdb keeps up to 30 reviews per film, so 5,000
reviews are fewer independent films).
Regularisers re-checked with whole films held out (2026-12-03, 5 epochs unless said, final
validation accuracy, seeds 0 / 1 / 2; logs imdb_validation_by_film*.log):
  the defaults before (no dropout)          86.69 / 87.39 / 87.76 %   (mean 87.28 %)
  --input_dropout=0.3                        87.09 / 87.83 / 87.90 %   (mean 87.61 %): adopted
  --input_dropout=0.5                        87.31 / 87.45 / 87.82 %   (mean 87.53 %)
  --dropout=0.3 --recurrent_dropout=0.2      84.71 / 85.06 % (seeds 0 / 1)
  --input_dropout=0.3 / 0.5, --epochs=8      87.01 / 87.13 % (seed 0)
Input dropout 0.3 (one mask per review on the embedding's 32 channels, Keras' dropout= of the
LSTM; Gal & Ghahramani 2016) is higher on all three seeds, by 0.33 points on average, and is
LSTM's default (PRESET_DEFAULTS; --input_dropout given on the command line wins). With random
reviews held out it had read 89.38 % against 89.66 % (above): that split rewards fitting the
films it has seen, the film split does not, and the film split is the one that resembles the
test set (no film in both), so it decides from now on.
Then on top of input dropout 0.3 (its seed 0 / 1 / 2: 87.09 / 87.83 / 87.90 %):
  --vocab_size=20000                         87.21 / 87.87 / 87.66 %   (mean 87.58 %)
  --embed_dim=64, --learning_rate=1e-3, --input_dropout=0.4: 87.01, 87.05, 87.07 % (seed 0)
  --ema_decay=0.999                          86.99 / 87.85 / 88.04 %   (mean 87.63 %: +0.02)
  --digits                                   87.49 / 87.69 / 88.18 %   (mean 87.79 %): adopted
Numbers as words ("7/10", "10/10" become tokens: ratings carry over to films never seen) are
higher on 2 of 3 seeds, +0.18 points on average (about 9 of the 5,000 held-out reviews; the
rule the HAR choices used: the final validation figure, higher on most seeds), and are LSTM's
default with input dropout 0.3 (PRESET_DEFAULTS; --nodigits restores the letters-only tokens).
The others were not adopted.
Pretraining on the training reviews (probes of 2026-12-03, seed 0, 5,000 reviews held out; scripts
and logs in results/logs/validation_sweeps/): the embedding started from 32-dimensional PPMI-SVD
word vectors of the training reviews (imdb_word_vectors.py, Levy, Goldberg & Dagan 2015)
reached 87.82 % validation accuracy after the first epoch against the default's 85.44 %, but
89.56 % after the fifth against 89.66 %: not adopted (that run also printed its test line,
88.61 %; nothing was chosen from it). Pretraining Embedding + LSTM(32) as a language model
first (imdb_lm_pretraining.py, Dai & Le 2015's LM-LSTM, the next word among the 500 most
frequent or "other") did not leave the unigram solution in one epoch (~4 min on 2 cores
with other jobs running; an earlier try with the 2,000 most frequent words ran at 0.3 steps/s,
~15 min per epoch, and was stopped, its log not kept), so it was stopped: within this
experiment's 15-minute budget it is no help.

Writes to --workdir (default runs/imdb/<model>): history.png (seed 001's two figures: training
and validation accuracy, training and validation loss, per epoch), metrics.jsonl (the last
record holds the test figures), curves.png and checkpoints.

Data: aclImdb/{train,test}/{pos,neg}/*.txt or its .tar.gz / .tar.xz archive in --data_dir
(default $RNNJAX_DATA_DIR/imdb); the tokenised arrays are cached in --cache_dir (default: the
data folder when writable; pass --cache_dir for a read-only shared copy). Tokenisation is
rnnjax.data.imdb's, not Keras' word index.

Results: the default runs' figures (with command, wall time, load and package versions) are the
rows imdb_lstm, imdb_lstm_seed1, imdb_lstm_seed2 (their mean below the table),
imdb_lstm_validation and imdb_rnn of results/results.md (read issue 17's target, LSTM(32) 89 %
test accuracy, and the earlier SimpleRNN target of 85 %, against them), regenerated by
`python experiments/reproduce.py --only=imdb_lstm,imdb_lstm_seed1,imdb_lstm_seed2,\
imdb_lstm_validation,imdb_rnn`. On 2026-12-03, with input dropout 0.3 and numbers as words, the
refit LSTM(32) gave 89.07 / 89.14 / 89.15 % (seeds 0-2, mean 89.12 %, std 0.04; 153-167 s a run
on 2 cores), and with the 5,000 reviews held out 90.14 % validation, 88.78 % test; with input
dropout 0.3 alone 88.89 / 88.84 / 88.87 % (mean 88.87 %) and 89.32 / 88.42 %; without either
(2026-12-02) 88.48 / 88.43 / 88.63 % (mean 88.51 %) and 89.66 / 88.28 %. Tokenising the
archive the first time adds to a run's wall time; later runs read the cache.
"""
import functools

from absl import app, flags

import common_flags  # experiments/ is on sys.path when this file runs
import entry_point
from rnnjax import models, trainer
from rnnjax.reports import curves
from rnnjax.data import imdb

# Per-preset defaults, chosen with whole films held out (the docstring); a flag given on the
# command line wins.
PRESET_DEFAULTS = {"lstm": dict(input_dropout=0.3, digits=True)}

common_flags.define("imdb", optimizer="rmsprop", learning_rate=5e-4, schedule="warmup_cosine",
                    batch_size=32,
                    notes={"input_dropout": "default: PRESET_DEFAULTS for the preset (lstm: "
                                            "0.3), else 0",
                           "hidden_size": "seed 001: 32", "learning_rate": "seed 001: 1e-3",
                           "schedule": "seed 001: constant", "batch_size": "seed 001: 128",
                           "seed": "also draws the held-out reviews"})
common_flags.define_readout()
flags.DEFINE_integer("vocab_size", 10000, "Words kept, padding and unknown included.")
flags.DEFINE_integer("embed_dim", 32, "Embedding size (seed 001: 32).")
flags.DEFINE_integer("max_len", 500, "Words kept per review (its last ones).")
flags.DEFINE_bool("digits", False, "Numbers are words ('7/10' -> '7', '10', as Keras' "
                  "TextVectorization keeps them); --nodigits: digits separate words (default: "
                  "PRESET_DEFAULTS for the preset (lstm: True), else False).")
flags.DEFINE_float("validation_fraction", 0.0, "Training reviews held out as the validation "
                   "split (seed 001: 0.2, as the runs that chose the defaults). 0 (default): "
                   "none, the final fit on all 25,000 (the test split is evaluated per epoch, "
                   "for the record only).")
flags.DEFINE_enum("validation_by", "review", ["review", "film"], "With --validation_fraction: "
                  "hold out random reviews (seed 001) or whole films (no film on both sides, as "
                  "between the training and test reviews).")
flags.DEFINE_integer("epochs", 5, "Passes over the training reviews (seed 001: 10).")
flags.DEFINE_string("cache_dir", None, "Where the tokenised arrays are cached (default: "
                    "--data_dir when writable, else ~/.cache/rnnjax/imdb).")
FLAGS = flags.FLAGS
flags.adopt_module_key_flags(common_flags)  # --help lists the shared flags too


# preset_value(name, model): --name when given, else PRESET_DEFAULTS[model][name], else the default.
preset_value = functools.partial(common_flags.preset_value, PRESET_DEFAULTS)


def train_from_flags() -> trainer.Result:
  """main's body, with the flags already parsed."""
  input_dropout = preset_value("input_dropout", FLAGS.model)
  digits = preset_value("digits", FLAGS.model)
  data = imdb.load(FLAGS.data_dir, vocab_size=FLAGS.vocab_size, max_len=FLAGS.max_len,
                   validation_fraction=FLAGS.validation_fraction, seed=FLAGS.seed,
                   cache_dir=FLAGS.cache_dir, digits=digits,
                   validation_by=FLAGS.validation_by)
  model = models.build(FLAGS.model, num_classes=1, vocab_size=FLAGS.vocab_size,
                       embed_dim=FLAGS.embed_dim, readout=FLAGS.readout,
                       **common_flags.model_kwargs(input_dropout=input_dropout))
  steps_per_epoch = len(data.train) // FLAGS.batch_size
  config = trainer.TrainConfig.for_epochs(FLAGS, epochs=FLAGS.epochs,
                                          steps_per_epoch=steps_per_epoch)
  result = common_flags.fit(model, data, config, "imdb", max_len=FLAGS.max_len,
                            vocab_size=FLAGS.vocab_size, embed_dim=FLAGS.embed_dim,
                            validation_fraction=FLAGS.validation_fraction, readout=FLAGS.readout,
                            digits=digits, validation_by=FLAGS.validation_by,
                            input_dropout=input_dropout)
  curves.history_figure(result.workdir, steps_per_epoch)
  return result


run, main = entry_point.entry_points(__file__, train_from_flags)


if __name__ == "__main__":
  app.run(main)
