"""IMDB LSTM(32) with its embedding started from word vectors of the training reviews (a probe of
2026-12-03, not adopted; log: imdb_word_vectors_seed_0.log here).

Word vectors: positive PMI of (word, context word) pairs within 5 positions (weight 1/distance;
context distribution smoothed to the power 0.75), reduced to 32 dimensions by a truncated SVD
(Levy, Goldberg & Dagan 2015, "Improving Distributional Similarity with Lessons Learned from
Word Embeddings"), computed from the training reviews of the split only (the held-out and test
reviews are not read), scaled to std 0.05, then fine-tuned with imdb.py's default settings
through trainer.fit(init_params=...). Maas et al. 2011, the paper of this data set, learned word
vectors from the same reviews.
  .venv/bin/python results/logs/validation_sweeps/imdb_word_vectors.py seed=0
"""
import sys, time
import numpy as np
import scipy.sparse as sp

def cooccurrence(ids, lengths, vocab_size, window):
  """[V, V] counts of (word, context) pairs within `window` positions (weighted 1/distance)."""
  rows = []
  total = sp.csr_matrix((vocab_size, vocab_size), dtype=np.float64)
  mask = np.arange(ids.shape[1])[None, :] < lengths[:, None]
  for d in range(1, window + 1):
    a, b = ids[:, :-d], ids[:, d:]
    m = mask[:, d:] & (a > 1) & (b > 1)       # skip padding (0) and unknown (1)
    a, b = a[m].astype(np.int64), b[m].astype(np.int64)
    w = np.full(a.shape, 1.0 / d)
    c = sp.coo_matrix((w, (a, b)), shape=(vocab_size, vocab_size)).tocsr()
    total = total + c + c.T
  return total

def ppmi_svd(counts, dim, alpha=0.75, seed=0):
  counts = counts.tocoo()
  n = counts.sum()
  pw = np.asarray(counts.sum(1)).ravel() / n
  pc = np.asarray(counts.sum(0)).ravel() ** alpha
  pc = pc / pc.sum()
  with np.errstate(divide="ignore"):
    pmi = np.log(counts.data / n) - np.log(pw[counts.row]) - np.log(pc[counts.col])
  keep = pmi > 0
  m = sp.csr_matrix((pmi[keep], (counts.row[keep], counts.col[keep])), shape=counts.shape)
  from scipy.sparse.linalg import svds
  u, s, vt = svds(m, k=dim, random_state=seed)
  order = np.argsort(-s)
  return u[:, order] * np.sqrt(s[order])

if __name__ == "__main__":
  from absl import logging
  from rnnjax import models, trainer
  from rnnjax.data import imdb
  args = dict(a.split("=") for a in sys.argv[1:])
  seed = int(args.get("seed", 0)); by = args.get("by", "review"); window = int(args.get("window", 5))
  scale = float(args.get("scale", 1.0))
  logging.set_verbosity(logging.INFO)
  data = imdb.load(args.get("data_dir", "../shared/data/imdb"), validation_fraction=0.2, seed=seed,
                   cache_dir="/tmp/sweep/imdb_cache", validation_by=by)
  t0 = time.time()
  ids, lens = np.asarray(data.train.inputs), np.asarray(data.train.lengths)
  e = ppmi_svd(cooccurrence(ids, lens, 10000, window), 32, seed=seed)
  e = e / e[2:].std() * 0.05 * scale          # row 0/1: padding, unknown
  print("embeddings", time.time() - t0, e.shape, flush=True)
  clf = models.build("lstm", num_classes=1, vocab_size=10000, embed_dim=32)
  tr = data.train
  cfg2 = trainer.TrainConfig(optimizer="rmsprop", learning_rate=float(args.get("lr", 5e-4)),
                             schedule="warmup_cosine", batch_size=32,
                             num_steps=5 * (len(tr) // 32), eval_every=len(tr) // 32, seed=seed,
                             tensorboard=False)
  r2 = trainer.fit(clf, data, cfg2, f"/tmp/sweep/ppmi_{seed}_{by}_{window}_{scale}", overwrite=True,
                   init_params={"embedding": {"embedding": e.astype(np.float32)}})
  print("CLF validation", r2.validation, "total", time.time() - t0, flush=True)
