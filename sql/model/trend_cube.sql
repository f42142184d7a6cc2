-- The monthly trend cube of the executive view: for each month of history and each (region, credit group,
-- age band) of bank customers, the people with at least one missed payment, overdraft or insurance claim that
-- month, and the medical cost of their claims. Raw counts: the dashboard passes them through the k-anonymity
-- guard before showing them.
WITH
bank_months AS (
    SELECT
        person_key,
        strftime(event_date, '%Y-%m') AS month,
        bool_or(kind = 'missed_payment') AS missed,
        bool_or(kind = 'overdraft') AS overdraft
    FROM bank.events
    GROUP BY ALL
),
claim_months AS (
    SELECT person_key, strftime(service_date, '%Y-%m') AS month, sum(medical_cost) AS medical_cost
    FROM insurer.claims
    GROUP BY ALL
),
months AS (
    SELECT
        coalesce(b.person_key, m.person_key) AS person_key,
        coalesce(b.month, m.month) AS month,
        coalesce(b.missed, false) AS missed,
        coalesce(b.overdraft, false) AS overdraft,
        m.person_key IS NOT NULL AS claim,
        coalesce(m.medical_cost, 0) AS medical_cost
    FROM bank_months AS b
    FULL OUTER JOIN claim_months AS m ON m.person_key = b.person_key AND m.month = b.month
)
SELECT
    months.month,
    c.region,
    c.credit_group,
    c.age_band,
    count(*) FILTER (WHERE missed) AS missed_payment,
    count(*) FILTER (WHERE overdraft) AS overdraft,
    count(*) FILTER (WHERE claim) AS claim,
    CAST(sum(medical_cost) AS DOUBLE) AS medical_cost
FROM months
JOIN bank.customers AS c ON c.person_key = months.person_key
GROUP BY ALL
ORDER BY ALL
