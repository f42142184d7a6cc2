-- One API survivor's incidents (same columns as sql/warehouse/dv_incidents_one.sql).
SELECT masked_id, incident_no, CAST(incident_date AS VARCHAR), physical, verbal, sexual, financial, stalking,
       severity, strangulation, weapon_used, weapon_type, threats_to_kill, police_involved, medical_attention,
       perpetrator_relationship, substance_use, extreme_jealousy, controlling_behavior
FROM svc.incidents
WHERE masked_id = ?
ORDER BY incident_no
