-- Which record a masked ID names: ('people', person_key) or ('survivors', survivor_key).
SELECT 'people' AS kind, person_key AS key FROM privacy.person_ids WHERE masked_id = ?
UNION ALL
SELECT 'survivors' AS kind, survivor_key AS key FROM privacy.survivor_ids WHERE masked_id = ?
