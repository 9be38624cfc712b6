# The edge proxy: Debian's nginx with deploy/nginx/edge.conf.template rendered by scripts/edge.py (standard
# library only, so Debian's python3 runs it): the `edge` Deployment. deploy/supervisord/edge.conf runs the
# same command.
#   docker build -f deploy/docker/edge.Dockerfile -t wealth/edge:0.1.0 .
# Not built in CI: no base image can be pulled on the project's machines.
FROM debian:bookworm-slim

RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    nginx python3 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The renderer, the template, and the pages whose inline styles the Content-Security-Policy allows by hash.
COPY scripts/__init__.py scripts/edge.py scripts/services.py scripts/
COPY deploy/nginx/ deploy/nginx/
COPY web/templates/ web/templates/
# A non-root user (uid 10001): nginx listens on 8080 and keeps its prefix (config, logs, temp) in /srv/edge.
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /app wealth && mkdir -p /srv/edge \
    && chown wealth: /srv/edge
USER 10001
EXPOSE 8080
CMD ["python3", "-m", "scripts.edge", "run", "/srv/edge", "--rasa", "http://rasa:5005", \
     "--web", "http://web:8000", "--listen", "8080"]
