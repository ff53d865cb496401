"""Scenario 6 — Data Kiosk JSONL ingest: a Vendor Analytics data document, **2 years DAY x 2,000
ASINs** (730 lines of 2,000 groups: 1,460,000 rows; small: 30 days x 200 ASINs).

The parent writes the document once (plain JSONL) with the sandbox's generator
``amzv_pandas.sandbox._data.vendor_analytics.generate_document`` (metric groups orders,
shippedOrders, costs, traffic: Long, Float and Amount leaves). Each contender, in a fresh
process, times reading that file and turning the grouped rows into one flat DataFrame:

* ``floor`` — ``pd.read_json(path, lines=True)`` + ``pd.json_normalize(records,
  record_path="metrics", meta=["startDate", "endDate", "marketplaceId"])``, what users write;
* ``amzv``  — ``amzv_pandas._datakiosk.flatten.parse_documents([path], tree)`` with the selection
  tree of the equivalent query (pyarrow.json with an explicit schema + Arrow compute).

The ``amzv`` process checks every column's dtype against the SDL (Long -> Int64, Float ->
Float64, Amount -> ``_amount`` Float64 + ``_currency`` str, Date -> datetime64). Targets: ours
>= 4x faster (wall ratio <= 0.25), every dtype right, peak RSS <= 0.5x the floor's.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from _harness import Row, alternate, child_args, median_rss, median_seconds, report, run_script

NAME = "datakiosk"
TITLE = "Data Kiosk Vendor Analytics JSONL (DAY x ASIN) -> DataFrame"
SIZE = {"small": (30, 200), "full": (730, 2000)}  # (days, ASINs)
REPEATS = {"small": 1, "full": 3}
GROUPS = ("orders", "shippedOrders", "costs", "traffic")
END = "2026-11-30"


def query_text(start: str, end: str) -> str:
    from amzv_pandas._specs.datakiosk.build import build_text
    from amzv_pandas._specs.datakiosk.build import resolve_metrics
    import datetime as dt

    metrics = resolve_metrics(list(GROUPS), "manufacturing")
    return build_text("manufacturing", "DAY", dt.date.fromisoformat(start), dt.date.fromisoformat(end), metrics,
                      ("asin",), False, None)


def floor(opts: dict) -> None:
    import pandas as pd

    t0 = time.perf_counter()
    lines = pd.read_json(opts["path"], lines=True)
    records = lines.to_dict("records")
    del lines
    df = pd.json_normalize(records, record_path="metrics", meta=["startDate", "endDate", "marketplaceId"])
    del records
    seconds = time.perf_counter() - t0
    report(seconds=seconds, rows=len(df), columns=len(df.columns))


def amzv(opts: dict) -> None:
    from amzv_pandas._datakiosk.flatten import parse_documents
    from amzv_pandas._specs.datakiosk.catalogue import metric_catalogue, selection_tree
    from amzv_pandas._specs.datakiosk.schema import check_query

    tree = selection_tree(check_query(opts["query"]))  # untimed: pure, done before any call in real use
    t0 = time.perf_counter()
    df = parse_documents([opts["path"]], tree)
    seconds = time.perf_counter() - t0
    want = {"startDate": "datetime64[us]", "endDate": "datetime64[us]", "marketplaceId": "str", "asin": "str"}
    kinds = {"Long": "Int64", "Int": "Int64", "Float": "Float64", "String": "str"}
    for m in metric_catalogue("manufacturing"):
        if m.group not in GROUPS:
            continue
        col = m.path.replace(".", "_")
        if m.type == "Amount":
            want[col + "_amount"], want[col + "_currency"] = "Float64", "str"
        else:
            want[col] = kinds[m.type]
    wrong = {c: f"{df[c].dtype} != {w}" for c, w in want.items() if c in df.columns and str(df[c].dtype) != w}
    missing = [c for c in want if c not in df.columns]
    report(seconds=seconds, rows=len(df), columns=len(df.columns), checked=len(want),
           correct=len(want) - len(wrong) - len(missing), wrong=wrong, missing=missing)


CONTENDERS = {"floor": floor, "amzv": amzv}


def write_document(path: str, days: int, asins: int) -> tuple[int, str, str]:
    import datetime as dt

    from amzv_pandas.sandbox._data.vendor_analytics import generate_document

    end = dt.date.fromisoformat(END)
    start = end - dt.timedelta(days=days - 1)
    size = 0
    with open(path, "wb") as fh:
        for chunk in generate_document(start, end, asins=asins, aggregate_by="DAY", seed=0, groups=GROUPS):
            fh.write(chunk)
            size += len(chunk)
    return size, start.isoformat(), end.isoformat()


def run(size: str, log) -> tuple[list[Row], list[str]]:
    days, asins = SIZE[size]
    script = Path(__file__)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vendor_analytics.jsonl")
        t0 = time.perf_counter()
        nbytes, start, end = write_document(path, days, asins)
        log(f"    document: {days} days x {asins} ASINs, {nbytes / 2**20:.1f} MiB "
            f"(written in {time.perf_counter() - t0:.1f} s, untimed)")
        opts = {"path": path, "query": query_text(start, end)}
        run_script(script, "amzv", opts)  # warm-up: page cache, .pyc
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
        Row(NAME, "wall, parse_documents vs read_json(lines)+json_normalize", median_seconds(ours),
            median_seconds(fl), "s", "<=", 0.25, details=details),
        Row(NAME, "dtypes correct (columns)", chk["correct"], chk["checked"], "calls", ">=", 1.0,
            details={"wrong": chk["wrong"], "missing": chk["missing"]}),
        Row(NAME, "peak RSS, parse_documents vs floor", median_rss(ours), median_rss(fl), "MiB", "<=", 0.5),
    ]
    return rows, notes


if __name__ == "__main__":
    name, options = child_args()
    CONTENDERS[name](options)
    sys.exit(0)
