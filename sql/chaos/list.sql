-- Runs, newest first.
SELECT run_id, scenario, shape, created_at, model_version, people, seconds FROM runs ORDER BY created_at DESC, run_id DESC
