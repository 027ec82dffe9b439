"""A token vocabulary for sequence-to-sequence tasks: characters or words, with the special tokens
of the encoder-decoder in seed 002 (`<go>` starts the decoder, `<eos>` ends a sentence, unknown
words become one `<unk>`, numbers and URLs optionally `[NUM]` and `[URL]`).

Ids: `<pad>` 0, `<go>` 1, `<eos>` 2, `<unk>` 3, then `[NUM]` 4 and `[URL]` 5 when `normalize`,
then the tokens of the training text by decreasing count (ties in code-point order), so a vocabulary
built twice from the same text is the same. Saved and loaded as JSON with a run.

  vocab = Vocab.build(train_sources, level="word", min_count=2, max_size=10_000)
  ids, lengths = vocab.encode_batch(["I am cold ."], reverse=True)   # [B, T] int32, [B] int32
  vocab.decode(ids[0])                                               # ". cold am I"
"""
from __future__ import annotations

import collections
import json
import os
import re
from collections.abc import Iterable, Sequence

import numpy as np

PAD, GO, EOS, UNK = "<pad>", "<go>", "<eos>", "<unk>"
NUM, URL = "[NUM]", "[URL]"
SPECIALS = (PAD, GO, EOS, UNK)
NORMALIZED = (NUM, URL)
LEVELS = ("char", "word")
FORMAT = "rnnjax.text.Vocab"

_URL_PATTERN = r"(?:https?://|www\.)[^\s]+"
_NUM_PATTERN = r"[+-]?\d+(?:[.,:/]\d+)*"   # 42, 3.14, 1,000,000, 12:30
_URL_RE = re.compile(_URL_PATTERN)
_NUM_RE = re.compile(_NUM_PATTERN)
_SPECIAL_RE = re.compile(f"(?P<url>{_URL_PATTERN})|(?P<num>{_NUM_PATTERN})")


def _check_level(level: str) -> None:
  if level not in LEVELS:
    raise ValueError(f"level must be one of {LEVELS}; got {level!r}.")


def tokenize(text: str, level: str = "word", normalize: bool = False) -> list[str]:
  """Splits text into tokens: whitespace-separated words, or characters (spaces included).

  With `normalize`, a URL becomes `[URL]` and a number `[NUM]`: at word level a word that is
  wholly a URL or a number, at character level every such span of the text.
  """
  _check_level(level)
  if level == "word":
    words = text.split()
    if not normalize:
      return words
    return [URL if _URL_RE.fullmatch(w) else NUM if _NUM_RE.fullmatch(w) else w for w in words]
  if not normalize:
    return list(text)
  tokens, start = [], 0
  for match in _SPECIAL_RE.finditer(text):
    tokens += list(text[start:match.start()])
    tokens.append(URL if match.group("url") else NUM)
    start = match.end()
  return tokens + list(text[start:])


class Vocab:
  """Token <-> id tables. Build one with `Vocab.build` from training text.

  Attributes:
    tokens: every token, index = id; starts with SPECIALS (and NORMALIZED with `normalize`).
    level: "char" or "word".
    normalize: map numbers to `[NUM]` and URLs to `[URL]` when encoding.
  """

  def __init__(self, tokens: Sequence[str], level: str = "word", normalize: bool = False):
    _check_level(level)
    reserved = SPECIALS + (NORMALIZED if normalize else ())
    if tuple(tokens[:len(reserved)]) != reserved:
      raise ValueError(f"tokens must start with {reserved}; got {tuple(tokens[:len(reserved)])}.")
    if len(set(tokens)) != len(tokens):
      duplicates = sorted(t for t, n in collections.Counter(tokens).items() if n > 1)
      raise ValueError(f"tokens must be unique; repeated: {duplicates[:10]}.")
    self.tokens = tuple(tokens)
    self.level = level
    self.normalize = normalize
    self._ids = {t: i for i, t in enumerate(self.tokens)}

  pad_id, go_id, eos_id, unk_id = 0, 1, 2, 3

  @classmethod
  def build(cls, texts: Iterable[str], level: str = "word", *, min_count: int = 1,
            max_size: int | None = None, normalize: bool = False) -> Vocab:
    """The vocabulary of `texts`: tokens seen at least `min_count` times, the most frequent
    first, at most `max_size` ids in all (special tokens included)."""
    _check_level(level)
    reserved = SPECIALS + (NORMALIZED if normalize else ())
    if min_count < 1:
      raise ValueError(f"min_count must be >= 1; got {min_count}.")
    if max_size is not None and max_size < len(reserved):
      raise ValueError(f"max_size must be at least the {len(reserved)} special tokens "
                       f"{reserved}; got {max_size}.")
    counts = collections.Counter(t for text in texts for t in tokenize(text, level, normalize))
    for token in reserved:
      counts.pop(token, None)
    ordered = sorted((t for t, n in counts.items() if n >= min_count),
                     key=lambda t: (-counts[t], t))
    if max_size is not None:
      ordered = ordered[:max_size - len(reserved)]
    return cls(reserved + tuple(ordered), level, normalize)

  def __len__(self) -> int:
    return len(self.tokens)

  def __eq__(self, other) -> bool:
    return (isinstance(other, Vocab) and self.tokens == other.tokens
            and self.level == other.level and self.normalize == other.normalize)

  def __repr__(self) -> str:
    return f"Vocab(size={len(self)}, level={self.level!r}, normalize={self.normalize})"

  def token_id(self, token: str) -> int:
    return self._ids.get(token, self.unk_id)

  def encode(self, text: str, *, reverse: bool = False, add_eos: bool = True) -> list[int]:
    """Text -> ids: tokens (reversed with `reverse`, as Sutskever et al. 2014 feed the source),
    unknown ones `<unk>`, then `<eos>` with `add_eos`."""
    ids = [self.token_id(t) for t in tokenize(text, self.level, self.normalize)]
    if reverse:
      ids.reverse()
    return ids + [self.eos_id] if add_eos else ids

  def decode_tokens(self, ids: Iterable[int], *, stop_at_eos: bool = True) -> list[str]:
    """Ids -> tokens, stopping at the first `<eos>` (with `stop_at_eos`); `<pad>` and `<go>` are
    dropped."""
    out = []
    for i in ids:
      i = int(i)
      if stop_at_eos and i == self.eos_id:
        break
      if i in (self.pad_id, self.go_id):
        continue
      if not 0 <= i < len(self.tokens):
        raise ValueError(f"token id {i} is outside this vocabulary of {len(self.tokens)} ids.")
      out.append(self.tokens[i])
    return out

  def decode(self, ids: Iterable[int], *, stop_at_eos: bool = True) -> str:
    """Ids -> text (`decode_tokens` joined: words by spaces, characters by nothing)."""
    tokens = self.decode_tokens(ids, stop_at_eos=stop_at_eos)
    return (" " if self.level == "word" else "").join(tokens)

  def encode_batch(self, texts: Sequence[str], *, reverse: bool = False, add_eos: bool = True,
                   max_length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Texts -> (ids [B, T] int32 right-padded with `<pad>`, lengths [B] int32).

    T is the longest encoding, or `max_length` when given (a fixed shape for `jit`); a text
    longer than `max_length` raises an error naming it (nothing is cut silently).
    """
    encoded = [self.encode(t, reverse=reverse, add_eos=add_eos) for t in texts]
    lengths = np.array([len(e) for e in encoded], np.int32)                    # [B]
    longest = int(lengths.max()) if len(encoded) else 0
    width = longest if max_length is None else max_length
    if longest > width:
      index = int(lengths.argmax())
      raise ValueError(f"text {index} ({texts[index]!r}) encodes to {longest} tokens, more than "
                       f"max_length={max_length}; raise max_length or filter long texts.")
    ids = np.full((len(encoded), width), self.pad_id, np.int32)                # [B, T]
    for row, e in enumerate(encoded):
      ids[row, :len(e)] = e
    return ids, lengths

  def decode_batch(self, ids: np.ndarray, lengths: np.ndarray | None = None) -> list[str]:
    """ids [B, T] (and optional lengths [B]) -> B texts, each stopping at its first `<eos>`."""
    ids = np.asarray(ids)
    if lengths is None:
      return [self.decode(row) for row in ids]
    return [self.decode(row[:n]) for row, n in zip(ids, np.asarray(lengths))]

  def to_json(self) -> dict:
    return {"format": FORMAT, "version": 1, "level": self.level, "normalize": self.normalize,
            "tokens": list(self.tokens)}

  @classmethod
  def from_json(cls, data: dict) -> Vocab:
    if data.get("format") != FORMAT:
      raise ValueError(f"not a saved {FORMAT}: format={data.get('format')!r}.")
    return cls(data["tokens"], data["level"], data["normalize"])

  def save(self, path: str) -> None:
    """Writes the vocabulary as UTF-8 JSON (atomically)."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
      json.dump(self.to_json(), f, ensure_ascii=False, indent=0)
    os.replace(tmp, path)

  @classmethod
  def load(cls, path: str) -> Vocab:
    with open(path, encoding="utf-8") as f:
      return cls.from_json(json.load(f))
