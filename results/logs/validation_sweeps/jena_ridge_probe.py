"""Feasibility probe for Jena (2026-12-02): ridge regression of the 24 h change in T on the
last day's hourly T, the last step's 14 features and the window's mean T, against the naive
forecast, on TRAINING and VALIDATION windows only (stride 6). Output: jena_ridge_probe.log.
  python results/logs/validation_sweeps/jena_ridge_probe.py
"""
import numpy as np
from rnnjax.data import jena
for lb in (288, 1440):
  data = jena.load("../shared/data/jena_climate", lookback=lb, step=6, delay=144, stride=6)
  ti = data.target_index
  def feats(s, k=24):
    x = np.asarray(s.inputs)  # [N, T, F]
    last = x[:, -1, ti]
    f = np.concatenate([x[:, -k:, ti], x[:, -1, :], x[:, :, ti].mean(1, keepdims=True), np.ones((len(x),1))], 1)
    return f, s.labels - last, last
  Xtr, ytr, _ = feats(data.spec.train); Xv, yv, _ = feats(data.spec.validation)
  print("lookback", lb, "n", len(ytr), len(yv), "naive train", np.abs(ytr).mean().round(4), "naive val", np.abs(yv).mean().round(4))
  for lam in (0.1, 10, 100, 1000):
    w = np.linalg.solve(Xtr.T @ Xtr + lam*np.eye(Xtr.shape[1]), Xtr.T @ ytr)
    print(" ridge", lam, "train", np.abs(Xtr@w-ytr).mean().round(4), "val", np.abs(Xv@w-yv).mean().round(4))
