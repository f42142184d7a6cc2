-- One person of the population (population.sql, spliced in below), by masked ID.
SELECT * FROM ({population}) AS p WHERE p.masked_id = ?
