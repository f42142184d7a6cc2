-- A delivery for an event to a destination, due now (once: a second enqueue of the same pair does nothing).
INSERT INTO svc.deliveries VALUES (nextval('svc.delivery_numbers'), ?, ?, 'pending', 0, ?, NULL, NULL, ?, ?, NULL)
ON CONFLICT (event_no, destination) DO NOTHING
