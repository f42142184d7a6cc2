-- Every survivor's assessment profile, by masked ID.
SELECT masked_id, employed, immigration_status, has_children, support_network, pregnant, recent_separation,
       perpetrator_has_weapons, restraining_order
FROM cleanroom.survivors
ORDER BY masked_id
