SELECT max(schema_version) FROM svc.meta
