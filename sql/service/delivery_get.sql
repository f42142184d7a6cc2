SELECT delivery_no, event_no, destination, status, attempts, next_at, last_status, last_error, created_at,
       updated_at, delivered_at
FROM svc.deliveries
WHERE delivery_no = ?
