"""The flags every experiment shares: the model preset, training and folders.

Each experiment calls `define(task, ...)` once at import with its own defaults, adds the flags
only it has, and reads them as `FLAGS.<name>`. The training flags are named after the fields of
`rnnjax.trainer.TrainConfig`, so `TrainConfig.from_flags(FLAGS)` (or `TrainConfig.for_epochs`) picks
them up. Experiment-specific reasons for a default belong in the experiment's docstring.
"""
from __future__ import annotations

import math

from absl import flags

from rnnjax import models, recurrence, train, trainer
from rnnjax.trainer import tensorboard

FLAGS = flags.FLAGS


def define(task: str, *, data_folder: str | None = None, model: str = "lstm",
           hidden_size: int | None = 32, optimizer: str = "adam",
           learning_rate: float | None = 1e-3, schedule: str = "constant",
           warmup_steps: int = 0, l2: float = 0.0, batch_size: int = 100,
           notes: dict[str, str] | None = None) -> None:
  """Defines the shared flags with `task`'s defaults; `notes` adds to a flag's help text."""
  notes = notes or {}

  def help_(name: str, text: str) -> str:
    return f"{text} ({notes[name]})" if name in notes else text

  folder = data_folder or task
  flags.DEFINE_enum("model", model, models.MODELS, help_("model", "Model preset (rnnjax.models)."))
  flags.DEFINE_integer("hidden_size", hidden_size,
                       help_("hidden_size", "Units per recurrent layer."), lower_bound=1)
  flags.DEFINE_integer("num_layers", 2, "Layers of the multi* presets.", lower_bound=1)
  flags.DEFINE_float("dropout", 0.0, help_("dropout", "Dropout between stacked layers and before "
                                                      "the output layer."))
  flags.DEFINE_float("recurrent_dropout", 0.0, help_("recurrent_dropout",
                                                     "Variational dropout on h inside the loop."))
  flags.DEFINE_float("input_dropout", 0.0, help_("input_dropout", "Dropout on each recurrent "
                                                 "layer's inputs, one mask per sequence (Keras' "
                                                 "dropout=)."))
  flags.DEFINE_enum("implementation", "auto", recurrence.IMPLEMENTATIONS,
                    "Recurrence backend: auto, scan (lax.scan: dynamic unrolling), static (a "
                    "Python loop: TF's static_rnn), fused or cudnn (rnnjax.layers.Recurrent).")
  flags.DEFINE_string("data_dir", None, help_("data_dir", f"Data folder (default "
                                              f"$RNNJAX_DATA_DIR/{folder} or "
                                              f"~/.cache/rnnjax/{folder})."))
  flags.DEFINE_string("workdir", None, f"Metrics, figures, checkpoints; default "
                                       f"runs/{task}/<model>. A run resumes from it; a run "
                                       "with other settings is refused there.")
  flags.DEFINE_bool("overwrite", False, "Delete the previous run in --workdir and start over.")
  flags.DEFINE_bool("distributed", False, "Multi-host: call jax.distributed.initialize() first "
                    "(see README, Multi-host training).")
  flags.DEFINE_enum("optimizer", optimizer, sorted(train.OPTIMIZERS),
                    help_("optimizer", "Optimizer (rnnjax.train)."))
  flags.DEFINE_float("learning_rate", learning_rate, help_("learning_rate", "Peak learning rate."))
  flags.DEFINE_enum("schedule", schedule, train.SCHEDULES, help_("schedule",
                                                               "Learning-rate schedule."))
  flags.DEFINE_integer("warmup_steps", warmup_steps, "Linear warm-up steps of warmup_cosine.",
                       lower_bound=0)
  flags.DEFINE_float("l2", l2, help_("l2", "lambda of lambda * sum ||w||^2 / 2 over all weights."),
                     lower_bound=0.0)
  flags.DEFINE_float("weight_decay", 0.0, "Decoupled weight decay (adamw: 1e-4 when 0).",
                     lower_bound=0.0)
  flags.DEFINE_float("clip_norm", 0.0, "Clip gradients to this global norm; <= 0: off.")
  flags.DEFINE_float("ema_decay", 0.0, help_("ema_decay", "Evaluate a moving average of the "
                                                          "weights with this decay; 0: off."))
  flags.DEFINE_integer("batch_size", batch_size, help_("batch_size", "Training batch size."),
                       lower_bound=1)
  flags.DEFINE_float("train_seconds", 0.0, "Wall-time budget of the training loop in seconds "
                     "(compilation and evaluations included): training stops after the first "
                     "step past it, then tests as at the end; 0: none. Pair it with "
                     "--schedule=constant to compare models for the same time.", lower_bound=0.0)
  flags.DEFINE_integer("seed", 0, help_("seed", "Seed of the initialisation, dropout and data "
                                                "order."))
  flags.DEFINE_bool("tensorboard", tensorboard.available(), "Also write TensorBoard event files "
                    "to the workdir (default: on when tensorboardX is installed).")
  for name in ("dropout", "recurrent_dropout", "input_dropout", "ema_decay"):
    flags.register_validator(name, lambda v: v is not None and 0.0 <= v < 1.0,
                             "must be in [0, 1)")
  flags.register_validator("learning_rate", lambda v: v is None or (math.isfinite(v) and v > 0),
                           "must be a finite number > 0")
  flags.register_validator("clip_norm", math.isfinite, "must be finite (<= 0: no clipping)")


def define_readout(default: str = "last", note: str | None = None) -> None:
  """--readout, for the experiments whose model reads one prediction out of the sequence;
  `note` adds to its help text."""
  flags.DEFINE_enum("readout", default, models.READOUTS, "What the classifier sees: the last "
                    "output (the seeds'), the mean output over the valid steps, or their "
                    "elementwise maximum (global max pooling)" + (f" ({note})." if note else "."))


def define_steps(num_steps: int, eval_every: int) -> None:
  """--num_steps and --eval_every, for experiments counted in steps."""
  flags.DEFINE_integer("num_steps", num_steps, "Training steps.", lower_bound=0)
  flags.DEFINE_integer("eval_every", eval_every, "Steps between progress lines, evals, "
                       "checkpoints.", lower_bound=1)


def model_kwargs(hidden_size: int | None = None, **overrides) -> dict:
  """The keyword arguments of `rnnjax.models.build` that the shared flags set; hidden_size and
  `overrides` (e.g. dropout=) are an experiment's own values in place of the flags'."""
  return dict(hidden_size=hidden_size or FLAGS.hidden_size, num_layers=FLAGS.num_layers,
              dropout=FLAGS.dropout, recurrent_dropout=FLAGS.recurrent_dropout,
              input_dropout=FLAGS.input_dropout, implementation=FLAGS.implementation) | overrides


def preset_value(presets: dict[str, dict], name: str, model: str):
  """Flag --name's value when given on the command line, else `model`'s default in `presets`
  (an experiment's PRESET_DEFAULTS: values chosen on validation data for that preset), else
  the flag's default."""
  if FLAGS[name].present:
    return FLAGS[name].value
  return presets.get(model, {}).get(name, FLAGS[name].value)


def workdir(task: str, name: str | None = None) -> str:
  """--workdir, else runs/<task>/<name or --model>."""
  return FLAGS.workdir or trainer.default_workdir(task, name or FLAGS.model)


def fit(model, data, config: trainer.TrainConfig, task: str, name: str | None = None,
        **hparams) -> trainer.Result:
  """trainer.fit in this task's workdir, with the model flags and `hparams` recorded (and
  checked on resume) and --overwrite honoured."""
  trainer.init_distributed(FLAGS.distributed)          # a no-op unless asked for (or done)
  recorded = {"preset": FLAGS.model, "hidden_size": FLAGS.hidden_size,
              "num_layers": models.layer_count(FLAGS.model, FLAGS.num_layers),
              "dropout": FLAGS.dropout, "recurrent_dropout": FLAGS.recurrent_dropout,
              "input_dropout": FLAGS.input_dropout, **hparams}
  return trainer.fit(model, data, config, workdir(task, name), hparams=recorded,
                     overwrite=FLAGS.overwrite)
