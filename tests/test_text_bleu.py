"""Corpus BLEU: hand-computed values, and sacrebleu 2.6.0's numbers stored as expected values.

The sacrebleu values were computed once with
  sacrebleu.corpus_bleu(hyps, ref_streams, smooth_method=<smooth>, tokenize="none", force=True)
(sacrebleu is not a dependency; the expected numbers below are what it printed).
"""
import math

from absl.testing import absltest, parameterized

from rnnjax.text import bleu

# name -> (hypotheses, reference streams as sacrebleu takes them)
CASES = {
    "two_refs": (["the cat sat on the mat", "there is a dog in the garden today"],
                 [["the cat is on the mat", "there is a dog in the garden"],
                  ["a cat sat on the mat", "a dog is in the garden today"]]),
    "short": (["the cat", "hello world again and again"],
              [["the cat is on the mat", "hello world again and again and again"]]),
    "no_4gram_match": (["a b c d e f", "x y z"], [["a b x c d y f", "x z y"]]),
    "papineni_the": (["the the the the the the the"],
                     [["the cat is on the mat"], ["there is a cat on the mat"]]),
}
# (name, smooth) -> (score, precisions, bp, hyp_length, ref_length) from sacrebleu 2.6.0
SACREBLEU = {
    ("two_refs", "none"): (94.20254600938043, (100.0, 100.0, 90.0, 87.5), 1.0, 14, 13),
    ("two_refs", "add-k"): (94.81208519756275, (100.0, 100.0, 90.9090909091, 88.8888888889),
                            1.0, 14, 13),
    ("short", "none"): (42.43728456769501, (100.0,) * 4, 0.42437284567694994, 7, 13),
    ("no_4gram_match", "none"): (0.0, (88.8888888889, 28.5714285714, 0.0, 0.0),
                                 0.8948393168143697, 9, 10),
    ("no_4gram_match", "exp"): (19.193076943351766,
                                (88.8888888889, 28.5714285714, 10.0, 8.3333333333),
                                0.8948393168143697, 9, 10),
    ("no_4gram_match", "floor"): (10.20744623575771,
                                  (88.8888888889, 28.5714285714, 2.0, 3.3333333333),
                                  0.8948393168143697, 9, 10),
    ("no_4gram_match", "add-k"): (30.719343730842173, (88.8888888889, 37.5, 16.6666666667, 25.0),
                                  0.8948393168143697, 9, 10),
    ("papineni_the", "none"): (0.0, (28.5714285714, 0.0, 0.0, 0.0), 1.0, 7, 7),
    ("papineni_the", "exp"): (7.809849842300637, (28.5714285714, 8.3333333333, 5.0, 3.125),
                              1.0, 7, 7),
    ("papineni_the", "floor"): (3.9281465090051304, (28.5714285714, 1.6666666667, 2.0, 2.5),
                                1.0, 7, 7),
    ("papineni_the", "add-k"): (19.20561263749893, (28.5714285714, 14.2857142857, 16.6666666667,
                                                    20.0), 1.0, 7, 7),
}


class BleuTest(parameterized.TestCase):

  def test_identical_corpus_scores_100(self):
    refs = [["a b c d e"], ["f g h i"]]
    score = bleu.corpus_bleu(["a b c d e", "f g h i"], refs)
    self.assertAlmostEqual(score.score, 100.0)
    self.assertEqual(score.brevity_penalty, 1.0)

  def test_hand_computed_value(self):
    # hyp a b c d e (c = 5) vs ref a b c d f g (r = 6): p1..p4 = 4/5, 3/4, 2/3, 1/2,
    # BP = exp(1 - 6/5); BLEU = 100 * BP * (0.2)^(1/4) = 54.7518...
    score = bleu.corpus_bleu([["a", "b", "c", "d", "e"]], [[["a", "b", "c", "d", "f", "g"]]])
    self.assertEqual(score.matches, (4, 3, 2, 1))
    self.assertEqual(score.totals, (5, 4, 3, 2))
    self.assertAlmostEqual(score.brevity_penalty, 0.8187307530779818)
    self.assertAlmostEqual(score.score, 54.75182535069452, places=10)
    self.assertAlmostEqual(score.score, 100 * math.exp(-0.2) * 0.2 ** 0.25, places=10)

  def test_modified_precision_clips_repeated_words(self):
    # Papineni et al.'s example: "the" x7 against two references matches at most twice.
    score = bleu.corpus_bleu(["the " * 7], [["the cat is on the mat", "there is a cat on the mat"]])
    self.assertEqual(score.matches[0], 2)
    self.assertAlmostEqual(score.precisions[0], 100 * 2 / 7)
    self.assertEqual(score.score, 0.0)

  def test_corpus_level_is_not_mean_of_sentences(self):
    hyps, refs = ["a b c d", "e f"], [["a b c d"], ["e f g h"]]
    corpus = bleu.corpus_bleu(hyps, refs).score
    # Pooled: 1-grams 6 (6 match), 2-grams 4 (4), 3-grams 2 (2), 4-grams 1 (1): every p_n = 1;
    # c = 6, r = 8. Sentence BLEUs are 100 and 0 (no 3-gram in "e f"): their mean is 50.
    self.assertAlmostEqual(corpus, 100 * math.exp(1 - 8 / 6))
    self.assertNotAlmostEqual(corpus, (100.0 + 0.0) / 2)

  def test_closest_reference_length_prefers_the_shorter_on_a_tie(self):
    self.assertEqual(bleu.closest_length(5, [7, 3, 6, 4]), 4)
    self.assertEqual(bleu.closest_length(5, [8, 2]), 2)

  def test_empty_hypothesis_has_zero_brevity_penalty(self):
    score = bleu.corpus_bleu([""], [["a b"]])
    self.assertEqual((score.score, score.brevity_penalty), (0.0, 0.0))

  @parameterized.named_parameters((f"{n}_{s}", n, s) for n, s in SACREBLEU)
  def test_equals_sacrebleu(self, name, smooth):
    hyps, streams = CASES[name]
    refs = [list(r) for r in zip(*streams)]            # streams -> references per hypothesis
    score = bleu.corpus_bleu(hyps, refs, smooth=smooth)
    want_score, want_precisions, want_bp, c, r = SACREBLEU[(name, smooth)]
    self.assertAlmostEqual(score.score, want_score, places=9)
    for got, want in zip(score.precisions, want_precisions):
      self.assertAlmostEqual(got, want, places=8)
    self.assertAlmostEqual(score.brevity_penalty, want_bp, places=12)
    self.assertEqual((score.hyp_length, score.ref_length), (c, r))

  def test_bad_arguments_raise(self):
    with self.assertRaisesRegex(ValueError, "smooth must be one of"):
      bleu.corpus_bleu(["a"], [["a"]], smooth="laplace")
    with self.assertRaisesRegex(ValueError, "same length"):
      bleu.corpus_bleu(["a", "b"], [["a"]])
    with self.assertRaisesRegex(ValueError, r"references\[0\] must be a non-empty list"):
      bleu.corpus_bleu(["a"], ["a"])


if __name__ == "__main__":
  absltest.main()
