-- The sealed chunk holding record `key` of `kind`.
SELECT ciphertext FROM vault.chunks WHERE kind = ? AND ? BETWEEN first_key AND last_key LIMIT 1
