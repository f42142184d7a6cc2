-- One event.
SELECT event_no, payload FROM svc.outbox WHERE event_no = ?
