-- Ground truth, for evaluating the DV engine only: each survivor's hidden trajectory by masked ID.
SELECT ids.masked_id, t.trajectory
FROM truth.survivors AS t
JOIN privacy.survivor_ids AS ids ON ids.survivor_key = t.survivor_key
ORDER BY ids.masked_id
