"""Scenario 4 — catalog: 1,000 ASINs (small: 100) through ``amzv.get_catalog_items``.

The sandbox runs in its own process with rate limits sped up by ``SPEED`` (10):
searchCatalogItems 2 req/s x 10 = 20 req/s after a burst of 2. (At 60x the 8 ms between calls
would be shorter than one request's own latency on loopback, and the benchmark would measure
HTTP latency, not pacing.) Each run gets a fresh sandbox process and contender process; the
contender fetches its LWA token before the timer.

Lower bound: ceil(n / 20) calls; the first ``burst`` go at once, then one per
1 / (rate x SPEED) s: (calls - burst) / (rate x SPEED). Targets: calls ≤ ceil(n / 20),
wall ≤ 1.15x the bound (and the 429 count is reported).
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

from _harness import Row, SandboxProcess, child_args, median, report, run_script

NAME = "catalog"
TITLE = "get_catalog_items on 1,000 ASINs vs the rate-limit bound"
N_ASINS = {"small": 100, "full": 1000}
REPEATS = {"small": 1, "full": 3}
SPEED = 10.0
BATCH = 20


def amzv(opts: dict) -> None:
    from _harness import amzv_client
    from amzv_pandas._catalog.api import get_catalog_items

    client = amzv_client(opts["conn"])
    client.request("GET", "/sellers/v1/marketplaceParticipations")  # LWA token before the timer
    client.calls.clear()
    t0 = time.perf_counter()
    df = get_catalog_items(opts["asins"], progress_bar_type=None, client=client)
    seconds = time.perf_counter() - t0
    report(seconds=seconds, rows=len(df), calls=dict(client.calls))


CONTENDERS = {"amzv": amzv}


def lower_bound(calls: int, speed: float = SPEED) -> float:
    from amzv_pandas._specs.operations import BY_NAME

    op = BY_NAME["searchCatalogItems"]
    return max(0, calls - op.burst) / (op.rate * speed)


def asins_for(n: int) -> list[str]:
    """n distinct ASINs of the sandbox's vendor (its deterministic data, seed 0)."""
    from amzv_pandas.sandbox.data import SandboxData

    data = SandboxData(0, vendor_asins=n)
    asins = list(dict.fromkeys(data.vendor_asins))[:n]
    if len(asins) < n:
        raise RuntimeError(f"the sandbox vendor has only {len(asins)} ASINs")
    return asins


def run(size: str, log) -> tuple[list[Row], list[str]]:
    n = N_ASINS[size]
    asins = asins_for(n)
    fewest = math.ceil(n / BATCH)
    bound = lower_bound(fewest)
    log(f"    {n} ASINs -> at least {fewest} calls; lower bound {bound:.2f} s at speed {SPEED:g}")
    script = Path(__file__)
    runs = []
    for i in range(REPEATS[size]):
        with SandboxProcess(speed=SPEED, vendor_asins=n) as sb:
            res = run_script(script, "amzv", {"conn": sb.connection(), "asins": asins})
            stats = sb.stats()
        runs.append({"seconds": res.result["seconds"], "rows": res.result["rows"], "server_calls": stats["calls"],
                     "throttled": stats["throttled"], "client_calls": res.result["calls"]})
        log(f"    amzv run {i + 1}: {res.result['seconds']:.2f} s, rows {res.result['rows']}, calls {stats['calls']}, "
            f"429s {stats['throttled']}")
    calls = max(r["server_calls"].get("searchCatalogItems", 0) for r in runs)
    details = {"runs": runs, "bound_seconds": bound, "speed": SPEED, "asins": n}
    rows = [
        Row(NAME, "searchCatalogItems calls", calls, fewest, "calls", "<=", 1.0, details=details),
        Row(NAME, "wall vs rate-limit lower bound", median(r["seconds"] for r in runs), bound, "s", "<=", 1.15),
        Row(NAME, "429s (max)", max(sum(r["throttled"].values()) for r in runs), 1, "calls", None, None),
    ]
    notes = []
    if any(r["rows"] != n for r in runs):
        notes.append(f"rows returned {[r['rows'] for r in runs]} != {n} ASINs asked")
    return rows, notes


if __name__ == "__main__":
    name, options = child_args()
    CONTENDERS[name](options)
    sys.exit(0)
