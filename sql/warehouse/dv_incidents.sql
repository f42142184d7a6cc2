-- Every survivor's incident metadata for assessment, grouped by survivor in date order.
SELECT masked_id, incident_no, CAST(incident_date AS VARCHAR), physical, verbal, sexual, financial, stalking,
       severity, strangulation, weapon_used, weapon_type, threats_to_kill, police_involved, medical_attention,
       perpetrator_relationship, substance_use, extreme_jealousy, controlling_behavior
FROM cleanroom.incidents
ORDER BY masked_id, incident_no
