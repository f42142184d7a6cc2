-- The outcome of an attempt (or a replay): status, attempts, when next, what the receiver said.
UPDATE svc.deliveries
SET status = ?, attempts = ?, next_at = ?, last_status = ?, last_error = ?, updated_at = ?, delivered_at = ?
WHERE delivery_no = ?
