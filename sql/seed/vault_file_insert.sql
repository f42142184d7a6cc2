INSERT INTO vault.file VALUES (?)
