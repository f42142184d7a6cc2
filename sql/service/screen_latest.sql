-- The latest LAP and DASH stored against a survivor (at most one of each).
SELECT kind, screen_no, document
FROM (
    SELECT kind, screen_no, document, row_number() OVER (PARTITION BY kind ORDER BY screen_no DESC) AS recency
    FROM svc.screens
    WHERE masked_id = ?
)
WHERE recency = 1
ORDER BY kind
