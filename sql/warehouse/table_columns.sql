SELECT table_schema || '.' || table_name, column_name
FROM information_schema.columns
WHERE table_schema IN ('bank', 'insurer', 'dv', 'truth')
ORDER BY table_schema, table_name, ordinal_position
