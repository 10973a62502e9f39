-- V009: compliance (written by `python -m osa.catalog.ddl new compliance`).
CREATE TABLE IF NOT EXISTS audit_log (
    event_date DATE NOT NULL,
    seq BIGINT NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    action VARCHAR NOT NULL,
    actor VARCHAR NOT NULL,
    target VARCHAR,
    details VARCHAR,
    prev_hash VARCHAR NOT NULL,
    row_hash VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS legal_holds (
    event_date DATE NOT NULL,
    hold_id VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    workflow_id VARCHAR,
    subject_fingerprint VARCHAR,
    reason VARCHAR NOT NULL,
    placed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    released_at TIMESTAMP WITH TIME ZONE
);
