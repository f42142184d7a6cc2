-- One API survivor's assessment profile (same columns as sql/warehouse/dv_survivor_one.sql).
SELECT masked_id, employed, immigration_status, has_children, support_network, pregnant, recent_separation,
       perpetrator_has_weapons, restraining_order
FROM svc.survivors
WHERE masked_id = ?
