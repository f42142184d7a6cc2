SELECT schema_version, generator_version, seed, customers, survivors, strftime(observation_date, '%Y-%m-%d')
FROM meta.warehouse
