-- The newest event's number (0 when there is none).
SELECT coalesce(max(event_no), 0) FROM svc.outbox
