-- Whether `safehaven score` has run on this warehouse.
SELECT count(*) FROM information_schema.tables WHERE table_schema = 'model' AND table_name = 'score_run'
