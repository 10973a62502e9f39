-- V006: the knowledge base (the DuckDB counterpart of sql/postgres/V006__knowledge.sql). Nearest neighbours
-- are an exact scan with array_cosine_similarity over FLOAT[1536]. Written by hand (a drop).
DROP TABLE IF EXISTS recommendation_embeddings;
CREATE TABLE IF NOT EXISTS knowledge_items (
    event_date DATE NOT NULL,
    item_id VARCHAR NOT NULL,
    knowledge_type VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    summary VARCHAR,
    content VARCHAR NOT NULL,
    source_agent VARCHAR,
    workflow_id VARCHAR NOT NULL,
    industry VARCHAR,
    category VARCHAR,
    confidence DOUBLE,
    relevance_tags VARCHAR[],
    content_hash VARCHAR NOT NULL,
    embedding FLOAT[1536] NOT NULL,
    embedding_model VARCHAR NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE,
    is_active BOOLEAN NOT NULL
);
CREATE TABLE IF NOT EXISTS embedding_cache (
    event_date DATE NOT NULL,
    content_hash VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    dimensions INTEGER NOT NULL,
    embedding FLOAT[1536] NOT NULL
);
