-- One survivor's incident metadata (same columns as dv_incidents.sql); the filter is on the view's partition
-- key, so it is applied before the numbering rather than after it.
SELECT masked_id, incident_no, CAST(incident_date AS VARCHAR), physical, verbal, sexual, financial, stalking,
       severity, strangulation, weapon_used, weapon_type, threats_to_kill, police_involved, medical_attention,
       perpetrator_relationship, substance_use, extreme_jealousy, controlling_behavior
FROM cleanroom.incidents
WHERE masked_id = ?
ORDER BY incident_no
