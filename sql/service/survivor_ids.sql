SELECT masked_id FROM svc.survivors ORDER BY masked_id
