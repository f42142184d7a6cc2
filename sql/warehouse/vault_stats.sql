SELECT count(*), coalesce(sum(records), 0)::BIGINT, coalesce(sum(length), 0)::BIGINT FROM vault.chunks
