-- The chaos engine's runs (DATA_DIR/chaos.duckdb), kept apart from the warehouse, which a run never writes.
-- A run is inserted whole, in one transaction, once computed: a killed run leaves no row.
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR NOT NULL PRIMARY KEY,
    scenario VARCHAR NOT NULL,
    shape VARCHAR NOT NULL,
    created_at VARCHAR NOT NULL,
    model_version VARCHAR NOT NULL,
    people BIGINT NOT NULL,
    seconds DOUBLE NOT NULL,
    result VARCHAR NOT NULL          -- the run's JSON document
);
