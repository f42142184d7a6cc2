SELECT alert_no, masked_id, assessment_no, screen_no, reason, level, status, opened_at, updated_at, updated_by, note
FROM svc.alerts
WHERE alert_no = ?
