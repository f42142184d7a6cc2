-- The scores being written (swapped in by scores_swap.sql in the same transaction).
CREATE SCHEMA IF NOT EXISTS model;
CREATE OR REPLACE TABLE model.scores_next (
    masked_id VARCHAR NOT NULL,
    probability DOUBLE NOT NULL,      -- of financial distress within 12 months
    points DOUBLE NOT NULL,           -- 600 at odds 1:19, 50 points to double the odds; higher is safer
    high_risk BOOLEAN NOT NULL,       -- probability ≥ the model's threshold
    reason_1 VARCHAR,                 -- the inputs that raise the risk most, in words
    reason_2 VARCHAR,
    reason_3 VARCHAR,
    model_version VARCHAR NOT NULL    -- the artifact version that produced this score
);
CREATE TABLE IF NOT EXISTS model.score_run (
    model_version VARCHAR NOT NULL,
    threshold DOUBLE NOT NULL,
    people BIGINT NOT NULL,
    scored_at VARCHAR NOT NULL
);
DELETE FROM model.score_run;
