-- A population for the model: every bank customer's clean-room indicators (masked ID, no raw key, no PII),
-- typed as the model reads them: text, DOUBLE numbers, BOOLEAN flags.
SELECT
    masked_id,
    region,
    age_band,
    employment,
    credit_group,
    CAST(income AS DOUBLE) AS income,
    CAST(debt AS DOUBLE) AS debt,
    CAST(credit_score AS DOUBLE) AS credit_score,
    CAST(loan_amount AS DOUBLE) AS loan_amount,
    CAST(missed_payments_12m AS DOUBLE) AS missed_payments_12m,
    CAST(overdrafts_12m AS DOUBLE) AS overdrafts_12m,
    insurer_member,
    CAST(chronic_conditions AS DOUBLE) AS chronic_conditions,
    CAST(claims_12m AS DOUBLE) AS claims_12m,
    CAST(denied_claims_12m AS DOUBLE) AS denied_claims_12m,
    CAST(medical_cost_12m AS DOUBLE) AS medical_cost_12m,
    CAST(out_of_pocket_12m AS DOUBLE) AS out_of_pocket_12m
FROM cleanroom.people
