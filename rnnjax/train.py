"""Training as pure functions: optimizers by name, schedules, the train state and the steps.

Nothing here does I/O or knows about devices; `loop.py` jits `train_step` with the state
donated and the batch sharded over the "data" axis.

  tx = make_optimizer("adam", 1e-3, clip_norm=1.0)
  state = create_train_state(model, init_key, batch, tx)
  state, sums = train_step(state, batch, dropout_key, loss="softmax_cross_entropy", l2=1e-3)

One prediction per sequence (outputs [B, C], labels [B]) or one per step (outputs [B, T, C],
labels [B, T] with per-step weights, by default 1 on the steps before each row's length): the
same steps handle both (metrics.py). Truncated backpropagation through time: a state created
with `stateful=True` carries the model's recurrent state (`TrainState.carry`) from one batch to
the next; gradients stop at the batch boundary, and rows with `batch["reset"]` start afresh.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax import struct
from flax.training import train_state

from rnnjax import metrics
from rnnjax.typing import Array, Batch, PRNGKey


class TrainState(train_state.TrainState):
  """flax's TrainState (step, apply_fn, params, tx, opt_state) plus an optional exponential
  moving average of the parameters (Polyak averaging), which evaluation then uses.

  ema_params is None when ema_decay is 0. The decay warms up as TensorFlow's
  ExponentialMovingAverage(num_updates=step) does, so that early averages are not dominated by
  the initialisation: decay_t = min(ema_decay, (1 + t) / (10 + t)).

  carry is None unless the state was created with stateful=True: then it holds the model's
  final recurrent state of the last training batch (checkpointed with the rest).
  """
  ema_params: Any = None
  ema_decay: float = struct.field(pytree_node=False, default=0.0)
  carry: Any = None          # the recurrent state carried between batches (stateful training)

  def eval_params(self) -> Any:
    """The parameters to evaluate: the moving average when kept, else the current ones."""
    return eval_params(self)


def eval_params(state: train_state.TrainState) -> Any:
  """state's moving average of the parameters if it keeps one, else state.params (also for
  flax's own TrainState)."""
  ema = getattr(state, "ema_params", None)
  return state.params if ema is None else ema


def _momentum() -> optax.GradientTransformation:
  return optax.trace(decay=0.9)


# Each optimizer as its update *direction* (the learning rate is applied last, after the
# optional decoupled weight decay), with the same defaults as optax.<name>(learning_rate).
OPTIMIZERS: dict[str, Callable[[], optax.GradientTransformation]] = {
    "adam": optax.scale_by_adam,
    "adamw": optax.scale_by_adam,
    "sgd": optax.identity,
    "momentum": _momentum,
    "adagrad": optax.scale_by_rss,
    "rmsprop": optax.scale_by_rms,
}
ADAMW_DEFAULT_WEIGHT_DECAY = 1e-4  # optax.adamw's default, used when adamw gets none
SCHEDULES = ("constant", "warmup_cosine")


def make_schedule(name: str, learning_rate: float, *, num_steps: int = 1,
                  warmup_steps: int = 0) -> optax.Schedule:
  """`constant`, or `warmup_cosine`: linear 0 -> lr over warmup_steps, cosine to 0 at num_steps."""
  if name == "constant":
    return optax.constant_schedule(learning_rate)
  if name == "warmup_cosine" and warmup_steps <= 0:   # optax warns about a 0-step warm-up
    return optax.cosine_decay_schedule(learning_rate, decay_steps=max(num_steps, 1))
  if name == "warmup_cosine":
    return optax.warmup_cosine_decay_schedule(
        0.0, learning_rate, warmup_steps=warmup_steps, decay_steps=max(num_steps, warmup_steps + 1))
  raise ValueError(f"Unknown schedule {name!r}; choose from {SCHEDULES}.")


def make_optimizer(name: str, learning_rate: float, *, schedule: str = "constant",
                   num_steps: int = 1, warmup_steps: int = 0, weight_decay: float = 0.0,
                   clip_norm: float | None = None) -> optax.GradientTransformation:
  """An optax optimizer: [clip by global norm] -> direction -> [decoupled weight decay] -> -lr.

  Args:
    name: a key of OPTIMIZERS. With no decay and no clipping, `make_optimizer("adam", lr)`
      updates exactly like `optax.adam(lr)` (likewise sgd, adagrad, rmsprop; momentum is
      `optax.sgd(lr, momentum=0.9)`).
    learning_rate: peak learning rate of the schedule.
    schedule, num_steps, warmup_steps: see `make_schedule`.
    weight_decay: decoupled decay (Loshchilov & Hutter): w -= lr * weight_decay * w, added
      after the direction so adaptive optimizers do not rescale it. "adamw" defaults to 1e-4.
    clip_norm: clip the gradient to this global L2 norm first (None or <= 0: no clipping;
      optax would flip the gradient for a negative norm).
  """
  if name not in OPTIMIZERS:
    raise ValueError(f"Unknown optimizer {name!r}; choose from {sorted(OPTIMIZERS)}.")
  if name == "adamw" and not weight_decay:
    weight_decay = ADAMW_DEFAULT_WEIGHT_DECAY
  parts = [optax.clip_by_global_norm(clip_norm)] if clip_norm and clip_norm > 0 else []
  parts.append(OPTIMIZERS[name]())
  if weight_decay:
    parts.append(optax.add_decayed_weights(weight_decay))
  lr = make_schedule(schedule, learning_rate, num_steps=num_steps, warmup_steps=warmup_steps)
  parts.append(optax.scale_by_learning_rate(lr))
  return optax.chain(*parts)


def _arrays(tree) -> Any:
  return jax.tree.map(jnp.asarray, tree)


def create_train_state(model: nn.Module, key: PRNGKey, batch: Batch,
                       tx: optax.GradientTransformation, *, ema_decay: float = 0.0,
                       stateful: bool = False) -> TrainState:
  """Initialises `model` on `batch` (inputs [B, T, D] or [B, T], lengths [B]) at step 0.

  ema_decay in (0, 1) also keeps a moving average of the parameters (see TrainState).
  stateful: carry the model's recurrent state from batch to batch (truncated BPTT); the model
  must accept `initial_state=` and `return_state=True` (e.g. models.SequenceTagger). The carry
  starts at zeros shaped like the model's state for this batch.
  """
  if not 0.0 <= ema_decay < 1.0:
    raise ValueError(f"ema_decay must be in [0, 1); got {ema_decay}.")
  params_key, dropout_key = jax.random.split(key)
  inputs, lengths = _arrays(batch["inputs"]), jnp.asarray(batch["lengths"])
  variables = model.init({"params": params_key, "dropout": dropout_key}, inputs, lengths,
                         train=False)
  params = variables["params"]
  carry = None
  if stateful:
    _, state = jax.eval_shape(lambda v: model.apply(v, inputs, lengths, return_state=True),
                              variables)
    carry = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), state)
  return TrainState.create(apply_fn=model.apply, params=params, tx=tx,
                           ema_params=jax.tree.map(jnp.copy, params) if ema_decay else None,
                           ema_decay=ema_decay, carry=carry)


def update_ema(state: TrainState) -> TrainState:
  """Moves ema_params towards params (after an update to step t = state.step); a state that
  keeps no average (flax's own TrainState too) is returned as it is."""
  if getattr(state, "ema_params", None) is None:
    return state
  t = state.step.astype(jnp.float32)
  decay = jnp.minimum(state.ema_decay, (1.0 + t) / (10.0 + t))
  ema = jax.tree.map(lambda e, p: (decay * e + (1.0 - decay) * p).astype(e.dtype),
                     state.ema_params, state.params)
  return state.replace(ema_params=ema)


def unit_weights(batch: Batch, outputs: Array) -> Array:
  """The weights of the batch's prediction units: [B] when outputs [B, C] make one prediction
  per sequence (the batch's `weights`, else ones); [B, T] when outputs [B, T, ...] make one per
  step: the batch's [B, T] `weights`, else 1 on the steps before each row's length (times the
  batch's row weights [B], when it has them)."""
  given = batch.get("weights")
  if outputs.ndim < 3:                                                  # one per sequence
    return jnp.ones(outputs.shape[:1], jnp.float32) if given is None else given
  if given is not None and given.ndim == 2:
    return given
  time = outputs.shape[1]
  steps = (jnp.arange(time)[None, :] < batch["lengths"][:, None]).astype(jnp.float32)  # [B, T]
  return steps if given is None else steps * given[:, None]


def carried(state: TrainState, batch: Batch) -> Any:
  """The state's carry with the rows that `batch["reset"]` [B] marks set back to zeros, and
  no gradient flowing into it (truncated backpropagation through time)."""
  carry = state.carry
  if "reset" in batch:
    reset = jnp.asarray(batch["reset"], bool)
    carry = jax.tree.map(
        lambda c: jnp.where(reset.reshape((-1,) + (1,) * (c.ndim - 1)), jnp.zeros_like(c), c),
        carry)
  return jax.lax.stop_gradient(carry)


def _apply(state: TrainState, params, batch: Batch, carry, **kwargs):
  """(outputs, new carry or None) of the model on the batch."""
  inputs = batch["inputs"]
  if carry is None:
    return state.apply_fn({"params": params}, inputs, batch["lengths"], **kwargs), None
  return state.apply_fn({"params": params}, inputs, batch["lengths"], initial_state=carry,
                        return_state=True, **kwargs)


def train_step(state: TrainState, batch: Batch, key: PRNGKey, *,
               loss: str = "softmax_cross_entropy",
               l2: float = 0.0) -> tuple[TrainState, dict[str, Array]]:
  """One optimizer step on mean(loss) + l2 * sum ||w||^2 / 2.

  Args:
    state: the train state (donated by the loop).
    batch: inputs [B, T, D] (or tokens [B, T]), lengths [B], labels [B] (or [B, C], or [B, T]
      / [B, T, F] per step), optional weights [B] or [B, T], and with a stateful state an
      optional reset [B].
    key: the run's dropout key; this step uses fold_in(key, state.step), so a resumed run
      draws the same masks.
    loss: a name in metrics.LOSSES.
    l2: the L2 coefficient of the UCI HAR tutorial's loss over all parameters (0: off).

  Returns:
    (new state, metrics.batch_sums of the batch before the update, plus "l2": penalty * count).
  """
  step_key = jax.random.fold_in(key, state.step)
  carry = None if getattr(state, "carry", None) is None else carried(state, batch)

  def loss_fn(params):
    outputs, new_carry = _apply(state, params, batch, carry, train=True,
                                rngs={"dropout": step_key})             # [B, C] or [B, T, C]
    weights = unit_weights(batch, outputs)
    per_unit = metrics.LOSSES[loss](outputs, batch["labels"], weights.ndim)   # [B] or [B, T]
    data_loss = jnp.sum(per_unit * weights) / jnp.maximum(jnp.sum(weights), 1e-12)
    penalty = metrics.l2_penalty(params, l2)
    return data_loss + penalty, (outputs, weights, penalty, new_carry)

  (_, (outputs, weights, penalty, new_carry)), grads = jax.value_and_grad(
      loss_fn, has_aux=True)(state.params)
  state = update_ema(state.apply_gradients(grads=grads))
  if new_carry is not None:
    state = state.replace(carry=jax.tree.map(lambda n, o: n.astype(o.dtype), new_carry,
                                             state.carry))
  sums = metrics.batch_sums(outputs, batch["labels"], weights, loss=loss, confusion=False)
  sums["l2"] = penalty * sums["count"]
  return state, sums


def eval_step(state: TrainState, batch: Batch, *,
              loss: str = "softmax_cross_entropy") -> dict[str, Array]:
  """metrics.batch_sums of one eval batch (train=False; units with weight 0 do not count), with
  state.eval_params() (the moving average when the state keeps one)."""
  outputs, _ = _apply(state, eval_params(state), batch, None, train=False)
  return metrics.batch_sums(outputs, batch["labels"], unit_weights(batch, outputs), loss=loss)


def stream_eval_step(state: TrainState, batch: Batch, carry: Any, *,
                     loss: str = "softmax_cross_entropy") -> tuple[dict[str, Array], Any]:
  """eval_step for a stream read chunk by chunk: the model starts from `carry` (rows with
  batch["reset"] from zeros) and its final state is returned for the next chunk."""
  if "reset" in batch:
    carry = carried(state.replace(carry=carry), batch)
  outputs, carry = _apply(state, eval_params(state), batch, carry, train=False)
  sums = metrics.batch_sums(outputs, batch["labels"], unit_weights(batch, outputs), loss=loss)
  return sums, carry
