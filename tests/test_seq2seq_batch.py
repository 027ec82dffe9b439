"""The teacher-forcing arrays of sentence pairs, and the splits the training engine reads."""
import numpy as np
from absl.testing import absltest, parameterized

from rnnjax.seq2seq import batch
from rnnjax.text import Vocab

PAIRS = [("ab", "xyz"), ("c", "x")]
SRC_VOCAB = Vocab.build([s for s, _ in PAIRS], level="char")
TGT_VOCAB = Vocab.build([t for _, t in PAIRS], level="char")
X, Y, Z = (TGT_VOCAB.token_id(c) for c in "xyz")


class BatchTest(parameterized.TestCase):

  def test_encode_pairs(self):
    arrays = batch.encode_pairs(PAIRS, SRC_VOCAB, TGT_VOCAB, reverse_source=True)
    self.assertEqual(SRC_VOCAB.decode(arrays["inputs"][0]), "ba")
    np.testing.assert_array_equal(arrays["lengths"], [3, 2])
    np.testing.assert_array_equal(arrays["label_lengths"], [4, 2])
    np.testing.assert_array_equal(arrays["labels"], [[X, Y, Z, 2], [X, 2, 0, 0]])
    np.testing.assert_array_equal(arrays["decoder_inputs"], [[1, X, Y, Z], [1, X, 0, 0]])
    np.testing.assert_array_equal(arrays["weights"], [[1, 1, 1, 1], [1, 1, 0, 0]])
    fixed = batch.encode_pairs(PAIRS, SRC_VOCAB, TGT_VOCAB, max_source_length=6,
                               max_target_length=8)
    self.assertEqual((fixed["inputs"].shape, fixed["labels"].shape), ((2, 6), (2, 8)))
    for name in ("inputs", "lengths", "decoder_inputs", "labels", "label_lengths"):
      self.assertEqual(arrays[name].dtype, np.int32, name)

  def test_encode_split_packs_the_engine_batch(self):
    split = batch.encode_split(PAIRS, SRC_VOCAB, TGT_VOCAB, reverse_source=True)
    self.assertEqual(sorted(split.inputs), ["decoder_inputs", "source", "target_lengths"])
    one = split.batch(np.array([1, 0]))                  # rows taken in every array together
    np.testing.assert_array_equal(one["inputs"]["source"][1], split.inputs["source"][0])
    np.testing.assert_array_equal(one["inputs"]["target_lengths"], [2, 4])
    np.testing.assert_array_equal(one["lengths"], [2, 3])                    # source lengths
    np.testing.assert_array_equal(one["labels"], [[X, 2, 0, 0], [X, Y, Z, 2]])
    np.testing.assert_array_equal(one["weights"], [[1, 1, 0, 0], [1, 1, 1, 1]])  # 0 past <eos>
    padded = next(split.eval_batches(4))                 # 2 padding rows of weight 0
    np.testing.assert_array_equal(padded["weights"].sum(1), [4, 2, 0, 0])

  def test_data_spec(self):
    spec = batch.data_spec(PAIRS[1:], [], PAIRS[:1], SRC_VOCAB, TGT_VOCAB)
    self.assertIsNone(spec.validation)
    self.assertEqual((spec.num_classes, spec.feature_dim), (len(TGT_VOCAB), len(SRC_VOCAB)))
    self.assertLen(spec.test, 1)
    for split in (spec.train, spec.test):     # one width for every split: the longest of all
      self.assertEqual(split.inputs["source"].shape[1], 3)
      self.assertEqual(split.labels.shape[1], 4)
    with self.assertRaisesRegex(ValueError, "no pairs"):
      batch.encode_split([], SRC_VOCAB, TGT_VOCAB)


if __name__ == "__main__":
  absltest.main()
