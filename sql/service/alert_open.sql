INSERT INTO svc.alerts
VALUES (nextval('svc.alert_numbers'), ?, ?, ?, ?, ?, 'open', ?, ?, NULL, NULL)
RETURNING alert_no
