-- Appends an event to the outbox; returns its number.
INSERT INTO svc.outbox VALUES (nextval('svc.event_numbers'), ?, ?, ?, ?) RETURNING event_no
