-- The survivor's alert of this reason that is still open or acknowledged, if any.
SELECT alert_no FROM svc.alerts
WHERE masked_id = ? AND reason = ? AND status <> 'closed'
ORDER BY alert_no DESC
LIMIT 1
