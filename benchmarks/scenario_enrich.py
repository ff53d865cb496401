"""Scenario 7 — ``df.amzv.enrich``: a 10,000-row sales frame with 2,000 distinct ASINs, cold vs warm.

The sandbox runs in its own process at **speed 10** (searchCatalogItems 2/s x 10 after a burst of
2). Each contender is a fresh process with the same ``cache_dir``:

* ``cold`` — an empty catalog cache: every distinct ASIN fetched, 20 per call;
* ``warm`` — the cache the cold run left (within its TTL): no call at all.

Small: 1,000 rows x 200 ASINs. Targets: cold calls = ceil(2000 / 20) = 100, warm calls 0,
warm wall ≤ 0.05x cold.
"""

from __future__ import annotations

import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _harness import Row, SandboxProcess, child_args, median, report, run_script

NAME = "enrich"
TITLE = "df.amzv.enrich cold (sandbox, speed 10) vs warm (disk cache)"
SIZE = {"small": (1_000, 200), "full": (10_000, 2_000)}  # (rows, distinct ASINs)
REPEATS = {"small": 1, "full": 3}
SPEED = 10.0
BATCH = 20


def enrich(opts: dict) -> None:
    import pandas as pd
    from _harness import amzv_client

    client = amzv_client(opts["conn"], cache_dir=opts["cache_dir"])
    client.request("GET", "/sellers/v1/marketplaceParticipations")  # LWA token before the timer
    client.calls.clear()
    asins = opts["asins"]
    n = opts["rows"]
    sales = pd.DataFrame({"asin": pd.array([asins[i % len(asins)] for i in range(n)], dtype="str"),
                          "orderedUnits": pd.array(range(n), dtype="Int64")})
    t0 = time.perf_counter()
    out = sales.amzv.enrich(client=client, progress_bar_type=None)
    seconds = time.perf_counter() - t0
    report(seconds=seconds, rows=len(out), columns=len(out.columns),
           calls=client.calls.get("searchCatalogItems", 0))


CONTENDERS = {"cold": enrich, "warm": enrich}


def run(size: str, log) -> tuple[list[Row], list[str]]:
    from scenario_catalog import asins_for

    n_rows, n_asins = SIZE[size]
    asins = asins_for(n_asins)
    fewest = math.ceil(n_asins / BATCH)
    script = Path(__file__)
    cold, warm = [], []
    for i in range(REPEATS[size]):
        cache_dir = tempfile.mkdtemp(prefix="amzv-bench-enrich-")
        try:
            with SandboxProcess(speed=SPEED, vendor_asins=n_asins) as sb:
                opts = {"conn": sb.connection(), "asins": asins, "rows": n_rows, "cache_dir": cache_dir}
                cold.append(run_script(script, "cold", opts))
                warm.append(run_script(script, "warm", opts))
        finally:
            shutil.rmtree(cache_dir, ignore_errors=True)
        log(f"    run {i + 1}: cold {cold[-1].result['seconds']:.2f} s ({cold[-1].result['calls']} calls), "
            f"warm {warm[-1].result['seconds']:.3f} s ({warm[-1].result['calls']} calls)")
    c, w = median(r.result["seconds"] for r in cold), median(r.result["seconds"] for r in warm)
    rows = [
        Row(NAME, "searchCatalogItems calls, cold", max(r.result["calls"] for r in cold), fewest, "calls", "<=", 1.0),
        # ratio = warm calls / cold's fewest: the target 0x means no call at all
        Row(NAME, "searchCatalogItems calls, warm (vs cold's fewest)", max(r.result["calls"] for r in warm), fewest,
            "calls", "<=", 0.0),
        Row(NAME, "wall, warm vs cold", w, c, "s", "<=", 0.05,
            details={"cold": [r.result["seconds"] for r in cold], "warm": [r.result["seconds"] for r in warm]}),
    ]
    return rows, []


if __name__ == "__main__":
    name, options = child_args()
    CONTENDERS[name](options)
    sys.exit(0)
