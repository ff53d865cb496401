"""Scenario — many accounts in one call: four sandbox accounts each pulling daily vendor sales
(GET_VENDOR_SALES_REPORT, reportPeriod=DAY) through ``amzv.read_report(..., accounts=[...])``,
against one account's ``read_report`` of the same range.

One sandbox process acts as the accounts (``serve(accounts=4)``): each has its own refresh token,
rate-limit buckets and data, as on Amazon where quotas are per selling partner. Speed 60 as in
the ``year`` scenario (createReport ≈ 1 req/s per account after a burst of 15, processing 0.1 s;
the client's poll interval is sped up alike). Every run gets a fresh sandbox and a fresh
contender process; the contender fetches every account's LWA token before its timer starts.

Targets: the four accounts overlap, so the wall is at most 1.2x one account's (each account's
windows are paced by its own quota, not by the others'); createReport calls = 4 x the fewest
windows (no window asked twice); at most one 429 per account per operation.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from _harness import Row, SandboxProcess, child_args, median, report, run_script

NAME = "accounts"
TITLE = "four accounts in one read_report call vs one account's wall"
REPORT_TYPE = "GET_VENDOR_SALES_REPORT"
OPTIONS = {"reportPeriod": "DAY", "distributorView": "MANUFACTURING", "sellingProgram": "RETAIL"}
ACCOUNTS = 4
SPEED = 60.0
PROCESSING_SECONDS = 6.0
ASINS = 200
END = date(2025, 12, 31)
DAYS = {"small": 30, "full": 365}
REPEATS = {"small": 1, "full": 3}
POLL_INTERVAL = 5.0 / SPEED


def _clients(opts: dict) -> list:
    from _harness import amzv_client

    clients = []
    for k, conn in enumerate(opts["conns"], start=1):
        client = amzv_client(conn, cache_dir=opts["cache_dir"], name=f"account-{k}")
        client.request("GET", "/sellers/v1/marketplaceParticipations")  # LWA token before the timer
        client.calls.clear()
        clients.append(client)
    return clients


def one(opts: dict) -> None:
    from amzv_pandas._reports.api import read_report

    client = _clients(opts)[0]
    t0 = time.perf_counter()
    df = read_report(REPORT_TYPE, opts["start"], opts["end"], marketplace="US", report_options=OPTIONS, cache=False,
                     progress_bar_type=None, client=client)
    report(seconds=time.perf_counter() - t0, rows=len(df), calls=dict(client.calls))


def many(opts: dict) -> None:
    import amzv_pandas as amzv

    clients = _clients(opts)
    t0 = time.perf_counter()
    df = amzv.read_report(REPORT_TYPE, opts["start"], opts["end"], marketplace="US", report_options=OPTIONS,
                          cache=False, progress_bar_type=None, accounts=clients)
    seconds = time.perf_counter() - t0
    calls: dict[str, int] = {}
    for c in clients:
        for op, n in c.calls.items():
            calls[op] = calls.get(op, 0) + n
    report(seconds=seconds, rows=len(df), calls=calls, accounts=sorted(set(df["account"])))


CONTENDERS = {"one": one, "many": many}


def fewest_windows(days: int) -> int:
    import math

    from amzv_pandas._specs.registry import get_report_type

    count, unit = get_report_type(REPORT_TYPE).max_window("DAY")
    assert unit.upper() == "DAY", unit
    return math.ceil(days / count)


def measure(script: Path, size: str, log, *, name: str, call: str, keep: tuple[str, ...] = (),
            extra_rows=lambda runs: []) -> tuple[list[Row], list[str]]:
    """Run ``script``'s ``one`` and ``many`` contenders alternately, each against a fresh sandbox
    process of its own, and make the rows both account scenarios share (``call`` names the function
    in the rows; ``keep``: more result fields to keep per run; ``extra_rows(runs)``: more rows)."""
    days = DAYS[size]
    start = END - timedelta(days=days - 1)
    windows = fewest_windows(days)
    log(f"    {days} days -> fewest windows {windows} per account; {ACCOUNTS} accounts at speed {SPEED:g}")
    runs: dict[str, list[dict]] = {n: [] for n in CONTENDERS}
    names = list(CONTENDERS)
    for i in range(REPEATS[size]):
        k = i % len(names)
        for contender in names[k:] + names[:k]:
            accounts = ACCOUNTS if contender == "many" else 1
            with SandboxProcess(speed=SPEED, processing_seconds=PROCESSING_SECONDS, vendor_asins=ASINS,
                                accounts=accounts) as sb, tempfile.TemporaryDirectory() as cache_dir:
                opts = {"conns": [sb.connection(a) for a in range(1, accounts + 1)], "cache_dir": cache_dir,
                        "start": start.isoformat(), "end": END.isoformat()}
                res = run_script(script, contender, opts, env_extra={"AMZV_POLL_INTERVAL": str(POLL_INTERVAL)})
                stats = sb.stats()
                per_account = sb.account_stats()
            runs[contender].append({"seconds": res.result["seconds"], "rows": res.result["rows"],
                                    **{key: res.result[key] for key in keep},
                                    "server_calls": stats["calls"], "throttled": stats["throttled"],
                                    "per_account": per_account})
            log(f"    {contender:<5} run {i + 1}: {res.result['seconds']:.2f} s, rows {res.result['rows']}, "
                f"calls {stats['calls']}, 429s per account {[a['throttled'] for a in per_account]}")
    wall_one = median(r["seconds"] for r in runs["one"])
    wall_many = median(r["seconds"] for r in runs["many"])
    creates = max(r["server_calls"].get("createReport", 0) for r in runs["many"])
    worst429 = max((n for r in runs["many"] for a in r["per_account"] for n in a["throttled"].values()), default=0)
    details = {"runs": runs, "windows_per_account": windows, "accounts": ACCOUNTS, "speed": SPEED, "days": days}
    rows = [
        Row(f"{name}/{call}", f"wall of {ACCOUNTS} accounts vs one account's", wall_many, wall_one, "s", "<=",
            1.2, details=details),
        Row(f"{name}/{call}", f"createReport calls vs {ACCOUNTS} x the fewest windows", creates,
            ACCOUNTS * windows, "calls", "<=", 1.0),
        Row(f"{name}/{call}", "429s per account per operation (max)", worst429, 1, "calls", "<=", 1.0),
        *extra_rows(runs),
    ]
    notes = [f"{call}, {ACCOUNTS} accounts x {days} days: {wall_many:.2f} s vs one account's {wall_one:.2f} s "
             f"({wall_many / wall_one:.2f}x); {creates} createReport calls for {ACCOUNTS} x {windows} windows"]
    if windows <= 15:  # within createReport's burst: nothing waits on a quota, the runs only compete for CPU
        notes.append(f"{windows} windows fit createReport's burst of 15: the wall ratio measures CPU contention, "
                     "not quota overlap (the target refers to --size full)")
    return rows, notes


def run(size: str, log) -> tuple[list[Row], list[str]]:
    return measure(Path(__file__), size, log, name=NAME, call="read_report")

if __name__ == "__main__":
    name, options = child_args()
    CONTENDERS[name](options)
    sys.exit(0)
