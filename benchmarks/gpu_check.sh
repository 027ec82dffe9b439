#!/bin/bash
# Issue 14's device check, prepared for a session lent a GPU machine (the `device` tool's `run`,
# from the repository root there; it writes what comes back under $OUT):
#   bash benchmarks/gpu_check.sh
# 1. versions and devices; 2. the kernel tests: Pallas kernels compiled for the GPU (not
#    interpret mode) and cuDNN, each against the scan; 3. benchmarks/README.md's GPU table,
#    float32, 5 repeats, no memory table; 4. the fused loops, the pair loop and the LSTM/GRU cell
#    contracts (every backend against the scan) on the GPU.
# Bounded to fit one 10-minute command (150 + 300 + 120 s): the benchmark comes before the long
# tests so that a slow compile there costs tests, not figures. The machine's image has
# jax, flax, optax, orbax, torch and pytest; rnnjax runs from this checkout (PYTHONPATH).
# A dry run here on CPU (tiny benchmark): JAX_PLATFORMS=cpu QUICK=1 OUT=/tmp/gpu_check bash ...
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 MPLBACKEND=Agg
export JAX_PLATFORMS=${JAX_PLATFORMS:-cuda} XLA_FLAGS=${XLA_FLAGS:-}   # conftest keeps both
PY=${PYTHON:-$(command -v python3)}

"$PY" -c "import jax, jaxlib, flax, optax, platform; import importlib.util as u
print('python', platform.python_version(), 'jax', jax.__version__, 'jaxlib', jaxlib.__version__,
      'flax', flax.__version__, 'optax', optax.__version__, jax.devices())
if u.find_spec('torch'):
    import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" \
  2>&1 | tee "$OUT/versions.txt"

tests() {   # tests(seconds, log name, pytest arguments...)
  local seconds=$1 log=$OUT/$2; shift 2
  timeout "$seconds" "$PY" -m pytest -q -p no:cacheprovider -o addopts="" -n 0 -rs "$@" 2>&1 | tee "$log"
  echo "exit ${PIPESTATUS[0]}" | tee -a "$log"
}
tests 150 tests_kernels.log tests/test_pallas.py tests/test_cudnn.py
bench=(--out "$OUT/gpu" --memory_lengths "" --dtypes float32 --repeats 5
       --workloads har,row_mnist,pixel_mnist,imdb)
[[ -n "${QUICK:-}" ]] && bench=(--out "$OUT/gpu" --quick)
timeout 300 "$PY" benchmarks/bench_rnn.py "${bench[@]}" 2>&1 | tee "$OUT/bench.log"
echo "benchmark: exit ${PIPESTATUS[0]}" | tee -a "$OUT/bench.log"

tests 120 tests_backends.log tests/test_fused.py tests/test_bidirectional_pair.py \
  tests/test_cell_contract.py::LSTMCellContractTest tests/test_cell_contract.py::GRUCellContractTest
