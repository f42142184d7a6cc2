-- A signal's state after an event: inserted on its first, updated on every later one (a reopened signal's clock
-- starts again at its new opened_at).
INSERT INTO svc.signals
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (signal_id) DO UPDATE SET
    state = excluded.state, opened_at = excluded.opened_at, queue = excluded.queue, route = excluded.route, owner = excluded.owner,
    crm_id = excluded.crm_id, acknowledged_at = excluded.acknowledged_at, handed_off_at = excluded.handed_off_at,
    closed_at = excluded.closed_at, escalation_step = excluded.escalation_step, payload = excluded.payload
