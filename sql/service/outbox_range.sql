-- Events after a cursor, up to another, in order (at most the given number).
SELECT event_no, payload FROM svc.outbox WHERE event_no > ? AND event_no <= ? ORDER BY event_no LIMIT ?
