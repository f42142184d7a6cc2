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
    assessment_no BIGINT,             -- the assessment that opened it, or
    screen_no BIGINT,                 -- the screen that opened it
    reason VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    status VARCHAR NOT NULL,          -- open | acknowledged | closed
    opened_at VARCHAR NOT NULL,
    updated_at VARCHAR NOT NULL,
    updated_by VARCHAR,
    note VARCHAR
);

-- Survivors and incidents created through the API, by the masked form of the caller's userId. Metadata only:
-- names, contacts and narratives are sealed in service-vault.bin (svc.vault says where).
CREATE TABLE IF NOT EXISTS svc.survivors (
    masked_id VARCHAR NOT NULL PRIMARY KEY,
    region VARCHAR NOT NULL,
    employed BOOLEAN NOT NULL,
    immigration_status VARCHAR NOT NULL,
    has_children BOOLEAN NOT NULL,
    support_network VARCHAR NOT NULL,
    pregnant BOOLEAN NOT NULL,
    recent_separation BOOLEAN NOT NULL,
    perpetrator_has_weapons BOOLEAN NOT NULL,
    restraining_order VARCHAR NOT NULL,
    created_at VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS svc.incidents (
    masked_id VARCHAR NOT NULL,
    incident_no INTEGER NOT NULL,
    incident_date DATE NOT NULL,
    physical BOOLEAN NOT NULL,
    verbal BOOLEAN NOT NULL,
    sexual BOOLEAN NOT NULL,
    financial BOOLEAN NOT NULL,
    stalking BOOLEAN NOT NULL,
    severity SMALLINT NOT NULL,
    strangulation BOOLEAN NOT NULL,
    weapon_used BOOLEAN NOT NULL,
    weapon_type VARCHAR NOT NULL,
    threats_to_kill BOOLEAN NOT NULL,
    police_involved BOOLEAN NOT NULL,
    medical_attention BOOLEAN NOT NULL,
    perpetrator_relationship VARCHAR NOT NULL,
    substance_use BOOLEAN NOT NULL,
    extreme_jealousy BOOLEAN NOT NULL,
    controlling_behavior BOOLEAN NOT NULL,
    created_at VARCHAR NOT NULL,
    PRIMARY KEY (masked_id, incident_no)
);

-- Where each sealed record lies in service-vault.bin (kind: survivor | narrative).
CREATE TABLE IF NOT EXISTS svc.vault (
    masked_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    incident_no INTEGER,
    "offset" BIGINT NOT NULL,
    length BIGINT NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS svc.screen_numbers START 1;

-- LAP and DASH screens stored against a survivor: the outcome document as served.
CREATE TABLE IF NOT EXISTS svc.screens (
    screen_no BIGINT NOT NULL PRIMARY KEY,
    masked_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,            -- lap | dash
    created_at VARCHAR NOT NULL,
    document VARCHAR NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS svc.flag_numbers START 1;

-- Cases flagged for review from the investigator view, by masked ID, with who flagged them and why.
CREATE TABLE IF NOT EXISTS svc.case_flags (
    flag_no BIGINT NOT NULL PRIMARY KEY,
    masked_id VARCHAR NOT NULL,
    actor VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    created_at VARCHAR NOT NULL
);

-- Differential privacy (when the installation turns it on): each release of an aggregate view (a view with its
-- parameters, on one UTC day) and the seed of its noise, so asking again returns the same answer; and each user's
-- charge for it, once per day, against their daily budget.
CREATE TABLE IF NOT EXISTS svc.dp_releases (
    view VARCHAR NOT NULL,
    params VARCHAR NOT NULL,          -- a hash of the view's parameters
    day DATE NOT NULL,
    seed VARCHAR NOT NULL,            -- 32 bytes, hex
    epsilon DOUBLE NOT NULL,
    released_at VARCHAR NOT NULL,
    PRIMARY KEY (view, params, day)
);
CREATE TABLE IF NOT EXISTS svc.dp_charges (
    user_name VARCHAR NOT NULL,
    view VARCHAR NOT NULL,
    params VARCHAR NOT NULL,
    day DATE NOT NULL,
    epsilon DOUBLE NOT NULL,
    charged_at VARCHAR NOT NULL,
    PRIMARY KEY (user_name, view, params, day)
);

-- Hand-off: every alert and every case flagged for review is a signal with a stable ID (SH-A-…, SH-C-…), the
-- idempotency key of everything sent about it. svc.signals holds its workflow state; svc.outbox every event, append
-- only, written in the same transaction as the act that caused it; svc.deliveries each event's delivery to each
-- webhook destination, written only by the delivery worker; svc.destinations each destination's cursor and
-- whether it asked (410 Gone) not to be called again.
CREATE TABLE IF NOT EXISTS svc.signals (
    signal_id VARCHAR NOT NULL PRIMARY KEY,
    kind VARCHAR NOT NULL,            -- alert | case
    masked_id VARCHAR NOT NULL,
    state VARCHAR NOT NULL,           -- open | acknowledged | handed_off | closed
    queue VARCHAR NOT NULL,
    route VARCHAR NOT NULL,
    owner VARCHAR,                    -- who acknowledged it
    crm_id VARCHAR,
    opened_at VARCHAR NOT NULL,
    acknowledged_at VARCHAR,
    handed_off_at VARCHAR,
    closed_at VARCHAR,
    escalation_step INTEGER NOT NULL,
    payload VARCHAR NOT NULL          -- the latest event's payload (JSON)
);

CREATE SEQUENCE IF NOT EXISTS svc.event_numbers START 1;
CREATE TABLE IF NOT EXISTS svc.outbox (
    event_no BIGINT NOT NULL PRIMARY KEY,
    signal_id VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    occurred_at VARCHAR NOT NULL,
    payload VARCHAR NOT NULL          -- JSON: thin, nothing personal
);

CREATE SEQUENCE IF NOT EXISTS svc.delivery_numbers START 1;
CREATE TABLE IF NOT EXISTS svc.deliveries (
    delivery_no BIGINT NOT NULL PRIMARY KEY,
    event_no BIGINT NOT NULL,
    destination VARCHAR NOT NULL,
    status VARCHAR NOT NULL,          -- pending | delivered | dead
    attempts INTEGER NOT NULL,
    next_at VARCHAR,                  -- when the next attempt is due (pending only)
    last_status INTEGER,              -- the receiver's last HTTP status, if it answered
    last_error VARCHAR,
    created_at VARCHAR NOT NULL,
    updated_at VARCHAR NOT NULL,
    delivered_at VARCHAR,
    UNIQUE (event_no, destination)
);

CREATE TABLE IF NOT EXISTS svc.destinations (
    name VARCHAR NOT NULL PRIMARY KEY,
    cursor BIGINT NOT NULL,           -- the last event given a delivery row
    disabled_at VARCHAR,
    disabled_reason VARCHAR
);
