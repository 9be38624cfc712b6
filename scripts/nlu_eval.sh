#!/usr/bin/env bash
# NLU evaluation, run by hand (`make nlu-eval`; not part of `make test`):
#   1. 3-fold cross-validation on the training data (bot/data/nlu) through config.yml's NLU components;
#   2. the blind held-out set (tests/eval/nlu_heldout*.yml) parsed by models/current.tar.gz, trained first when
#      the data changed (as `make model` does): accuracy, macro-F1 and the confusions, without and with the
#      sender's kind, and without the few short utterances that are in both sets.
# The held-out set is never trained or tuned on: thresholds and pipeline choices come from step 1.
# usage: scripts/nlu_eval.sh [--examples] [--baseline]
#   --examples  show held-out texts for each confusion (to report them, never to patch the training data)
#   --baseline  also train DIET alone (bench/nlu_diet_config.yml, about 12 minutes) and score it on the held-out set
set -euo pipefail
cd "$(dirname "$0")/.."
out=var/nlu-eval
mkdir -p "$out"
examples=() baseline=
for arg in "$@"; do
  case $arg in
    --examples) examples=(--examples) ;;
    --baseline) baseline=1 ;;
    *) echo "usage: $0 [--examples] [--baseline]" >&2; exit 2 ;;
  esac
done
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 OMP_WAIT_POLICY=passive PYTHONPATH=.
py() { .venv-rasa/bin/python -W ignore "$@"; }
echo "==> 3-fold cross-validation on the training data (about 2 minutes)"
py -m scripts.nlu_report cv --folds 3 --json "$out/cv.json" 2>"$out/cv.log"
scripts/train_model.sh
echo "==> the held-out set, parsed by models/current.tar.gz"
py -m scripts.nlu_report heldout "${examples[@]}" --json "$out/heldout.json" 2>"$out/heldout.log"
if [[ -n $baseline ]]; then
  echo "==> DIET baseline: training bench/nlu_diet_config.yml on bot/data/nlu"
  ACTION_SERVER_TOKEN=${ACTION_SERVER_TOKEN:-unused} .venv-rasa/bin/rasa train nlu --nlu bot/data/nlu \
    --config bench/nlu_diet_config.yml --domain domain.yml --out "$out/models" --fixed-model-name diet \
    >"$out/train-diet.log" 2>&1
  py -m scripts.nlu_report heldout --model "$out/models/diet.tar.gz" "${examples[@]}" 2>>"$out/heldout.log"
fi
