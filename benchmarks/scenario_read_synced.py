"""Scenario 6 — ``read_synced`` vs ``pyarrow.dataset`` on the same synced files.

The parent writes a synced dataset once (untimed): one ``day=YYYY-MM-DD/part-0.parquet``
partition per day of 2025 under ``account=acme-us/marketplace_id=ATVPDKIKX0DER`` (the layout ``sync`` writes),
2,000 ASINs a day of vendor-sales columns (small: 60 days x 200 ASINs). Each contender, in a
fresh process, alternately, times reading February through November back into pandas:

* ``amzv``    — ``amzv.read_synced(path, start="2025-02-01", end="2025-11-30")``;
* ``dataset`` — ``pyarrow.dataset.dataset(path, partitioning="hive").to_table(filter=day in range)
  .to_pandas()``, what a user who knows Arrow writes (it keeps the partition columns).

Target: ours ≤ 1.2× the dataset's wall (median).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from _harness import Row, alternate, child_args, median_rss, median_seconds, report, run_script

NAME = "read_synced"
TITLE = "read_synced vs pyarrow.dataset on a year of daily partitions"
SIZE = {"small": (60, 200), "full": (365, 2000)}  # (days, ASINs)
REPEATS = {"small": 1, "full": 5}
MARKETPLACE_ID = "ATVPDKIKX0DER"
ACCOUNT = "acme-us"
START, END = "2025-02-01", "2025-11-30"


def amzv(opts: dict) -> None:
    import amzv_pandas as amzv_mod

    amzv_mod.read_synced  # noqa: B018  (the lazy export resolved before the timer, as in a kernel)
    t0 = time.perf_counter()
    df = amzv_mod.read_synced(opts["path"], start=opts["start"], end=opts["end"])
    report(seconds=time.perf_counter() - t0, rows=len(df), columns=len(df.columns))


def dataset(opts: dict) -> None:
    import datetime as dt

    import pandas as pd  # noqa: F401
    import pyarrow as pa
    import pyarrow.dataset as ds

    part = ds.partitioning(pa.schema([("account", pa.string()), ("marketplace_id", pa.string()),
                                      ("day", pa.date32())]), flavor="hive")
    t0 = time.perf_counter()
    lo, hi = dt.date.fromisoformat(opts["start"]), dt.date.fromisoformat(opts["end"])
    table = ds.dataset(opts["path"], format="parquet", partitioning=part).to_table(
        filter=(ds.field("day") >= lo) & (ds.field("day") <= hi))
    df = table.to_pandas()
    report(seconds=time.perf_counter() - t0, rows=len(df), columns=len(df.columns))


CONTENDERS = {"amzv": amzv, "dataset": dataset}


def write_dataset(root: Path, days: int, asins: int) -> int:
    """The synced layout, one partition a day (untimed); returns the rows written."""
    import datetime as dt

    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    names = pd.array([f"B0{i:08d}" for i in range(asins)], dtype="str")
    first = dt.date(2025, 1, 1)
    total = 0
    for d in range(days):
        day = first + dt.timedelta(days=d)
        start = pd.Timestamp(day)
        units = rng.integers(0, 50, asins)
        frame = pd.DataFrame({
            "startDate": pd.Series([start] * asins, dtype="datetime64[us]"),
            "endDate": pd.Series([start] * asins, dtype="datetime64[us]"),
            "asin": names,
            "orderedUnits": pd.array(units, dtype="Int64"),
            "orderedRevenue_amount": pd.array(np.round(units * rng.uniform(5, 50, asins), 2), dtype="Float64"),
            "orderedRevenue_currencyCode": pd.array(["USD"] * asins, dtype="str"),
            "shippedUnits": pd.array(rng.integers(0, 50, asins), dtype="Int64"),
            "shippedRevenue_amount": pd.array(rng.uniform(0, 900, asins).round(2), dtype="Float64"),
            "shippedCogs_amount": pd.array(rng.uniform(0, 700, asins).round(2), dtype="Float64"),
            "customerReturns": pd.array(rng.integers(0, 3, asins), dtype="Int64"),
        })
        dest = root / f"account={ACCOUNT}" / f"marketplace_id={MARKETPLACE_ID}" / f"day={day.isoformat()}" / "part-0.parquet"
        dest.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), dest)
        total += asins
    return total


def run(size: str, log) -> tuple[list[Row], list[str]]:
    days, asins = SIZE[size]
    script = Path(__file__)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "dataset"
        rows_written = write_dataset(root, days, asins)
        end = END if days >= 334 else "2025-02-28"
        opts = {"path": str(root), "start": START, "end": end}
        log(f"    dataset: {days} days x {asins} ASINs ({rows_written:,} rows), reading {START} -> {end}")
        for name in CONTENDERS:  # warm-up: page cache, .pyc
            run_script(script, name, opts)
        res = alternate({n: (lambda n=n: run_script(script, n, opts)) for n in CONTENDERS}, REPEATS[size], log=log)
    ours, base = res["amzv"], res["dataset"]
    notes = []
    if ours[0].result["rows"] != base[0].result["rows"]:
        notes.append(f"row counts differ: read_synced {ours[0].result['rows']}, dataset {base[0].result['rows']}")
    rows = [
        Row(NAME, "wall, read_synced vs pyarrow.dataset", median_seconds(ours), median_seconds(base), "s", "<=", 1.2,
            details={"runs": {k: [r.result["seconds"] for r in v] for k, v in res.items()},
                     "rows": ours[0].result["rows"]}),
        Row(NAME, "peak RSS, read_synced vs pyarrow.dataset", median_rss(ours), median_rss(base), "MiB", None, None),
    ]
    return rows, notes


if __name__ == "__main__":
    name, options = child_args()
    CONTENDERS[name](options)
    sys.exit(0)
