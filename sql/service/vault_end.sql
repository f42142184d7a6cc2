-- Where the next sealed record goes in service-vault.bin.
SELECT coalesce(max("offset" + length), 0) FROM svc.vault
