-- V001: the lakehouse tables (bronze, silver, quarantine, gold) for the PostgreSQL warehouse.
-- Same tables, columns and order as sql/duckdb/V001__lakehouse.sql (a test compares the two through
-- Warehouse.query); Postgres types: TEXT, TEXT[], DOUBLE PRECISION, BIGINT, INTEGER, BOOLEAN, DATE,
-- TIMESTAMPTZ, NUMERIC(3,2).
-- Every table carries event_date, the Dagster daily partition, and is a TimescaleDB hypertable with
-- 1-day chunks: a partition write touches one chunk per day, and retention drops whole chunks
-- (drop_chunks) instead of deleting rows. Applied once, recorded in schema_migrations.

-- timescaledb is a trusted extension (the owner of the database may create it); vector is not, so on a
-- fresh server a superuser runs CREATE EXTENSION vector once (scripts/pg.sh start does).
CREATE EXTENSION IF NOT EXISTS timescaledb;
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE IF NOT EXISTS bronze_intake_forms (
    event_date DATE NOT NULL,
    form_id TEXT,
    source_file TEXT,
    source_line INTEGER,
    is_duplicate BOOLEAN,
    form_json TEXT COMPRESSION lz4  -- credentials already removed
);

CREATE TABLE IF NOT EXISTS silver_intake_forms (
    event_date DATE NOT NULL,
    form_id TEXT,
    workflow_id TEXT,
    submitted_at TIMESTAMPTZ,
    company_name TEXT,
    industry TEXT,
    goals TEXT[],
    target_audience TEXT,
    current_challenges TEXT[],
    project_id TEXT,
    workspace_id TEXT,
    credentials_supplied TEXT[],
    analysis_depth TEXT,
    focus_areas TEXT[],
    timeline TEXT,
    client_name TEXT,
    company_size TEXT,
    current_capabilities TEXT[],
    business_objectives TEXT[],
    additional_marketing_technology TEXT[],
    timeline_preference TEXT,
    budget_range TEXT,
    recipients TEXT[],
    contact_name TEXT,
    contact_phone TEXT,
    notes TEXT,
    source_file TEXT,
    source_line INTEGER
);

CREATE TABLE IF NOT EXISTS quarantine_intake_forms (
    event_date DATE NOT NULL,
    source_file TEXT,
    source_line INTEGER,
    stage TEXT,
    reason_codes TEXT[],
    primary_reason TEXT,
    agent_id TEXT,
    workflow_id TEXT,
    record_digest TEXT
);

CREATE TABLE IF NOT EXISTS bronze_opal_deliveries (
    event_date DATE NOT NULL,
    delivery_id TEXT,
    source_file TEXT,
    source_line INTEGER,
    received_at TIMESTAMPTZ,
    signature_timestamp BIGINT,
    is_duplicate BOOLEAN,
    body TEXT COMPRESSION lz4  -- raw payloads: lz4 TOAST like DuckDB's zstd
);

CREATE TABLE IF NOT EXISTS quarantine_opal_deliveries (
    event_date DATE NOT NULL,
    source_file TEXT,
    source_line INTEGER,
    stage TEXT,
    reason_codes TEXT[],
    primary_reason TEXT,
    agent_id TEXT,
    workflow_id TEXT,
    record_digest TEXT
);

CREATE TABLE IF NOT EXISTS silver_agent_executions (
    event_date DATE NOT NULL,
    delivery_id TEXT,
    execution_id TEXT,
    workflow_id TEXT,
    agent_id TEXT,
    execution_status TEXT,
    correlation_id TEXT,
    agent_timestamp TIMESTAMPTZ,
    received_at TIMESTAMPTZ,
    execution_duration_ms BIGINT,
    confidence_score DOUBLE PRECISION,
    data_sources TEXT[],
    sla_max_execution_ms INTEGER,
    sla_confidence_threshold NUMERIC(3,2),
    source_file TEXT,
    source_line INTEGER,
    is_final BOOLEAN,
    is_timeout BOOLEAN,
    is_low_confidence BOOLEAN,
    sla_status TEXT
);

CREATE TABLE IF NOT EXISTS silver_workflow_executions (
    event_date DATE NOT NULL,
    workflow_id TEXT,
    agents_reporting BIGINT,
    valid_outputs BIGINT,
    invalid_outputs BIGINT,
    agents_completed BIGINT,
    agents_failed BIGINT,
    first_output_at TIMESTAMPTZ,
    last_output_at TIMESTAMPTZ,
    is_complete BOOLEAN,
    is_degraded BOOLEAN,
    workflow_status TEXT
);

CREATE TABLE IF NOT EXISTS silver_recommendations (
    event_date DATE NOT NULL,
    recommendation_id TEXT,
    delivery_id TEXT,
    workflow_id TEXT,
    agent_id TEXT,
    category TEXT,
    priority INTEGER,
    title TEXT,
    description TEXT,
    impact_estimate TEXT,
    effort_estimate TEXT,
    implementation_steps TEXT[],
    success_metrics TEXT[],
    dependencies TEXT[],
    estimated_timeline TEXT
);

CREATE TABLE IF NOT EXISTS silver_content_review_insights (
    event_date DATE NOT NULL,
    delivery_id TEXT,
    workflow_id TEXT,
    item_index INTEGER,
    content_quality_score DOUBLE PRECISION,
    seo_score DOUBLE PRECISION,
    readability_score DOUBLE PRECISION,
    avg_time_on_page_s DOUBLE PRECISION,
    bounce_rate DOUBLE PRECISION,
    conversion_rate DOUBLE PRECISION,
    recommendation_count BIGINT
);

CREATE TABLE IF NOT EXISTS silver_geo_audit_findings (
    event_date DATE NOT NULL,
    delivery_id TEXT,
    workflow_id TEXT,
    item_index BIGINT,
    overall_geo_score DOUBLE PRECISION,
    region TEXT,
    issue_type TEXT,
    severity TEXT,
    affected_pages BIGINT,
    description TEXT
);

CREATE TABLE IF NOT EXISTS silver_audience_segments (
    event_date DATE NOT NULL,
    delivery_id TEXT,
    workflow_id TEXT,
    item_index BIGINT,
    segment_name TEXT,
    criteria_json TEXT,
    estimated_size BIGINT,
    confidence_score DOUBLE PRECISION,
    potential_uplift DOUBLE PRECISION
);

CREATE TABLE IF NOT EXISTS silver_experiment_blueprints (
    event_date DATE NOT NULL,
    delivery_id TEXT,
    workflow_id TEXT,
    item_index BIGINT,
    experiment_name TEXT,
    hypothesis TEXT,
    primary_metric TEXT,
    variations BIGINT,
    traffic_allocation DOUBLE PRECISION,
    min_detectable_effect DOUBLE PRECISION,
    estimated_duration_days BIGINT,
    required_sample_size BIGINT,
    priority BIGINT
);

CREATE TABLE IF NOT EXISTS silver_personalization_ideas (
    event_date DATE NOT NULL,
    delivery_id TEXT,
    workflow_id TEXT,
    item_index BIGINT,
    title TEXT,
    target_segment TEXT,
    channel TEXT,
    expected_lift DOUBLE PRECISION,
    effort TEXT,
    priority BIGINT
);

CREATE TABLE IF NOT EXISTS silver_roadmap_items (
    event_date DATE NOT NULL,
    delivery_id TEXT,
    workflow_id TEXT,
    item_index BIGINT,
    total_duration_weeks BIGINT,
    phase BIGINT,
    title TEXT,
    category TEXT,
    start_week BIGINT,
    duration_weeks BIGINT,
    impact TEXT,
    effort TEXT
);

CREATE TABLE IF NOT EXISTS silver_integration_health_checks (
    event_date DATE NOT NULL,
    delivery_id TEXT,
    workflow_id TEXT,
    item_index BIGINT,
    overall_health_score DOUBLE PRECISION,
    integration TEXT,
    status TEXT,
    latency_ms BIGINT,
    error_rate DOUBLE PRECISION,
    last_sync_at TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS silver_cmp_issues (
    event_date DATE NOT NULL,
    delivery_id TEXT,
    workflow_id TEXT,
    item_index BIGINT,
    campaigns_analyzed BIGINT,
    taxonomy_score DOUBLE PRECISION,
    campaign_id TEXT,
    issue_type TEXT,
    severity TEXT,
    suggestion TEXT
);

CREATE TABLE IF NOT EXISTS silver_customer_journey_stages (
    event_date DATE NOT NULL,
    delivery_id TEXT,
    workflow_id TEXT,
    item_index BIGINT,
    stage TEXT,
    touchpoints TEXT[],
    conversion_rate DOUBLE PRECISION,
    drop_off_rate DOUBLE PRECISION,
    avg_time_in_stage_days DOUBLE PRECISION
);

CREATE TABLE IF NOT EXISTS gold_agent_performance_daily (
    event_date DATE NOT NULL,
    agent_id TEXT,
    executions BIGINT,
    completed BIGINT,
    failed BIGINT,
    timeouts BIGINT,
    low_confidence BIGINT,
    sla_met BIGINT,
    sla_compliance_rate DOUBLE PRECISION,
    avg_duration_ms DOUBLE PRECISION,
    p95_duration_ms BIGINT,
    avg_confidence DOUBLE PRECISION,
    sla_max_execution_ms INTEGER,
    sla_confidence_threshold NUMERIC(3,2)
);

CREATE TABLE IF NOT EXISTS gold_workflow_completion_daily (
    event_date DATE NOT NULL,
    workflows BIGINT,
    completed BIGINT,
    failed BIGINT,
    degraded BIGINT,
    partial BIGINT,
    completion_rate DOUBLE PRECISION,
    avg_agents_reporting DOUBLE PRECISION
);

CREATE TABLE IF NOT EXISTS gold_recommendation_mix_daily (
    event_date DATE NOT NULL,
    category TEXT,
    impact_estimate TEXT,
    recommendations BIGINT,
    high_priority BIGINT,
    avg_priority DOUBLE PRECISION,
    workflows BIGINT
);

-- 1-day chunks on the partition column.
SELECT create_hypertable('bronze_intake_forms', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('silver_intake_forms', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('quarantine_intake_forms', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('bronze_opal_deliveries', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('quarantine_opal_deliveries', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('silver_agent_executions', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('silver_workflow_executions', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('silver_recommendations', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('silver_content_review_insights', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('silver_geo_audit_findings', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('silver_audience_segments', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('silver_experiment_blueprints', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('silver_personalization_ideas', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('silver_roadmap_items', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('silver_integration_health_checks', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('silver_cmp_issues', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('silver_customer_journey_stages', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('gold_agent_performance_daily', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('gold_workflow_completion_daily', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
SELECT create_hypertable('gold_recommendation_mix_daily', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);

-- create_hypertable adds (event_date DESC) to every table; these serve the dashboards and lookups.
CREATE INDEX IF NOT EXISTS bronze_intake_forms_form_id_idx ON bronze_intake_forms (form_id);
CREATE INDEX IF NOT EXISTS bronze_opal_deliveries_delivery_id_idx ON bronze_opal_deliveries (delivery_id);
CREATE INDEX IF NOT EXISTS silver_intake_forms_workflow_idx ON silver_intake_forms (workflow_id, event_date DESC);
CREATE INDEX IF NOT EXISTS quarantine_intake_forms_reason_idx
    ON quarantine_intake_forms (primary_reason, event_date DESC);
CREATE INDEX IF NOT EXISTS quarantine_opal_deliveries_reason_idx
    ON quarantine_opal_deliveries (primary_reason, event_date DESC);
CREATE INDEX IF NOT EXISTS silver_agent_executions_agent_idx
    ON silver_agent_executions (agent_id, event_date DESC);
CREATE INDEX IF NOT EXISTS silver_agent_executions_workflow_idx
    ON silver_agent_executions (workflow_id, event_date DESC);
CREATE INDEX IF NOT EXISTS silver_workflow_executions_workflow_idx
    ON silver_workflow_executions (workflow_id, event_date DESC);
CREATE INDEX IF NOT EXISTS silver_recommendations_category_idx
    ON silver_recommendations (category, event_date DESC);
CREATE INDEX IF NOT EXISTS silver_recommendations_id_idx ON silver_recommendations (recommendation_id);
CREATE INDEX IF NOT EXISTS gold_agent_performance_daily_agent_idx
    ON gold_agent_performance_daily (agent_id, event_date DESC);
CREATE INDEX IF NOT EXISTS gold_recommendation_mix_daily_category_idx
    ON gold_recommendation_mix_daily (category, event_date DESC);

-- Analysts' single view of everything rejected, whatever the source.
CREATE OR REPLACE VIEW quarantine_records AS
SELECT 'intake_forms'::text AS source, * FROM quarantine_intake_forms
UNION ALL
SELECT 'opal_deliveries'::text AS source, * FROM quarantine_opal_deliveries;
