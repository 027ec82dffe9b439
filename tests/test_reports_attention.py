"""Attention heat maps: the examples are cut to the real source and output tokens, and drawn."""
import os
import tempfile

import numpy as np
from absl.testing import absltest

from rnnjax.reports import attention
from rnnjax.seq2seq import Evaluation
from rnnjax.text import Vocab, corpus_bleu

SRC_VOCAB = Vocab.build(["ab c"], level="char")
TGT_VOCAB = Vocab.build(["x y", "z"], level="word")


def evaluation(hypotheses=("x y", "z z z")):
  weights = np.random.default_rng(0).random((2, 3, 6)).astype(np.float32)   # [N, T, S]
  return Evaluation(sources=["ab c", "q"], hypotheses=list(hypotheses),
                    references=[["x y"], ["z"]], exact_match=50.0,
                    bleu=corpus_bleu([["x"]], [[["x"]]]), attention=weights)


class AttentionReportTest(absltest.TestCase):

  def test_examples_cut_to_tokens(self):
    result = evaluation()
    first, second = attention.examples(result, SRC_VOCAB, TGT_VOCAB, reverse_source=True)
    self.assertEqual(first.source, ["c", " ", "b", "a", "<eos>"])      # as the encoder read it
    self.assertEqual(first.output, ["x", "y", "<eos>"])
    np.testing.assert_array_equal(first.weights, result.attention[0, :3, :5])
    self.assertEqual(second.source, ["<unk>", "<eos>"])
    self.assertEqual(second.output, ["z", "z", "z"])   # stopped at max_length: no <eos> row
    self.assertEqual(second.weights.shape, (3, 2))
    self.assertIn("'ab c' -> 'x y'", first.caption)
    self.assertLen(attention.examples(result, SRC_VOCAB, TGT_VOCAB, n=1), 1)

  def test_heatmaps_write_a_png(self):
    rows = attention.examples(evaluation(), SRC_VOCAB, TGT_VOCAB)
    with tempfile.TemporaryDirectory() as tmp:
      path = attention.heatmaps(rows, os.path.join(tmp, "attention.png"), title="t")
      with open(path, "rb") as f:
        self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
    with self.assertRaisesRegex(ValueError, "at least one example"):
      attention.heatmaps([], "unused.png")


if __name__ == "__main__":
  absltest.main()
