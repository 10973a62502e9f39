-- V002: recommendation embeddings for semantic search (computed by a later pipeline step).
-- vector(1536): the dimension of OpenAI text-embedding-3-small / ada-002, the reference spec's model;
-- a different model means a new migration with a new column or table (pgvector fixes N per column).
-- Deliberately NOT a hypertable: nearest-neighbour search needs ONE HNSW index over all rows, while a
-- hypertable would hold one small index per daily chunk and scan them all for every query. Retention
-- on this (small, one row per recommendation) table is therefore a DELETE by event_date.
CREATE TABLE IF NOT EXISTS recommendation_embeddings (
    event_date DATE NOT NULL,
    recommendation_id TEXT NOT NULL,
    model TEXT NOT NULL,
    embedding vector(1536) NOT NULL
);

-- Cosine distance (<=>) is what text-embedding models are trained for; m/ef_construction are pgvector's
-- defaults, written out so a change is a visible migration.
CREATE INDEX IF NOT EXISTS recommendation_embeddings_hnsw_idx ON recommendation_embeddings
    USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
CREATE INDEX IF NOT EXISTS recommendation_embeddings_day_idx ON recommendation_embeddings (event_date);
CREATE INDEX IF NOT EXISTS recommendation_embeddings_id_idx
    ON recommendation_embeddings (recommendation_id, model);
