-- The service database (DATA_DIR/service.duckdb): state the running server writes, kept apart from the
-- read-only warehouse. Idempotent: applied on every open.
CREATE SCHEMA IF NOT EXISTS svc;

CREATE SEQUENCE IF NOT EXISTS svc.assessment_numbers START 1;

-- Stored DV assessments: the document as served, by masked survivor ID.
CREATE TABLE IF NOT EXISTS svc.assessments (
    assessment_no BIGINT NOT NULL PRIMARY KEY,
    masked_id VARCHAR NOT NULL,
    as_of DATE NOT NULL,
    created_at VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    overall DOUBLE NOT NULL,
    document VARCHAR NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS svc.alert_numbers START 1;

-- Crisis alerts: opened by a critical assessment, handled by people (acknowledge, close with a note).
CREATE TABLE IF NOT EXISTS svc.alerts (
    alert_no BIGINT NOT NULL PRIMARY KEY,
    masked_id VARCHAR NOT NULL,
    assessment_no BIGINT NOT NULL,
    reason VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    status VARCHAR NOT NULL,          -- open | acknowledged | closed
    opened_at VARCHAR NOT NULL,
    updated_at VARCHAR NOT NULL,
    updated_by VARCHAR,
    note VARCHAR
);
