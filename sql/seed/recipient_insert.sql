INSERT INTO privacy.recipient VALUES (?)
