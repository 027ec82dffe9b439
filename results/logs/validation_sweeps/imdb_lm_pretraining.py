"""IMDB LSTM(32) pretrained as a language model on its training reviews, then fine-tuned as the
classifier (Dai & Le 2015, "Semi-supervised Sequence Learning": LM-LSTM); a probe of 2026-12-03,
not adopted (log: imdb_lm_pretraining_K_500.log here).

The LM: imdb.py's Embedding(10000, 32) -> LSTM(32) -> next word among the K most frequent words
plus one class for every other word (K=2000 ran at 0.3 steps/s on 2 cores with other jobs
running, ~15 min per epoch; that run was stopped and its log not kept), Adam 2e-3 with warm-up and cosine, batches of 64 reviews; then the
classifier starts from the LM's embedding and encoder (trainer.fit(init_params=...)) with
imdb.py's default settings.
  .venv/bin/python results/logs/validation_sweeps/imdb_lm_pretraining.py seed=0 K=500 lm_epochs=1
"""
import sys, time
import numpy as np
from absl import logging
from rnnjax import models, trainer
from rnnjax.data import imdb, splits

args = dict(a.split("=") for a in sys.argv[1:])
seed = int(args.get("seed", 0)); K = int(args.get("K", 2000)); lm_epochs = float(args.get("lm_epochs", 1))
lm_bs = int(args.get("lm_bs", 64)); lm_lr = float(args.get("lm_lr", 2e-3)); by = args.get("by", "review")
logging.set_verbosity(logging.INFO)
data = imdb.load(args.get("data_dir", "../shared/data/imdb"), validation_fraction=0.2, seed=seed,
                 cache_dir="/tmp/sweep/imdb_cache", validation_by=by)
tr = data.train
ids, lens = np.asarray(tr.inputs), np.asarray(tr.lengths)
def lm_split(ids, lens):
  tgt = np.minimum(ids[:, 1:], K).astype(np.int32)
  return splits.Split(ids[:, :-1].astype(np.int32), tgt, np.maximum(lens - 1, 1).astype(np.int32))
lm_data = splits.DataSpec(train=lm_split(ids, lens), test=lm_split(ids[:1000], lens[:1000]),
                          num_classes=K + 1, feature_dim=10000)
t0 = time.time()
lm = models.build_tagger("lstm", num_outputs=K + 1, vocab_size=10000, embed_dim=32, hidden_size=32)
steps = int(lm_epochs * len(tr) // lm_bs)
cfg = trainer.TrainConfig(optimizer="adam", learning_rate=lm_lr, schedule="warmup_cosine",
                          warmup_steps=50, batch_size=lm_bs, num_steps=steps,
                          eval_every=max(steps // 4, 1), seed=seed, tensorboard=False)
res = trainer.fit(lm, lm_data, cfg, f"/tmp/sweep/lm_{seed}_{K}_{lm_epochs}_{by}", overwrite=True)
print("LM done", time.time() - t0, res.eval, flush=True)
p = res.state.params
clf = models.build("lstm", num_classes=1, vocab_size=10000, embed_dim=32)
cfg2 = trainer.TrainConfig(optimizer="rmsprop", learning_rate=float(args.get("lr", 5e-4)),
                           schedule="warmup_cosine", batch_size=32,
                           num_steps=5 * (len(tr) // 32), eval_every=len(tr) // 32, seed=seed,
                           tensorboard=False)
r2 = trainer.fit(clf, data, cfg2, f"/tmp/sweep/clf_{seed}_{K}_{lm_epochs}_{by}", overwrite=True,
                 init_params={"embedding": p["embedding"], "encoder": p["encoder"]})
print("CLF validation", r2.validation, "total", time.time() - t0, flush=True)
