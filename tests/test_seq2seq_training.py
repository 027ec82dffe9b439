"""Seq2Seq through the shared training engine (rnnjax.train): the engine's per-step loss equals a
step-by-step Python reference, nothing past a target's <eos> counts, the dict call equals the
positional one, and the presets."""
import jax
import numpy as np
import optax
from absl.testing import absltest, parameterized

from rnnjax import cells, layers, train
from rnnjax.seq2seq import Seq2Seq, batch, presets
from rnnjax.text import Vocab

PAIRS = [("abcab", "xyzzy"), ("ba", "zx"), ("c", "y"), ("cabbac", "yy")]   # B = 4
SRC_VOCAB = Vocab.build([s for s, _ in PAIRS], level="char")
TGT_VOCAB = Vocab.build([t for _, t in PAIRS], level="char")
H, E = 4, 3


def make_state(seed=0):
  """A Seq2Seq with Luong attention and N(0, 0.5^2) numpy parameters (no init compilation) in
  the engine's TrainState, and the engine batch of PAIRS."""
  model = Seq2Seq(layers.Recurrent(cells.GRUCell(H)), [cells.LSTMCell(5)], len(SRC_VOCAB),
                  len(TGT_VOCAB), embed_dim=E, attention="general")
  data = batch.encode_split(PAIRS, SRC_VOCAB, TGT_VOCAB, reverse_source=True)
  one = data.batch(np.arange(len(PAIRS)))
  shapes = jax.eval_shape(model.init, jax.random.key(0), one["inputs"], one["lengths"])
  rng = np.random.default_rng(seed)
  params = jax.tree.map(lambda s: (0.5 * rng.standard_normal(s.shape)).astype(s.dtype),
                        shapes)["params"]
  state = train.TrainState.create(apply_fn=model.apply, params=params, tx=optax.sgd(0.5))
  return model, state, one


def python_loss(model, params, one):
  """Mean over target tokens up to each <eos> of -log p(label): the decoder run one step at a
  time in a Python loop (encode, then decode_step fed the teacher's tokens), float64 softmax."""
  apply = jax.jit(model.apply, static_argnames="method")
  variables = {"params": params}
  memory, carry = apply(variables, one["inputs"]["source"], one["lengths"], method=Seq2Seq.encode)
  total, count = 0.0, 0
  tgt_in, labels = one["inputs"]["decoder_inputs"], one["labels"]
  for t in range(tgt_in.shape[1]):
    carry, logits, _ = apply(variables, memory, carry, tgt_in[:, t], method=Seq2Seq.decode_step)
    z = np.asarray(logits, np.float64)
    log_p = z - z.max(-1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(-1, keepdims=True))
    for b, n in enumerate(one["inputs"]["target_lengths"]):
      if t < n:                                   # the <eos> (step n - 1) counts, later ones not
        total -= log_p[b, labels[b, t]]
        count += 1
  return total / count, count


class EngineTest(parameterized.TestCase):

  def test_engine_loss_equals_python_step_loop(self):
    model, state, one = make_state()
    want, count = python_loss(model, state.params, one)
    self.assertEqual(count, sum(len(t) + 1 for _, t in PAIRS))
    sums = jax.jit(train.eval_step)(state, one)
    self.assertEqual(float(sums["count"]), count)
    self.assertAlmostEqual(float(sums["loss"]) / count, want, places=5)
    _, train_sums = jax.jit(train.train_step)(state, one, jax.random.key(0))
    self.assertAlmostEqual(float(train_sums["loss"]) / count, want, places=5)

  def test_steps_past_eos_change_nothing(self):
    # Junk labels and decoder inputs past each <eos>: the same loss, the same update.
    model, state, one = make_state(1)
    lengths = one["inputs"]["target_lengths"]
    past = np.arange(one["labels"].shape[1])[None, :] >= lengths[:, None]    # [B, T]
    self.assertTrue(past.any())
    junk = {**one, "labels": np.where(past, 4, one["labels"]).astype(np.int32),
            "inputs": {**one["inputs"], "decoder_inputs": np.where(
                past, 5, one["inputs"]["decoder_inputs"]).astype(np.int32)}}
    step = jax.jit(train.train_step)
    (a, sums_a), (b, sums_b) = step(state, one, jax.random.key(0)), step(state, junk,
                                                                          jax.random.key(0))
    for x, y in zip(jax.tree.leaves(a.params), jax.tree.leaves(b.params)):
      np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-7)
    for name in ("loss", "count", "correct", "sequence_correct"):
      self.assertAlmostEqual(float(sums_a[name]), float(sums_b[name]), places=5, msg=name)
    self.assertGreater(max(np.abs(np.asarray(x) - np.asarray(y)).max() for x, y in zip(
        jax.tree.leaves(a.params), jax.tree.leaves(state.params))), 1e-3)   # it did update

  def test_dict_call_equals_positional_call(self):
    model, state, one = make_state(2)
    variables = {"params": state.params}
    apply = jax.jit(model.apply)
    by_dict = apply(variables, one["inputs"], one["lengths"])
    x = one["inputs"]
    positional = apply(variables, x["source"], one["lengths"], x["decoder_inputs"],
                       x["target_lengths"])
    np.testing.assert_array_equal(by_dict, positional)
    with self.assertRaisesRegex(ValueError, "missing \\['decoder_inputs'\\]"):
      model.apply(variables, {"source": x["source"]}, one["lengths"])
    with self.assertRaisesRegex(ValueError, "not both"):
      model.apply(variables, x, one["lengths"], x["decoder_inputs"])
    with self.assertRaisesRegex(ValueError, "needs decoder_inputs"):
      model.apply(variables, x["source"], one["lengths"])


class PresetsTest(parameterized.TestCase):

  @parameterized.named_parameters(("lstm", "lstm", "luong", 1), ("bigru", "bigru", "bahdanau", 1),
                                  ("multigru", "multigru", "none", 2))
  def test_build(self, name, attention, layers_):
    model = presets.build(name, src_vocab_size=7, tgt_vocab_size=6, hidden_size=4,
                          num_layers=2, embed_dim=3, attention=attention)
    self.assertLen(model.decoder_cells, layers_)
    self.assertEqual(model.attention, presets.ATTENTION_NAMES[attention])
    src = np.ones((2, 5), np.int32)
    inputs = {"source": src, "decoder_inputs": np.ones((2, 3), np.int32)}
    params = jax.eval_shape(model.init, jax.random.key(0), inputs, np.array([5, 2]))["params"]
    self.assertEqual(params["decoder"]["output"]["kernel"].shape[-1], 6)
    self.assertEqual(sorted(k for k in params["decoder"] if k.startswith("layers_")),
                     [f"layers_{i}" for i in range(layers_)])

  def test_bad_names_raise(self):
    with self.assertRaisesRegex(ValueError, "Unknown model 'transformer'"):
      presets.build("transformer", src_vocab_size=7, tgt_vocab_size=6)
    with self.assertRaisesRegex(ValueError, "attention must be one of"):
      presets.build("lstm", src_vocab_size=7, tgt_vocab_size=6, attention="luong_dot")


if __name__ == "__main__":
  absltest.main()
