-- A case's review flags, oldest first.
SELECT flag_no, actor, reason, created_at FROM svc.case_flags WHERE masked_id = ? ORDER BY flag_no
