-- Writes the training matrix in row order; {path} is the escaped output path.
COPY training TO {path} (FORMAT parquet)
