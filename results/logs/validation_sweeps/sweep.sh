#!/bin/bash
# The validation sweeps of the fourth and fifth sessions (2026-12-02), as run: one run per
# argument "<experiment> <flags...>", each with its validation split held out (HAR: 5 subjects;
# IMDB: 20 % of the training reviews; Jena: the 6/3/3-week seasonal blocks), printing only the
# validation lines; the full logs (test lines included, not read for the choice) are <name>.log
# here (the runs wrote them as e.g. harseed_1.log; renamed to the names this version of the script
# gives).
#   bash results/logs/validation_sweeps/sweep.sh "har --ema_decay=0.999" "imdb --embed_dim=64"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../.." && mkdir -p /tmp/sweep
for v in "$@"; do
  set -- $v; exp=$1; shift
  name=$(echo "$v" | sed 's/ --/_/g; s/[=,]/_/g; s/ //g')   # "har --seed=1" -> har_seed_1
  case $exp in
    har) extra="--model=bilstm --data_dir=${HAR_DATA:-/tmp/har_data} --validation_subjects=5";;
    imdb) extra="--data_dir=${IMDB_DATA:-../shared/data/imdb} --cache_dir=/tmp/sweep/imdb_cache --validation_fraction=0.2";;
    jena) extra="--data_dir=${JENA_DATA:-../shared/data/jena_climate} --block_rows=6048,3024,3024";;
  esac
  MPLBACKEND=Agg .venv/bin/python experiments/$exp.py $extra --workdir=/tmp/sweep/$name --overwrite --notensorboard "$@" > "$here/$name.log" 2>&1
  echo "== $v"; grep -o "step [0-9]* :.*validation set [0-9.]* %\?\|validation MAE.*naive[^,;]*" "$here/$name.log" | sed 's/loss is.*on validation/val/' | tr '\n' ';'; echo
done
