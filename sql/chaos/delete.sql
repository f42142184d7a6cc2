-- Drops one run.
DELETE FROM runs WHERE run_id = ?
