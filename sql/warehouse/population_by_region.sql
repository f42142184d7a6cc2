SELECT region, count(*) AS people
FROM cleanroom.people
GROUP BY region
ORDER BY region
