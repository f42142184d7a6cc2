-- One survivor's assessment profile (same columns as dv_survivors.sql and cleanroom.survivors). Reads the
-- tables behind the clean-room view with the masked ID resolved first, so a single assessment does not join
-- the whole population.
SELECT ids.masked_id, s.employed, s.immigration_status, s.has_children, s.support_network, s.pregnant,
       s.recent_separation, s.perpetrator_has_weapons, s.restraining_order
FROM privacy.survivor_ids AS ids
JOIN dv.survivors AS s ON s.survivor_key = ids.survivor_key
WHERE ids.masked_id = ?
