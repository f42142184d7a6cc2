INSERT INTO svc.screens VALUES (nextval('svc.screen_numbers'), ?, ?, ?, ?)
RETURNING screen_no
