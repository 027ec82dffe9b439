r"""Encoder-decoder translation (seed 002): dates to ISO, integer addition, sentence pairs.

  python experiments/translate.py --task=dates
  python experiments/translate.py --task=dates --attention=none
  python experiments/translate.py --task=addition
  python experiments/translate.py --task=pairs --data_dir=<folder holding fra.txt or eng-fra.txt>

Measured (jax 0.10.2, flax 0.12.8, optax 0.2.8, numpy 2.4.6, Python 3.11; 2 CPU cores, load not
recorded; times are the span of each log's lines: from the data made to the end, compilation,
10 validation passes and decoding the 2,000 + 2,000 held-out sources included):
  python experiments/translate.py --task=dates --attention=bahdanau
      20,000 / 2,000 / 2,000 pairs, GRU 64, 2,000 steps, 4 min 42 s of log: test exact match
      99.90 %, BLEU 99.97 (validation 99.90 %, 99.98). Examples: '6 Nov 1959' -> '1959-11-06',
      'mardi 16 novembre 2027' -> '2027-11-16', 'Sunday, July 8, 2046' -> '2046-07-08'; the
      2 wrong of 2,000: '12/03/60' -> '1960-12-33', '5.11.91' -> '1991-01-05'
      (results/logs/translate_dates_bahdanau.log).
  python experiments/translate.py --task=addition --attention=bahdanau
      50,000 / 2,000 / 2,000 pairs (up to 3 digits), GRU 128, 10,000 steps, 9 min 42 s of log:
      test exact match 100.00 %, BLEU 100.00 (validation 99.95 %, 99.90). Examples:
      '127+63' -> '190', '29+720' -> '749', '472+3' -> '475'
      (results/logs/translate_addition_bahdanau.log).
--task=pairs (fra.txt) was not run: no copy of the Tatoeba file is at hand here.
The run writes attention.png (the Bahdanau weights of the first test examples), metrics.jsonl,
the vocabularies and test_translations.tsv to its --workdir.

Results: the figures of the two commands above (with command, wall time, load and package
versions) are the rows translate_dates and translate_addition of results/results.md, regenerated
by `python experiments/reproduce.py --only=translate_dates,translate_addition`.
"""
import json
import os

from absl import app, flags, logging

import common_flags  # experiments/ is on sys.path when this file runs
import entry_point
from rnnjax import seq2seq, trainer
from rnnjax.data import pairs as pairs_data, translation_tasks
from rnnjax.reports import attention as attention_report
from rnnjax.text import Vocab

# The task-specific defaults of the flags left at None.
TASK_DEFAULTS = {
    "dates": dict(epochs=10, hidden_size=64, level="char"),
    "addition": dict(epochs=20, hidden_size=128, level="char"),
    "pairs": dict(epochs=20, hidden_size=128, level="char"),
}
SOURCE_VOCAB_FILE, TARGET_VOCAB_FILE = "source_vocab.json", "target_vocab.json"
TRANSLATIONS_FILE = "test_translations.tsv"

common_flags.define("translate", data_folder="pairs", model="gru", hidden_size=None,
                    learning_rate=2e-3, schedule="warmup_cosine", batch_size=100,
                    notes={"model": "the encoder; the decoder mirrors it",
                           "hidden_size": "None: the task's default",
                           "data_dir": "--task=pairs only"})
flags.DEFINE_enum("task", "dates", sorted(TASK_DEFAULTS), "dates: human dates -> YYYY-MM-DD; "
                  "addition: 'a+b' -> the sum; pairs: a tab-separated sentence-pair file.")
flags.DEFINE_enum("attention", "luong", sorted(seq2seq.ATTENTION_NAMES),
                  "luong: Luong et al.'s general score with input feeding; bahdanau: additive; "
                  "none: the decoder sees only the encoder's final state.")
flags.DEFINE_boolean("reverse_source", True, "Feed the source reversed (Sutskever et al. 2014).")
flags.DEFINE_integer("beam_size", 1, "Beam width at test time (1: greedy decoding).")
flags.DEFINE_float("length_penalty", 0.0, "Beam search ranks by log p / length^alpha.")
flags.DEFINE_integer("epochs", None, "Passes over the training pairs (None: the task's).")
flags.DEFINE_integer("embed_dim", 32, "Source and target embedding size.")
flags.DEFINE_integer("num_train", None, "dates / addition: training pairs (None: the task's).")
flags.DEFINE_integer("num_validation", None, "dates / addition: validation pairs.")
flags.DEFINE_integer("num_test", None, "dates / addition: test pairs.")
flags.DEFINE_integer("max_digits", 3, "addition: digits of each operand, at most.")
flags.DEFINE_enum("level", None, ["char", "word"], "pairs: character or word tokens (None: "
                  "char, as the Keras tutorial).")
flags.DEFINE_string("filename", None, "pairs: which file in --data_dir.")
flags.DEFINE_boolean("swap", False, "pairs: translate from the second column to the first.")
flags.DEFINE_integer("max_words", 10, "pairs: keep pairs of at most this many words per side.")
flags.DEFINE_integer("max_pairs", 10_000, "pairs: keep the first this many pairs (the Keras "
                     "tutorial's num_samples).")
flags.DEFINE_integer("max_vocab", 10_000, "Tokens kept per vocabulary (specials included).")
flags.DEFINE_integer("examples", 8, "Test translations printed.")
FLAGS = flags.FLAGS
flags.adopt_module_key_flags(common_flags)  # --help lists the shared flags too


def task_default(name: str):
  value = FLAGS[name].value
  return TASK_DEFAULTS[FLAGS.task][name] if value is None else value


def load_pairs() -> pairs_data.PairSplits:
  if FLAGS.task == "pairs":
    return pairs_data.load(FLAGS.data_dir, FLAGS.filename, swap=FLAGS.swap, lowercase=True,
                           punctuation=True, max_length=FLAGS.max_words,
                           max_pairs=FLAGS.max_pairs, seed=FLAGS.seed)
  sizes = {k: FLAGS[f"num_{k}"].value for k in ("train", "validation", "test")}
  kwargs = {f"num_{k}": v for k, v in sizes.items() if v is not None}
  if FLAGS.task == "addition":
    kwargs["max_digits"] = FLAGS.max_digits
  return translation_tasks.TASKS[FLAGS.task](seed=FLAGS.seed, **kwargs)


def vocabularies(data: pairs_data.PairSplits, workdir: str) -> tuple[Vocab, Vocab]:
  """The run's saved vocabularies (a resumed run keeps its ids), else built from the training
  pairs and saved to the workdir as JSON."""
  paths = [os.path.join(workdir, n) for n in (SOURCE_VOCAB_FILE, TARGET_VOCAB_FILE)]
  if all(os.path.exists(p) for p in paths):
    return Vocab.load(paths[0]), Vocab.load(paths[1])
  level = task_default("level")
  vocabs = [Vocab.build([p[side] for p in data.train], level, max_size=FLAGS.max_vocab)
            for side in (0, 1)]
  os.makedirs(workdir, exist_ok=True)
  for vocab, path in zip(vocabs, paths):
    vocab.save(path)
  return vocabs[0], vocabs[1]


def write_translations(result: seq2seq.Evaluation, path: str) -> None:
  with open(path, "w", encoding="utf-8") as f:
    f.write("source\thypothesis\treferences\texact\n")
    for s, h, r in zip(result.sources, result.hypotheses, result.references):
      f.write(f"{s}\t{h}\t{' | '.join(r)}\t{int(h in r)}\n")


def train_from_flags() -> trainer.Result:
  """main's body, with the flags already parsed."""
  workdir = common_flags.workdir("translate", f"{FLAGS.task}_{FLAGS.attention}")
  data = load_pairs()
  src_vocab, tgt_vocab = vocabularies(data, workdir)
  spec = seq2seq.data_spec(data.train, data.validation, data.test, src_vocab, tgt_vocab,
                           reverse_source=FLAGS.reverse_source)
  logging.info("%s: %d / %d / %d pairs (train / validation / test); vocabularies %d (source), "
               "%d (target).", data.origin, len(data.train), len(data.validation),
               len(data.test), len(src_vocab), len(tgt_vocab))
  hidden = task_default("hidden_size")
  model = seq2seq.build(FLAGS.model, src_vocab_size=len(src_vocab),
                        tgt_vocab_size=len(tgt_vocab), embed_dim=FLAGS.embed_dim,
                        attention=FLAGS.attention, **common_flags.model_kwargs(hidden))
  config = trainer.TrainConfig.for_epochs(FLAGS, epochs=task_default("epochs"),
                                          steps_per_epoch=len(spec.train) // FLAGS.batch_size)
  result = trainer.fit(model, spec, config, workdir, hparams={
      "task": FLAGS.task, "preset": FLAGS.model, "hidden_size": hidden,
      "attention_flag": FLAGS.attention, "reverse_source": FLAGS.reverse_source})
  variables = {"params": result.state.eval_params()}
  longest = max(len(tgt_vocab.encode(t)) for _, t in data.train)        # <eos> included
  decode = dict(max_length=longest + 2, beam_size=FLAGS.beam_size,
                length_penalty=FLAGS.length_penalty, reverse_source=FLAGS.reverse_source,
                source_length=spec.train.inputs["source"].shape[1])
  scores = {}
  for name, split in (("validation", data.validation), ("test", data.test)):
    if split:
      scores[name] = seq2seq.evaluate.evaluate(model, variables, split, src_vocab, tgt_vocab,
                                               **decode)
      logging.info("%s: exact match %.2f %%, BLEU %.2f (%d sources, beam %d).",
                   name.capitalize(), scores[name].exact_match, scores[name].bleu.score,
                   len(scores[name].sources), FLAGS.beam_size)
  test = scores["test"]
  logging.info("Test translations:\n%s", "\n".join(test.examples(FLAGS.examples)))
  wrong = [f"{s!r} -> {h!r} (reference {r[0]!r})"
           for s, h, r in zip(test.sources, test.hypotheses, test.references) if h not in r]
  if wrong:
    logging.info("Wrong test translations (%d; the first %d):\n%s", len(wrong),
                 min(len(wrong), FLAGS.examples), "\n".join(wrong[:FLAGS.examples]))
  write_translations(test, os.path.join(workdir, TRANSLATIONS_FILE))
  with open(os.path.join(workdir, "translation_scores.json"), "w") as f:
    json.dump({k: {"exact_match": v.exact_match, "bleu": v.bleu.score}
               for k, v in scores.items()}, f)
  if FLAGS.attention != "none":
    png = attention_report.heatmaps(
        attention_report.examples(test, src_vocab, tgt_vocab, reverse_source=FLAGS.reverse_source),
        os.path.join(workdir, attention_report.ATTENTION_FILE),
        title=f"{FLAGS.task}: {FLAGS.attention} attention, first test examples")
    logging.info("Attention heat maps: %s", png)
  logging.info("Final test exact match: %.2f %%", test.exact_match)
  return result


run, main = entry_point.entry_points(__file__, train_from_flags)


if __name__ == "__main__":
  app.run(main)
