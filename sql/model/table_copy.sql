-- Writes an in-memory table ({table}: training, or an exported dashboard view) to Parquet, in row order;
-- {path} is the escaped output path.
COPY {table} TO {path} (FORMAT parquet)
