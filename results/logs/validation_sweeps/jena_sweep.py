"""The Jena validation sweep behind experiments/jena.py's defaults (2026-12-02), as it was run,
less one unused helper: each configuration trains on the training windows with the TEST split
replaced by the VALIDATION split (so no test window is evaluated), labels shifted by the last
observed T when delta=True (the same loss as --persistence_skip). Outputs: jena_sweep_*.log.
  python results/logs/validation_sweeps/jena_sweep.py delta abs_lb288 delta_lb288 delta_rd
"""
import dataclasses, sys, json, time, shutil
import numpy as np
from rnnjax import models, trainer
from rnnjax.data import jena, splits

def run(name, lookback=1440, step=6, delta=False, steps=1500, rd=0.0, hidden=32, lr=1e-3, dropout=0.0, model="gru", wd=0.0):
  data = jena.load("../shared/data/jena_climate", lookback=lookback, step=step, delay=144, stride=1)
  spec = data.spec
  ti = data.target_index
  naive = data.naive_mae("validation")
  if delta:
    def shift(s):
      idx = np.arange(len(s.labels))
      last = np.concatenate([np.asarray(s.inputs[i:i+4096][:, -1, ti]) for i in range(0, len(s.labels), 4096)])
      return dataclasses.replace(s, labels=(s.labels - last).astype(np.float32))
    spec = dataclasses.replace(spec, train=shift(spec.train), validation=shift(spec.validation), test=shift(spec.test))
  m = models.build(model, num_classes=1, hidden_size=hidden, recurrent_dropout=rd, dropout=dropout)
  cfg = trainer.TrainConfig(optimizer="rmsprop", learning_rate=lr, batch_size=128, num_steps=steps,
                            eval_every=250, loss="mae", tensorboard=False, weight_decay=wd)
  wd_ = f"/tmp/jena_sweep/{name}"
  shutil.rmtree(wd_, ignore_errors=True)
  t = time.time()
  r = trainer.fit(m, dataclasses.replace(spec, test=spec.validation), cfg, wd_)
  vals = [(h["step"], round(h["eval/mae"], 4)) for h in r.history if "eval/mae" in h]
  print(json.dumps(dict(name=name, naive_val=round(naive, 4), val=vals, secs=round(time.time() - t))), flush=True)

configs = {
 "delta_rd_do_lr3": dict(delta=True, rd=0.2, dropout=0.3, lr=3e-4, steps=1500),
 "delta_rd_lr3": dict(delta=True, rd=0.2, lr=3e-4, steps=2500),
 "delta_rd_do": dict(delta=True, rd=0.2, dropout=0.3, steps=1500),
 "delta_rd_wd": dict(delta=True, rd=0.2, wd=1e-2, steps=1500),
 "abs": dict(),
 "delta": dict(delta=True),
 "delta_lb288": dict(delta=True, lookback=288),
 "delta_rd": dict(delta=True, rd=0.2),
 "abs_lb288": dict(lookback=288),
}
for n in sys.argv[1:]:
  run(n, **configs[n])
