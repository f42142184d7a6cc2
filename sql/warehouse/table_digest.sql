-- Order-independent digest of one table's logical content: row count and the XOR of each row's MD5.
-- Every table has a unique key, so no two rows are equal and XOR cannot cancel them out.
-- {table} is replaced by a name from the catalog, never by user input.
SELECT count(*), coalesce(bit_xor(md5_number(CAST(t AS VARCHAR))), 0)::VARCHAR
FROM {table} AS t
