-- Privacy tables, created by `safehaven seed` after the data is loaded.
-- Their content depends on the installation (its secret key and recipient), so the content fingerprint leaves them out.

CREATE SCHEMA privacy;
CREATE SCHEMA vault;
CREATE SCHEMA cleanroom;

-- The only recipient (public key) PII is sealed to; the identity (secret key) never enters the data dir.
CREATE TABLE privacy.recipient (recipient VARCHAR NOT NULL);

-- Keyed-hash reference IDs (HMAC with the installation secret), the only person IDs that leave the warehouse.
CREATE TABLE privacy.person_ids (person_key BIGINT NOT NULL, masked_id VARCHAR NOT NULL);
CREATE TABLE privacy.survivor_ids (survivor_key BIGINT NOT NULL, masked_id VARCHAR NOT NULL);

-- PII sealed with age, one message per chunk of up to 1,024 records (kind: people | survivors).
-- The messages live in the vault file named in vault.file, beside the warehouse; this index says where.
CREATE TABLE vault.file (name VARCHAR NOT NULL);
CREATE TABLE vault.chunks (
    chunk_id BIGINT NOT NULL,
    kind VARCHAR NOT NULL,
    first_key BIGINT NOT NULL,
    last_key BIGINT NOT NULL,
    records INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,
    length BIGINT NOT NULL
);
