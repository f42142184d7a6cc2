-- One person's stored score, by masked ID.
SELECT probability, points, high_risk, model_version, reason_1, reason_2, reason_3
FROM model.scores
WHERE masked_id = ?
