-- An API survivor's region (for routing their alerts).
SELECT region FROM svc.survivors WHERE masked_id = ?
