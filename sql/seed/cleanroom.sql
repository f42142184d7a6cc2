-- The clean room: what the dashboard, the model and analysts read.
-- Each side exposes masked IDs and indicators only; the join between bank and insurer people is on the keyed
-- hash, so neither side's raw key crosses into the shared view. Windows are the 12 months before observation.

CREATE VIEW cleanroom.bank_people AS
SELECT
    ids.masked_id,
    c.region,
    c.age_band,
    c.employment,
    c.income,
    c.debt,
    CASE WHEN c.income > 0 THEN c.debt / c.income END AS debt_to_income,
    c.credit_score,
    c.credit_group,
    c.loan_amount,
    coalesce(e.missed_payments_12m, 0) AS missed_payments_12m,
    coalesce(e.overdrafts_12m, 0) AS overdrafts_12m
FROM bank.customers AS c
JOIN privacy.person_ids AS ids ON ids.person_key = c.person_key
LEFT JOIN (
    SELECT
        person_key,
        count(*) FILTER (WHERE kind = 'missed_payment') AS missed_payments_12m,
        count(*) FILTER (WHERE kind = 'overdraft') AS overdrafts_12m
    FROM bank.events, meta.warehouse AS w
    WHERE event_date > w.observation_date - INTERVAL 12 MONTH
    GROUP BY person_key
) AS e ON e.person_key = c.person_key;

CREATE VIEW cleanroom.insurer_people AS
SELECT
    ids.masked_id,
    m.region,
    m.age_band,
    m.plan,
    coalesce(k.chronic_conditions, 0) AS chronic_conditions,
    coalesce(cl.claims_12m, 0) AS claims_12m,
    coalesce(cl.denied_claims_12m, 0) AS denied_claims_12m,
    coalesce(cl.medical_cost_12m, 0) AS medical_cost_12m,
    coalesce(cl.out_of_pocket_12m, 0) AS out_of_pocket_12m
FROM insurer.members AS m
JOIN privacy.person_ids AS ids ON ids.person_key = m.person_key
LEFT JOIN (
    SELECT person_key, count(*) AS chronic_conditions
    FROM insurer.conditions
    GROUP BY person_key
) AS k ON k.person_key = m.person_key
LEFT JOIN (
    SELECT
        person_key,
        count(*) AS claims_12m,
        count(*) FILTER (WHERE denied) AS denied_claims_12m,
        sum(medical_cost) AS medical_cost_12m,
        sum(out_of_pocket) AS out_of_pocket_12m
    FROM insurer.claims, meta.warehouse AS w
    WHERE service_date > w.observation_date - INTERVAL 12 MONTH
    GROUP BY person_key
) AS cl ON cl.person_key = m.person_key;

-- Bank customers with their insurer indicators where they are members, joined on the masked ID alone.
CREATE VIEW cleanroom.people AS
SELECT
    b.masked_id,
    b.region,
    b.age_band,
    b.employment,
    b.income,
    b.debt,
    b.debt_to_income,
    b.credit_score,
    b.credit_group,
    b.loan_amount,
    b.missed_payments_12m,
    b.overdrafts_12m,
    i.masked_id IS NOT NULL AS insurer_member,
    i.plan,
    coalesce(i.chronic_conditions, 0) AS chronic_conditions,
    coalesce(i.claims_12m, 0) AS claims_12m,
    coalesce(i.denied_claims_12m, 0) AS denied_claims_12m,
    coalesce(i.medical_cost_12m, 0) AS medical_cost_12m,
    coalesce(i.out_of_pocket_12m, 0) AS out_of_pocket_12m
FROM cleanroom.bank_people AS b
LEFT JOIN cleanroom.insurer_people AS i ON i.masked_id = b.masked_id;

-- DV survivors by masked ID: metadata only.
CREATE VIEW cleanroom.survivors AS
SELECT
    ids.masked_id,
    s.region,
    s.age_band,
    s.employed,
    s.immigration_status,
    s.has_children,
    s.support_network,
    s.pregnant,
    s.recent_separation,
    s.perpetrator_has_weapons,
    s.restraining_order,
    s.registered_on
FROM dv.survivors AS s
JOIN privacy.survivor_ids AS ids ON ids.survivor_key = s.survivor_key;

-- DV incidents by the survivor's masked ID: metadata only (narratives live sealed in the vault).
-- Incidents are numbered 1, 2, … per survivor in date order; the internal incident key stays behind the view.
CREATE VIEW cleanroom.incidents AS
SELECT
    ids.masked_id,
    row_number() OVER (PARTITION BY ids.masked_id ORDER BY i.incident_date, i.incident_id) AS incident_no,
    i.incident_date,
    i.physical,
    i.verbal,
    i.sexual,
    i.financial,
    i.stalking,
    i.severity,
    i.strangulation,
    i.weapon_used,
    i.weapon_type,
    i.threats_to_kill,
    i.police_involved,
    i.medical_attention,
    i.perpetrator_relationship,
    i.substance_use,
    i.extreme_jealousy,
    i.controlling_behavior
FROM dv.incidents AS i
JOIN privacy.survivor_ids AS ids ON ids.survivor_key = i.survivor_key;
