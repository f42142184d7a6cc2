-- One synthetic survivor's region, by masked ID (for routing its alerts).
SELECT region FROM cleanroom.survivors WHERE masked_id = ?
