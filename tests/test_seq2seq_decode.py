"""Greedy and beam-search decoding: against a Python-loop decode, beam 1 == greedy, and beam
search against the enumeration of every hypothesis of a tiny model."""
import functools
import itertools

import jax
import numpy as np
import optax
from absl.testing import absltest, parameterized

from rnnjax import cells, layers, train
from rnnjax.seq2seq import Seq2Seq, decode, encode_split
from rnnjax.text import Vocab

B, S, E, H = 4, 6, 5, 4
V_SRC, V_TGT = 11, 6               # target ids: <pad> <go> <eos> and three tokens
PAD, GO, EOS = 0, 1, 2
SRC = np.random.default_rng(0).integers(3, V_SRC, (B, S)).astype(np.int32)
SRC_LENGTHS = np.array([S, 4, 2, 1], np.int32)


def make(kind, v_tgt=V_TGT, seed=2):
  """A model with N(0, 1) parameters drawn in numpy (no init compilation); seed 2 gives rows
  that end at different steps and rows that reach max_length."""
  model = Seq2Seq(layers.Recurrent(cells.GRUCell(H)), [cells.GRUCell(H)], V_SRC, v_tgt,
                  embed_dim=E, attention=kind)
  shapes = jax.eval_shape(model.init, jax.random.key(0), SRC, SRC_LENGTHS,
                          np.ones((B, 2), np.int32))
  rng = np.random.default_rng(seed)
  return model, jax.tree.map(lambda s: rng.standard_normal(s.shape).astype(s.dtype), shapes)


def numpy_tree(tree):
  return jax.tree.map(np.asarray, tree)


def log_softmax_allowed(logits):
  """log_softmax over the tokens decoding may emit (not <pad>, not <go>), float64."""
  z = np.asarray(logits, np.float64).copy()
  z[..., [PAD, GO]] = -np.inf
  top = z.max(-1, keepdims=True)
  return z - top - np.log(np.exp(z - top).sum(-1, keepdims=True))


def python_greedy(model, variables, max_length):
  """Each row decoded alone in a Python loop over jitted encode / decode_step calls."""
  apply = jax.jit(model.apply, static_argnames="method")
  memory, carry = apply(variables, SRC, SRC_LENGTHS, method=Seq2Seq.encode)
  tokens = np.full((B,), GO, np.int32)
  out, done = [[] for _ in range(B)], [False] * B
  scores, attention = np.zeros(B), np.zeros((B, max_length, S))
  for t in range(max_length):
    carry, logits, weights = apply(variables, memory, carry, tokens, method=Seq2Seq.decode_step)
    log_probs = log_softmax_allowed(logits)
    for b in range(B):
      if done[b]:
        tokens[b] = PAD
        continue
      tokens[b] = int(np.argmax(log_probs[b]))
      out[b].append(int(tokens[b]))
      scores[b] += log_probs[b, tokens[b]]
      attention[b, t] = np.asarray(weights[b])
      done[b] = tokens[b] == EOS
  return out, scores, attention


def greedy_path(hypotheses, log_probs):
  """The greedy hypothesis, read from the enumeration: log_probs [15, 3, V] of each hypothesis'
  steps (a step's distribution depends only on the prefix)."""
  path = []
  while len(path) < 3 and (not path or path[-1] != EOS):
    i = next(i for i, h in enumerate(hypotheses) if h[:len(path)] == path and len(h) > len(path))
    path.append(int(np.argmax(log_probs[i, len(path)])))
  return path


class DecodeTest(parameterized.TestCase):

  @parameterized.named_parameters(("none", "none"), ("bahdanau", "bahdanau"))
  def test_greedy_equals_python_loop_and_beam_width_one(self, kind):
    model, variables = make(kind)
    max_length = 6
    got = numpy_tree(jax.jit(functools.partial(decode.greedy, model, max_length=max_length))(
        variables, SRC, SRC_LENGTHS))
    want, scores, attention = python_greedy(model, variables, max_length)
    lengths = [len(w) for w in want]
    self.assertTrue(min(lengths) < max_length and max(lengths) == max_length, lengths)
    np.testing.assert_array_equal(got.lengths, lengths)
    for b in range(B):
      np.testing.assert_array_equal(got.tokens[b, :lengths[b]], want[b])
      np.testing.assert_array_equal(got.tokens[b, lengths[b]:], PAD)     # <pad> after <eos>
    np.testing.assert_allclose(got.log_probs, scores, rtol=1e-5)
    np.testing.assert_allclose(got.attention, attention, atol=1e-6)
    if kind == "bahdanau":   # weights sum to 1 on emitted steps, 0 after
      emitted = np.arange(max_length)[None, :] < got.lengths[:, None]
      np.testing.assert_allclose(got.attention.sum(-1), emitted.astype(float), atol=1e-6)
    beam = numpy_tree(jax.jit(functools.partial(
        decode.beam_search, model, beam_size=1, max_length=max_length, length_penalty=0.7))(
            variables, SRC, SRC_LENGTHS))
    for name in ("tokens", "lengths"):
      np.testing.assert_array_equal(getattr(beam, name), getattr(got, name), name)
    np.testing.assert_allclose(beam.log_probs, got.log_probs, rtol=1e-6)
    np.testing.assert_allclose(beam.attention, got.attention, atol=1e-7)

  @parameterized.named_parameters(("log_prob", 0.0), ("per_token", 1.0))
  def test_beam_search_finds_the_best_of_every_hypothesis(self, alpha):
    # Target tokens <eos>, a, b; max_length 3: 3 + 3 + 9 = 15 hypotheses (ending in <eos>, or
    # cut at 3 tokens). A beam of 15 keeps them all; it must rank them as the enumeration does.
    model, variables = make("bahdanau", v_tgt=5, seed=3)
    hypotheses = [list(h) + [EOS] for n in range(3) for h in itertools.product([3, 4], repeat=n)]
    hypotheses += [list(h) for h in itertools.product([3, 4], repeat=3)]
    self.assertLen(hypotheses, 15)
    tgt_in = np.array([[GO] + h[:-1] + [PAD] * (3 - len(h)) for h in hypotheses], np.int32)
    apply = jax.jit(model.apply)
    logits = np.asarray(apply(variables, np.repeat(SRC, 15, 0), np.repeat(SRC_LENGTHS, 15),
                              np.tile(tgt_in, (B, 1)))).reshape(B, 15, 3, -1)
    log_probs = log_softmax_allowed(logits)
    beams = numpy_tree(jax.jit(functools.partial(
        decode.beam_search, model, beam_size=15, max_length=3, length_penalty=alpha,
        all_beams=True))(variables, SRC, SRC_LENGTHS))
    not_greedy = 0
    for b in range(B):
      totals = [sum(log_probs[b, i, t, tok] for t, tok in enumerate(h))
                for i, h in enumerate(hypotheses)]
      keys = [total / len(h) ** alpha for total, h in zip(totals, hypotheses)]
      order = np.argsort(keys)[::-1]
      for rank, i in enumerate(order):
        h = hypotheses[i]
        self.assertEqual(list(beams.tokens[b, rank, :len(h)]), h)
        self.assertEqual(beams.lengths[b, rank], len(h))
        self.assertAlmostEqual(float(beams.log_probs[b, rank]), totals[i], places=4)
      not_greedy += hypotheses[order[0]] != greedy_path(hypotheses, log_probs[b])
    self.assertGreater(not_greedy, 0)   # the search does more than greedy decoding here

  def test_exact_match(self):
    tokens = np.array([[5, 2, 0], [5, 3, 2], [5, 2, 0]], np.int32)
    lengths = np.array([2, 3, 2], np.int32)
    targets = np.array([[5, 2, 0, 0], [5, 4, 2, 0], [5, 4, 2, 0]], np.int32)
    target_lengths = np.array([2, 3, 3], np.int32)
    got = jax.jit(decode.exact_match)(tokens, lengths, targets, target_lengths)
    np.testing.assert_array_equal(got, [True, False, False])

  def test_overfits_one_batch_through_the_engine_and_decodes_it(self):
    # End to end (vocabulary, the engine's split, rnnjax.train.train_step's per-step loss, greedy
    # decode): 8 reversals learnt by heart. The slowest test of the file: most of its time
    # compiles the gradient.
    words = ["abc", "bca", "cab", "acb", "bac", "cba", "aabc", "abcc"]
    vocab = Vocab.build(words, level="char")
    split = encode_split([(w, w[::-1]) for w in words], vocab, vocab)
    one = split.batch(np.arange(len(words)))
    model = Seq2Seq(layers.Recurrent(cells.LSTMCell(16)), [cells.LSTMCell(16)], len(vocab),
                    len(vocab), embed_dim=8, attention="general")
    shapes = jax.eval_shape(model.init, jax.random.key(0), one["inputs"], one["lengths"])
    rng = np.random.default_rng(0)
    params = jax.tree.map(lambda s: (0.3 * rng.standard_normal(s.shape)).astype(s.dtype),
                          shapes)["params"]
    state = train.TrainState.create(apply_fn=model.apply, params=params, tx=optax.adam(0.03))
    step = jax.jit(train.train_step)
    for _ in range(150):
      state, sums = step(state, one, jax.random.key(0))
    self.assertLess(float(sums["loss"] / sums["count"]), 0.05)
    out = jax.jit(functools.partial(decode.greedy, model, max_length=6))(
        {"params": state.params}, one["inputs"]["source"], one["lengths"])
    self.assertEqual(vocab.decode_batch(np.asarray(out.tokens)), [w[::-1] for w in words])
    matches = decode.exact_match(out.tokens, out.lengths, one["labels"],
                                 one["inputs"]["target_lengths"])
    self.assertTrue(np.asarray(matches).all())

  def test_bad_beam_size_raises(self):
    model, variables = make("none")
    with self.assertRaisesRegex(ValueError, "beam_size must be >= 1"):
      decode.beam_search(model, variables, SRC, SRC_LENGTHS, beam_size=0, max_length=3)


if __name__ == "__main__":
  absltest.main()
