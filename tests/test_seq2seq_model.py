"""Seq2Seq: teacher-forced logits against a numpy transcription and against the step-by-step
decoder, attention masking, the bridge, parameter layout."""
import jax
import jax.numpy as jnp
import numpy as np
from absl.testing import absltest, parameterized

from rnnjax import cells, layers
from rnnjax.seq2seq import Seq2Seq, attention
from tests import reference

B, S, T, E, H = 3, 7, 5, 5, 4
V_SRC, V_TGT = 11, 9
SRC_LENGTHS = np.array([S, 3, 1], np.int32)
TGT_LENGTHS = np.array([T, 2, 1], np.int32)
# Host arrays throughout: every eager jax op outside jit would compile a program of its own.


def inputs(seed=0):
  rng = np.random.default_rng(seed)
  src = rng.integers(3, V_SRC, (B, S)).astype(np.int32)
  tgt_in = rng.integers(3, V_TGT, (B, T)).astype(np.int32)
  tgt_in[:, 0] = 1                                                     # <go> first
  return src, tgt_in


def random_variables(model, *args, seed=0, scale=0.5):
  """Parameters of the model's layout, drawn N(0, scale^2) in numpy: no init compilation (the
  tests compare computations, not initialisers)."""
  shapes = jax.eval_shape(model.init, jax.random.key(0), *args)
  rng = np.random.default_rng(seed)
  return jax.tree.map(lambda s: (scale * rng.standard_normal(s.shape)).astype(s.dtype), shapes)


def jitted(model):
  """model.apply under jit (eager Flax re-traces the lifted scan at every call), numpy out."""
  apply = jax.jit(model.apply, static_argnames=("method", "train"))
  return lambda *args, **kwargs: jax.tree.map(np.asarray, apply(*args, **kwargs))


def simple_model(kind, **kwargs):
  return Seq2Seq(layers.Recurrent(cells.LSTMCell(H)), [cells.LSTMCell(H)], V_SRC, V_TGT,
                 embed_dim=E, attention=kind, **kwargs)


def softmax(x):
  e = np.exp(x - x.max())
  return e / e.sum()


def numpy_logits(p, kind, src, src_len, tgt_in, tgt_len):
  """One row, float64, from the equations in seq2seq/model.py's docstrings."""
  p = jax.tree.map(lambda a: np.asarray(a, np.float64), p)
  dec, out = p["decoder"], p["decoder"]["output"]
  state, memory = (np.zeros(H), np.zeros(H)), []
  for t in range(src_len):                                 # encoder over the valid steps
    state, y = reference.lstm_step(p["encoder"]["cell"], p["source_embedding"]["embedding"][src[t]],
                                   state)
    memory.append(y)
  memory = np.stack(memory)                                # [S_b, H]; the bridge copies (h, c)
  feed, logits = np.zeros(H), []
  for t in range(tgt_len):
    x = p["target_embedding"]["embedding"][tgt_in[t]]
    if kind == "bahdanau":
      a = dec["attend"]
      hidden = np.tanh(memory @ a["key"]["kernel"] + state[0] @ a["query"]["kernel"]
                       + a["query"]["bias"])
      weights = softmax(hidden @ a["score"][:, 0])
      context = weights @ memory
      x = np.concatenate([x, context])
    elif kind in ("dot", "general"):
      x = np.concatenate([x, feed])
    state, y = reference.lstm_step(dec["layers_0"], x, state)
    if kind in ("dot", "general"):
      keys = memory if kind == "dot" else memory @ dec["attend"]["key"]["kernel"]
      context = softmax(keys @ y) @ memory
      y = feed = np.tanh(np.concatenate([context, y]) @ dec["combine"]["kernel"])
    elif kind == "bahdanau":
      y = np.concatenate([y, context])
    logits.append(y @ out["kernel"] + out["bias"])
  return np.stack(logits)


class Seq2SeqTest(parameterized.TestCase):

  @parameterized.named_parameters((k, k) for k in attention.ATTENTIONS)
  def test_teacher_forcing_equals_numpy(self, kind):
    model = simple_model(kind)
    src, tgt_in = inputs()
    variables = random_variables(model, src, SRC_LENGTHS, tgt_in, TGT_LENGTHS)
    logits = jitted(model)(variables, src, SRC_LENGTHS, tgt_in, TGT_LENGTHS)
    self.assertEqual(logits.shape, (B, T, V_TGT))
    for b in range(B):
      want = numpy_logits(variables["params"], kind, src[b], SRC_LENGTHS[b], tgt_in[b],
                          TGT_LENGTHS[b])
      np.testing.assert_allclose(logits[b, :len(want)], want, rtol=2e-5, atol=2e-6)
      np.testing.assert_array_equal(logits[b, len(want):], 0.0)   # zero past tgt_lengths

  @parameterized.named_parameters(("luong", "general", "bidirectional"),
                                  ("bahdanau", "bahdanau", "stacked"))
  def test_teacher_forcing_equals_python_step_loop(self, kind, encoder):
    if encoder == "bidirectional":
      enc = layers.Bidirectional(cells.GRUCell(H), cells.GRUCell(H))
    else:
      enc = layers.Stacked([cells.LSTMCell(H), cells.LSTMCell(6)])
    model = Seq2Seq(enc, [cells.LSTMCell(6), cells.GRUCell(6)], V_SRC, V_TGT, embed_dim=E,
                    attention=kind)
    src, tgt_in = inputs(1)
    variables = random_variables(model, src, SRC_LENGTHS, tgt_in, seed=2)
    apply = jitted(model)
    logits, weights = apply(variables, src, SRC_LENGTHS, tgt_in, method=Seq2Seq.teacher_forced)
    memory, carry = apply(variables, src, SRC_LENGTHS, method=Seq2Seq.encode)
    for t in range(T):
      carry, step_logits, step_weights = apply(variables, memory, carry, tgt_in[:, t],
                                               method=Seq2Seq.decode_step)
      np.testing.assert_allclose(logits[:, t], step_logits, rtol=1e-5, atol=1e-6)
      np.testing.assert_allclose(weights[:, t], step_weights, rtol=1e-5, atol=1e-6)
    bridge = jax.tree.map(jnp.shape, variables["params"]["bridge"])
    if encoder == "bidirectional":   # both decoder layers start from [h_fw; h_bw] [B, 2H]
      self.assertEqual(bridge, {"layer_0_c": {"kernel": (2 * H, 6), "bias": (6,)},
                                "layer_0_h": {"kernel": (2 * H, 6), "bias": (6,)},
                                "layer_1_h": {"kernel": (2 * H, 6), "bias": (6,)}})
    else:                            # layer by layer; encoder layer 1 has the GRU's size: copied
      self.assertEqual(bridge, {"layer_0_c": {"kernel": (H, 6), "bias": (6,)},
                                "layer_0_h": {"kernel": (H, 6), "bias": (6,)}})

  @parameterized.named_parameters((k, k) for k in ("dot", "general", "bahdanau"))
  def test_attention_masks_source_padding(self, kind):
    model = simple_model(kind)
    src, tgt_in = inputs(2)
    variables = random_variables(model, src, SRC_LENGTHS, tgt_in, seed=3)
    apply = jitted(model)
    logits, weights = apply(variables, src, SRC_LENGTHS, tgt_in,
                            method=Seq2Seq.teacher_forced)              # [B, T, S]
    valid = np.arange(S)[None, :] < SRC_LENGTHS[:, None]                # [B, S]
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-6)
    self.assertTrue((weights[~np.broadcast_to(valid[:, None], weights.shape)] == 0.0).all())
    self.assertTrue((weights[np.broadcast_to(valid[:, None], weights.shape)] > 0.0).all())
    junk = np.where(valid, src, 10).astype(np.int32)                    # other ids on padding
    np.testing.assert_allclose(apply(variables, junk, SRC_LENGTHS, tgt_in), logits, atol=1e-6)

  def test_masked_softmax_rows_without_valid_steps_are_zero(self):
    scores = np.array([[1.0, 2.0, 3.0], [5.0, -1.0, 0.0]], np.float32)
    mask = np.array([[True, True, False], [False, False, False]])
    w = np.asarray(jax.jit(attention.masked_softmax)(scores, mask))
    np.testing.assert_allclose(w[0], [np.exp(-1) / (1 + np.exp(-1)), 1 / (1 + np.exp(-1)), 0])
    np.testing.assert_array_equal(w[1], 0.0)

  def test_decoder_is_causal(self):
    model = simple_model("general")
    src, tgt_in = inputs(3)
    variables = random_variables(model, src, SRC_LENGTHS, tgt_in, seed=4)
    apply = jitted(model)
    logits = apply(variables, src, SRC_LENGTHS, tgt_in)
    later = tgt_in.copy()
    later[:, 3:] = 5
    changed = apply(variables, src, SRC_LENGTHS, later)
    np.testing.assert_allclose(changed[:, :3], logits[:, :3], atol=1e-6)
    self.assertGreater(np.abs(changed[:, 3:] - logits[:, 3:]).max(), 1e-4)

  def test_shared_embeddings_and_zeros_bridge(self):
    model = Seq2Seq(layers.Recurrent(cells.GRUCell(H)), [cells.GRUCell(H)], V_SRC, V_SRC,
                    embed_dim=E, share_embeddings=True, bridge="zeros")
    src, tgt_in = inputs(4)
    variables = random_variables(model, src, SRC_LENGTHS, tgt_in)
    params = variables["params"]
    self.assertIn("embedding", params)
    self.assertNotIn("source_embedding", params)
    self.assertNotIn("bridge", params)
    _, carry = jitted(model)(variables, src, SRC_LENGTHS, method=Seq2Seq.encode)
    np.testing.assert_array_equal(carry.states[0].h, 0.0)
    with self.assertRaisesRegex(ValueError, "share_embeddings needs src_vocab_size"):
      jax.eval_shape(simple_model("none", share_embeddings=True).init, jax.random.key(0), src,
                     SRC_LENGTHS, tgt_in)

  def test_dropout_is_keyed(self):
    model = simple_model("bahdanau", dropout=0.3)
    src, tgt_in = inputs(5)
    variables = random_variables(model, src, SRC_LENGTHS, tgt_in)
    apply = jitted(model)
    run = lambda k: apply(variables, src, SRC_LENGTHS, tgt_in, train=True,  # noqa: E731
                          rngs={"dropout": jax.random.key(k)})
    np.testing.assert_array_equal(run(0), run(0))
    self.assertGreater(np.abs(run(0) - run(1)).max(), 1e-4)

  def test_bad_options_raise(self):
    src, tgt_in = inputs()
    def init(model):
      return jax.eval_shape(model.init, jax.random.key(0), src, SRC_LENGTHS, tgt_in)

    with self.assertRaisesRegex(ValueError, "attention must be one of"):
      init(simple_model("luong"))
    with self.assertRaisesRegex(ValueError, "bridge must be one of"):
      init(simple_model("none", bridge="copy"))
    dot = Seq2Seq(layers.Recurrent(cells.LSTMCell(H)), [cells.LSTMCell(6)], V_SRC, V_TGT,
                  embed_dim=E, attention="dot")
    with self.assertRaisesRegex(ValueError, 'attention="dot" needs encoder outputs'):
      init(dot)


if __name__ == "__main__":
  absltest.main()
