# The web app (FastAPI under uvicorn, Python 3.11): the `web` Deployment and deploy/supervisord/app.conf.
# Built from the repository root (deploy/README.md):
#   docker build -f deploy/docker/web.Dockerfile -t wealth/web:0.1.0 .
# Not built in CI: no base image can be pulled on the project's machines.
FROM python:3.11-slim-bookworm

# pip's index for the lock files; torch==2.13.0 is a CPU wheel (e.g. https://download.pytorch.org/whl/cpu as
# the extra index; deploy/README.md).
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ENV PYTHONUNBUFFERED=1 OMP_WAIT_POLICY=passive HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONPATH=/app
WORKDIR /app

# Debian packages (`make setup-system`: the CJK fonts of the charts), then the environment (`make
# setup-main`), so that a change of code keeps these layers.
COPY scripts/setup_system.sh scripts/setup_venv.sh scripts/
RUN scripts/setup_system.sh && rm -rf /var/lib/apt/lists/*
COPY requirements/main.lock requirements/nodeps.txt requirements/
RUN scripts/setup_venv.sh .venv /usr/local/bin/python3.11 requirements/main.lock requirements/nodeps.txt

# The code (the build context leaves out venvs, var/, models/ and tests: web.Dockerfile.dockerignore).
COPY . .
# A non-root user (uid 10001, as the manifests' runAsUser); var/ is where the code writes by default.
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /app wealth \
    && mkdir -p var && chown wealth: var
USER 10001
EXPOSE 8000
# scripts/services.py's web_app() of `make run`, on the container's address.
CMD ["/app/.venv/bin/python", "-m", "uvicorn", "web.app:app", "--host", "0.0.0.0", "--port", "8000"]
