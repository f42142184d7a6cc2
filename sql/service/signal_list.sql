-- Signals, newest first (at most 500): all, or one kind (the same ? twice).
SELECT signal_id, kind, masked_id, state, queue, route, owner, crm_id, opened_at, acknowledged_at, handed_off_at,
       closed_at, escalation_step, payload
FROM svc.signals
WHERE CAST(? AS VARCHAR) IS NULL OR kind = ?
ORDER BY opened_at DESC, signal_id DESC
LIMIT 500
