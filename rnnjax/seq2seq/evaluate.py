"""Translating a split and scoring it: exact match and corpus BLEU against every reference.

  result = evaluate(model, variables, splits.test, src_vocab, tgt_vocab, max_length=12,
                    beam_size=4, reverse_source=True)
  result.exact_match, result.bleu.score, result.examples(5)

Each distinct source is decoded once, in fixed-size batches (the last one padded by repeating its
first row, so one compiled decoder serves every batch). Hypotheses and references are compared as
target-vocabulary tokens (words, or characters): a hypothesis is an exact match when its tokens
equal those of any of the source's targets (Tatoeba often gives several), and BLEU uses all of
them as references. A reference word outside the vocabulary can never be matched.
"""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import NamedTuple

import jax
import numpy as np

from rnnjax.data.pairs import references as group_references
from rnnjax.seq2seq import decode
from rnnjax.seq2seq.model import Seq2Seq
from rnnjax.text.bleu import BleuScore, corpus_bleu
from rnnjax.text.vocab import Vocab, tokenize
from rnnjax.typing import PyTree


class Translations(NamedTuple):
  """texts [N]; tokens: each text's target tokens; attention [N, T, S] (for heat maps)."""
  texts: list[str]
  tokens: list[list[str]]
  attention: np.ndarray


@dataclasses.dataclass(frozen=True)
class Evaluation:
  """Per distinct source: sources, hypotheses, references (every target given) and the
  attention [N, T, S] of each hypothesis; exact_match in %; bleu (corpus BLEU)."""
  sources: list[str]
  hypotheses: list[str]
  references: list[list[str]]
  exact_match: float
  bleu: BleuScore
  attention: np.ndarray

  def examples(self, n: int = 5) -> list[str]:
    """The first n translations as "'source' -> 'hypothesis' (reference 'target')" lines."""
    return [f"{s!r} -> {h!r} (reference {r[0]!r})"
            for s, h, r in zip(self.sources[:n], self.hypotheses[:n], self.references[:n])]


class _Same:
  """Hashes a model by identity (a module holding lists, e.g. Stacked's cells, has no hash)."""

  def __init__(self, model):
    self.model = model

  def __hash__(self):
    return id(self.model)

  def __eq__(self, other):
    return isinstance(other, _Same) and other.model is self.model


@functools.lru_cache(maxsize=16)
def _decoder(model: _Same, max_length: int, beam_size: int, length_penalty: float):
  """The jitted decoder, kept so that evaluating again (e.g. every epoch) does not recompile."""
  if beam_size == 1:
    return jax.jit(functools.partial(decode.greedy, model.model, max_length=max_length))
  return jax.jit(functools.partial(decode.beam_search, model.model, beam_size=beam_size,
                                   max_length=max_length, length_penalty=length_penalty))


def translate(model: Seq2Seq, variables: PyTree, sources: Sequence[str], src_vocab: Vocab,
              tgt_vocab: Vocab, *, max_length: int, beam_size: int = 1,
              length_penalty: float = 0.0, reverse_source: bool = False,
              batch_size: int = 256, source_length: int | None = None) -> Translations:
  """Decodes sources: greedy for beam_size 1, else beam search (see `decode`). source_length:
  pad the sources to this S (one compiled decoder for splits of different widths; a longer
  source raises an error), else to the longest."""
  if batch_size < 1:
    raise ValueError(f"batch_size must be >= 1; got {batch_size}.")
  fn = _decoder(_Same(model), max_length, beam_size, length_penalty)
  ids, lengths = src_vocab.encode_batch(sources, reverse=reverse_source,
                                        max_length=source_length)          # [N, S], [N]
  tokens, attention = [], [np.zeros((0, max_length, ids.shape[1]), np.float32)]
  for start in range(0, len(sources), batch_size):
    index = np.arange(start, start + batch_size)
    index = np.where(index < len(sources), index, start)                  # pad with row `start`
    out = fn(variables, ids[index], lengths[index])
    keep = min(batch_size, len(sources) - start)
    tokens += [tgt_vocab.decode_tokens(row) for row in np.asarray(out.tokens)[:keep]]
    attention.append(np.asarray(out.attention)[:keep])
  join = " " if tgt_vocab.level == "word" else ""
  return Translations([join.join(t) for t in tokens], tokens, np.concatenate(attention))


def evaluate(model: Seq2Seq, variables: PyTree, pairs: Sequence[tuple[str, str]],
             src_vocab: Vocab, tgt_vocab: Vocab, *, max_length: int, beam_size: int = 1,
             length_penalty: float = 0.0, reverse_source: bool = False,
             batch_size: int = 256, source_length: int | None = None) -> Evaluation:
  """Translates every distinct source of pairs and scores the translations (see the module
  docstring). max_length: the most target tokens decoded, <eos> included; source_length: as
  `translate`'s."""
  grouped = group_references(pairs)
  sources, refs = [s for s, _ in grouped], [r for _, r in grouped]
  out = translate(model, variables, sources, src_vocab, tgt_vocab, max_length=max_length,
                  beam_size=beam_size, length_penalty=length_penalty,
                  reverse_source=reverse_source, batch_size=batch_size,
                  source_length=source_length)
  ref_tokens = [[tokenize(t, tgt_vocab.level, tgt_vocab.normalize) for t in r] for r in refs]
  matches = [h in r for h, r in zip(out.tokens, ref_tokens)]
  exact = 100.0 * float(np.mean(matches)) if matches else 0.0
  bleu = corpus_bleu(out.tokens, ref_tokens) if out.tokens else corpus_bleu([], [])
  return Evaluation(sources, out.texts, refs, exact, bleu, out.attention)
