-- Incident metadata for assessment, all survivors or one masked ID (the same ? twice), grouped by survivor.
SELECT masked_id, incident_no, CAST(incident_date AS VARCHAR), physical, verbal, sexual, financial, stalking,
       severity, strangulation, weapon_used, weapon_type, threats_to_kill, police_involved, medical_attention,
       perpetrator_relationship, substance_use, extreme_jealousy, controlling_behavior
FROM cleanroom.incidents
WHERE CAST(? AS VARCHAR) IS NULL OR masked_id = ?
ORDER BY masked_id, incident_no
