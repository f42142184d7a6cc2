-- {table} is a catalog name, {key} its key column, {path} a quoted string literal, {options} the format options.
COPY (SELECT * FROM {table} ORDER BY {key}) TO {path} ({options})
