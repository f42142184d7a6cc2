-- A destination's cursor and whether it is disabled.
INSERT INTO svc.destinations VALUES (?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, disabled_at = excluded.disabled_at,
    disabled_reason = excluded.disabled_reason
