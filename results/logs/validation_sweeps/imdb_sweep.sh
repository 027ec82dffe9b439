#!/bin/bash
# The IMDB validation sweep of 2026-12-02 (experiments/imdb.py's docstring), as run: one imdb.py
# run per argument, printing only the validation lines (logs: imdb_*.log here).
#   bash results/logs/validation_sweeps/imdb_sweep.sh --readout=mean --dropout=0.3
cd "$(dirname "$0")/../../.." && mkdir -p /tmp/sweep
for v in "$@"; do
  name=$(echo "$v" | tr -d ' -' | tr '=' '_')
  MPLBACKEND=Agg .venv/bin/python experiments/imdb.py --data_dir=${IMDB_DATA:-../shared/data/imdb} --workdir=/tmp/sweep/imdb_$name --overwrite --notensorboard $v > /tmp/sweep/imdb_$name.log 2>&1
  echo "== $v"; grep -o "step [0-9]* :.*validation set [0-9.]* %\?" /tmp/sweep/imdb_$name.log | sed 's/loss is.*accuracy on validation/val/'
done
