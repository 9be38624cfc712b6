#!/usr/bin/env bash
# Train the Rasa model into models/current.tar.gz only when the training data, domain, config or custom NLU
# components changed (`--force`: Rasa's own cache does not see changes to a custom component's code).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p models .stamps
want=$(cat config.yml domain.yml $(find bot/data -type f -name '*.yml' | sort) \
  $(find bot/nlu -type f -name '*.py' | sort) $(find lexicon -type f -name "*.py" | sort) | sha256sum | cut -d' ' -f1)
if [[ -f models/current.tar.gz && -f .stamps/model.sha && $(cat .stamps/model.sha) == "$want" ]]; then
  echo "==> Rasa model is up to date (models/current.tar.gz)"
  exit 0
fi
echo "==> training the Rasa model (about a minute)"
RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 .venv-rasa/bin/rasa train \
  --data bot/data --domain domain.yml --config config.yml --out models --fixed-model-name current --force
echo "$want" > .stamps/model.sha
