-- V003: the PII audit trail and subject index, written by the ingest steps in the same transaction as the
-- silver rows they describe. One table per ingest step (each step owns its tables' windows); the views
-- give analysts and data-subject requests one place to look. Never holds a raw value: fingerprints are
-- keyed HMACs of the normalized original.

CREATE TABLE IF NOT EXISTS pii_audit_intake_forms (
    event_date DATE NOT NULL,
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field_path TEXT NOT NULL,
    pii_type TEXT NOT NULL,
    mode TEXT NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    detector TEXT NOT NULL,
    fingerprint TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS pii_subjects_intake_forms (
    event_date DATE NOT NULL,
    fingerprint TEXT NOT NULL,
    pii_type TEXT NOT NULL,
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field_path TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS pii_audit_opal_deliveries (
    event_date DATE NOT NULL,
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field_path TEXT NOT NULL,
    pii_type TEXT NOT NULL,
    mode TEXT NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    detector TEXT NOT NULL,
    fingerprint TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS pii_subjects_opal_deliveries (
    event_date DATE NOT NULL,
    fingerprint TEXT NOT NULL,
    pii_type TEXT NOT NULL,
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field_path TEXT NOT NULL
);

SELECT create_hypertable('pii_audit_intake_forms', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('pii_audit_opal_deliveries', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
CREATE INDEX IF NOT EXISTS pii_subjects_intake_forms_fingerprint ON pii_subjects_intake_forms (fingerprint);
CREATE INDEX IF NOT EXISTS pii_subjects_opal_deliveries_fingerprint ON pii_subjects_opal_deliveries (fingerprint);

CREATE OR REPLACE VIEW pii_audit_log AS
SELECT 'intake_forms' AS source, * FROM pii_audit_intake_forms
UNION ALL
SELECT 'opal_deliveries' AS source, * FROM pii_audit_opal_deliveries;

CREATE OR REPLACE VIEW pii_subject_index AS
SELECT 'intake_forms' AS source, * FROM pii_subjects_intake_forms
UNION ALL
SELECT 'opal_deliveries' AS source, * FROM pii_subjects_opal_deliveries;
