"""IMDB movie reviews (Maas et al. 2011) as padded word-id sequences for binary sentiment.

Reads the original `aclImdb/` layout, `{train,test}/{pos,neg}/<id>_<rating>.txt` (12,500 reviews
in each folder; `unsup/` and the `*.feat` files are not used), from the data folder, or else
straight out of the archive `aclImdb_v1.tar.gz` / `aclImdb*.tar.xz` there, in one streaming pass
(extracting the 50,000 small files to disk first took longer here, in runs whose times were not
kept, and saves nothing once the token cache exists). With neither, it downloads the official
archive into the cache folder (`cache_dir`, else `common.cache_dir("imdb")`); an explicit
`data_dir` must be an existing folder. `load_tfds` reads TFDS `imdb_reviews` instead (no
TensorFlow).

Text -> ids:
  * `tokenize`: lowercase; `<br />` tags become spaces; a token is a run of letters (any script)
    that may contain inner apostrophes ("don't", "rock'n'roll"); everything else separates
    tokens, so quotes around words are dropped. Digits separate tokens too unless `digits=True`,
    which makes them word characters ("7/10" -> "7", "10"; "1950s" stays one token), as Keras'
    TextVectorization (standardize="lower_and_strip_punctuation") keeps them.
  * vocabulary: the `vocab_size - 2` most frequent tokens of ALL 25,000 training reviews (the
    held-out validation part included, like Keras' word index; never the test reviews); ties
    by word. id 0 = padding, id 1 = unknown word, so every id < vocab_size.
  * validation: a `validation_fraction` of the 25,000 training reviews, drawn with `seed`
    (VALIDATION_FRACTION = 0.2, seed 001's, is the default: 5,000 reviews). Unlike MNIST's
    last-n hold-out, a random draw is needed here: the files are ordered neg then pos.
    `validation_by="film"` draws whole films instead (train/urls_{pos,neg}.txt give each
    review's IMDb title; films in random order until the fraction is reached), so no film has
    reviews on both sides, as between the training and test sets; "review" (the default, seed
    001's) draws reviews, so held-out reviews share films with training ones.
  * each review keeps its LAST `max_len` tokens (Keras `pad_sequences` truncates 'pre'), is
    right-padded with 0, and gets its length; an empty review becomes one unknown token.
The tokenised arrays are cached as `tokens_<key>.npz` in the cache folder, keyed by the settings.
"""
from __future__ import annotations

import collections
import glob
import hashlib
import json
import lzma
import os
import re
import tarfile
import tempfile
import zlib

import numpy as np
from absl import logging

from rnnjax.data import common, splits

NAME = "imdb"
URL = "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"  # TFDS checksum
PAD, UNK = 0, 1
CLASS_NAMES = ("neg", "pos")                      # label ids 0, 1
CACHE_VERSION = 2                                 # bump when tokenisation or cache format change
VALIDATION_FRACTION = 0.2                         # seed 001's hold-out: 5,000 of 25,000 reviews
FLAG = "--data_dir"
LAYOUT = ("aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt, or aclImdb_v1.tar.gz / "
          "aclImdb*.tar.xz holding that tree")

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")  # letters, with inner apostrophes
_TOKEN_DIGITS = re.compile(r"[^\W_]+(?:'[^\W_]+)*")  # letters or digits, inner apostrophes
_MEMBER = re.compile(r"(?:^|/)((?:train|test)/(?:pos|neg)/[^/]+\.txt)$")
_URLS = re.compile(r"(?:^|/)train/urls_(pos|neg)\.txt$")
_TITLE = re.compile(r"/title/(tt\d+)")
VALIDATION_BY = ("review", "film")


def tokenize(text: str, digits: bool = False) -> list[str]:
  """Lowercased word tokens of one review (see the module docstring); digits=True keeps runs of
  digits (and letters mixed with them) as tokens."""
  text = _BREAK.sub(" ", text.lower()).replace("\u2019", "'")
  return (_TOKEN_DIGITS if digits else _TOKEN).findall(text)


def build_vocab(token_lists: list[list[str]], vocab_size: int) -> dict[str, int]:
  """word -> id for the `vocab_size - 2` most frequent words; ids start at 2 (0 pad, 1 unk)."""
  if vocab_size < 3:
    raise ValueError(f"vocab_size={vocab_size} must be >= 3 (pad, unk and one word).")
  counts = collections.Counter()
  for tokens in token_lists:
    counts.update(tokens)
  words = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:vocab_size - 2]
  return {word: i + 2 for i, (word, _) in enumerate(words)}


def encode(token_lists: list[list[str]], vocab: dict[str, int],
           max_len: int) -> tuple[np.ndarray, np.ndarray]:
  """-> (ids int32 [N, max_len] right-padded with PAD, lengths int32 [N] in [1, max_len]).

  Keeps the last `max_len` tokens; unknown words map to UNK; an empty review becomes [UNK]."""
  if max_len < 1:
    raise ValueError(f"max_len={max_len} must be >= 1.")
  ids = np.zeros((len(token_lists), max_len), np.int32)      # [N, T]
  lengths = np.zeros((len(token_lists),), np.int32)          # [N]
  get = vocab.get
  for i, tokens in enumerate(token_lists):
    seq = [get(t, UNK) for t in tokens[-max_len:]] or [UNK]
    ids[i, :len(seq)] = seq
    lengths[i] = len(seq)
  return ids, lengths


def _is_tree(path: str) -> bool:
  return all(os.path.isdir(os.path.join(path, s, c)) for s in ("train", "test")
             for c in ("pos", "neg"))


def _cache_dir(cache_dir: str | None) -> str:
  """Where the tokenised arrays go: cache_dir, else $RNNJAX_DATA_DIR/imdb or ~/.cache/rnnjax/imdb.
  Never the data folder itself: it may be shared or read-only (and os.access says yes to root)."""
  return os.path.expanduser(cache_dir) if cache_dir else common.data_dir(None, NAME)


def _review_order(name: str) -> tuple[int, str]:
  """Sort key of `<id>_<rating>.txt`: by numeric id."""
  review_id = name.split("_")[0]
  return len(review_id), name


def read_tree(tree: str) -> dict:
  """{'train'|'test': (texts, labels int32 [N])} of an aclImdb folder: neg (0) then pos (1),
  each by review id; 'train_films': each training review's IMDb title [N] (None without the
  url files)."""
  out = {}
  for split in ("train", "test"):
    texts, labels = [], []
    for label, name in enumerate(CLASS_NAMES):
      folder = os.path.join(tree, split, name)
      files = sorted((f for f in os.listdir(folder) if f.endswith(".txt")), key=_review_order)
      for f in files:
        with open(os.path.join(folder, f), encoding="utf-8", errors="replace") as fh:
          texts.append(fh.read())
      labels += [label] * len(files)
    out[split] = (texts, np.array(labels, np.int32))
  urls = {}
  for name in CLASS_NAMES:
    path = os.path.join(tree, "train", f"urls_{name}.txt")
    if os.path.exists(path):
      with open(path, encoding="utf-8", errors="replace") as fh:
        urls[name] = fh.read()
  out["train_films"] = _films(urls, _train_ids(tree))
  return out


def _train_ids(tree: str) -> dict[str, list[int]]:
  """{'neg'|'pos': review ids of train/<name>/ in read order}."""
  return {name: [int(f.split("_")[0]) for f in sorted(
      (f for f in os.listdir(os.path.join(tree, "train", name)) if f.endswith(".txt")),
      key=_review_order)] for name in CLASS_NAMES}


def _films(urls: dict[str, str], ids: dict[str, list[int]]) -> np.ndarray | None:
  """[N] the IMDb title of every training review (neg then pos, by id; line `id` of
  urls_<name>.txt), or None when the url files are absent."""
  if set(urls) != set(CLASS_NAMES):
    return None
  films = []
  for name in CLASS_NAMES:
    lines = urls[name].splitlines()
    for i in ids[name]:
      match = _TITLE.search(lines[i]) if i < len(lines) else None
      films.append(match.group(1) if match else f"{name}/{i}")  # no title: its own group
  return np.array(films)


def read_archive(archive: str) -> dict:
  """Like `read_tree`, reading the `{train,test}/{pos,neg}/*.txt` members of a .tar.gz/.tar.xz
  (under any top folder) in one pass, without extracting anything."""
  found = {(s, c): [] for s in ("train", "test") for c in CLASS_NAMES}
  urls = {}
  try:
    with tarfile.open(archive) as tar:
      for member in tar:
        match = _MEMBER.search(member.name)
        url_match = _URLS.search(member.name)
        if url_match and member.isfile():
          with tar.extractfile(member) as f:
            urls[url_match.group(1)] = f.read().decode("utf-8", errors="replace")
        elif match and member.isfile():
          split, name, file = match.group(1).split("/")
          with tar.extractfile(member) as f:
            text = f.read().decode("utf-8", errors="replace")
          found[split, name].append((_review_order(file), text))
  except (tarfile.TarError, EOFError, OSError, lzma.LZMAError, zlib.error) as e:
    raise ValueError(
        f"Could not read {archive} ({common.one_line(e)}): truncated or corrupt archive? "
        f"Replace it with a good copy (or delete it to download it again), or pass "
        f"{FLAG}=<folder holding {LAYOUT}>.") from None
  if not all(found.values()):
    raise ValueError(f"{archive} does not hold the layout {LAYOUT}.")
  out = {}
  for split in ("train", "test"):
    texts, labels = [], []
    for label, name in enumerate(CLASS_NAMES):
      texts += [text for _, text in sorted(found[split, name])]
      labels += [label] * len(found[split, name])
    out[split] = (texts, np.array(labels, np.int32))
  ids = {name: [int(key[1].split("_")[0]) for key, _ in sorted(found["train", name])]
         for name in CLASS_NAMES}
  out["train_films"] = _films(urls, ids)
  return out


def find_source(root: str, cache: str) -> str:
  """The aclImdb folder in `root`, else an archive in `root` (or `cache`), else the archive
  downloaded into `cache`. Raises DataNotFoundError naming --data_dir and the layout."""
  for path in (root, os.path.join(root, "aclImdb")):
    if _is_tree(path):
      return path
  archives = sorted(glob.glob(os.path.join(root, "aclImdb*.tar.*")) +
                    glob.glob(os.path.join(cache, "aclImdb*.tar.*")))
  if archives:
    return archives[0]
  try:
    return common.download(URL, os.path.join(cache, "aclImdb_v1.tar.gz"), SHA256,
                           what="The IMDB archive", flag=FLAG)
  except common.DataNotFoundError as e:
    raise common.DataNotFoundError(
        f"{e}\nExpected in {root}: {LAYOUT}. Pass {FLAG}=<folder holding them>.") from None


def check_validation(validation_fraction: float) -> None:
  """`validation_fraction` must be a number in [0, 1) (checked before any file is read)."""
  if isinstance(validation_fraction, (bool, np.bool_)) or not isinstance(
      validation_fraction, (int, float, np.integer, np.floating)):
    raise TypeError(f"validation_fraction={validation_fraction!r} must be a number in [0, 1).")
  if not 0 <= validation_fraction < 1:
    raise ValueError(f"validation_fraction={validation_fraction} must be in [0, 1) "
                     "(0: no validation split).")


def validation_count(validation_fraction: float, n: int) -> int:
  """How many of `n` training reviews `validation_fraction` holds out; raises ValueError when a
  fraction > 0 would hold out none."""
  check_validation(validation_fraction)
  n_val = int(round(validation_fraction * n))
  if validation_fraction > 0 and not 0 < n_val < n:
    raise ValueError(f"validation_fraction={validation_fraction} of {n} training reviews "
                     f"holds out {n_val}: use 0 for no validation split, or a fraction that "
                     "leaves reviews on both sides.")
  return n_val


def _encoded_split(token_lists, labels, vocab, max_len) -> splits.Split:
  ids, lengths = encode(token_lists, vocab, max_len)
  return splits.Split(ids, np.asarray(labels, np.int32), lengths)


def build_spec(train: tuple[list[str], np.ndarray], test: tuple[list[str], np.ndarray], *,
               vocab_size: int, max_len: int, validation_fraction: float,
               seed: int, digits: bool = False, validation_by: str = "review",
               films: np.ndarray | None = None) -> splits.DataSpec:
  """DataSpec of int32 ids [N, max_len] from (texts, labels) pairs; see the module docstring.

  The validation split is a `validation_fraction` of the training reviews drawn with `seed`:
  reviews, or with validation_by="film" whole films (films [N]: each training review's film);
  `digits` is `tokenize`'s."""
  train_tokens = [tokenize(t, digits) for t in train[0]]
  vocab = build_vocab(train_tokens, vocab_size)
  full_train = _encoded_split(train_tokens, train[1], vocab, max_len)
  test_split = _encoded_split([tokenize(t, digits) for t in test[0]], test[1], vocab, max_len)
  n_val = validation_count(validation_fraction, len(full_train))
  if validation_by == "film" and n_val:
    held = held_out_films(films, n_val, seed)                                  # [N] bool
    order = np.concatenate([np.flatnonzero(held), np.flatnonzero(~held)])
    n_val = int(held.sum())
  else:
    order = np.random.default_rng(seed).permutation(len(full_train))
  return splits.DataSpec(
      train=full_train.take(order[n_val:]), test=test_split,
      validation=full_train.take(order[:n_val]) if n_val else None,
      num_classes=1, feature_dim=vocab_size, class_names=CLASS_NAMES)


def held_out_films(films: np.ndarray | None, n_val: int, seed: int) -> np.ndarray:
  """[N] bool: the reviews of whole films, drawn in random order (`seed`) until at least n_val
  reviews are held out."""
  if films is None:
    raise ValueError("validation_by='film' needs train/urls_pos.txt and train/urls_neg.txt "
                     "(each review's IMDb title), which this copy of aclImdb lacks; use "
                     "validation_by='review'.")
  titles, group = np.unique(films, return_inverse=True)                      # [F], [N]
  order = np.random.default_rng(seed).permutation(len(titles))
  counts = np.bincount(group, minlength=len(titles))[order]
  chosen = order[:int(np.searchsorted(np.cumsum(counts), n_val)) + 1]
  held = np.isin(group, chosen)
  if held.all():
    raise ValueError(f"validation_by='film' holds out every training review ({len(titles)} "
                     "films): use a smaller validation_fraction.")
  return held


def check_validation_by(validation_by: str) -> None:
  if validation_by not in VALIDATION_BY:
    raise ValueError(f"validation_by={validation_by!r} must be one of {list(VALIDATION_BY)}.")


def _cache_path(cache: str, source: str, settings: dict) -> str:
  if os.path.isdir(source):
    stamp = [os.path.getmtime(os.path.join(source, s, c)) for s in ("train", "test")
             for c in CLASS_NAMES]
  else:
    stamp = [os.path.getmtime(source), os.path.getsize(source)]
  key = json.dumps([CACHE_VERSION, os.path.abspath(source), stamp, settings], sort_keys=True)
  return os.path.join(cache, f"tokens_{hashlib.sha1(key.encode()).hexdigest()[:16]}.npz")


def _save(path: str, spec: splits.DataSpec) -> None:
  """Stores each split's valid ids only (flat, uint16 when they fit) with labels and lengths."""
  arrays = {}
  for name in ("train", "validation", "test"):
    split = getattr(spec, name)
    if split is not None:
      valid = np.arange(split.inputs.shape[1]) < split.lengths[:, None]     # [N, T]
      small = spec.feature_dim <= np.iinfo(np.uint16).max + 1
      arrays[f"{name}/ids"] = split.inputs[valid].astype(np.uint16 if small else np.int32)
      arrays[f"{name}/labels"], arrays[f"{name}/lengths"] = split.labels, split.lengths
  arrays["max_len"] = np.array(spec.train.inputs.shape[1])
  try:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=os.path.dirname(path), suffix=".npz",
                                     delete=False) as f:
      np.savez(f, **arrays)
    os.chmod(f.name, 0o644)
    os.replace(f.name, path)
  except OSError as e:
    logging.warning("Could not cache the tokenised IMDB arrays at %s: %s", path, e)


def _restore(path: str, vocab_size: int) -> splits.DataSpec:
  parts = {}
  with np.load(path) as z:
    max_len = int(z["max_len"])
    for name in ("train", "validation", "test"):
      if f"{name}/ids" in z:
        lengths = z[f"{name}/lengths"]
        ids = np.zeros((len(lengths), max_len), np.int32)                 # [N, T]
        ids[np.arange(max_len) < lengths[:, None]] = z[f"{name}/ids"]
        parts[name] = splits.Split(ids, z[f"{name}/labels"], lengths)
  return splits.DataSpec(train=parts["train"], test=parts["test"],
                         validation=parts.get("validation"), num_classes=1,
                         feature_dim=vocab_size, class_names=CLASS_NAMES)


def load(data_dir: str | None = None, *, vocab_size: int = 10000, max_len: int = 500,
         validation_fraction: float = VALIDATION_FRACTION, seed: int = 0,
         cache_dir: str | None = None, digits: bool = False,
         validation_by: str = "review") -> splits.DataSpec:
  """IMDB from the original files in `common.data_dir(data_dir, "imdb")`.

  Args:
    data_dir: folder holding `aclImdb/` or its archive (the `--data_dir` flag).
    vocab_size: V; ids are in [0, V) with 0 = padding and 1 = unknown word.
    max_len: T; longer reviews keep their last T tokens.
    validation_fraction: share of the 25,000 training reviews held out (seed 001's 0.2,
      VALIDATION_FRACTION); 0: no validation split.
    seed: draws the held-out reviews.
    cache_dir: where downloads and token arrays go (default: see the module docstring).
    digits: digits are word characters ("10" is a token; `tokenize`); False: they separate
      words, as before this option existed.
    validation_by: "review" (seed 001's random reviews) or "film" (whole films; module
      docstring).

  Returns:
    DataSpec: inputs int32 [N, T] right-padded, lengths int32 [N] >= 1, labels int32 [N] 0/1
    (neg/pos), num_classes=1 (one sigmoid logit), feature_dim=V.
  """
  check_validation(validation_fraction)
  check_validation_by(validation_by)
  root = common.data_dir(data_dir, NAME, holding=LAYOUT, flag=FLAG)
  cache = _cache_dir(cache_dir)
  source = find_source(root, cache)
  settings = dict(vocab_size=vocab_size, max_len=max_len,
                  validation_fraction=validation_fraction, seed=seed)
  if digits:                                     # absent when False: old cache keys still hit
    settings["digits"] = True
  if validation_by != "review" and validation_fraction:
    settings["validation_by"] = validation_by
  path = _cache_path(cache, source, settings)
  if os.path.exists(path):
    return _restore(path, vocab_size)
  reviews = read_tree(source) if os.path.isdir(source) else read_archive(source)
  spec = build_spec(reviews["train"], reviews["test"], films=reviews["train_films"], **settings)
  _save(path, spec)
  return spec


def load_tfds(data_dir: str | None = None, *, vocab_size: int = 10000, max_len: int = 500,
              validation_fraction: float = VALIDATION_FRACTION, seed: int = 0,
              download: bool = True, digits: bool = False) -> splits.DataSpec:
  """Like `load`, but reads TFDS `imdb_reviews` (plain_text) through `tfds.data_source`.

  `data_dir` is a TFDS data dir (None: TFDS's default). Nothing is cached. TFDS does not give
  the films, so validation is by review."""
  check_validation(validation_fraction)

  def texts_and_labels(split):
    examples = common.tfds_examples("imdb_reviews", split, data_dir, download=download)
    texts = [e["text"].decode("utf-8") if isinstance(e["text"], bytes) else str(e["text"])
             for e in examples]
    return texts, np.array([e["label"] for e in examples], np.int32)

  return build_spec(texts_and_labels("train"), texts_and_labels("test"), vocab_size=vocab_size,
                    max_len=max_len, validation_fraction=validation_fraction, seed=seed,
                    digits=digits)
