"""Per-step targets, truncated BPTT with carried state, and generation (the sequence training
engine): losses that ignore weight-0 steps, chunked training equal to one pass, gradients that
stop at chunk boundaries, per-row resets, resume with the carry, and free-running generation
equal to a step-by-step Python loop."""
import os
import tempfile
from unittest import mock

from absl.testing import absltest
import jax
import jax.numpy as jnp
import numpy as np

from rnnjax import metrics, models, train, trainer
from rnnjax.data import splits

R, L, T, D, H, C = 4, 12, 4, 2, 5, 3           # stream rows, row length, chunk, features, ...
RNG = np.random.default_rng(0)
SERIES = RNG.normal(size=(R, L, D)).astype(np.float32)
LABELS = RNG.integers(0, C, (R, L)).astype(np.int32)


def tagger():
  return models.build_tagger("gru", num_outputs=C, hidden_size=H)


def state_for(batch, stateful=True, learning_rate=0.1):
  tx = train.make_optimizer("sgd", learning_rate)
  return train.create_train_state(tagger(), jax.random.key(0), batch, tx, stateful=stateful)


class PerStepLossTest(absltest.TestCase):

  def test_steps_with_weight_zero_change_nothing(self):
    batch = {"inputs": SERIES, "lengths": np.full((R,), L, np.int32), "labels": LABELS,
             "weights": (RNG.random((R, L)) > 0.3).astype(np.float32)}
    state = state_for(batch, stateful=False)
    other = {**batch, "labels": np.where(batch["weights"] > 0, LABELS, (LABELS + 1) % C)}
    step = jax.jit(train.train_step)
    (a, sums_a), (b, sums_b) = step(state, batch, jax.random.key(1)), step(state, other,
                                                                          jax.random.key(1))
    for x, y in zip(jax.tree.leaves(a.params), jax.tree.leaves(b.params)):
      np.testing.assert_array_equal(x, y)
    self.assertEqual(float(sums_a["count"]), batch["weights"].sum())
    np.testing.assert_array_equal(sums_a["correct"], sums_b["correct"])

  def test_lengths_give_the_default_step_weights(self):
    lengths = np.array([L, 3, 1, 7], np.int32)
    batch = {"inputs": SERIES, "lengths": lengths, "labels": LABELS}
    state = state_for(batch, stateful=False)
    sums = jax.jit(train.eval_step)(state, batch)
    self.assertEqual(float(sums["count"]), lengths.sum())
    self.assertEqual(float(sums["sequences"]), R)

  def test_per_step_metrics_count_steps_and_whole_sequences(self):
    logits = jnp.asarray(np.eye(C)[LABELS[:2, :3]] * 5.0)               # [2, 3, C]: all right
    labels = LABELS[:2, :3].copy()
    labels[1, 2] = (labels[1, 2] + 1) % C                               # one wrong step
    weights = np.ones((2, 3), np.float32)
    summary = metrics.summarize(metrics.merge([metrics.batch_sums(
        logits, labels, weights, loss="softmax_cross_entropy")]))
    self.assertAlmostEqual(summary["accuracy"], 5 / 6)
    self.assertAlmostEqual(summary["sequence_accuracy"], 1 / 2)
    weights[1, 2] = 0.0                                                 # ignore the wrong step
    summary = metrics.summarize(metrics.merge([metrics.batch_sums(
        logits, labels, weights, loss="softmax_cross_entropy")]))
    self.assertEqual((summary["accuracy"], summary["sequence_accuracy"]), (1.0, 1.0))


class CarriedStateTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.stream = splits.Stream(SERIES, LABELS, chunk=T)
    self.state = state_for(self.stream.train_batch(0, R, 0))

  def test_chunks_with_carried_state_equal_one_pass_over_the_whole_series(self):
    variables = {"params": self.state.params}
    whole = tagger().apply(variables, SERIES, None)                     # [R, L, C]
    eval_step = jax.jit(train.stream_eval_step)
    carry, outputs = self.state.carry, []
    model = tagger()
    for c in range(self.stream.num_chunks):
      batch = self.stream.chunk_batch(c)
      out, carry = model.apply(variables, batch["inputs"], None, initial_state=carry,
                               return_state=True)
      outputs.append(out)
      eval_step(self.state, batch, carry)                                # runs with a carry too
    np.testing.assert_allclose(np.concatenate(outputs, axis=1), whole, rtol=1e-5, atol=1e-6)

  def test_gradients_stop_at_the_chunk_boundary(self):
    batch = self.stream.chunk_batch(1)
    state = self.state.replace(carry=jax.tree.map(lambda c: c + 0.5, self.state.carry))
    grad_of_carry = jax.jit(jax.grad(lambda carry: train.train_step(
        state.replace(carry=carry), {**batch, "reset": np.zeros(R, bool)},
        jax.random.key(0))[1]["loss"]))(state.carry)
    for g in jax.tree.leaves(grad_of_carry):
      np.testing.assert_array_equal(g, 0.0)

  def test_reset_rows_start_from_zeros_and_others_keep_their_state(self):
    carry = jax.tree.map(lambda c: c + 1.0, self.state.carry)
    reset = np.array([True, False, True, False])
    kept = train.carried(self.state.replace(carry=carry), {"reset": reset})
    for k, c in zip(jax.tree.leaves(kept), jax.tree.leaves(carry)):
      np.testing.assert_array_equal(k[reset], 0.0)
      np.testing.assert_array_equal(k[~reset], c[~reset])
    resets = np.zeros((R, self.stream.num_chunks), bool)
    resets[2, 1] = True
    batch = splits.Stream(SERIES, LABELS, chunk=T, resets=resets).train_batch(4, R, 0)
    np.testing.assert_array_equal(batch["reset"], [False, False, True, False])  # chunk 1
    self.assertTrue(self.stream.train_batch(3, R, 0)["reset"].all())            # epoch start

  def test_resumed_stateful_run_ends_with_the_same_parameters_and_carry(self):
    data = splits.DataSpec(train=self.stream, test=self.stream, num_classes=C, feature_dim=D)
    config = trainer.TrainConfig(optimizer="adagrad", learning_rate=0.3, batch_size=R,
                                 num_steps=5, eval_every=5, checkpoint_every=2, seed=0)
    real_batch = splits.Stream.train_batch

    def killed_at_step_3(stream, step, batch_size, seed):
      if step == 3:
        raise KeyboardInterrupt("simulated kill")
      return real_batch(stream, step, batch_size, seed)

    one_device = jax.devices()[:1]
    with tempfile.TemporaryDirectory() as tmp:
      whole = trainer.fit(tagger(), data, config, os.path.join(tmp, "whole"), devices=one_device)
      part = os.path.join(tmp, "part")
      with mock.patch.object(splits.Stream, "train_batch", killed_at_step_3):
        with self.assertRaises(KeyboardInterrupt):
          trainer.fit(tagger(), data, config, part, devices=one_device)   # checkpoint: step 2
      resumed = trainer.fit(tagger(), data, config, part, devices=one_device)
    self.assertIn("sequence_accuracy", whole.eval)
    for a, b in zip(jax.tree.leaves((whole.state.params, whole.state.carry)),
                    jax.tree.leaves((resumed.state.params, resumed.state.carry))):
      np.testing.assert_array_equal(a, b)


class GenerationTest(absltest.TestCase):

  def test_free_running_generation_equals_a_python_loop(self):
    model = models.build_tagger("lstm", num_outputs=D, hidden_size=H)
    variables = model.init(jax.random.key(0), SERIES, None)
    primed, generated = models.generate(model, variables, jnp.asarray(SERIES[:, :5]), 6)
    out, state = model.apply(variables, SERIES[:, :5], None, return_state=True)
    np.testing.assert_allclose(primed, out, rtol=1e-6)
    previous, want = out[:, -1], []
    for _ in range(6):
      want.append(previous)
      step_out, state = model.apply(variables, previous[:, None], None, initial_state=state,
                                    return_state=True)
      previous = step_out[:, 0]
    np.testing.assert_allclose(generated, np.stack(want, axis=1), rtol=1e-5, atol=1e-6)

  def test_sampling_is_reproducible_per_key_and_greedy_is_the_argmax(self):
    model = models.build_tagger("gru", num_outputs=C, hidden_size=H, vocab_size=C, embed_dim=3)
    ids = LABELS[:, :4]
    variables = model.init(jax.random.key(0), ids, None)
    sample = lambda k: models.generate(model, variables, jnp.asarray(ids), 5, mode="sample",  # noqa: E731
                                       key=jax.random.key(k), top_k=2)[1]
    np.testing.assert_array_equal(sample(1), sample(1))
    primed, greedy = models.generate(model, variables, jnp.asarray(ids), 1, mode="greedy")
    np.testing.assert_array_equal(greedy[:, 0], np.argmax(primed[:, -1], axis=-1))
    with self.assertRaisesRegex(ValueError, "needs a PRNG key"):
      models.generate(model, variables, jnp.asarray(ids), 2, mode="sample")


if __name__ == "__main__":
  absltest.main()
