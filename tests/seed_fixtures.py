"""Fixtures and smoke-run entries for experiments/{mnist,imdb,jena,echo,timeseries,translate}.py,
in the original formats: gzipped IDX files, an aclImdb tree, a station CSV, a tab-separated
sentence-pair file (echo, the synthetic series and the built-in translation tasks generate their
data). tests/test_experiments.py runs the entries."""
import datetime
import gzip
import os
import struct

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--batch_size=4", "--hidden_size=4"]
JENA_COLUMNS = ("p (mbar)", "T (degC)", "Tpot (K)", "Tdew (degC)", "rh (%)", "VPmax (mbar)",
                "VPact (mbar)", "VPdef (mbar)", "sh (g/kg)", "H2OC (mmol/mol)", "rho (g/m**3)",
                "wv (m/s)", "max. wv (m/s)", "wd (deg)", "rain (mm)")


def write_mnist(root: str, n_train: int = 8) -> dict[str, str]:
  """n_train training and 4 test images as the four gzipped IDX files."""
  rng = np.random.default_rng(0)
  arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
            "train-labels-idx1-ubyte": np.arange(n_train) % 10,
            "t10k-images-idx3-ubyte": rng.integers(0, 256, (4, 28, 28)),
            "t10k-labels-idx1-ubyte": np.arange(4) % 10}
  os.makedirs(root)
  for name, array in arrays.items():
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(os.path.join(root, name + ".gz"), "wb") as f:
      f.write(header + array.astype(np.uint8).tobytes())
  return {"data_dir": root}


def write_imdb(root: str) -> dict[str, str]:
  """An aclImdb tree: 5 + 5 training reviews (2 held out: 8 train, 2 steps of 4), 2 + 2 test."""
  words = {"pos": "great fun film loved it", "neg": "bad boring movie hated it"}
  for split, n in (("train", 5), ("test", 2)):
    for sentiment, text in words.items():
      folder = os.path.join(root, "aclImdb", split, sentiment)
      os.makedirs(folder)
      for i in range(n):
        with open(os.path.join(folder, f"{i}_{8 if sentiment == 'pos' else 2}.txt"), "w") as f:
          f.write(f"{text} <br /><br />{' '.join(text.split()[:i + 1])}")
  return {"data_dir": root}


def write_jena(root: str, rows: int = 120) -> dict[str, str]:
  """`rows` rows of a 2020-style station CSV (ISO `date`, extra column); 120 split 60 / 30 / 30."""
  values = np.round(np.cumsum(np.random.default_rng(0).normal(size=(rows, 15)), axis=0), 2)
  start = datetime.datetime(2020, 1, 1, 0, 10)
  lines = [",".join(("date",) + JENA_COLUMNS)] + [
      ",".join([(start + datetime.timedelta(minutes=10 * r)).strftime("%Y-%m-%d %H:%M:%S")] +
               [f"{v:g}" for v in row]) for r, row in enumerate(values)]
  os.makedirs(root)
  with open(os.path.join(root, "weather_2020.csv"), "w", encoding="latin-1") as f:
    f.write("\n".join(lines))
  return {"data_dir": root}


def no_data(root: str) -> dict[str, str]:
  """The experiment generates its data: no fixture, no flag."""
  del root
  return {}


EXPERIMENTS = [
    dict(testcase_name="mnist_rows", script="mnist.py",
         fixture=lambda root: write_mnist(root, n_train=12),
         flags=TINY + ["--epochs=1", "--model=rnn", "--validation=4"],   # 8 train images: 2 x 4
         outputs=["metrics.jsonl", "curves.png"],
         log_lines=["step 0002 : loss is", "Final test accuracy", "Confusion matrix"]),
    dict(testcase_name="imdb", script="imdb.py", fixture=write_imdb,
         flags=TINY + ["--epochs=1", "--model=lstm", "--vocab_size=20", "--max_len=6",
                       "--embed_dim=3"],
         outputs=["metrics.jsonl", "history.png", "curves.png"],
         log_lines=["step 0002 : loss is", "accuracy on test set", "Final test accuracy"]),
    dict(testcase_name="jena", script="jena.py", fixture=write_jena,
         flags=TINY + ["--epochs=1", "--steps_per_epoch=2", "--lookback=12", "--step=3",
                       "--delay=4", "--recurrent_dropout=0.2", "--block_rows=70,0,30"],
         outputs=["metrics.jsonl", "history.png", "forecast.png"],    # the default refit layout
         log_lines=["step 0002 : loss is", "Test MAE: model", "naive", "Final test MAE"]),
    dict(testcase_name="echo", script="echo.py", fixture=no_data,   # 4 rows of 30: 2 chunks
         flags=TINY + ["--series_length=120", "--truncated_length=15", "--epochs=1",
                       "--eval_every_epochs=1"],
         outputs=["metrics.jsonl", "curves.png", "echo.png"],
         log_lines=["step 0002 : loss is", "Test series: 108 scored steps",
                    "Final test per-step accuracy"]),
    dict(testcase_name="timeseries_synthetic", script="timeseries.py", fixture=no_data,
         flags=TINY + ["--num_steps=2", "--eval_every=1", "--generate_steps=10"],
         outputs=["metrics.jsonl", "curves.png", "timeseries.png"],
         log_lines=["step 0002 : loss is", "Test MSE: model", "naive", "Final test MSE"]),
    dict(testcase_name="timeseries_jena", script="timeseries.py",
         fixture=lambda root: write_jena(root, rows=480),   # 80 hourly values
         flags=TINY + ["--data=jena", "--num_steps=2", "--eval_every=1", "--steps=3",
                       "--burn_in=1", "--block_rows=160,120,120", "--generate_steps=5",
                       "--model=gru"],
         outputs=["metrics.jsonl", "timeseries.png"],
         log_lines=["step 0002 : loss is", "Validation MSE: model", "of 5 steps",
                    "Final test MSE"]),
]


PAIRS_LINES = [  # the Keras tutorial's fra.txt: English, French, attribution (Tatoeba)
    ("Go.", "Va !"), ("Hi.", "Salut !"), ("Run!", "Cours !"), ("Who?", "Qui ?"),
    ("Wow!", "Ça alors !"), ("Help!", "À l'aide !"), ("Stop!", "Arrête-toi !"),
    ("I see.", "Je comprends."), ("I won!", "J'ai gagné !"), ("Hurry!", "Dépêche-toi !")]


def write_pairs(root: str) -> dict[str, str]:
  """fra.txt with 10 pairs (split 8 / 1 / 1 by source) and a blank line."""
  os.makedirs(root)
  with open(os.path.join(root, "fra.txt"), "w", encoding="utf-8") as f:
    for i, (en, fr) in enumerate(PAIRS_LINES):
      f.write(f"{en}\t{fr}\tCC-BY 2.0 (France) Attribution: tatoeba.org #{i}\n")
    f.write("\n")
  return {"data_dir": root}


TRANSLATE_TINY = TINY + ["--epochs=1", "--model=gru", "--embed_dim=3", "--examples=2"]
TRANSLATE_BUILT_IN = TRANSLATE_TINY + ["--num_train=8", "--num_validation=2", "--num_test=3"]
TRANSLATE_OUTPUTS = ["metrics.jsonl", "source_vocab.json", "target_vocab.json",
                     "test_translations.tsv"]
TRANSLATE_LOG = ["step 0002 : loss is", "Validation: exact match", "Test translations",
                 "Final test exact match"]
EXPERIMENTS += [
    dict(testcase_name="translate_dates", script="translate.py", fixture=no_data,
         flags=TRANSLATE_BUILT_IN + ["--task=dates", "--attention=bahdanau"],
         outputs=TRANSLATE_OUTPUTS + ["attention.png"], log_lines=TRANSLATE_LOG),
    # --task=addition is not run here: its generator has unit tests
    # (tests/test_data_translation_tasks.py) and the rest of its path is dates' (the notebook's)
    # and pairs' (below, with beam search); a run costs ~27 s of CI.
    dict(testcase_name="translate_pairs", script="translate.py", fixture=write_pairs,
         flags=TRANSLATE_TINY + ["--task=pairs", "--attention=luong", "--level=word",
                                 "--beam_size=2"],
         outputs=TRANSLATE_OUTPUTS + ["attention.png"], log_lines=TRANSLATE_LOG),
]
