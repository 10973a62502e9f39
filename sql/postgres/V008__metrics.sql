-- V008: metrics (written by `python -m osa.catalog.ddl new metrics`).
CREATE TABLE IF NOT EXISTS metric_events (
    event_date DATE NOT NULL,
    time TIMESTAMPTZ NOT NULL,
    metric_name TEXT NOT NULL,
    metric_type TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    tags TEXT NOT NULL,
    metadata TEXT
);
SELECT create_hypertable('metric_events', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
CREATE INDEX IF NOT EXISTS metric_events_metric_name_time_idx ON metric_events (metric_name, time DESC);
CREATE TABLE IF NOT EXISTS metric_rollups_hourly (
    event_date DATE NOT NULL,
    bucket TIMESTAMPTZ NOT NULL,
    metric_name TEXT NOT NULL,
    metric_type TEXT NOT NULL,
    tags TEXT NOT NULL,
    count BIGINT NOT NULL,
    sum DOUBLE PRECISION NOT NULL,
    avg DOUBLE PRECISION NOT NULL,
    min DOUBLE PRECISION NOT NULL,
    max DOUBLE PRECISION NOT NULL,
    p50 DOUBLE PRECISION NOT NULL,
    p95 DOUBLE PRECISION NOT NULL,
    p99 DOUBLE PRECISION NOT NULL
);
SELECT create_hypertable('metric_rollups_hourly', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
CREATE INDEX IF NOT EXISTS metric_rollups_hourly_metric_name_bucket_idx ON metric_rollups_hourly (metric_name, bucket DESC);
CREATE TABLE IF NOT EXISTS metric_rollups_daily (
    event_date DATE NOT NULL,
    metric_name TEXT NOT NULL,
    metric_type TEXT NOT NULL,
    tags TEXT NOT NULL,
    count BIGINT NOT NULL,
    sum DOUBLE PRECISION NOT NULL,
    avg DOUBLE PRECISION NOT NULL,
    min DOUBLE PRECISION NOT NULL,
    max DOUBLE PRECISION NOT NULL,
    p50 DOUBLE PRECISION NOT NULL,
    p95 DOUBLE PRECISION NOT NULL
);
SELECT create_hypertable('metric_rollups_daily', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
CREATE INDEX IF NOT EXISTS metric_rollups_daily_metric_name_event_date_idx ON metric_rollups_daily (metric_name, event_date DESC);
