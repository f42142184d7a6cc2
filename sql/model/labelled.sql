-- The model's training rows: the population (population.sql, spliced in below) with each person's outcome, train/validation
-- flag and the generator's true probability (for evaluation only, never a feature), in person-key order, so the
-- same data gives the same rows on every installation.
-- The split hashes the person key with a public salt ($1) and sends $2 per mille to validation: it does not
-- depend on the installation key. Only the flag leaves this query, never the key.
SELECT
    p.*,
    o.distress_12m AS label,
    (md5_number($1 || ':' || ids.person_key) % 1000) < $2 AS validation,
    t.p_distress_12m AS true_p
FROM ({population}) AS p
JOIN privacy.person_ids AS ids ON ids.masked_id = p.masked_id
JOIN bank.outcomes AS o ON o.person_key = ids.person_key
JOIN truth.customers AS t ON t.person_key = ids.person_key
ORDER BY ids.person_key
