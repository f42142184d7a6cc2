-- Survivors' assessment profiles, all of them or one masked ID (the same ? twice).
SELECT masked_id, employed, immigration_status, has_children, support_network, pregnant, recent_separation,
       perpetrator_has_weapons, restraining_order
FROM cleanroom.survivors
WHERE CAST(? AS VARCHAR) IS NULL OR masked_id = ?
ORDER BY masked_id
