"""Scenario 3 — a year of daily vendor sales (GET_VENDOR_SALES_REPORT, reportPeriod=DAY), through
``amzv.read_report`` over the 365-day range and through ``amzv.sync`` into an empty dataset.

The sandbox runs with its rate limits and processing time sped up by ``SPEED`` (60): createReport
and getReportDocument 0.0167 req/s x 60 ≈ 1 req/s after a burst of 15, processing
6 s / 60 = 0.1 s. Each run gets a fresh sandbox process (full token buckets, zeroed counters) and a
fresh contender process; the contender times its one call after the LWA token is fetched.
The client's own time constant is sped up by the same factor: ``AMZV_POLL_INTERVAL`` = 5 s / 60
(the library polls every 5 s at first; unscaled, one poll would outlast 50 sped-up processing times).

Lower bound: DAY windows hold at most 15 days (the registry's ``max_window("DAY")``), so 365 days
need ceil(365 / 15) = 25 createReport calls. With a bucket of ``burst`` tokens refilled at
``rate x SPEED``, create *i* can go out no earlier than ``max(0, i - burst + 1) / (rate x SPEED)``;
its document no earlier than that plus the processing time, nor before getReportDocument's own
bucket allows. The bound is the time of the last document request (downloads, parsing and HTTP
latency count as zero). Targets: createReport calls = the fewest windows, wall ≤ 1.15x the bound,
at most one 429 per operation. getReport/getReportDocument calls are reported too.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from _harness import Row, SandboxProcess, child_args, median, report, run_script

NAME = "year"
TITLE = "a year of daily vendor sales: read_report and sync vs the rate-limit bound"
REPORT_TYPE = "GET_VENDOR_SALES_REPORT"
OPTIONS = {"reportPeriod": "DAY", "distributorView": "MANUFACTURING", "sellingProgram": "RETAIL"}
SPEED = 60.0
PROCESSING_SECONDS = 6.0
ASINS = 200
END = date(2025, 12, 31)
DAYS = {"small": 30, "full": 365}
REPEATS = {"small": 1, "full": 3}
TODAY = "2026-01-15"
#: The client's first poll interval, sped up like everything else (reports.DEFAULT_POLL_INTERVAL 5 s / 60).
POLL_INTERVAL = 5.0 / SPEED


def _client(opts: dict):
    from _harness import amzv_client

    client = amzv_client(opts["conn"], cache_dir=opts["cache_dir"])
    client.request("GET", "/sellers/v1/marketplaceParticipations")  # LWA token before the timer
    client.calls.clear()
    return client


def read_report(opts: dict) -> None:
    from amzv_pandas._reports.api import read_report as amzv_read_report

    client = _client(opts)
    t0 = time.perf_counter()
    df = amzv_read_report(REPORT_TYPE, opts["start"], opts["end"], marketplace="US", report_options=OPTIONS,
                          cache=False, progress_bar_type=None, client=client)
    seconds = time.perf_counter() - t0
    report(seconds=seconds, rows=len(df), calls=dict(client.calls))


def sync(opts: dict) -> None:
    from amzv_pandas._sync.sync import sync as amzv_sync

    client = _client(opts)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = amzv_sync(REPORT_TYPE, Path(tmp) / "sales", start=opts["start"], end=opts["end"],
                        report_options=OPTIONS, progress_bar_type=None, client=client, today=TODAY)
        seconds = time.perf_counter() - t0
    report(seconds=seconds, rows=int(getattr(res, "rows_added", -1) or 0), calls=dict(client.calls),
           result=repr(res)[:500])


CONTENDERS = {"read_report": read_report, "sync": sync}


def fewest_windows(days: int) -> int:
    from amzv_pandas._specs.registry import get_report_type

    count, unit = get_report_type(REPORT_TYPE).max_window("DAY")
    assert unit.upper() == "DAY", unit
    return math.ceil(days / count)


def lower_bound(windows: int, speed: float = SPEED, processing: float = PROCESSING_SECONDS) -> float:
    """Earliest time the last getReportDocument may be sent (see the module docstring)."""
    from amzv_pandas._specs.operations import BY_NAME

    c, d = BY_NAME["createReport"], BY_NAME["getReportDocument"]
    rc, rd, p = c.rate * speed, d.rate * speed, processing / speed
    last = 0.0
    for i in range(windows):
        created = max(0, i - c.burst + 1) / rc
        fetched = max(created + p, max(0, i - d.burst + 1) / rd)
        last = max(last, fetched)
    return last


def run(size: str, log) -> tuple[list[Row], list[str]]:
    days = DAYS[size]
    start = END - timedelta(days=days - 1)
    windows = fewest_windows(days)
    bound = lower_bound(windows)
    log(f"    {days} days -> fewest windows {windows}; lower bound {bound:.2f} s at speed {SPEED:g}")
    script = Path(__file__)
    runs: dict[str, list[dict]] = {n: [] for n in CONTENDERS}
    names = list(CONTENDERS)
    for i in range(REPEATS[size]):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            with SandboxProcess(speed=SPEED, processing_seconds=PROCESSING_SECONDS, vendor_asins=ASINS) as sb, \
                    tempfile.TemporaryDirectory() as cache_dir:
                opts = {"conn": sb.connection(), "cache_dir": cache_dir, "start": start.isoformat(),
                        "end": END.isoformat()}
                res = run_script(script, name, opts, env_extra={"AMZV_POLL_INTERVAL": str(POLL_INTERVAL)})
                stats = sb.stats()
            runs[name].append({"seconds": res.result["seconds"], "rows": res.result["rows"],
                               "server_calls": stats["calls"], "throttled": stats["throttled"],
                               "client_calls": res.result["calls"]})
            log(f"    {name:<12} run {i + 1}: {res.result['seconds']:.2f} s, rows {res.result['rows']}, "
                f"calls {stats['calls']}, 429s {stats['throttled']}")
    rows: list[Row] = []
    notes: list[str] = []
    for name, rs in runs.items():
        label = f"{NAME}/{name}"

        def calls(op: str) -> float:
            return max(r["server_calls"].get(op, 0) for r in rs)

        worst429 = max((max(r["throttled"].values(), default=0) for r in rs), default=0)
        details = {"runs": rs, "bound_seconds": bound, "windows": windows, "speed": SPEED,
                   "processing_seconds": PROCESSING_SECONDS / SPEED, "days": days, "asins": ASINS}
        rows += [
            Row(label, "createReport calls (max over runs)", calls("createReport"), windows, "calls", "<=", 1.0,
                details=details),
            Row(label, "wall vs rate-limit lower bound", median(r["seconds"] for r in rs), bound, "s", "<=", 1.15),
            Row(label, "429s per operation (max)", worst429, 1, "calls", "<=", 1.0),
            Row(label, "getReportDocument calls", calls("getReportDocument"), windows, "calls", None, None),
            Row(label, "getReport calls", calls("getReport"), windows, "calls", None, None),
        ]
    return rows, notes


if __name__ == "__main__":
    name, options = child_args()
    CONTENDERS[name](options)
    sys.exit(0)
