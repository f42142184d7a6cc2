-- The training matrix for `model export-training`, in an in-memory database; {features} are the model's inputs
-- as DOUBLE columns, named as in the artifact.
CREATE TABLE training (masked_id VARCHAR NOT NULL, {features}, label BOOLEAN NOT NULL, validation BOOLEAN NOT NULL)
