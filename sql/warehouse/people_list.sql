-- Masked IDs with non-identifying attributes, from the clean room.
SELECT masked_id, region, age_band, employment, credit_group, insurer_member
FROM cleanroom.people
ORDER BY masked_id
LIMIT ?
