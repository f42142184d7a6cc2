-- Signals nobody has acknowledged, handed off or closed yet: what escalation chains watch.
SELECT signal_id, kind, masked_id, state, queue, route, owner, crm_id, opened_at, acknowledged_at, handed_off_at,
       closed_at, escalation_step, payload
FROM svc.signals
WHERE state = 'open'
ORDER BY opened_at, signal_id
