SELECT region, count(*) AS people
FROM bank.customers
GROUP BY region
ORDER BY region
