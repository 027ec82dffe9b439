"""Sentence pairs in the tab-separated files of the Keras and PyTorch seq2seq tutorials.

One pair per line, UTF-8:  source<TAB>target[<TAB>attribution]
  Keras "character-level recurrent sequence-to-sequence model": fra.txt from manythings.org's
    fra-eng.zip (Tatoeba; three fields, the third the attribution)
  PyTorch "NLP from scratch: translation with a sequence to sequence network and attention":
    data/eng-fra.txt from the tutorial's data.zip (two fields)
Both hold English first; `swap=True` translates the other way (the PyTorch tutorial's
`reverse`). Other language pairs of the same sites (deu.txt, spa.txt, ...) load the same way.

Choices:
- Blank lines are ignored. Any other line without two or three fields, with an empty source or
  target, or that is not valid UTF-8 is a bad line: by default it raises an error naming the file
  and line number (`on_bad_line="raise"`); with `on_bad_line="skip"` it is skipped, counted in
  `PairSplits.skipped` and logged (with the first bad line's number).
- The split is by distinct source sentence: Tatoeba often gives one source several translations,
  and all of them go to the same split, so no test source is seen in training. It is a seeded
  permutation of the sources in file order, so the same file, filters and seed give the same split.
"""
from __future__ import annotations

import dataclasses
import os
import unicodedata
from collections.abc import Sequence

import numpy as np
from absl import logging

from rnnjax.data import common

FILENAMES = ("fra.txt", "eng-fra.txt", os.path.join("data", "eng-fra.txt"))
BAD_LINES = ("raise", "skip")
FLAG = "--data_dir"
Pair = tuple[str, str]


@dataclasses.dataclass(frozen=True)
class PairSplits:
  """(source, target) string pairs per split; `skipped`: bad lines skipped while reading;
  `origin`: the file read (or the built-in task's name)."""
  train: tuple[Pair, ...]
  validation: tuple[Pair, ...]
  test: tuple[Pair, ...]
  skipped: int = 0
  origin: str = ""


def find_file(data_dir: str | None = None, filename: str | None = None) -> str:
  """The pairs file: `data_dir` itself when it is a file, else `filename` in it, else the first
  of FILENAMES there. Raises DataNotFoundError naming --data_dir when there is none."""
  root = common.data_dir(data_dir, "pairs", holding="the sentence-pair file", allow_file=True)
  if os.path.isfile(root):
    return root
  names = (filename,) if filename else FILENAMES
  for name in names:
    if os.path.isfile(path := os.path.join(root, name)):
      return path
  raise common.DataNotFoundError(
      f"No sentence-pair file {' or '.join(names)} in {root}. Pass {FLAG}=<folder holding it> "
      "(or the file itself). Get one from the Keras tutorial's fra-eng.zip (fra.txt, "
      "https://www.manythings.org/anki/) or the PyTorch tutorial's data.zip (data/eng-fra.txt, "
      f"https://download.pytorch.org/tutorial/data.zip), unzipped; or set ${common.CACHE_ENV} "
      "to a folder holding pairs/<file>.")


def read_pairs(path: str, *, on_bad_line: str = "raise") -> tuple[list[Pair], int]:
  """All (source, target) pairs of a tab-separated file in order, and the number of bad lines
  skipped (always 0 with on_bad_line="raise", which raises ValueError at the first one)."""
  if on_bad_line not in BAD_LINES:
    raise ValueError(f"on_bad_line must be one of {BAD_LINES}; got {on_bad_line!r}.")
  pairs, bad = [], []
  with open(path, "rb") as f:
    for number, raw in enumerate(f, start=1):
      pair, problem = _parse_line(raw)
      if pair is not None:
        pairs.append(pair)
      elif problem is not None:
        if on_bad_line == "raise":
          raise ValueError(f"{path}:{number}: {problem}. Fix the line, or pass "
                           "on_bad_line='skip' to skip bad lines.")
        bad.append(number)
  if bad:
    logging.warning("Skipped %d bad lines of %s (the first: line %d).", len(bad), path, bad[0])
  return pairs, len(bad)


def _parse_line(raw: bytes) -> tuple[Pair | None, str | None]:
  """(pair, None) for a good line, (None, None) for a blank one, (None, why) for a bad one."""
  try:
    line = raw.decode("utf-8").rstrip("\r\n")
  except UnicodeDecodeError as e:
    return None, f"not valid UTF-8 ({e.reason} at byte {e.start})"
  if not line.strip():
    return None, None
  fields = line.split("\t")
  if len(fields) not in (2, 3):
    return None, (f"expected 'source<TAB>target[<TAB>attribution]' but found {len(fields)} "
                  f"tab-separated fields in {line[:80]!r}")
  source, target = unicodedata.normalize("NFC", fields[0]), unicodedata.normalize("NFC", fields[1])
  if not source.strip() or not target.strip():
    return None, f"empty {'source' if not source.strip() else 'target'} in {line[:80]!r}"
  return (source.strip(), target.strip()), None


def _keeps_together(text: str, i: int) -> bool:
  """Whether the punctuation mark text[i] sits inside a word or number (don't, 3.14, e-mail)."""
  inside = 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
  return inside and text[i] in "'’-.,"


def split_punctuation(text: str) -> str:
  """Puts spaces around punctuation marks ("Go." -> "Go ."; "Va !" stays "Va !"), keeping marks
  inside words and numbers ("don't", "3.14", "peut-être"); collapses whitespace."""
  out = []
  for i, ch in enumerate(text):
    if unicodedata.category(ch).startswith("P") and not _keeps_together(text, i):
      out += [" ", ch, " "]
    else:
      out.append(ch)
  return " ".join("".join(out).split())


def normalize(text: str, *, lowercase: bool = False, punctuation: bool = False) -> str:
  text = text.lower() if lowercase else text
  return split_punctuation(text) if punctuation else text


def split_pairs(pairs: Sequence[Pair], *, validation_fraction: float = 0.1,
                test_fraction: float = 0.1, seed: int = 0, origin: str = "",
                skipped: int = 0) -> PairSplits:
  """Splits pairs by distinct source: a seeded permutation of the sources in first-seen order;
  the first `test_fraction` of them go to test, the next `validation_fraction` to validation,
  the rest to train. Pairs keep their order inside a split."""
  for name, value in (("validation_fraction", validation_fraction),
                      ("test_fraction", test_fraction)):
    if not 0.0 <= value < 1.0:
      raise ValueError(f"{name} must be in [0, 1); got {value}.")
  if validation_fraction + test_fraction >= 1.0:
    raise ValueError("validation_fraction + test_fraction must be < 1 (leave some training "
                     f"data); got {validation_fraction} + {test_fraction}.")
  sources = list(dict.fromkeys(s for s, _ in pairs))                  # first-seen order
  order = np.random.default_rng(seed).permutation(len(sources))
  n_test = int(round(test_fraction * len(sources)))
  n_val = int(round(validation_fraction * len(sources)))
  rank = {sources[j]: r for r, j in enumerate(order)}
  which = lambda s: 2 if rank[s] < n_test else 1 if rank[s] < n_test + n_val else 0  # noqa: E731
  splits = ([], [], [])
  for pair in pairs:
    splits[which(pair[0])].append(pair)
  return PairSplits(*(tuple(s) for s in splits), skipped=skipped, origin=origin)


def load(data_dir: str | None = None, filename: str | None = None, *, swap: bool = False,
         lowercase: bool = False, punctuation: bool = False, max_length: int | None = None,
         max_pairs: int | None = None, validation_fraction: float = 0.1,
         test_fraction: float = 0.1, seed: int = 0, on_bad_line: str = "raise") -> PairSplits:
  """Reads a sentence-pair file and splits it into train / validation / test.

  Args:
    data_dir: the --data_dir flag: a folder holding the file, or the file itself; None uses
      $RNNJAX_DATA_DIR/pairs or ~/.cache/rnnjax/pairs (nothing is downloaded).
    filename: the file inside data_dir; None tries FILENAMES in order.
    swap: make the second column the source (e.g. French -> English on fra.txt).
    lowercase, punctuation: `normalize` both sides (punctuation: `split_punctuation`).
    max_length: keep pairs whose source and target have at most this many words (after
      normalising; the PyTorch tutorial keeps < 10).
    max_pairs: keep the first this many pairs (after the length filter; the Keras tutorial reads
      the first num_samples lines).
    validation_fraction, test_fraction, seed: see `split_pairs`.
    on_bad_line: "raise" or "skip" (see the module docstring).
  """
  path = find_file(data_dir, filename)
  pairs, skipped = read_pairs(path, on_bad_line=on_bad_line)
  for name, value in (("max_length", max_length), ("max_pairs", max_pairs)):
    if value is not None and value < 1:
      raise ValueError(f"{name} must be >= 1 or None; got {value}.")
  kept = []
  for source, target in pairs:
    if swap:
      source, target = target, source
    source = normalize(source, lowercase=lowercase, punctuation=punctuation)
    target = normalize(target, lowercase=lowercase, punctuation=punctuation)
    if max_length is not None and max(len(source.split()), len(target.split())) > max_length:
      continue
    kept.append((source, target))
    if max_pairs is not None and len(kept) == max_pairs:
      break
  if not kept:
    raise ValueError(f"No pair of {path} is left after the filters (max_length={max_length}).")
  return split_pairs(kept, validation_fraction=validation_fraction, test_fraction=test_fraction,
                     seed=seed, origin=path, skipped=skipped)


def references(pairs: Sequence[Pair]) -> list[tuple[str, list[str]]]:
  """Groups pairs by source, in first-seen order: [(source, [every target given for it])], the
  reference lists that multi-reference BLEU and exact match against any reference need."""
  grouped: dict[str, list[str]] = {}
  for source, target in pairs:
    grouped.setdefault(source, []).append(target)
  return list(grouped.items())
