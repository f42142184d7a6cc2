-- Each synthetic survivor's region, by masked ID (for regional DV shocks in the chaos engine).
SELECT masked_id, region FROM cleanroom.survivors
