-- Whether the service database records its schema version (svc.meta), and whether it has any tables at all.
SELECT
    count(*) FILTER (WHERE table_name = 'meta'),
    count(*)
FROM information_schema.tables
WHERE table_schema = 'svc'
