-- Charges a user for a release.
INSERT INTO svc.dp_charges VALUES (?, ?, ?, ?::DATE, ?, ?)
