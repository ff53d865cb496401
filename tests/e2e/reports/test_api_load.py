"""Load test (issue 10): many reads under random 5xx, truncation, lost createReport answers and short tokens.

Every frame must equal the same read from a clean sandbox with the same data seed, and no read
may raise. Both runs have their own cache directory, so the cache cannot hide a fault, and
the reads that share a day (sales MANUFACTURING and SOURCING) run back to back, which is
where a client that adopts "the report just created" after a failed createReport can pick
the other view's report.
"""

from __future__ import annotations

import pandas as pd
import pytest

import amzv_pandas._reports.api as reports
from amzv_pandas import sandbox

pytestmark = pytest.mark.slow

SALES = "GET_VENDOR_SALES_REPORT"
TRAFFIC = "GET_VENDOR_TRAFFIC_REPORT"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
FAULT_RATES = {"500": 0.10, "truncate": 0.05, "fail_after_create": 0.05}
SPEED = 1000
POLL = 0.02


def _sales(view: str, program: str = "RETAIL") -> dict:
    return {"reportPeriod": "DAY", "distributorView": view, "sellingProgram": program}


def _reads() -> list[tuple[str, str, tuple, dict | None]]:
    """(label, report type, (start, end), options): same days for both distributor views."""
    out: list[tuple[str, str, tuple, dict | None]] = []
    days = pd.date_range("2025-01-06", periods=13, freq="D").strftime("%Y-%m-%d")
    for i, day in enumerate(days):
        views = ("MANUFACTURING", "SOURCING") if i % 2 == 0 else ("SOURCING", "MANUFACTURING")
        for view in views:  # back to back, both orders
            out.append((f"sales {view} {day}", SALES, (day, day), _sales(view)))
        out.append((f"traffic {day}", TRAFFIC, (day, day), {"reportPeriod": "DAY"}))
    week = ("2025-02-02", "2025-02-08")
    for view in ("MANUFACTURING", "SOURCING"):
        out.append((f"sales {view} week {week[0]}", SALES, week, _sales(view)))
    out.append(("sales SOURCING BUSINESS week", SALES, week, _sales("SOURCING", "BUSINESS")))
    for n in range(3):
        out.append((f"listings #{n}", LISTINGS, (), None))
    return out


READS = _reads()


def _run(sb: sandbox.Sandbox, cache_dir) -> dict[str, object]:
    """Each read's frame, or the exception it raised."""
    client = sb.client(cache_dir=cache_dir, backoff_factor=0.01)
    results: dict[str, object] = {}
    try:
        for label, report_type, dates, options in READS:
            try:
                results[label] = reports.read_report(report_type, *dates, report_options=options, client=client,
                                                     poll_interval=POLL, progress_bar_type=None, timeout=60)
            except Exception as exc:  # recorded: the test reports every failing read at once
                results[label] = exc
    finally:
        client.close()
    return results


def test_reads_under_random_faults_equal_a_clean_run(tmp_path):
    assert len(READS) >= 40
    with sandbox.serve(speed=SPEED, seed=0) as clean:
        expected = _run(clean, tmp_path / "clean")
    broken = {label: exc for label, exc in expected.items() if isinstance(exc, Exception)}
    assert not broken, f"the clean run itself failed: {broken}"

    with sandbox.serve(speed=SPEED, seed=0, token_lifetime=3, fault_rates=FAULT_RATES, fault_seed=0) as sb:
        got = _run(sb, tmp_path / "faulty")
        stats = sb.stats()

    problems: list[str] = []
    for label, _, _, options in READS:
        frame = got[label]
        if isinstance(frame, Exception):
            problems.append(f"{label}: raised {type(frame).__name__}: {frame}")
            continue
        try:
            pd.testing.assert_frame_equal(frame, expected[label])
        except AssertionError as exc:
            attrs, clean_attrs = frame.attrs.get("amzv") or {}, expected[label].attrs.get("amzv") or {}
            problems.append(f"{label}: frame differs from the clean run (report ids {attrs.get('report_ids')}, "
                            f"clean run {clean_attrs.get('report_ids')}; attrs options {attrs.get('report_options')}, "
                            f"asked {options}): {str(exc).splitlines()[0]}")
    assert stats["calls"].get("createReport", 0) >= 40  # the faults really ran against many reads
    assert not problems, f"{len(problems)} of {len(READS)} reads went wrong:\n" + "\n".join(problems)
