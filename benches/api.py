"""Latency of the dashboard's API views, measured from a client on loopback (stdlib only).

Usage: python3 benches/api.py BASE_URL TOKEN [REQUESTS]
  BASE_URL  e.g. http://127.0.0.1:7300 (a running `safehaven serve` with its analytics loaded)
  TOKEN     an investigator's or admin's token (it must see the case page)

For each view it sends REQUESTS sequential requests (default 200) with varied parameters (thresholds,
filters, offsets, masked IDs, shocks) and prints p50 / p95 / p99 / max in milliseconds. The load test on the
executive API is wrk's job: see benches/README.md.
"""

import json
import random
import sys
import time
import urllib.request


def call(base, token, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method="POST" if body is not None else "GET")
    request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        payload = response.read()
        assert response.status == 200, (path, response.status)
    return (time.perf_counter() - started) * 1000.0, payload


def summary(name, times):
    times = sorted(times)
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(f"{name:<28} n={len(times):<4} p50 {pick(0.5):7.2f} ms  p95 {pick(0.95):7.2f} ms  p99 {pick(0.99):7.2f} ms  max {times[-1]:7.2f} ms")


def main():
    base, token = sys.argv[1].rstrip("/"), sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    rng = random.Random(7)
    regions = ["", "CA", "TX", "NY", "FL", "OH"]
    groups = ["", "subprime", "prime", "super_prime"]
    _, page = call(base, token, "/api/v1/cases?limit=200")
    ids = [c["maskedId"] for c in json.loads(page)["cases"]]

    def executive():
        query = f"threshold={rng.choice([0.1, 0.15, 0.2, 0.3, 0.5])}"
        region, group = rng.choice(regions), rng.choice(groups)
        query += f"&region={region}" if region else ""
        query += f"&creditGroup={group}" if group else ""
        return call(base, token, f"/api/v1/executive?{query}")[0]

    def executive_uncached():
        # A threshold not asked before: the server computes the view afresh (the guard's whole cost included).
        query = f"threshold={rng.uniform(0.05, 0.6):.5f}"
        region = rng.choice(regions)
        query += f"&region={region}" if region else ""
        return call(base, token, f"/api/v1/executive?{query}")[0]

    views = {
        "executive": executive,
        "executive (uncached)": executive_uncached,
        "case list": lambda: call(base, token, f"/api/v1/cases?limit=25&offset={rng.randrange(0, 5000, 25)}")[0],
        "case list (filtered)": lambda: call(base, token, f"/api/v1/cases?limit=25&region={rng.choice(regions[1:])}&indicator=unemployed")[0],
        "case page": lambda: call(base, token, f"/api/v1/cases/{rng.choice(ids)}")[0],
        "what-if": lambda: call(base, token, f"/api/v1/cases/{rng.choice(ids)}/what-if", {"medicalCostPct": rng.randrange(-50, 200, 10), "incomePct": rng.randrange(-60, 40, 10), "unemployed": rng.random() < 0.3})[0],
        "exposure map (SVG)": lambda: call(base, token, f"/api/v1/charts/exposure-map.svg?threshold={rng.choice([0.1, 0.2, 0.3])}")[0],
    }
    for name, view in views.items():
        view()  # warm
        summary(name, [view() for _ in range(n)])


if __name__ == "__main__":
    main()
