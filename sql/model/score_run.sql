-- The scoring run behind model.scores.
SELECT model_version, threshold, people, scored_at FROM model.score_run
