"""`TrainConfig`: the hyperparameters of one run (their names are also the experiments' flags)."""
from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """Hyperparameters of one run; the field names are also the experiments' flag names.

  clip_norm <= 0 means no clipping; ema_decay > 0 evaluates a moving average of the parameters
  (train.TrainState); loss None picks metrics.default_loss(data.num_classes);
  checkpoint_every None means eval_every; step_losses also records every training step's loss
  in the metrics records (`train/step_losses`, for a loss curve with one point per batch).
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
