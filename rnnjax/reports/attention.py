"""Attention heat maps of a sequence-to-sequence model: for a few translations, the weight each
output token (rows) gave each source token (columns), as Bahdanau et al. 2015 (figure 3) and
Luong et al. 2015 draw their alignments.

  examples = attention.examples(evaluation, src_vocab, tgt_vocab, reverse_source=True, n=4)
  attention.heatmaps(examples, "runs/translate/dates/attention.png")

Columns are the source tokens as the encoder read them (reversed with reverse_source, unknown
ones `<unk>`, then `<eos>`); rows the output tokens up to and including `<eos>` (a row is
missing when decoding stopped at the maximum length).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from rnnjax.reports import curves  # noqa: F401  (selects matplotlib's Agg backend)
from rnnjax.seq2seq.evaluate import Evaluation
from rnnjax.text.vocab import EOS, Vocab, tokenize

import matplotlib.pyplot as plt  # noqa: E402  (after curves chose the backend)

ATTENTION_FILE = "attention.png"


class AttentionExample(NamedTuple):
  """source: the encoder's S' tokens; output: the decoder's T' tokens; weights [T', S'];
  caption: the panel's title."""
  source: list[str]
  output: list[str]
  weights: np.ndarray
  caption: str = ""


def examples(evaluation: Evaluation, src_vocab: Vocab, tgt_vocab: Vocab, *,
             reverse_source: bool = False, n: int = 4) -> list[AttentionExample]:
  """The first n translations of `evaluation` (seq2seq.evaluate) with their attention weights,
  cut to the real source and output tokens."""
  out = []
  for i in range(min(n, len(evaluation.sources))):
    ids = src_vocab.encode(evaluation.sources[i], reverse=reverse_source)   # + <eos>
    source = [src_vocab.tokens[j] for j in ids]
    output = tokenize(evaluation.hypotheses[i], tgt_vocab.level, tgt_vocab.normalize)
    weights = evaluation.attention[i]                                      # [T, S]
    rows = min(len(output) + 1, weights.shape[0])                          # + <eos>, if emitted
    output = (output + [EOS])[:rows]
    caption = f"{evaluation.sources[i]!r} -> {evaluation.hypotheses[i]!r}"
    out.append(AttentionExample(source, output, np.asarray(weights[:rows, :len(source)]),
                                caption))
  return out


def _label(token: str) -> str:
  return "\u2423" if token == " " else token                              # a visible space


def heatmaps(rows: Sequence[AttentionExample], png_path: str, *, columns: int = 2,
             title: str = "") -> str:
  """Draws one heat map per example (weights 0..1, darker = more) on a grid; returns png_path."""
  if not rows:
    raise ValueError("heatmaps needs at least one example.")
  columns = min(columns, len(rows))
  grid_rows = math.ceil(len(rows) / columns)
  width = max(max(len(r.source) for r in rows) * 0.28, 3.0)
  height = max(max(len(r.output) for r in rows) * 0.28, 2.0)
  fig, axes = plt.subplots(grid_rows, columns, figsize=(columns * width + 1, grid_rows * height
                                                        + 1.2), squeeze=False)
  fig.subplots_adjust(hspace=0.7, wspace=0.35)
  for ax in axes.flat[len(rows):]:
    ax.axis("off")
  for ax, row in zip(axes.flat, rows):
    image = ax.imshow(row.weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(row.source)), [_label(t) for t in row.source], fontsize=7,
                  rotation=90)
    ax.set_yticks(range(len(row.output)), [_label(t) for t in row.output], fontsize=7)
    ax.set_xlabel("source (as read by the encoder)", fontsize=8)
    ax.set_ylabel("output", fontsize=8)
    ax.set_title(row.caption, fontsize=8)
  fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6, label="attention weight")
  if title:
    fig.suptitle(title, fontsize=9)
  fig.savefig(png_path, dpi=110, bbox_inches="tight")
  plt.close(fig)
  return png_path
