-- Pending deliveries due by now, oldest event first (at most the given number).
SELECT delivery_no, event_no, destination, status, attempts, next_at, last_status, last_error, created_at,
       updated_at, delivered_at
FROM svc.deliveries
WHERE status = 'pending' AND next_at <= ?
ORDER BY event_no, delivery_no
LIMIT ?
