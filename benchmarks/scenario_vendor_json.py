"""Scenario 2 — vendor JSON ingest: a GET_VENDOR_SALES_REPORT document, 365 days x 2,000 ASINs
(``salesByAsin``: 730,000 rows; small: 30 days x 200 ASINs).

The parent writes the document once (uncompressed JSON, produced by the sandbox's deterministic
data layer, ``SandboxData.report_document``) to a temp file. Each contender, in a fresh process,
times reading that file and turning ``salesByAsin`` into a DataFrame:

* ``floor`` — ``json.load`` + ``pd.json_normalize(doc["salesByAsin"])``, by hand;
* ``amzv``  — ``amzv_pandas._parsers.api.parse_vendor_json(path, report_type=...)``.

The ``amzv`` process also checks every column's dtype against the registry
(``ReportType.section_columns``). Targets: ours ≥ 2× faster (wall ratio ≤ 0.5), every dtype
correct, peak RSS ≤ 1.0× the floor's.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _harness import Row, alternate, child_args, median_rss, median_seconds, report, run_script

NAME = "vendor_json"
TITLE = "vendor sales JSON (salesByAsin) -> DataFrame"
SIZE = {"small": (30, 200), "full": (365, 2000)}  # (days, ASINs)
REPEATS = {"small": 1, "full": 3}
REPORT_TYPE = "GET_VENDOR_SALES_REPORT"
SECTION = "salesByAsin"
OPTIONS = {"reportPeriod": "DAY", "distributorView": "MANUFACTURING", "sellingProgram": "RETAIL"}
MARKETPLACE_ID = "ATVPDKIKX0DER"


def floor(opts: dict) -> None:
    import json

    import pandas as pd

    t0 = time.perf_counter()
    with open(opts["path"], "rb") as fh:
        doc = json.load(fh)
    df = pd.json_normalize(doc[SECTION])
    del doc
    seconds = time.perf_counter() - t0
    report(seconds=seconds, rows=len(df), columns=len(df.columns))


def amzv(opts: dict) -> None:
    from amzv_pandas._parsers.api import parse_vendor_json
    from amzv_pandas._specs.registry import get_report_type

    t0 = time.perf_counter()
    df = parse_vendor_json(opts["path"], report_type=REPORT_TYPE)
    seconds = time.perf_counter() - t0
    expected = get_report_type(REPORT_TYPE).section_columns(SECTION)
    wrong = {c: f"{df[c].dtype} != {want}" for c, want in expected.items()
             if c in df.columns and str(df[c].dtype) != str(want)}
    missing = [c for c in expected if c not in df.columns]
    report(seconds=seconds, rows=len(df), columns=len(df.columns), checked=len(expected),
           correct=len(expected) - len(wrong) - len(missing), wrong=wrong, missing=missing)


CONTENDERS = {"floor": floor, "amzv": amzv}


def write_document(path: str, days: int, asins: int) -> int:
    from amzv_pandas.sandbox.data import SandboxData

    data = SandboxData(0, vendor_asins=asins)
    end = datetime(2025, 12, 31, tzinfo=timezone.utc)
    start = end - timedelta(days=days - 1)
    document = data.report_document(REPORT_TYPE, [MARKETPLACE_ID], start,
                                    end.replace(hour=23, minute=59, second=59), dict(OPTIONS),
                                    created=end + timedelta(days=4))
    size = 0
    with open(path, "wb") as fh:
        for chunk in document.chunks():
            fh.write(chunk)
            size += len(chunk)
    return size


def run(size: str, log) -> tuple[list[Row], list[str]]:
    days, asins = SIZE[size]
    script = Path(__file__)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vendor_sales.json")
        t0 = time.perf_counter()
        nbytes = write_document(path, days, asins)
        log(f"    document: {days} days x {asins} ASINs, {nbytes / 2**20:.1f} MiB "
            f"(written in {time.perf_counter() - t0:.1f} s, untimed)")
        opts = {"path": path}
        run_script(script, "amzv", opts)  # warm-up: page cache, .pyc (the floor takes ~30 s at full size)
        res = alternate({n: (lambda n=n: run_script(script, n, opts)) for n in CONTENDERS}, REPEATS[size], log=log)
    ours, fl = res["amzv"], res["floor"]
    chk = ours[0].result
    notes = []
    if chk["rows"] != fl[0].result["rows"]:
        notes.append(f"row counts differ: amzv {chk['rows']}, json_normalize {fl[0].result['rows']}")
    if chk["wrong"] or chk["missing"]:
        notes.append(f"dtype mismatches: {chk['wrong']}; missing columns: {chk['missing']}")
    details = {"bytes": nbytes, "rows": chk["rows"], "runs": {k: [r.result["seconds"] for r in v] for k, v in res.items()}}
    rows = [
        Row(NAME, "wall, parse_vendor_json vs json.load+json_normalize", median_seconds(ours), median_seconds(fl),
            "s", "<=", 0.5, details=details),
        Row(NAME, "dtypes correct (columns)", chk["correct"], chk["checked"], "calls", ">=", 1.0,
            details={"wrong": chk["wrong"], "missing": chk["missing"]}),
        Row(NAME, "peak RSS, parse_vendor_json vs floor", median_rss(ours), median_rss(fl), "MiB", "<=", 1.0),
    ]
    return rows, notes


if __name__ == "__main__":
    name, options = child_args()
    CONTENDERS[name](options)
    sys.exit(0)
