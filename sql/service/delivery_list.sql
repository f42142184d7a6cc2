-- Deliveries, newest first (at most 500): all, or those with one status (the same ? twice).
SELECT delivery_no, event_no, destination, status, attempts, next_at, last_status, last_error, created_at,
       updated_at, delivered_at
FROM svc.deliveries
WHERE CAST(? AS VARCHAR) IS NULL OR status = ?
ORDER BY delivery_no DESC
LIMIT 500
