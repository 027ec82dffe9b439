"""Translating and scoring a split: batching, references, exact match, BLEU."""
import functools

import jax
import numpy as np
from absl.testing import absltest

from rnnjax import cells, layers
from rnnjax.seq2seq import Seq2Seq, decode, evaluate
from rnnjax.text import Vocab, corpus_bleu

SOURCES = ["abc", "ba", "cab", "c", "bb"]
SRC_VOCAB = Vocab.build(SOURCES, level="char")
TGT_VOCAB = Vocab.build(["xyz", "zy"], level="char")


def make():
  model = Seq2Seq(layers.Stacked([cells.GRUCell(4), cells.GRUCell(4)]), [cells.GRUCell(4)],
                  len(SRC_VOCAB), len(TGT_VOCAB), embed_dim=3, attention="general")
  ids, lengths = SRC_VOCAB.encode_batch(SOURCES)
  shapes = jax.eval_shape(model.init, jax.random.key(0), ids, lengths, ids[:, :2])
  rng = np.random.default_rng(5)
  return model, jax.tree.map(lambda s: rng.standard_normal(s.shape).astype(s.dtype), shapes)


class EvaluateTest(absltest.TestCase):

  def test_batches_equal_one_decode(self):
    model, variables = make()
    out = evaluate.translate(model, variables, SOURCES, SRC_VOCAB, TGT_VOCAB, max_length=4,
                             batch_size=2, reverse_source=True)        # 3 batches, one padded
    ids, lengths = SRC_VOCAB.encode_batch(SOURCES, reverse=True)
    whole = jax.jit(functools.partial(decode.greedy, model, max_length=4))(variables, ids,
                                                                           lengths)
    self.assertEqual(out.texts, TGT_VOCAB.decode_batch(np.asarray(whole.tokens)))
    np.testing.assert_allclose(out.attention, whole.attention, atol=1e-6)
    self.assertEqual(out.attention.shape, (5, 4, ids.shape[1]))
    self.assertEqual(out.texts, ["".join(t) for t in out.tokens])
    wide = evaluate.translate(model, variables, SOURCES, SRC_VOCAB, TGT_VOCAB, max_length=4,
                              batch_size=2, reverse_source=True, source_length=9)
    self.assertEqual(wide.texts, out.texts)                   # padding the sources changes nothing
    self.assertEqual(wide.attention.shape, (5, 4, 9))
    np.testing.assert_allclose(wide.attention[..., :ids.shape[1]], out.attention, atol=1e-6)
    with self.assertRaisesRegex(ValueError, "max_length=2"):
      evaluate.translate(model, variables, SOURCES, SRC_VOCAB, TGT_VOCAB, max_length=4,
                         source_length=2)

  def test_exact_match_and_bleu_against_every_reference(self):
    model, variables = make()
    texts = evaluate.translate(model, variables, SOURCES[:4], SRC_VOCAB, TGT_VOCAB,
                               max_length=4, beam_size=2).texts
    other = "zzzz"
    self.assertNotIn(other, texts)
    pairs = [(SOURCES[0], texts[0]),                        # right
             (SOURCES[1], other), (SOURCES[1], texts[1]),   # right: the second reference
             (SOURCES[2], other), (SOURCES[3], other)]      # wrong
    result = evaluate.evaluate(model, variables, pairs, SRC_VOCAB, TGT_VOCAB, max_length=4,
                               beam_size=2)
    self.assertEqual(result.sources, SOURCES[:4])
    self.assertEqual(result.hypotheses, texts)
    self.assertEqual(result.references[1], [other, texts[1]])
    self.assertEqual(result.exact_match, 50.0)
    want = corpus_bleu([list(t) for t in texts],
                       [[list(texts[0])], [list(other), list(texts[1])], [list(other)],
                        [list(other)]])
    self.assertEqual(result.bleu, want)
    self.assertLen(result.examples(2), 2)


if __name__ == "__main__":
  absltest.main()
