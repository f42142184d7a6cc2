-- Alerts, newest first; all of them or those with one status (the same ? twice).
SELECT alert_no, masked_id, assessment_no, screen_no, reason, level, status, opened_at, updated_at, updated_by, note
FROM svc.alerts
WHERE CAST(? AS VARCHAR) IS NULL OR status = ?
ORDER BY alert_no DESC
LIMIT 500
