-- A population for the model as of a date: every bank customer's indicators over the 12 months up to {as_of}
-- (a 'YYYY-MM-DD' literal the warehouse writes itself), typed as the model reads them: text, DOUBLE numbers,
-- BOOLEAN flags. Masked IDs only; no raw key and no PII leaves.
-- The definitions are the clean room's (sql/seed/cleanroom.sql: bank_people, insurer_people, people) with the window
-- ending at {as_of} instead of the observation date; as of the observation date the two give the same rows.
-- Income, debt, credit score, loan and employment are single snapshots (as of the observation date).
WITH
events AS (
    SELECT
        person_key,
        count(*) FILTER (WHERE kind = 'missed_payment') AS missed_payments_12m,
        count(*) FILTER (WHERE kind = 'overdraft') AS overdrafts_12m
    FROM bank.events
    WHERE event_date > DATE '{as_of}' - INTERVAL 12 MONTH AND event_date <= DATE '{as_of}'
    GROUP BY person_key
),
conditions AS (
    SELECT person_key, count(*) AS chronic_conditions
    FROM insurer.conditions
    WHERE diagnosed_on <= DATE '{as_of}'
    GROUP BY person_key
),
claims AS (
    SELECT
        person_key,
        count(*) AS claims_12m,
        count(*) FILTER (WHERE denied) AS denied_claims_12m,
        sum(medical_cost) AS medical_cost_12m,
        sum(out_of_pocket) AS out_of_pocket_12m
    FROM insurer.claims
    WHERE service_date > DATE '{as_of}' - INTERVAL 12 MONTH AND service_date <= DATE '{as_of}'
    GROUP BY person_key
)
SELECT
    ids.masked_id,
    c.region,
    c.age_band,
    c.employment,
    c.credit_group,
    CAST(c.income AS DOUBLE) AS income,
    CAST(c.debt AS DOUBLE) AS debt,
    CAST(c.credit_score AS DOUBLE) AS credit_score,
    CAST(c.loan_amount AS DOUBLE) AS loan_amount,
    CAST(coalesce(e.missed_payments_12m, 0) AS DOUBLE) AS missed_payments_12m,
    CAST(coalesce(e.overdrafts_12m, 0) AS DOUBLE) AS overdrafts_12m,
    m.person_key IS NOT NULL AS insurer_member,
    CAST(CASE WHEN m.person_key IS NULL THEN 0 ELSE coalesce(k.chronic_conditions, 0) END AS DOUBLE) AS chronic_conditions,
    CAST(CASE WHEN m.person_key IS NULL THEN 0 ELSE coalesce(cl.claims_12m, 0) END AS DOUBLE) AS claims_12m,
    CAST(CASE WHEN m.person_key IS NULL THEN 0 ELSE coalesce(cl.denied_claims_12m, 0) END AS DOUBLE)
        AS denied_claims_12m,
    CAST(CASE WHEN m.person_key IS NULL THEN 0 ELSE coalesce(cl.medical_cost_12m, 0) END AS DOUBLE)
        AS medical_cost_12m,
    CAST(CASE WHEN m.person_key IS NULL THEN 0 ELSE coalesce(cl.out_of_pocket_12m, 0) END AS DOUBLE)
        AS out_of_pocket_12m
FROM bank.customers AS c
JOIN privacy.person_ids AS ids ON ids.person_key = c.person_key
LEFT JOIN insurer.members AS m ON m.person_key = c.person_key AND m.enrolled_on <= DATE '{as_of}'
LEFT JOIN events AS e ON e.person_key = c.person_key
LEFT JOIN conditions AS k ON k.person_key = c.person_key
LEFT JOIN claims AS cl ON cl.person_key = c.person_key
