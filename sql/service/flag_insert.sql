-- Flags a case for review: masked ID, actor, reason, when; returns the flag number.
INSERT INTO svc.case_flags VALUES (nextval('svc.flag_numbers'), ?, ?, ?, ?) RETURNING flag_no
