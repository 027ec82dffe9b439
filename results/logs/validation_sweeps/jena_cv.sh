#!/bin/bash
# 3-fold cross-validation of Jena configurations on the seasonal split (6/3/3-week cycles):
# sweep.sh runs each "<flags>" once per --validation_fold=0,1,2 (the validation block at each
# of the three 3-week positions before the test block; the test blocks never move and their
# lines are not read), then this prints every fold's final validation MAE, % below the naive
# forecast, and their means.
#   bash results/logs/validation_sweeps/jena_cv.sh "" "--loss=mae" "--learning_rate=1e-3"
here="$(cd "$(dirname "$0")" && pwd)"
for flags in "$@"; do
  runs=()
  for fold in 0 1 2; do runs+=("jena $flags --validation_fold=$fold"); done
  bash "$here/sweep.sh" "${runs[@]}" > /dev/null
  python3 - "$here" "$flags" <<'PY'
import re, sys
here, flags = sys.argv[1], sys.argv[2]
maes, gains = [], []
for fold in range(3):
  name = re.sub(r"[=,]", "_", f"jena {flags} --validation_fold={fold}".replace(" --", "_")
                ).replace(" ", "")
  text = open(f"{here}/{name}.log").read()
  m = re.findall(r"Final validation MAE: ([0-9.]+) .*?naive ([0-9.]+)", text)
  mae, naive = map(float, m[-1])
  maes.append(mae); gains.append(100 * (1 - mae / naive))
print(f"== jena {flags or '(default)'}: validation MAE per fold " + " / ".join(f"{m:.4f}" for m in maes)
      + f", mean {sum(maes) / 3:.4f}; % below naive " + " / ".join(f"{g:.1f}" for g in gains)
      + f", mean {sum(gains) / 3:.1f}")
PY
done
