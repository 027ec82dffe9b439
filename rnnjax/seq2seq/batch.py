"""Sentence pairs -> the arrays of teacher forcing, and the splits the training engine reads.

  arrays = encode_pairs(pairs, src_vocab, tgt_vocab, reverse_source=True)
  inputs [N, S] int32, lengths [N]          the source ids (+ <eos>), reversed with reverse_source
  decoder_inputs [N, T] int32               <go> + labels[:-1] (teacher forcing)
  labels [N, T] int32, label_lengths [N]    the target ids + <eos>
  weights [N, T] float32                    1 up to and including each <eos>, 0 after
Rows are right-padded with <pad> (id 0). `model(inputs, lengths, decoder_inputs, label_lengths)`
gives the logits [N, T, V] that the labels score.

For `rnnjax.trainer.fit` (and `rnnjax.train`'s steps), `encode_split` packs the same arrays as a
`splits.Split`: inputs {"source", "decoder_inputs", "target_lengths"}, lengths = the source
lengths, labels [N, T] and weights [N, T], so the engine's per-step softmax cross-entropy is the
teacher-forced loss masked past each <eos>; `data_spec` does it for train, validation and test.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnnjax.data import splits
from rnnjax.text.vocab import Vocab

SOURCE, DECODER_INPUTS, TARGET_LENGTHS = "source", "decoder_inputs", "target_lengths"


def shift_right(labels: np.ndarray, lengths: np.ndarray, go_id: int = Vocab.go_id,
                pad_id: int = Vocab.pad_id) -> np.ndarray:
  """labels [N, T] -> decoder inputs [N, T]: <go> then labels[:, :-1], <pad> at and past each
  row's length."""
  labels = np.asarray(labels)
  shifted = np.concatenate([np.full((len(labels), 1), go_id, labels.dtype), labels[:, :-1]], 1)
  valid = np.arange(labels.shape[1])[None, :] < np.asarray(lengths)[:, None]   # [N, T]
  return np.where(valid, shifted, pad_id).astype(np.int32)


def encode_pairs(pairs: Sequence[tuple[str, str]], src_vocab: Vocab, tgt_vocab: Vocab, *,
                 reverse_source: bool = False, max_source_length: int | None = None,
                 max_target_length: int | None = None) -> dict[str, np.ndarray]:
  """(source, target) pairs -> the arrays in the module docstring. max_*_length fix S and T
  (each counting the <eos>); a longer sentence raises an error naming it."""
  inputs, lengths = src_vocab.encode_batch([s for s, _ in pairs], reverse=reverse_source,
                                           max_length=max_source_length)
  labels, label_lengths = tgt_vocab.encode_batch([t for _, t in pairs],
                                                 max_length=max_target_length)
  weights = (np.arange(labels.shape[1])[None, :] < label_lengths[:, None]).astype(np.float32)
  return {"inputs": inputs, "lengths": lengths,
          "decoder_inputs": shift_right(labels, label_lengths, tgt_vocab.go_id, tgt_vocab.pad_id),
          "labels": labels, "label_lengths": label_lengths, "weights": weights}


def encode_split(pairs: Sequence[tuple[str, str]], src_vocab: Vocab, tgt_vocab: Vocab, *,
                 reverse_source: bool = False, max_source_length: int | None = None,
                 max_target_length: int | None = None) -> splits.Split:
  """`encode_pairs` as a Split for the training engine: inputs {"source" [N, S],
  "decoder_inputs" [N, T], "target_lengths" [N]}, lengths [N] (source), labels [N, T], weights
  [N, T] (0 past each <eos>)."""
  if not pairs:
    raise ValueError("encode_split got no pairs; every split needs at least one.")
  a = encode_pairs(pairs, src_vocab, tgt_vocab, reverse_source=reverse_source,
                   max_source_length=max_source_length, max_target_length=max_target_length)
  inputs = {SOURCE: a["inputs"], DECODER_INPUTS: a["decoder_inputs"],
            TARGET_LENGTHS: a["label_lengths"]}
  return splits.Split(inputs, a["labels"], a["lengths"], a["weights"])


def data_spec(train: Sequence[tuple[str, str]], validation: Sequence[tuple[str, str]],
              test: Sequence[tuple[str, str]], src_vocab: Vocab, tgt_vocab: Vocab, *,
              reverse_source: bool = False) -> splits.DataSpec:
  """The three splits of pairs (`rnnjax.data.pairs.PairSplits`' fields) for `trainer.fit`:
  num_classes is the target vocabulary's size V_tgt, feature_dim the source's; no validation
  split when `validation` is empty. Every split is padded to the longest source S and target T
  of all three, so one compiled evaluation step serves them all."""
  every = [*train, *validation, *test]
  source_length = max(len(src_vocab.encode(s)) for s, _ in every)
  target_length = max(len(tgt_vocab.encode(t)) for _, t in every)
  encode = lambda p: encode_split(  # noqa: E731
      p, src_vocab, tgt_vocab, reverse_source=reverse_source, max_source_length=source_length,
      max_target_length=target_length)
  return splits.DataSpec(train=encode(train), test=encode(test), num_classes=len(tgt_vocab),
                         feature_dim=len(src_vocab),
                         validation=encode(validation) if validation else None)
