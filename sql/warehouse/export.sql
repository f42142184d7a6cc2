-- Exports one bank or insurer table with the raw person key replaced by the masked ID; key-derived row IDs are
-- left out too, so exports of different tables join only on the masked ID, as in the clean room.
-- {table} is a catalog name, {exclude} its key columns, {path} the escaped output path (the one placeholder that
-- comes from the user, quoted as a string literal), {options} the format options.
COPY (
    SELECT ids.masked_id, t.* EXCLUDE ({exclude})
    FROM {table} AS t
    JOIN privacy.person_ids AS ids ON ids.person_key = t.person_key
    ORDER BY ALL
) TO {path} ({options})
