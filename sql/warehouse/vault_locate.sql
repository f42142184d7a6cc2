-- Where the sealed chunk holding record `key` of `kind` lies in the vault file.
SELECT f.name, c."offset", c.length
FROM vault.chunks AS c, vault.file AS f
WHERE c.kind = ? AND ? BETWEEN c.first_key AND c.last_key
LIMIT 1
