-- V003: the PII audit trail and subject index, written by the ingest steps in the same transaction as the
-- silver rows they describe. One table per ingest step (each step owns its tables' windows); the views
-- give analysts and data-subject requests one place to look. Never holds a raw value: fingerprints are
-- keyed HMACs of the normalized original.

CREATE TABLE IF NOT EXISTS pii_audit_intake_forms (
    event_date DATE NOT NULL,
    table_name VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    field_path VARCHAR NOT NULL,
    pii_type VARCHAR NOT NULL,
    mode VARCHAR NOT NULL,
    confidence DOUBLE NOT NULL,
    detector VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS pii_subjects_intake_forms (
    event_date DATE NOT NULL,
    fingerprint VARCHAR NOT NULL,
    pii_type VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    field_path VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS pii_audit_opal_deliveries (
    event_date DATE NOT NULL,
    table_name VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    field_path VARCHAR NOT NULL,
    pii_type VARCHAR NOT NULL,
    mode VARCHAR NOT NULL,
    confidence DOUBLE NOT NULL,
    detector VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS pii_subjects_opal_deliveries (
    event_date DATE NOT NULL,
    fingerprint VARCHAR NOT NULL,
    pii_type VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    field_path VARCHAR NOT NULL
);

CREATE OR REPLACE VIEW pii_audit_log AS
SELECT 'intake_forms' AS source, * FROM pii_audit_intake_forms
UNION ALL
SELECT 'opal_deliveries' AS source, * FROM pii_audit_opal_deliveries;

CREATE OR REPLACE VIEW pii_subject_index AS
SELECT 'intake_forms' AS source, * FROM pii_subjects_intake_forms
UNION ALL
SELECT 'opal_deliveries' AS source, * FROM pii_subjects_opal_deliveries;
