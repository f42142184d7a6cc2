-- The seed of a release already made today, if any.
SELECT seed FROM svc.dp_releases WHERE view = ? AND params = ? AND day = ?::DATE
