#!/bin/bash
# Compile times with XLA:CPU's default (MLIR fusion) emitters and its elemental ones, 3 rounds
# alternating: `bash benchmarks/results/xla_flags/emitters/compile_screen.sh > .../compile_screen.log`.
# The runtime A/B beside it (default_round*.json, elemental_round*.json) came from
#   XLA_FLAGS=<flags> python benchmarks/bench_rnn.py --out /tmp/bench_emit_<round>[_legacy] \
#     --workloads har,pixel_mnist,imdb --modes train,infer --competitors rnnjax_lstm,flax_optlstm \
#     --repeats 5 --memory_lengths '' --step_workloads ''
# (2 rounds, alternating, no flag then --xla_cpu_use_fusion_emitters=false). tests/conftest.py
# uses the elemental emitters for the tests only.
cd "$(dirname "$0")/../../../.."
export JAX_DISABLE_MOST_OPTIMIZATIONS=1 JAX_PLATFORMS=cpu
for r in 1 2 3; do
  for fl in "" "--xla_cpu_use_fusion_emitters=false"; do
    echo "round $r [${fl:-default}] $(XLA_FLAGS="$fl" .venv/bin/python benchmarks/results/xla_flags/emitters/compile_screen.py 2>&1 | tail -1)"
  done
done
