-- V001: the lakehouse tables (bronze, silver, quarantine, gold) for the embedded DuckDB warehouse.
-- Every table carries event_date, the Dagster daily partition; writes replace whole event_date windows.
-- Applied once, recorded in schema_migrations; later changes go in new V<nnn>__*.sql files.

CREATE TABLE IF NOT EXISTS bronze_intake_forms (
    event_date DATE NOT NULL,
    form_id VARCHAR,
    source_file VARCHAR,
    source_line INTEGER,
    is_duplicate BOOLEAN,
    form_json VARCHAR USING COMPRESSION zstd  -- credentials already removed
);

CREATE TABLE IF NOT EXISTS silver_intake_forms (
    event_date DATE NOT NULL,
    form_id VARCHAR,
    workflow_id VARCHAR,
    submitted_at TIMESTAMP WITH TIME ZONE,
    company_name VARCHAR,
    industry VARCHAR,
    goals VARCHAR[],
    target_audience VARCHAR,
    current_challenges VARCHAR[],
    project_id VARCHAR,
    workspace_id VARCHAR,
    credentials_supplied VARCHAR[],
    analysis_depth VARCHAR,
    focus_areas VARCHAR[],
    timeline VARCHAR,
    client_name VARCHAR,
    company_size VARCHAR,
    current_capabilities VARCHAR[],
    business_objectives VARCHAR[],
    additional_marketing_technology VARCHAR[],
    timeline_preference VARCHAR,
    budget_range VARCHAR,
    recipients VARCHAR[],
    contact_name VARCHAR,
    contact_phone VARCHAR,
    notes VARCHAR,
    source_file VARCHAR,
    source_line INTEGER
);

CREATE TABLE IF NOT EXISTS quarantine_intake_forms (
    event_date DATE NOT NULL,
    source_file VARCHAR,
    source_line INTEGER,
    stage VARCHAR,
    reason_codes VARCHAR[],
    primary_reason VARCHAR,
    agent_id VARCHAR,
    workflow_id VARCHAR,
    record_digest VARCHAR
);

CREATE TABLE IF NOT EXISTS bronze_opal_deliveries (
    event_date DATE NOT NULL,
    delivery_id VARCHAR,
    source_file VARCHAR,
    source_line INTEGER,
    received_at TIMESTAMP WITH TIME ZONE,
    signature_timestamp BIGINT,
    is_duplicate BOOLEAN,
    body VARCHAR USING COMPRESSION zstd  -- raw payloads: zstd makes bronze ~3x smaller
);

CREATE TABLE IF NOT EXISTS quarantine_opal_deliveries (
    event_date DATE NOT NULL,
    source_file VARCHAR,
    source_line INTEGER,
    stage VARCHAR,
    reason_codes VARCHAR[],
    primary_reason VARCHAR,
    agent_id VARCHAR,
    workflow_id VARCHAR,
    record_digest VARCHAR
);

CREATE TABLE IF NOT EXISTS silver_agent_executions (
    event_date DATE NOT NULL,
    delivery_id VARCHAR,
    execution_id VARCHAR,
    workflow_id VARCHAR,
    agent_id VARCHAR,
    execution_status VARCHAR,
    correlation_id VARCHAR,
    agent_timestamp TIMESTAMP WITH TIME ZONE,
    received_at TIMESTAMP WITH TIME ZONE,
    execution_duration_ms BIGINT,
    confidence_score DOUBLE,
    data_sources VARCHAR[],
    sla_max_execution_ms INTEGER,
    sla_confidence_threshold DECIMAL(3,2),
    source_file VARCHAR,
    source_line INTEGER,
    is_final BOOLEAN,
    is_timeout BOOLEAN,
    is_low_confidence BOOLEAN,
    sla_status VARCHAR
);

CREATE TABLE IF NOT EXISTS silver_workflow_executions (
    event_date DATE NOT NULL,
    workflow_id VARCHAR,
    agents_reporting BIGINT,
    valid_outputs BIGINT,
    invalid_outputs BIGINT,
    agents_completed BIGINT,
    agents_failed BIGINT,
    first_output_at TIMESTAMP WITH TIME ZONE,
    last_output_at TIMESTAMP WITH TIME ZONE,
    is_complete BOOLEAN,
    is_degraded BOOLEAN,
    workflow_status VARCHAR
);

CREATE TABLE IF NOT EXISTS silver_recommendations (
    event_date DATE NOT NULL,
    recommendation_id VARCHAR,
    delivery_id VARCHAR,
    workflow_id VARCHAR,
    agent_id VARCHAR,
    category VARCHAR,
    priority INTEGER,
    title VARCHAR,
    description VARCHAR,
    impact_estimate VARCHAR,
    effort_estimate VARCHAR,
    implementation_steps VARCHAR[],
    success_metrics VARCHAR[],
    dependencies VARCHAR[],
    estimated_timeline VARCHAR
);

CREATE TABLE IF NOT EXISTS silver_content_review_insights (
    event_date DATE NOT NULL,
    delivery_id VARCHAR,
    workflow_id VARCHAR,
    item_index INTEGER,
    content_quality_score DOUBLE,
    seo_score DOUBLE,
    readability_score DOUBLE,
    avg_time_on_page_s DOUBLE,
    bounce_rate DOUBLE,
    conversion_rate DOUBLE,
    recommendation_count BIGINT
);

CREATE TABLE IF NOT EXISTS silver_geo_audit_findings (
    event_date DATE NOT NULL,
    delivery_id VARCHAR,
    workflow_id VARCHAR,
    item_index BIGINT,
    overall_geo_score DOUBLE,
    region VARCHAR,
    issue_type VARCHAR,
    severity VARCHAR,
    affected_pages BIGINT,
    description VARCHAR
);

CREATE TABLE IF NOT EXISTS silver_audience_segments (
    event_date DATE NOT NULL,
    delivery_id VARCHAR,
    workflow_id VARCHAR,
    item_index BIGINT,
    segment_name VARCHAR,
    criteria_json VARCHAR,
    estimated_size BIGINT,
    confidence_score DOUBLE,
    potential_uplift DOUBLE
);

CREATE TABLE IF NOT EXISTS silver_experiment_blueprints (
    event_date DATE NOT NULL,
    delivery_id VARCHAR,
    workflow_id VARCHAR,
    item_index BIGINT,
    experiment_name VARCHAR,
    hypothesis VARCHAR,
    primary_metric VARCHAR,
    variations BIGINT,
    traffic_allocation DOUBLE,
    min_detectable_effect DOUBLE,
    estimated_duration_days BIGINT,
    required_sample_size BIGINT,
    priority BIGINT
);

CREATE TABLE IF NOT EXISTS silver_personalization_ideas (
    event_date DATE NOT NULL,
    delivery_id VARCHAR,
    workflow_id VARCHAR,
    item_index BIGINT,
    title VARCHAR,
    target_segment VARCHAR,
    channel VARCHAR,
    expected_lift DOUBLE,
    effort VARCHAR,
    priority BIGINT
);

CREATE TABLE IF NOT EXISTS silver_roadmap_items (
    event_date DATE NOT NULL,
    delivery_id VARCHAR,
    workflow_id VARCHAR,
    item_index BIGINT,
    total_duration_weeks BIGINT,
    phase BIGINT,
    title VARCHAR,
    category VARCHAR,
    start_week BIGINT,
    duration_weeks BIGINT,
    impact VARCHAR,
    effort VARCHAR
);

CREATE TABLE IF NOT EXISTS silver_integration_health_checks (
    event_date DATE NOT NULL,
    delivery_id VARCHAR,
    workflow_id VARCHAR,
    item_index BIGINT,
    overall_health_score DOUBLE,
    integration VARCHAR,
    status VARCHAR,
    latency_ms BIGINT,
    error_rate DOUBLE,
    last_sync_at TIMESTAMP WITH TIME ZONE
);

CREATE TABLE IF NOT EXISTS silver_cmp_issues (
    event_date DATE NOT NULL,
    delivery_id VARCHAR,
    workflow_id VARCHAR,
    item_index BIGINT,
    campaigns_analyzed BIGINT,
    taxonomy_score DOUBLE,
    campaign_id VARCHAR,
    issue_type VARCHAR,
    severity VARCHAR,
    suggestion VARCHAR
);

CREATE TABLE IF NOT EXISTS silver_customer_journey_stages (
    event_date DATE NOT NULL,
    delivery_id VARCHAR,
    workflow_id VARCHAR,
    item_index BIGINT,
    stage VARCHAR,
    touchpoints VARCHAR[],
    conversion_rate DOUBLE,
    drop_off_rate DOUBLE,
    avg_time_in_stage_days DOUBLE
);

CREATE TABLE IF NOT EXISTS gold_agent_performance_daily (
    event_date DATE NOT NULL,
    agent_id VARCHAR,
    executions BIGINT,
    completed BIGINT,
    failed BIGINT,
    timeouts BIGINT,
    low_confidence BIGINT,
    sla_met BIGINT,
    sla_compliance_rate DOUBLE,
    avg_duration_ms DOUBLE,
    p95_duration_ms BIGINT,
    avg_confidence DOUBLE,
    sla_max_execution_ms INTEGER,
    sla_confidence_threshold DECIMAL(3,2)
);

CREATE TABLE IF NOT EXISTS gold_workflow_completion_daily (
    event_date DATE NOT NULL,
    workflows BIGINT,
    completed BIGINT,
    failed BIGINT,
    degraded BIGINT,
    partial BIGINT,
    completion_rate DOUBLE,
    avg_agents_reporting DOUBLE
);

CREATE TABLE IF NOT EXISTS gold_recommendation_mix_daily (
    event_date DATE NOT NULL,
    category VARCHAR,
    impact_estimate VARCHAR,
    recommendations BIGINT,
    high_priority BIGINT,
    avg_priority DOUBLE,
    workflows BIGINT
);

-- Analysts' single view of everything rejected, whatever the source.
CREATE OR REPLACE VIEW quarantine_records AS
SELECT 'intake_forms' AS source, * FROM quarantine_intake_forms
UNION ALL
SELECT 'opal_deliveries' AS source, * FROM quarantine_opal_deliveries;
