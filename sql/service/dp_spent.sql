-- What a user has spent of their budget on one day.
SELECT coalesce(sum(epsilon), 0) FROM svc.dp_charges WHERE user_name = ? AND day = ?::DATE
