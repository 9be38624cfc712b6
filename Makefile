# Two commands do everything on a fresh Debian machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY310 ?= $(shell PY=$$PY310 scripts/find_python.sh 3.10)
PY311 ?= $(shell PY=$$PY311 scripts/find_python.sh 3.11)
VENV := .venv/bin/python
# rasa commands read endpoints.yml, whose action-server secret must be set even where no action is called.
RASA := RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 ACTION_SERVER_TOKEN=$${ACTION_SERVER_TOKEN:-unused} .venv-rasa/bin/rasa
DEMO_SEED ?= 42

.PHONY: audit profile-check help scale setup setup-rasa setup-main setup-system setup-test-system bank knowledge model run test test-rasa lint bench nlu-eval clean

help:
	@echo "make run    set up, then run the bot, action server and web app"
	@echo "make test   set up, then run every test"
	@echo "make bench  run the benchmarks and print their tables"
	@echo "make nlu-eval  held-out intent evaluation (macro-F1, confusions) against a DIET baseline"
	@echo "make lint   ruff over the code, and the layering contract (scripts/check_layers.py)"
	@echo "make audit  pip-audit over both lock files, with the documented allow-list"
	@echo "make scale  two Rasa instances behind nginx on PostgreSQL and Redis, with the fake WeCom API"

setup: setup-rasa setup-main setup-system

setup-system:
	@scripts/setup_system.sh

setup-test-system:
	@scripts/setup_system.sh --test

setup-rasa:
	@test -n "$(PY310)" || exit 1
	@scripts/setup_venv.sh .venv-rasa "$(PY310)" requirements/rasa.lock requirements/rasa-nodeps.txt

setup-main:
	@test -n "$(PY311)" || exit 1
	@scripts/setup_venv.sh .venv "$(PY311)" requirements/main.lock requirements/nodeps.txt

bank: setup-main
	@$(VENV) -m scripts.ensure_demo --seed $(DEMO_SEED)

knowledge: bank
	@$(VENV) -m services.product_sheets

model: setup-rasa
	@scripts/train_model.sh

# With APP_ENV=production, profile-check names every demo or missing setting before anything is set up or started.
profile-check: setup-main
	@$(VENV) -c "import sys; from scripts.run import refused; sys.exit(2 if refused() else 0)"

run: setup profile-check bank knowledge model
	@$(VENV) -m scripts.run

lint: setup-main
	.venv/bin/ruff check .
	$(VENV) -m scripts.check_layers

test-rasa: setup model
	$(RASA) data validate --data bot/data --domain domain.yml --config config.yml --fail-on-warnings
	$(RASA) test core --e2e --stories bot/tests --model models/current.tar.gz --fail-on-prediction-errors \
	  --out var/rasa-test-stories >var/rasa-test-stories.log 2>&1 || { tail -40 var/rasa-test-stories.log; exit 1; }
	@echo "==> test stories passed (bot/tests: intents, entities and every predicted action)"
	.venv-rasa/bin/python -m pytest tests/rasa_env --doctest-modules bot/nlu lexicon -q -p no:cacheprovider

test: setup setup-test-system knowledge model lint test-rasa
	$(VENV) -m pytest tests --ignore=tests/rasa_env --doctest-modules calc bank services lexicon knowledge wecom actions web -p no:cacheprovider

nlu-eval: setup-rasa
	@scripts/nlu_eval.sh

# pip-audit over both locks with the documented allow-list (requirements/audit-allow.toml); not part of make test.
audit:
	@test -n "$(PY311)" || exit 1
	@scripts/setup_venv.sh .venv-audit "$(PY311)" requirements/audit.lock
	@$(PY311) scripts/audit.py

# Two Rasa instances behind nginx on Rasa's SQL tracker store (PostgreSQL) and RedisLockStore, with the fake WeCom
# API: tests/scale/stack.py (the scale test and bench/bench_scale.py start the same set-up).
scale: setup setup-test-system knowledge model
	$(VENV) -m tests.scale.stack

bench: setup bank knowledge
	@for script in bench/bench_*.py; do echo "### $$script"; $(VENV) $$script || exit 1; done

clean:
	rm -rf models .stamps .pytest_cache .ruff_cache
