-- Deliveries by destination and status, for /metrics.
SELECT destination, status, count(*) FROM svc.deliveries GROUP BY destination, status ORDER BY destination, status
