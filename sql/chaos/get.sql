-- One run's document.
SELECT result FROM runs WHERE run_id = ?
