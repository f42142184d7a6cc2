-- Replaces the scores with the ones just written (same transaction).
DROP TABLE IF EXISTS model.scores;
ALTER TABLE model.scores_next RENAME TO scores;
