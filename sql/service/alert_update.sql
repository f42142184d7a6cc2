-- A person's act on an alert: status, when, who; a note given replaces the last, none keeps it.
UPDATE svc.alerts SET status = ?, updated_at = ?, updated_by = ?, note = coalesce(?, note) WHERE alert_no = ?
