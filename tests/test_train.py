"""Optimizers, schedules, clipping and the pure train / eval steps, on a tiny model."""
import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from absl.testing import absltest, parameterized
from flax.training import train_state as flax_train_state

from rnnjax import train

B, T, D, C = 6, 7, 5, 3


class TinyClassifier(nn.Module):
  """Masked mean of tanh(Dense(x)) over time, dropout, Dense: the model interface of
  rnnjax.models at a fraction of the compile time. inputs [B, T, D], lengths [B] -> [B, C]."""
  num_classes: int = C
  hidden_size: int = 8
  dropout: float = 0.0

  @nn.compact
  def __call__(self, inputs, lengths, *, train: bool):
    mask = (jnp.arange(inputs.shape[1])[None, :] < lengths[:, None]).astype(inputs.dtype)  # [B, T]
    h = jnp.tanh(nn.Dense(self.hidden_size)(inputs))                                    # [B, T, H]
    pooled = (h * mask[..., None]).sum(1) / lengths[:, None].astype(inputs.dtype)        # [B, H]
    pooled = nn.Dropout(self.dropout, deterministic=not train)(pooled)
    return nn.Dense(self.num_classes)(pooled)                                            # [B, C]


def tiny_batch(seed: int = 0, batch: int = B) -> dict[str, np.ndarray]:
  rng = np.random.default_rng(seed)
  return {"inputs": rng.normal(size=(batch, T, D)).astype(np.float32),
          "lengths": np.array([T, 1, 4, T, 3, 6] * (batch // 6 + 1), np.int32)[:batch],
          "labels": rng.integers(0, C, batch).astype(np.int32)}


@functools.cache
def _state(optimizer="adam", learning_rate=1e-2, dropout=0.0):
  """A fresh train state (cached: init runs eagerly, and no test here donates it)."""
  tx = train.make_optimizer(optimizer, learning_rate)
  return train.create_train_state(TinyClassifier(dropout=dropout), jax.random.key(0),
                                  tiny_batch(), tx)


def _max_abs_diff(a, b):
  return max(float(jnp.max(jnp.abs(x - y))) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


REFERENCE = {"adam": lambda lr: optax.adam(lr), "sgd": lambda lr: optax.sgd(lr),
             "momentum": lambda lr: optax.sgd(lr, momentum=0.9),
             "adagrad": lambda lr: optax.adagrad(lr), "rmsprop": lambda lr: optax.rmsprop(lr),
             "adamw": lambda lr: optax.adamw(lr, weight_decay=1e-4)}


class OptimizerTest(parameterized.TestCase):

  @parameterized.named_parameters((name, name) for name in sorted(train.OPTIMIZERS))
  def test_each_optimizer_steps_like_its_optax_reference(self, name):
    params = {"w": jnp.array([[0.5, -1.0], [2.0, 0.1]])}
    grads = {"w": jnp.array([[0.3, -0.2], [0.1, 1.0]])}
    results = []
    for tx in (train.make_optimizer(name, 0.1), REFERENCE[name](0.1)):
      opt_state, p = tx.init(params), params
      for _ in range(2):
        updates, opt_state = tx.update(grads, opt_state, p)
        p = optax.apply_updates(p, updates)
      results.append(p)
    self.assertGreater(_max_abs_diff(results[0], params), 0.0)
    np.testing.assert_allclose(results[0]["w"], results[1]["w"], rtol=1e-6)

  def test_unknown_optimizer_names_the_choices(self):
    with self.assertRaisesRegex(ValueError, "adagrad"):
      train.make_optimizer("adadelta", 0.1)

  def test_decoupled_weight_decay_shrinks_weights_by_lr_times_decay(self):
    params = {"w": jnp.array([1.0, -2.0])}
    tx = train.make_optimizer("adam", 0.1, weight_decay=0.5)
    updates, _ = tx.update({"w": jnp.zeros(2)}, tx.init(params), params)   # zero gradient
    np.testing.assert_allclose(updates["w"], -0.1 * 0.5 * params["w"], rtol=1e-6)

  def test_clipping_bounds_the_update(self):
    params = {"w": jnp.zeros(4)}
    grads = {"w": jnp.array([300.0, -400.0, 0.0, 0.0])}                      # norm 500
    tx = train.make_optimizer("sgd", 1.0, clip_norm=0.5)
    updates, _ = tx.update(grads, tx.init(params), params)
    self.assertAlmostEqual(float(jnp.linalg.norm(updates["w"])), 0.5, places=5)
    np.testing.assert_allclose(updates["w"], [-0.3, 0.4, 0.0, 0.0], rtol=1e-5)


class ScheduleTest(parameterized.TestCase):

  def test_constant(self):
    schedule = train.make_schedule("constant", 0.3)
    self.assertAlmostEqual(float(schedule(0)), 0.3, places=6)
    self.assertAlmostEqual(float(schedule(10_000)), 0.3, places=6)

  @parameterized.parameters((0, 0.0), (5, 0.5), (10, 1.0), (55, 0.5), (100, 0.0))
  def test_warmup_cosine(self, step, expected):
    schedule = train.make_schedule("warmup_cosine", 1.0, num_steps=100, warmup_steps=10)
    self.assertAlmostEqual(float(schedule(step)), expected, places=5)

  def test_unknown_schedule_is_an_error(self):
    with self.assertRaisesRegex(ValueError, "warmup_cosine"):
      train.make_schedule("linear", 1.0)


class StepTest(parameterized.TestCase):

  def test_train_step_is_deterministic_for_a_key(self):
    step = jax.jit(train.train_step)
    batch, key = tiny_batch(), jax.random.key(3)
    a, sums_a = step(_state(dropout=0.5), batch, key)
    b, sums_b = step(_state(dropout=0.5), batch, key)
    c, _ = step(_state(dropout=0.5), batch, jax.random.key(4))
    self.assertEqual(_max_abs_diff(a.params, b.params), 0.0)
    self.assertEqual(float(sums_a["loss"]), float(sums_b["loss"]))
    self.assertGreater(_max_abs_diff(a.params, c.params), 0.0)               # other dropout masks
    self.assertEqual(int(a.step), 1)

  def test_l2_adds_lambda_times_weights_to_the_gradient(self):
    step = jax.jit(train.train_step, static_argnames=("l2",))
    batch, key = tiny_batch(), jax.random.key(0)
    start = _state("sgd", 1.0)
    plain, _ = step(start, batch, key, l2=0.0)
    regularised, sums = step(start, batch, key, l2=0.01)
    expected = jax.tree.map(lambda p, w: p - 0.01 * w, plain.params, start.params)
    self.assertLess(_max_abs_diff(regularised.params, expected), 1e-6)
    self.assertGreater(float(sums["l2"]), 0.0)

  def test_overfits_one_batch(self):
    step = jax.jit(train.train_step)
    state, batch, key = _state("adam", 0.05), tiny_batch(), jax.random.key(0)
    for _ in range(150):
      state, sums = step(state, batch, key)
    final = jax.jit(train.eval_step)(state, batch)
    self.assertEqual(float(final["correct"]), B)
    self.assertLess(float(final["loss"]) / B, 0.1)

  def test_moving_average_of_parameters_warms_up_and_is_used_for_eval(self):
    tx = train.make_optimizer("adam", 0.05)
    model, batch, key = TinyClassifier(), tiny_batch(), jax.random.key(0)
    state = train.create_train_state(model, jax.random.key(0), batch, tx, ema_decay=0.5)
    step, params, expected = jax.jit(train.train_step), [state.params], state.params
    for t in (1, 2, 3):
      state, _ = step(state, batch, key)
      params.append(state.params)
      decay = min(0.5, (1 + t) / (10 + t))               # 0.18, 0.25, 0.3: warm-up
      expected = jax.tree.map(lambda e, p, d=decay: d * e + (1 - d) * p, expected, state.params)
    self.assertLess(_max_abs_diff(state.ema_params, expected), 1e-6)
    self.assertGreater(_max_abs_diff(state.ema_params, state.params), 1e-3)
    on_ema = jax.jit(train.eval_step)(state, batch)
    on_copy = jax.jit(train.eval_step)(state.replace(params=state.ema_params, ema_params=None),
                                       batch)
    np.testing.assert_allclose(on_ema["loss"], on_copy["loss"], rtol=1e-6)
    with self.assertRaisesRegex(ValueError, "ema_decay"):
      train.create_train_state(model, jax.random.key(0), batch, tx, ema_decay=1.0)

  def test_steps_take_flax_own_train_state_too(self):
    model, batch = TinyClassifier(), tiny_batch()
    params = model.init(jax.random.key(0), batch["inputs"], batch["lengths"], train=False)
    state = flax_train_state.TrainState.create(apply_fn=model.apply, params=params["params"],
                                               tx=optax.adam(1e-2))
    state, _ = jax.jit(train.train_step)(state, batch, jax.random.key(1))
    self.assertEqual(int(state.step), 1)
    self.assertGreater(float(jax.jit(train.eval_step)(state, batch)["count"]), 0)

  def test_eval_step_ignores_rows_with_zero_weight(self):
    state, batch, eval_step = _state(), tiny_batch(), jax.jit(train.eval_step)
    full = eval_step(state, {k: v[:4] for k, v in batch.items()})
    padded = eval_step(state, {**batch, "weights": np.array([1, 1, 1, 1, 0, 0], np.float32)})
    self.assertEqual(float(padded["count"]), 4.0)
    np.testing.assert_allclose(padded["loss"], full["loss"], rtol=1e-6)
    np.testing.assert_array_equal(padded["confusion"], full["confusion"])


if __name__ == "__main__":
  absltest.main()
