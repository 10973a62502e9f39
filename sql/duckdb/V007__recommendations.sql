-- V007: recommendations (written by `python -m osa.catalog.ddl new recommendations`).
CREATE TABLE IF NOT EXISTS workflow_recommendations (
    event_date DATE NOT NULL,
    workflow_id VARCHAR NOT NULL,
    rank INTEGER NOT NULL,
    recommendation_id VARCHAR NOT NULL,
    title VARCHAR,
    description VARCHAR,
    category VARCHAR NOT NULL,
    impact_estimate VARCHAR,
    effort_estimate VARCHAR,
    priority INTEGER,
    score DOUBLE NOT NULL,
    agents VARCHAR[] NOT NULL,
    merged_recommendation_ids VARCHAR[] NOT NULL,
    agent_confidence DOUBLE,
    related_item_id VARCHAR,
    related_workflow_id VARCHAR,
    related_similarity DOUBLE
);
CREATE TABLE IF NOT EXISTS form_recommendations (
    event_date DATE NOT NULL,
    form_id VARCHAR NOT NULL,
    workflow_id VARCHAR NOT NULL,
    rank INTEGER NOT NULL,
    category VARCHAR NOT NULL,
    title VARCHAR,
    score DOUBLE NOT NULL,
    support INTEGER NOT NULL,
    past_workflow_ids VARCHAR[] NOT NULL,
    reason VARCHAR NOT NULL
);
