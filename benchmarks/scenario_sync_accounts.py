"""Scenario — many accounts synced into one dataset: four sandbox accounts each syncing daily vendor
sales (GET_VENDOR_SALES_REPORT, reportPeriod=DAY) into one empty dataset through
``amzv.sync(..., accounts=[...])``, against one account's ``sync`` of the same range (the ``accounts``
scenario's bound, for sync).

One sandbox process acts as the accounts (``serve(accounts=4)``): each has its own refresh token,
rate-limit buckets and data, as on Amazon where quotas are per selling partner. Speed 60 as in
the ``year`` scenario (createReport ≈ 1 req/s per account after a burst of 15, processing 0.1 s;
the client's poll interval is sped up alike). Every run gets a fresh sandbox and a fresh
contender process; the contender fetches every account's LWA token before its timer starts.

Targets: the four accounts overlap, so the wall is at most 1.2x one account's (each account's
windows are paced by its own quota, not by the others', and each account × marketplace writes its
own partitions and state); createReport calls = 4 x the fewest windows (no window asked twice);
at most one 429 per account per operation; the dataset holds every account's rows.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from _harness import Row, child_args, report
from scenario_accounts import ACCOUNTS, OPTIONS, REPORT_TYPE, _clients, measure  # the same four accounts

NAME = "sync_accounts"
TITLE = "four accounts synced into one dataset vs one account's sync"
TODAY = "2026-01-15"  # the range is final (past the publication lag) whatever the machine's date


def _rows(path: Path) -> tuple[int, list[str]]:
    import amzv_pandas as amzv

    df = amzv.read_synced(path)
    return len(df), sorted(set(df["account"]))


def one(opts: dict) -> None:
    import amzv_pandas as amzv

    client = _clients(opts)[0]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = amzv.sync(REPORT_TYPE, Path(tmp) / "sales", start=opts["start"], end=opts["end"], marketplace="US",
                        report_options=OPTIONS, progress_bar_type=None, client=client, today=TODAY)
        seconds = time.perf_counter() - t0
        rows, accounts = _rows(Path(tmp) / "sales")
    report(seconds=seconds, rows=rows, calls=dict(client.calls), accounts=accounts, status=res.status)


def many(opts: dict) -> None:
    import amzv_pandas as amzv

    clients = _clients(opts)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = amzv.sync(REPORT_TYPE, Path(tmp) / "sales", start=opts["start"], end=opts["end"], marketplace="US",
                        report_options=OPTIONS, progress_bar_type=None, accounts=clients, today=TODAY)
        seconds = time.perf_counter() - t0
        rows, accounts = _rows(Path(tmp) / "sales")
    calls: dict[str, int] = {}
    for c in clients:
        for op, n in c.calls.items():
            calls[op] = calls.get(op, 0) + n
    report(seconds=seconds, rows=rows, calls=calls, accounts=accounts, status=res.status)


CONTENDERS = {"one": one, "many": many}


def run(size: str, log) -> tuple[list[Row], list[str]]:
    def complete(runs: dict[str, list[dict]]) -> list[Row]:
        every = all(len(r["accounts"]) == ACCOUNTS and r["status"] == "complete" for r in runs["many"])
        return [Row(f"{NAME}/sync", f"accounts in the dataset, every pair complete (of {ACCOUNTS})",
                    float(ACCOUNTS if every else 0), float(ACCOUNTS), "accounts", ">=", 1.0)]

    return measure(Path(__file__), size, log, name=NAME, call="sync", keep=("accounts", "status"),
                   extra_rows=complete)

if __name__ == "__main__":
    name, options = child_args()
    CONTENDERS[name](options)
    sys.exit(0)
