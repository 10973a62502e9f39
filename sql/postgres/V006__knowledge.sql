-- V006: the knowledge base (issue 10). `knowledge_items` replaces `recommendation_embeddings`, which no step
-- ever wrote: one table, one HNSW index, for recommendations, insights and intake forms alike. `embedding_cache`
-- keeps vectors by (content hash, model, dimensions) so a re-run embeds only new text. Both are plain tables,
-- not hypertables: nearest-neighbour search needs ONE index over all rows. Written by hand (a drop).
DROP TABLE IF EXISTS recommendation_embeddings;
CREATE TABLE IF NOT EXISTS knowledge_items (
    event_date DATE NOT NULL,
    item_id TEXT NOT NULL,
    knowledge_type TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT,
    content TEXT NOT NULL,
    source_agent TEXT,
    workflow_id TEXT NOT NULL,
    industry TEXT,
    category TEXT,
    confidence DOUBLE PRECISION,
    relevance_tags TEXT[],
    content_hash TEXT NOT NULL,
    embedding vector(1536) NOT NULL,
    embedding_model TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    is_active BOOLEAN NOT NULL
);
CREATE INDEX IF NOT EXISTS knowledge_items_workflow_id_idx ON knowledge_items (workflow_id);
CREATE INDEX IF NOT EXISTS knowledge_items_knowledge_type_industry_idx ON knowledge_items (knowledge_type, industry);
CREATE TABLE IF NOT EXISTS embedding_cache (
    event_date DATE NOT NULL,
    content_hash TEXT NOT NULL,
    model TEXT NOT NULL,
    dimensions INTEGER NOT NULL,
    embedding vector(1536) NOT NULL
);
CREATE INDEX IF NOT EXISTS embedding_cache_content_hash_model_dimensions_idx ON embedding_cache (content_hash, model, dimensions);

-- Cosine distance (<=>); m/ef_construction are pgvector's defaults, written out so a change is a migration.
CREATE INDEX IF NOT EXISTS knowledge_items_embedding_hnsw_idx ON knowledge_items
    USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
CREATE INDEX IF NOT EXISTS knowledge_items_day_idx ON knowledge_items (event_date);
CREATE INDEX IF NOT EXISTS embedding_cache_day_idx ON embedding_cache (event_date);
