-- V002: recommendation embeddings (the DuckDB counterpart of sql/postgres/V002__embeddings.sql, so both
-- backends keep the same table list). FLOAT[1536] is a fixed-size array; nearest neighbours are a scan
-- with array_cosine_distance (DuckDB's HNSW lives in the optional `vss` extension, not used here).
CREATE TABLE IF NOT EXISTS recommendation_embeddings (
    event_date DATE NOT NULL,
    recommendation_id VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    embedding FLOAT[1536] NOT NULL
);
