"""Vocabulary: special ids, building, encode/decode round trips, batches, JSON."""
import os
import tempfile

import numpy as np
from absl.testing import absltest, parameterized

from rnnjax.text import vocab as vocab_lib
from rnnjax.text.vocab import EOS, GO, NUM, PAD, UNK, URL, Vocab, tokenize

TEXTS = ["the cat sat", "the dog sat on the mat", "a cat"]


class TokenizeTest(parameterized.TestCase):

  def test_word_and_char_levels(self):
    self.assertEqual(tokenize("the  cat sat\n", "word"), ["the", "cat", "sat"])
    self.assertEqual(tokenize("ab c", "char"), ["a", "b", " ", "c"])

  def test_normalize_words(self):
    self.assertEqual(tokenize("see https://x.org/a?b=1 at 12:30 or 3.14 for 2 cats", "word", True),
                     ["see", URL, "at", NUM, "or", NUM, "for", NUM, "cats"])
    self.assertEqual(tokenize("route66 www.a.com", "word", True), ["route66", URL])

  def test_normalize_chars(self):
    self.assertEqual(tokenize("a12b www.x.io c", "char", True),
                     ["a", NUM, "b", " ", URL, " ", "c"])

  def test_bad_level_raises(self):
    with self.assertRaisesRegex(ValueError, "level must be one of"):
      tokenize("a", "byte")


class VocabTest(parameterized.TestCase):

  def test_special_ids(self):
    v = Vocab.build(TEXTS)
    self.assertEqual(v.tokens[:4], (PAD, GO, EOS, UNK))
    self.assertEqual((v.pad_id, v.go_id, v.eos_id, v.unk_id), (0, 1, 2, 3))
    n = Vocab.build(TEXTS, normalize=True)
    self.assertEqual(n.tokens[4:6], (NUM, URL))

  def test_build_orders_by_count_then_token(self):
    v = Vocab.build(TEXTS)
    self.assertEqual(v.tokens[4:], ("the", "cat", "sat", "a", "dog", "mat", "on"))

  def test_min_count_and_max_size(self):
    self.assertEqual(Vocab.build(TEXTS, min_count=2).tokens[4:], ("the", "cat", "sat"))
    self.assertEqual(len(Vocab.build(TEXTS, max_size=6)), 6)
    self.assertEqual(Vocab.build(TEXTS, max_size=6).tokens[4:], ("the", "cat"))
    with self.assertRaisesRegex(ValueError, "max_size must be at least"):
      Vocab.build(TEXTS, max_size=3)
    with self.assertRaisesRegex(ValueError, "min_count must be >= 1"):
      Vocab.build(TEXTS, min_count=0)

  @parameterized.named_parameters(("word", "word", "the dog sat on a mat"),
                                  ("char", "char", "mardi 3 mars, März"))
  def test_round_trip(self, level, text):
    v = Vocab.build([text], level=level)
    ids = v.encode(text)
    self.assertEqual(ids[-1], v.eos_id)
    self.assertEqual(v.decode(ids), text)

  def test_unknown_tokens_become_unk(self):
    v = Vocab.build(TEXTS)
    ids = v.encode("the zebra sat")
    self.assertEqual(ids, [v.token_id("the"), v.unk_id, v.token_id("sat"), v.eos_id])
    self.assertEqual(v.decode(ids), f"the {UNK} sat")

  def test_reverse_reverses_tokens_and_keeps_eos_last(self):
    v = Vocab.build(TEXTS)
    forward = v.encode("the cat sat", add_eos=False)
    self.assertEqual(v.encode("the cat sat", reverse=True), forward[::-1] + [v.eos_id])
    self.assertEqual(v.decode(v.encode("the cat sat", reverse=True)), "sat cat the")

  def test_decode_stops_at_eos_and_drops_pad_and_go(self):
    v = Vocab.build(TEXTS)
    the, cat = v.token_id("the"), v.token_id("cat")
    self.assertEqual(v.decode([v.go_id, the, v.pad_id, cat, v.eos_id, cat]), "the cat")
    self.assertEqual(v.decode([the, v.eos_id, cat], stop_at_eos=False), f"the {EOS} cat")
    with self.assertRaisesRegex(ValueError, "outside this vocabulary"):
      v.decode([len(v)])

  def test_encode_batch_pads_and_counts_lengths(self):
    v = Vocab.build(TEXTS)
    ids, lengths = v.encode_batch(TEXTS)
    self.assertEqual(ids.dtype, np.int32)
    self.assertEqual(lengths.dtype, np.int32)
    np.testing.assert_array_equal(lengths, [4, 7, 3])
    self.assertEqual(ids.shape, (3, 7))
    self.assertTrue((ids[0, 4:] == v.pad_id).all())
    self.assertEqual(v.decode_batch(ids), TEXTS)
    self.assertEqual(v.decode_batch(ids, lengths), TEXTS)

  def test_encode_batch_max_length(self):
    v = Vocab.build(TEXTS)
    ids, _ = v.encode_batch(TEXTS, max_length=9)
    self.assertEqual(ids.shape, (3, 9))
    with self.assertRaisesRegex(ValueError, r"text 1 .* more than max_length=5"):
      v.encode_batch(TEXTS, max_length=5)

  def test_json_round_trip(self):
    v = Vocab.build(TEXTS + ["März 3 € https://a.b"], level="char", normalize=True)
    with tempfile.TemporaryDirectory() as tmp:
      path = os.path.join(tmp, "vocab.json")
      v.save(path)
      loaded = Vocab.load(path)
    self.assertEqual(loaded, v)
    self.assertEqual(loaded.encode("März 12"), v.encode("März 12"))
    self.assertEqual(Vocab.from_json(v.to_json()), v)

  def test_bad_tables_raise(self):
    with self.assertRaisesRegex(ValueError, "must start with"):
      Vocab(["a", "b"])
    with self.assertRaisesRegex(ValueError, "must be unique"):
      Vocab(list(vocab_lib.SPECIALS) + ["a", "a"])
    with self.assertRaisesRegex(ValueError, "not a saved"):
      Vocab.from_json({"tokens": []})


if __name__ == "__main__":
  absltest.main()
