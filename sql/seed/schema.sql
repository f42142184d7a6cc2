-- SafeHaven warehouse schema. Column order matches the generator's batches (src/synth).
-- Applied once to a new warehouse by `safehaven seed`; `meta.warehouse.schema_version` records which version.

CREATE SCHEMA meta;
CREATE SCHEMA bank;
CREATE SCHEMA insurer;
CREATE SCHEMA dv;
CREATE SCHEMA truth;

-- One row: what this warehouse is and how it was generated.
CREATE TABLE meta.warehouse (
    schema_version INTEGER NOT NULL,
    generator_version INTEGER NOT NULL,
    seed UBIGINT NOT NULL,
    customers UBIGINT NOT NULL,
    survivors UBIGINT NOT NULL,
    observation_date DATE NOT NULL
);

CREATE TABLE bank.customers (
    person_key BIGINT NOT NULL,
    region VARCHAR NOT NULL,          -- two-letter postal code
    age_band VARCHAR NOT NULL,        -- 18-24 … 65+
    employment VARCHAR NOT NULL,      -- employed | self_employed | unemployed | retired | student
    income DOUBLE NOT NULL,           -- annual, dollars
    debt DOUBLE NOT NULL,             -- outstanding, dollars
    credit_score SMALLINT NOT NULL,   -- 300–850
    credit_group VARCHAR NOT NULL,    -- deep_subprime | subprime | near_prime | prime | super_prime
    loan_amount DOUBLE NOT NULL       -- dollars, 0 when no loan
);

-- Dated payment events over the 24 months of history.
CREATE TABLE bank.events (
    event_id BIGINT NOT NULL,
    person_key BIGINT NOT NULL,
    event_date DATE NOT NULL,
    kind VARCHAR NOT NULL,            -- missed_payment | overdraft
    amount DOUBLE NOT NULL
);

-- Observed outcome in the 12-month performance window after the observation date.
CREATE TABLE bank.outcomes (
    person_key BIGINT NOT NULL,
    distress_12m BOOLEAN NOT NULL
);

CREATE TABLE insurer.members (
    person_key BIGINT NOT NULL,
    region VARCHAR NOT NULL,
    age_band VARCHAR NOT NULL,
    plan VARCHAR NOT NULL,            -- hmo | ppo | hdhp
    enrolled_on DATE NOT NULL
);

CREATE TABLE insurer.conditions (
    condition_id BIGINT NOT NULL,
    person_key BIGINT NOT NULL,
    condition VARCHAR NOT NULL,
    diagnosed_on DATE NOT NULL
);

CREATE TABLE insurer.claims (
    claim_id BIGINT NOT NULL,
    person_key BIGINT NOT NULL,
    service_date DATE NOT NULL,
    region VARCHAR NOT NULL,
    category VARCHAR NOT NULL,        -- primary_care | pharmacy | specialist | imaging | emergency | inpatient
    billed_amount DOUBLE NOT NULL,
    medical_cost DOUBLE NOT NULL,     -- allowed amount
    out_of_pocket DOUBLE NOT NULL,    -- paid by the member (all of it when denied)
    denied BOOLEAN NOT NULL
);

-- Metadata only: no names, contacts or narratives live in the warehouse.
CREATE TABLE dv.survivors (
    survivor_key BIGINT NOT NULL,
    region VARCHAR NOT NULL,
    age_band VARCHAR NOT NULL,
    employed BOOLEAN NOT NULL,
    immigration_status VARCHAR NOT NULL,   -- citizen | resident | undocumented | unknown
    has_children BOOLEAN NOT NULL,
    support_network VARCHAR NOT NULL,      -- none | limited | strong
    pregnant BOOLEAN NOT NULL,
    recent_separation BOOLEAN NOT NULL,
    perpetrator_has_weapons BOOLEAN NOT NULL,
    restraining_order VARCHAR NOT NULL,    -- none | active | expired
    registered_on DATE NOT NULL
);

CREATE TABLE dv.incidents (
    incident_id BIGINT NOT NULL,
    survivor_key BIGINT NOT NULL,
    incident_date DATE NOT NULL,
    physical BOOLEAN NOT NULL,
    verbal BOOLEAN NOT NULL,
    sexual BOOLEAN NOT NULL,
    financial BOOLEAN NOT NULL,
    stalking BOOLEAN NOT NULL,
    severity SMALLINT NOT NULL,            -- 1–5
    strangulation BOOLEAN NOT NULL,
    weapon_used BOOLEAN NOT NULL,
    weapon_type VARCHAR NOT NULL,          -- firearm | knife | other | none
    threats_to_kill BOOLEAN NOT NULL,
    police_involved BOOLEAN NOT NULL,
    medical_attention BOOLEAN NOT NULL,
    perpetrator_relationship VARCHAR NOT NULL,
    substance_use BOOLEAN NOT NULL,
    extreme_jealousy BOOLEAN NOT NULL,
    controlling_behavior BOOLEAN NOT NULL
);

-- Ground truth: used only to evaluate models, never to train them or to show.
CREATE TABLE truth.customers (
    person_key BIGINT NOT NULL,
    fragility DOUBLE NOT NULL,
    health DOUBLE NOT NULL,
    deteriorating BOOLEAN NOT NULL,
    medical_burden_12m DOUBLE NOT NULL,
    p_distress_12m DOUBLE NOT NULL
);

CREATE TABLE truth.survivors (
    survivor_key BIGINT NOT NULL,
    trajectory VARCHAR NOT NULL            -- stable | moderate | escalating
);
