"""Corpus BLEU (Papineni et al. 2002, "BLEU: a method for automatic evaluation of machine
translation"), on tokens the caller has already split.

  BLEU = BP * exp(sum_n log p_n / N),  n = 1..N (N = 4)
  p_n  = sum over sentences of clipped n-gram matches / sum of hypothesis n-grams
         (each hypothesis n-gram counts at most as often as in the reference where it is most
         frequent)
  BP   = 1 if c > r else exp(1 - r / c)   (0 if c = 0)
  c    = total hypothesis length; r = sum over sentences of the reference length closest to the
         hypothesis' (the shorter one on a tie)

Statistics are summed over the corpus before the precisions are taken (corpus BLEU is not the mean
of sentence BLEUs). Smoothing follows Chen & Cherry 2014 as sacrebleu names it: "none", "floor"
(a zero match count becomes `smooth_value`, 0.1), "add-k" (k = `smooth_value`, 1, added to the
matches and totals of n > 1) and "exp" (the i-th zero precision becomes 1 / (2^i * total)). With
the same tokens and smoothing the numbers equal sacrebleu's `tokenize="none"` scores (checked in
tests/test_text_bleu.py against stored sacrebleu 2.6.0 values).
"""
from __future__ import annotations

import collections
import math
from collections.abc import Sequence
from typing import NamedTuple

SMOOTHING = {"none": None, "floor": 0.1, "add-k": 1.0, "exp": None}


class BleuScore(NamedTuple):
  """score: BLEU in [0, 100]; precisions: p_n in % (after smoothing); brevity_penalty: BP;
  hyp_length c, ref_length r; matches and totals: the clipped n-gram matches and hypothesis
  n-gram counts per order (before smoothing)."""
  score: float
  precisions: tuple[float, ...]
  brevity_penalty: float
  hyp_length: int
  ref_length: int
  matches: tuple[int, ...]
  totals: tuple[int, ...]


def _tokens(text) -> list[str]:
  return text.split() if isinstance(text, str) else list(text)


def ngram_counts(tokens: Sequence[str], max_order: int) -> collections.Counter:
  """Counts of every n-gram (as a tuple) of orders 1..max_order."""
  return collections.Counter(tuple(tokens[i:i + n]) for n in range(1, max_order + 1)
                             for i in range(len(tokens) - n + 1))


def closest_length(hyp_length: int, ref_lengths: Sequence[int]) -> int:
  """The reference length closest to the hypothesis length; the shorter one on a tie."""
  return min(ref_lengths, key=lambda r: (abs(r - hyp_length), r))


def corpus_statistics(hypotheses: Sequence, references: Sequence[Sequence], max_order: int = 4):
  """(matches [N], totals [N], c, r) summed over the corpus. See `corpus_bleu` for the inputs."""
  if len(hypotheses) != len(references):
    raise ValueError(f"hypotheses and references must have the same length (one list of "
                     f"references per hypothesis); got {len(hypotheses)} and {len(references)}.")
  matches, totals = [0] * max_order, [0] * max_order
  hyp_total = ref_total = 0
  for index, (hyp, refs) in enumerate(zip(hypotheses, references)):
    if isinstance(refs, str) or not len(refs):
      raise ValueError(f"references[{index}] must be a non-empty list of references (strings or "
                       f"token lists); got {refs!r}.")
    hyp = _tokens(hyp)
    refs = [_tokens(r) for r in refs]
    hyp_counts = ngram_counts(hyp, max_order)
    max_ref = collections.Counter()
    for ref in refs:
      max_ref |= ngram_counts(ref, max_order)           # the max count of each n-gram
    for gram, count in hyp_counts.items():
      matches[len(gram) - 1] += min(count, max_ref[gram])
    for n in range(1, max_order + 1):
      totals[n - 1] += max(len(hyp) - n + 1, 0)
    hyp_total += len(hyp)
    ref_total += closest_length(len(hyp), [len(r) for r in refs])
  return matches, totals, hyp_total, ref_total


def corpus_bleu(hypotheses: Sequence, references: Sequence[Sequence], *, max_order: int = 4,
                smooth: str = "none", smooth_value: float | None = None) -> BleuScore:
  """Corpus BLEU of `hypotheses` against `references`.

  Args:
    hypotheses: one entry per sentence: a list of tokens, or a string split on whitespace.
    references: one list of references per hypothesis, each a token list or string.
    max_order: N, the longest n-gram (4 in the paper).
    smooth: "none" (the paper), "floor", "add-k" or "exp" (see the module docstring).
    smooth_value: the floor or k (default 0.1 and 1).
  """
  if smooth not in SMOOTHING:
    raise ValueError(f"smooth must be one of {sorted(SMOOTHING)}; got {smooth!r}.")
  if max_order < 1:
    raise ValueError(f"max_order must be >= 1; got {max_order}.")
  value = SMOOTHING[smooth] if smooth_value is None else smooth_value
  matches, totals, c, r = corpus_statistics(hypotheses, references, max_order)
  bp = 1.0 if c >= r else (math.exp(1.0 - r / c) if c > 0 else 0.0)
  stats = (tuple(matches), tuple(totals))
  if not any(matches):
    return BleuScore(0.0, (0.0,) * max_order, bp, c, r, *stats)
  precisions, halvings = [], 1.0
  for n in range(max_order):
    match, total = float(matches[n]), float(totals[n])
    if smooth == "add-k" and n > 0:
      match, total = match + value, total + value
    if total == 0:
      precisions.append(0.0)                          # no n-grams this long: BLEU is 0
    elif match == 0 and smooth == "exp":
      halvings *= 2
      precisions.append(100.0 / (halvings * total))
    elif match == 0 and smooth == "floor":
      precisions.append(100.0 * value / total)
    else:
      precisions.append(100.0 * match / total)
  if min(precisions) == 0.0:
    return BleuScore(0.0, tuple(precisions), bp, c, r, *stats)
  score = bp * math.exp(sum(math.log(p) for p in precisions) / max_order)
  return BleuScore(score, tuple(precisions), bp, c, r, *stats)
