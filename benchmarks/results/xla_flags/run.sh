#!/bin/bash
# Writes the *_round*.json that summarize.py reads (README: 'XLA CPU flags screened').
cd "$(dirname "$0")/../../.."
for r in 1 2 3; do
for spec in "base:" "xnn:--xla_cpu_use_xnnpack=true" "noeigenmt:--xla_cpu_multi_thread_eigen=false"; do
  name=${spec%%:*}; fl=${spec#*:}
  XLA_FLAGS="$fl" MPLBACKEND=Agg timeout 600 .venv/bin/python benchmarks/bench_rnn.py --competitors rnnjax_lstm,rnnjax_gru --modes train,infer --dtypes float32 --repeats 7 --memory_lengths '' --workloads har,row_mnist,pixel_mnist,imdb --out /tmp/ab_${name}_$r > /tmp/ab_${name}_$r.log 2>&1
  rc=$?
  cp /tmp/ab_${name}_$r/results.json benchmarks/results/xla_flags/${name}_round$r.json
  echo "$name $r rc=$rc"
done; done
