-- One person's stored score, by masked ID.
SELECT s.probability, s.points, s.high_risk, r.model_version, s.reason_1, s.reason_2, s.reason_3
FROM model.scores AS s, model.score_run AS r
WHERE s.masked_id = ?
