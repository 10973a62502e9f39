-- V009: compliance (written by `python -m osa.catalog.ddl new compliance`).
CREATE TABLE IF NOT EXISTS audit_log (
    event_date DATE NOT NULL,
    seq BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    target TEXT,
    details TEXT,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
SELECT create_hypertable('audit_log', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
CREATE TABLE IF NOT EXISTS legal_holds (
    event_date DATE NOT NULL,
    hold_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    workflow_id TEXT,
    subject_fingerprint TEXT,
    reason TEXT NOT NULL,
    placed_at TIMESTAMPTZ NOT NULL,
    released_at TIMESTAMPTZ
);
