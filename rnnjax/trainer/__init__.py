"""The training driver: everything with side effects (mesh, jit, checkpoints, files, progress).

  result = trainer.fit(model, data, trainer.TrainConfig(...), workdir)

Model code (cells, recurrence, layers, models, train, metrics) never imports this package.
"""
from rnnjax.trainer.config import TrainConfig
from rnnjax.trainer.devices import init_distributed, make_mesh, shard_batch
from rnnjax.trainer.checkpoints import CheckpointError
from rnnjax.trainer.training import NonFiniteLossError, Result, default_workdir, evaluate, fit
from rnnjax.trainer.workdir import WorkdirError
from rnnjax.trainer.progress import METRICS_FILE, MetricsWriter, log_report
from rnnjax.trainer.runtime import tune_malloc

__all__ = ["CheckpointError", "METRICS_FILE", "MetricsWriter", "NonFiniteLossError", "Result",
           "TrainConfig", "WorkdirError", "default_workdir",
           "evaluate", "fit", "init_distributed", "log_report", "make_mesh", "shard_batch",
           "tune_malloc"]
