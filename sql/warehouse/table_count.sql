-- {table} is replaced by a name from the catalog, never by user input.
SELECT count(*) FROM {table}
