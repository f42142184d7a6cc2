UPDATE svc.alerts SET status = ?, updated_at = ?, updated_by = ?, note = ? WHERE alert_no = ?
