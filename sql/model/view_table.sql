-- A dashboard table view for Parquet export, in an in-memory database; {columns} are its columns, named and
-- typed (DOUBLE or VARCHAR) from the view.
CREATE TABLE {table} ({columns})
