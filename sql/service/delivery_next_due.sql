-- When the next pending delivery is due, if any.
SELECT min(next_at) FROM svc.deliveries WHERE status = 'pending'
