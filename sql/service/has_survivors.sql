-- Whether this service database has the API survivors' table (older ones, never reopened by a server, do not).
SELECT count(*) FROM information_schema.tables WHERE table_schema = 'svc' AND table_name = 'survivors'
