"""`TrainConfig`: the hyperparameters of one run (their names are also the experiments' flags)."""
from __future__ import annotations

import dataclasses
import math
from typing import Any

from rnnjax import metrics, train


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """Hyperparameters of one run; the field names are also the experiments' flag names.

  clip_norm <= 0 means no clipping; ema_decay > 0 evaluates a moving average of the parameters
  (train.TrainState); loss None picks metrics.default_loss(data.num_classes);
  checkpoint_every None means eval_every; step_losses also records every training step's loss
  in the metrics records (`train/step_losses`, for a loss curve with one point per batch);
  tensorboard None writes TensorBoard event files beside metrics.jsonl when tensorboardX is
  installed (True: always, an error without it). train_seconds > 0 is a wall-time budget: the
  step loop stops at the first step that ends after that many seconds of this process's loop
  (compilation and evaluations included), then evaluates, checkpoints and tests as at
  num_steps; use it with a schedule that does not depend on num_steps (e.g. constant) to
  compare models for the same time. A resumed run gets a new budget. Every field is checked when
  the config is made, so a bad value fails before any compilation or I/O, naming the field, the
  value and the range.
  """
  optimizer: str = "adam"
  learning_rate: float = 1e-3
  schedule: str = "constant"
  warmup_steps: int = 0
  l2: float = 0.0
  weight_decay: float = 0.0
  clip_norm: float = 0.0
  ema_decay: float = 0.0
  batch_size: int = 100
  num_steps: int = 5000
  eval_every: int = 500
  checkpoint_every: int | None = None
  eval_batch_size: int = 500
  seed: int = 0
  loss: str | None = None
  step_losses: bool = False
  tensorboard: bool | None = None
  train_seconds: float = 0.0

  def __post_init__(self):
    checks = [
        ("optimizer", self.optimizer in train.OPTIMIZERS, f"one of {sorted(train.OPTIMIZERS)}"),
        ("learning_rate", _finite(self.learning_rate) and self.learning_rate > 0,
         "a finite number > 0"),
        ("schedule", self.schedule in train.SCHEDULES, f"one of {train.SCHEDULES}"),
        ("warmup_steps", _integer(self.warmup_steps) and self.warmup_steps >= 0, "an integer >= 0"),
        ("l2", _finite(self.l2) and self.l2 >= 0, "a finite number >= 0"),
        ("weight_decay", _finite(self.weight_decay) and self.weight_decay >= 0,
         "a finite number >= 0"),
        ("clip_norm", _finite(self.clip_norm), "a finite number (<= 0: no clipping)"),
        ("ema_decay", _finite(self.ema_decay) and 0 <= self.ema_decay < 1, "in [0, 1)"),
        ("batch_size", _integer(self.batch_size) and self.batch_size >= 1, "an integer >= 1"),
        ("num_steps", _integer(self.num_steps) and self.num_steps >= 0, "an integer >= 0"),
        ("eval_every", _integer(self.eval_every) and self.eval_every >= 1, "an integer >= 1"),
        ("checkpoint_every", self.checkpoint_every is None or (
            _integer(self.checkpoint_every) and self.checkpoint_every >= 1),
         "None or an integer >= 1"),
        ("eval_batch_size", _integer(self.eval_batch_size) and self.eval_batch_size >= 1,
         "an integer >= 1"),
        ("seed", _integer(self.seed), "an integer"),
        ("loss", self.loss is None or self.loss in metrics.LOSSES,
         f"None or one of {sorted(metrics.LOSSES)}"),
        ("tensorboard", self.tensorboard in (None, True, False), "None, True or False"),
        ("train_seconds", _finite(self.train_seconds) and self.train_seconds >= 0,
         "a finite number >= 0 (0: no time budget)"),
    ]
    for name, ok, accepted in checks:
      if not ok:
        raise ValueError(f"TrainConfig.{name} (flag --{name}) must be {accepted}; got "
                         f"{getattr(self, name)!r}.")

  @classmethod
  def from_flags(cls, flag_values: Any, **overrides: Any) -> TrainConfig:
    """A config whose fields take the value of the same-named absl flag, when defined."""
    names = {f.name for f in dataclasses.fields(cls)}
    values = {n: flag_values[n].value for n in names if n in flag_values}
    return cls(**{**values, **overrides})

  @classmethod
  def for_epochs(cls, flag_values: Any, *, epochs: int, steps_per_epoch: int,
                 **overrides: Any) -> TrainConfig:
    """Keras-style runs counted in epochs: `from_flags` with num_steps = epochs *
    steps_per_epoch and one evaluation (and checkpoint) per epoch."""
    if epochs < 1 or steps_per_epoch < 1:
      raise ValueError(f"epochs={epochs} and steps_per_epoch={steps_per_epoch} must be >= 1 "
                       "(is batch_size larger than the training set?).")
    return cls.from_flags(flag_values, num_steps=epochs * steps_per_epoch,
                          eval_every=steps_per_epoch, **overrides)


def _finite(value: Any) -> bool:
  return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value: Any) -> bool:
  return isinstance(value, int) and not isinstance(value, bool)
