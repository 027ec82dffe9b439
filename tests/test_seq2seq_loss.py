"""Per-step cross-entropy masked past <eos>, and the teacher-forcing arrays of sentence pairs."""
import jax
import numpy as np
from absl.testing import absltest, parameterized

from rnnjax.seq2seq import batch, loss
from rnnjax.text import Vocab

B, T, V = 3, 5, 7
LENGTHS = np.array([5, 2, 1], np.int32)


def data(seed=0):
  rng = np.random.default_rng(seed)
  return (rng.standard_normal((B, T, V)).astype(np.float32),
          rng.integers(0, V, (B, T)).astype(np.int32))


def numpy_loss(logits, targets, lengths):
  total, count = 0.0, 0
  for b in range(len(logits)):
    for t in range(lengths[b]):
      z = logits[b, t].astype(np.float64)
      total += np.log(np.exp(z - z.max()).sum()) + z.max() - z[targets[b, t]]
      count += 1
  return total / count


sequence_loss = jax.jit(loss.sequence_loss, static_argnames=("label_smoothing",))


class SequenceLossTest(parameterized.TestCase):

  def test_equals_numpy_mean_over_valid_tokens(self):
    logits, targets = data()
    value, count = sequence_loss(logits, targets, LENGTHS)
    self.assertAlmostEqual(float(value), numpy_loss(logits, targets, LENGTHS), places=5)
    self.assertEqual(float(count), 8.0)

  def test_steps_past_eos_do_not_count(self):
    logits, targets = data(1)
    junk_logits, junk_targets = logits.copy(), targets.copy()
    for b in range(B):
      junk_logits[b, LENGTHS[b]:] = 1e3
      junk_targets[b, LENGTHS[b]:] = 0
    self.assertAlmostEqual(float(sequence_loss(logits, targets, LENGTHS)[0]),
                           float(sequence_loss(junk_logits, junk_targets, LENGTHS)[0]), places=6)
    grads = jax.jit(jax.grad(lambda z: loss.sequence_loss(z, targets, LENGTHS)[0]))(logits)
    past = np.arange(T)[None, :] >= LENGTHS[:, None]
    self.assertTrue((np.asarray(grads)[past] == 0.0).all())
    self.assertTrue((np.abs(np.asarray(grads)[~past]).sum(-1) > 0).all())

  def test_weights_equal_lengths(self):
    logits, targets = data(2)
    weights = np.array(loss.length_weights(LENGTHS, T))
    np.testing.assert_array_equal(weights.sum(1), LENGTHS)
    by_weights = sequence_loss(logits, targets, weights=weights)[0]
    self.assertAlmostEqual(float(by_weights), float(sequence_loss(logits, targets, LENGTHS)[0]),
                           places=6)
    weights[0] = 0.0                     # a padding row of an eval batch
    value, count = sequence_loss(logits, targets, weights=weights)
    self.assertEqual(float(count), 3.0)
    mean = (numpy_loss(logits, targets, LENGTHS) * 8 - numpy_loss(logits[:1], targets[:1],
                                                                  LENGTHS[:1]) * 5) / 3
    self.assertAlmostEqual(float(value), mean, places=5)

  def test_label_smoothing(self):
    logits, targets = data(3)
    eps = 0.1
    got = float(sequence_loss(logits, targets, LENGTHS, label_smoothing=eps)[0])
    z = logits.astype(np.float64)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    soft = np.full((B, T, V), eps / V) + (1 - eps) * np.eye(V)[targets]
    per = -(soft * logp).sum(-1)
    mask = np.arange(T)[None, :] < LENGTHS[:, None]
    self.assertAlmostEqual(got, per[mask].mean(), places=5)

  def test_bad_arguments_raise(self):
    logits, targets = data()
    with self.assertRaisesRegex(ValueError, "exactly one of lengths"):
      loss.sequence_loss(logits, targets)
    with self.assertRaisesRegex(ValueError, "disagree"):
      loss.sequence_loss(logits[:, 1:], targets, LENGTHS)


class BatchTest(parameterized.TestCase):

  def test_encode_pairs(self):
    pairs = [("ab", "xyz"), ("c", "x")]
    src_vocab = Vocab.build([s for s, _ in pairs], level="char")
    tgt_vocab = Vocab.build([t for _, t in pairs], level="char")
    arrays = batch.encode_pairs(pairs, src_vocab, tgt_vocab, reverse_source=True)
    self.assertEqual(src_vocab.decode(arrays["inputs"][0]), "ba")
    np.testing.assert_array_equal(arrays["lengths"], [3, 2])
    np.testing.assert_array_equal(arrays["label_lengths"], [4, 2])
    x, y, z = (tgt_vocab.token_id(c) for c in "xyz")
    np.testing.assert_array_equal(arrays["labels"], [[x, y, z, 2], [x, 2, 0, 0]])
    np.testing.assert_array_equal(arrays["decoder_inputs"], [[1, x, y, z], [1, x, 0, 0]])
    np.testing.assert_array_equal(arrays["weights"], [[1, 1, 1, 1], [1, 1, 0, 0]])
    fixed = batch.encode_pairs(pairs, src_vocab, tgt_vocab, max_source_length=6,
                               max_target_length=8)
    self.assertEqual((fixed["inputs"].shape, fixed["labels"].shape), ((2, 6), (2, 8)))
    for name in ("inputs", "lengths", "decoder_inputs", "labels", "label_lengths"):
      self.assertEqual(arrays[name].dtype, np.int32, name)


if __name__ == "__main__":
  absltest.main()
