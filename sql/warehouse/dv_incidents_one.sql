-- One survivor's incident metadata (same columns and numbering as cleanroom.incidents), with the masked ID
-- resolved first so that only that survivor's incidents are read and numbered.
SELECT ids.masked_id,
       row_number() OVER (ORDER BY i.incident_date, i.incident_id) AS incident_no,
       CAST(i.incident_date AS VARCHAR), i.physical, i.verbal, i.sexual, i.financial, i.stalking,
       i.severity, i.strangulation, i.weapon_used, i.weapon_type, i.threats_to_kill, i.police_involved,
       i.medical_attention, i.perpetrator_relationship, i.substance_use, i.extreme_jealousy, i.controlling_behavior
FROM privacy.survivor_ids AS ids
JOIN dv.incidents AS i ON i.survivor_key = ids.survivor_key
WHERE ids.masked_id = ?
ORDER BY incident_no
