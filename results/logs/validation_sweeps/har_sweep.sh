#!/bin/bash
# The HAR bilstm validation sweep behind experiments/har.py's defaults (2026-12-02), as run:
# one har.py run per argument, printing only the validation lines (logs: har_*.log here).
#   bash results/logs/validation_sweeps/har_sweep.sh "--dropout=0.3 --recurrent_dropout=0.2"
# It ran before bilstm's DROPOUTS defaults existed (then: no dropout unless a flag said so); with
# today's har.py add --dropout=0 --recurrent_dropout=0 to the rows that set neither. The lr 1e-3
# row ran as `python experiments/har.py --model=bilstm --learning_rate=1e-3` (same folders), and
# the previous default's row is results/logs/har_bilstm.log.
cd "$(dirname "$0")/../../.." && mkdir -p /tmp/sweep
for v in "$@"; do
  name=$(echo "$v" | tr -d ' -' | tr '=' '_')
  MPLBACKEND=Agg .venv/bin/python experiments/har.py --model=bilstm --data_dir=${HAR_DATA:-/tmp/har_data} --workdir=/tmp/sweep/har_$name --overwrite --notensorboard $v > /tmp/sweep/har_$name.log 2>&1
  echo "== $v"; grep -o "step [0-9]* :.*validation set [0-9.]* %\?" /tmp/sweep/har_$name.log | sed 's/loss is.*accuracy on validation/val/' | tr '\n' ';'; echo
done
