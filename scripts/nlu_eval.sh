#!/usr/bin/env bash
# Held-out NLU evaluation: split bot/data/nlu 80/20 (stratified by intent, fixed seed), train the NLU part of
# config.yml and of the DIET baseline on the 80 %, test both on the 20 %, print macro-F1 and confusion pairs.
# usage: scripts/nlu_eval.sh [--no-baseline]
set -euo pipefail
cd "$(dirname "$0")/.."
out=var/nlu-eval
rasa() { RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=. .venv-rasa/bin/rasa "$@"; }
rm -rf "$out" && mkdir -p "$out"
echo "==> splitting bot/data/nlu 80/20 (seed 42)"
rasa data split nlu --nlu bot/data/nlu --training-fraction 0.8 --random-seed 42 --out "$out/split" >/dev/null
configs=(config.yml)
[[ ${1:-} == --no-baseline ]] || configs+=(bench/nlu_diet_config.yml)
for config in "${configs[@]}"; do
  name=$(basename "$config" .yml)
  echo "==> training $config on the training split"
  rasa train nlu --nlu "$out/split/training_data.yml" --config "$config" --domain domain.yml \
    --out "$out/models" --fixed-model-name "$name" >"$out/train-$name.log" 2>&1
  echo "==> testing $config on the held-out split"
  rasa test nlu --model "$out/models/$name.tar.gz" --nlu "$out/split/test_data.yml" \
    --out "$out/results-$name" --no-plot >"$out/test-$name.log" 2>&1
done
.venv-rasa/bin/python scripts/nlu_report.py "$out"
