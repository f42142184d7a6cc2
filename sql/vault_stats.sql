SELECT count(*), coalesce(sum(records), 0)::BIGINT, coalesce(sum(octet_length(ciphertext)), 0)::BIGINT FROM vault.chunks
