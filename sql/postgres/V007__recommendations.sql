-- V007: recommendations (written by `python -m osa.catalog.ddl new recommendations`).
CREATE TABLE IF NOT EXISTS workflow_recommendations (
    event_date DATE NOT NULL,
    workflow_id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    recommendation_id TEXT NOT NULL,
    title TEXT,
    description TEXT,
    category TEXT NOT NULL,
    impact_estimate TEXT,
    effort_estimate TEXT,
    priority INTEGER,
    score DOUBLE PRECISION NOT NULL,
    agents TEXT[] NOT NULL,
    merged_recommendation_ids TEXT[] NOT NULL,
    agent_confidence DOUBLE PRECISION,
    related_item_id TEXT,
    related_workflow_id TEXT,
    related_similarity DOUBLE PRECISION
);
SELECT create_hypertable('workflow_recommendations', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
CREATE INDEX IF NOT EXISTS workflow_recommendations_workflow_id_rank_idx ON workflow_recommendations (workflow_id, rank);
CREATE TABLE IF NOT EXISTS form_recommendations (
    event_date DATE NOT NULL,
    form_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    category TEXT NOT NULL,
    title TEXT,
    score DOUBLE PRECISION NOT NULL,
    support INTEGER NOT NULL,
    past_workflow_ids TEXT[] NOT NULL,
    reason TEXT NOT NULL
);
SELECT create_hypertable('form_recommendations', by_range('event_date', INTERVAL '1 day'), if_not_exists => true);
CREATE INDEX IF NOT EXISTS form_recommendations_form_id_rank_idx ON form_recommendations (form_id, rank);
