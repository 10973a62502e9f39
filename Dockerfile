# The OSA Lakehouse image: the code location plus the Dagster webserver and daemon (docker-compose.yml runs
# it as both). DAGSTER_HOME holds the production instance file (dagster.prod.yaml: Postgres storage).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home OSA_STATE_DIR=/data/state OSA_LANDING_DIR=/data/landing

WORKDIR /opt/osa
COPY pyproject.toml README.md ./
COPY osa ./osa
COPY assets ./assets
COPY resources ./resources
COPY pipelines ./pipelines
COPY sql ./sql
COPY workspace.yaml ./
RUN pip install . && mkdir -p "$DAGSTER_HOME" /data/landing /data/state \
    && useradd --system --uid 10001 --home-dir /opt/osa osa && chown -R osa /data "$DAGSTER_HOME"
COPY dagster.prod.yaml /opt/dagster/dagster_home/dagster.yaml

USER osa
EXPOSE 3000
CMD ["dagster-webserver", "-h", "0.0.0.0", "-p", "3000", "-w", "workspace.yaml"]
