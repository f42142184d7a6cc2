-- Whether a user has been charged for this release today.
SELECT count(*) FROM svc.dp_charges WHERE user_name = ? AND view = ? AND params = ? AND day = ?::DATE
