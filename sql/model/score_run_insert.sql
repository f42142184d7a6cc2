-- Records the scoring run: model version, threshold, people, when.
INSERT INTO model.score_run VALUES (?, ?, ?, ?)
