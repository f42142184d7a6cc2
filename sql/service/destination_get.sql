SELECT name, cursor, disabled_at, disabled_reason FROM svc.destinations WHERE name = ?
