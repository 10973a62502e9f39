-- V008: metrics (written by `python -m osa.catalog.ddl new metrics`).
CREATE TABLE IF NOT EXISTS metric_events (
    event_date DATE NOT NULL,
    time TIMESTAMP WITH TIME ZONE NOT NULL,
    metric_name VARCHAR NOT NULL,
    metric_type VARCHAR NOT NULL,
    value DOUBLE NOT NULL,
    tags VARCHAR NOT NULL,
    metadata VARCHAR
);
CREATE TABLE IF NOT EXISTS metric_rollups_hourly (
    event_date DATE NOT NULL,
    bucket TIMESTAMP WITH TIME ZONE NOT NULL,
    metric_name VARCHAR NOT NULL,
    metric_type VARCHAR NOT NULL,
    tags VARCHAR NOT NULL,
    count BIGINT NOT NULL,
    sum DOUBLE NOT NULL,
    avg DOUBLE NOT NULL,
    min DOUBLE NOT NULL,
    max DOUBLE NOT NULL,
    p50 DOUBLE NOT NULL,
    p95 DOUBLE NOT NULL,
    p99 DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS metric_rollups_daily (
    event_date DATE NOT NULL,
    metric_name VARCHAR NOT NULL,
    metric_type VARCHAR NOT NULL,
    tags VARCHAR NOT NULL,
    count BIGINT NOT NULL,
    sum DOUBLE NOT NULL,
    avg DOUBLE NOT NULL,
    min DOUBLE NOT NULL,
    max DOUBLE NOT NULL,
    p50 DOUBLE NOT NULL,
    p95 DOUBLE NOT NULL
);
