-- Masked IDs are unique within each kind; the indexes make reveal a point lookup.
CREATE UNIQUE INDEX person_ids_masked ON privacy.person_ids (masked_id);
CREATE UNIQUE INDEX survivor_ids_masked ON privacy.survivor_ids (masked_id);

