-- Where an API survivor's sealed records lie in service-vault.bin, in the order they were added.
SELECT kind, incident_no, "offset", length FROM svc.vault WHERE masked_id = ? ORDER BY "offset"
