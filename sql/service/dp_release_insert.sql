-- Records a new release and the seed of its noise.
INSERT INTO svc.dp_releases VALUES (?, ?, ?::DATE, ?, ?, ?)
