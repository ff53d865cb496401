"""amzv.sync against the built-in sandbox (speed high): backfill, CANCELLED, missed day, FATAL (issue #5).

The fake-fetcher tests of tests/unit/sync/test_sync.py cover the planner and the store in
isolation; these run the same scenarios through the real client, read_report and the sandbox's createReport quota.
Dates are well in the past (today-80 → today-21 in the marketplace's zone) so the publication lag
never interferes, and ``today`` is passed explicitly.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import shutil

import pandas as pd
import pytest

S = importlib.import_module("amzv_pandas._sync.sync")
from amzv_pandas._specs.dates import resolve_today  # noqa: E402
from amzv_pandas._specs.marketplaces import get_marketplace  # noqa: E402

TRAFFIC = "GET_VENDOR_TRAFFIC_REPORT"
SALES = "GET_VENDOR_SALES_REPORT"
US = "ATVPDKIKX0DER"
TODAY = resolve_today(None, tz=get_marketplace("US"))  # the marketplace's date, as sync counts days
START = TODAY - dt.timedelta(days=80)
END = TODAY - dt.timedelta(days=21)  # 60 days: 4 windows of 15
KEY = ["startDate", "asin"]


@pytest.fixture
def sb(make_fresh_sandbox, monkeypatch):
    """A fresh sandbox per test: each scenario starts from an untouched createReport quota."""
    monkeypatch.setenv("AMZV_POLL_INTERVAL", "0.02")
    return make_fresh_sandbox(speed=500, processing_seconds=0.2)


def sync(sb, path, *, start=START, end=END, **kw):
    return S.sync(TRAFFIC, path, start=start, end=end, today=TODAY, marketplace="US",
                  client=sb.client(marketplace="US"), progress_bar_type=None, **kw)


def creates(sb) -> int:
    return sb.stats()["calls"].get("createReport", 0)


def days(a: dt.date, b: dt.date) -> list[dt.date]:
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


def canon(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows in a stable order, without the ``account`` column (one account per test)."""
    if "account" in frame.columns:
        assert frame["account"].nunique() <= 1
        frame = frame.drop(columns="account")
    return frame.sort_values(KEY, kind="stable").reset_index(drop=True)


def reference(sb, start=START, end=END) -> pd.DataFrame:
    from amzv_pandas._reports.api import read_report

    return read_report(TRAFFIC, start, end, marketplace="US", client=sb.client(marketplace="US"),
                       cache=False, progress_bar_type=None)


def assert_same_rows(df: pd.DataFrame, ref: pd.DataFrame) -> None:
    df = df.drop(columns="account")
    assert sorted(df.columns) == sorted(ref.columns)
    pd.testing.assert_frame_equal(canon(df), canon(ref[list(df.columns)]))


def pair_meta(path):
    """The state folder of the test's one account × marketplace."""
    (meta,) = (path / "_amzv_sync").glob(f"account=*/marketplace_id={US}")
    return meta


def pair_data(path):
    (data,) = path.glob(f"account=*/marketplace_id={US}")
    return data


def state_of(path) -> dict:
    return json.loads((pair_meta(path) / "state.json").read_text())


def test_backfill_converges_over_budget_limited_runs(tmp_path, sb, monkeypatch):
    # One window at a time, each fetch "takes" 10 minutes of a fake clock: a 5-minute budget lets
    # each run start exactly one window (the budget is checked before a window starts).
    monkeypatch.setattr(S, "MAX_IN_FLIGHT", 1)
    clock = [0.0]
    fetch = S._fetch_window

    def timed_fetch(*args, **kwargs):
        clock[0] += 600.0
        return fetch(*args, **kwargs)

    monkeypatch.setattr(S, "_fetch_window", timed_fetch)
    monkeypatch.setattr(S, "_monotonic", lambda: clock[0])
    results = []
    for _ in range(8):
        results.append(sync(sb, tmp_path, budget=dt.timedelta(minutes=5)))
        if results[-1].days_remaining == 0:
            break
    assert [r.days_added for r in results] == [15, 15, 15, 15]
    assert [r.status for r in results] == ["partial"] * 3 + ["complete"]
    assert [r.days_remaining for r in results] == [45, 30, 15, 0]
    # Newest first: each run's window is older than the previous one's.
    starts = [r.windows[0]["start"] for r in results]
    assert starts == sorted(starts, reverse=True) and starts[-1] == START
    assert creates(sb) == 4

    df = S.read_synced(tmp_path)
    assert sorted(set(df["startDate"].dt.date)) == days(START, END)  # exactly the 60 days asked for
    assert not df.duplicated(KEY).any()
    assert_same_rows(df, reference(sb))
    before = creates(sb)
    again = sync(sb, tmp_path)
    assert again.windows == [] and again.status == "complete" and creates(sb) == before


def test_cancelled_windows_recorded_empty_not_refetched(tmp_path, sb):
    start = END - dt.timedelta(days=44)  # 45 days: 3 windows, fetched side by side
    sb.inject("report_outcome", status="CANCELLED", report_type=TRAFFIC, count=1)
    r = sync(sb, tmp_path, start=start)
    assert r.status == "complete" and r.days_added == 45 and r.days_remaining == 0
    empty = [w for w in r.windows if w["status"] == "empty"]
    assert len(empty) == 1 and sum(w["status"] == "done" for w in r.windows) == 2
    cancelled = days(empty[0]["start"], empty[0]["end"])
    st = state_of(tmp_path)["days"]
    for day in cancelled:
        assert st[day.isoformat()]["status"] == "done"
        assert st[day.isoformat()]["rows"] == 0 and st[day.isoformat()]["empty"] == "cancelled"
        assert not (pair_data(tmp_path) / f"day={day}").exists()
    assert creates(sb) == 3

    # Next run over the same range: nothing to do, no createReport.
    again = sync(sb, tmp_path, start=start)
    assert again.windows == [] and again.calls == {} and creates(sb) == 3
    # Extending the range older by 15 days costs exactly that window; the cancelled one stays empty.
    older = sync(sb, tmp_path, start=start - dt.timedelta(days=15))
    assert [(w["start"], w["end"]) for w in older.windows] == [(start - dt.timedelta(days=15),
                                                                start - dt.timedelta(days=1))]
    assert creates(sb) == 4
    df = S.read_synced(tmp_path)
    assert not set(df["startDate"].dt.date) & set(cancelled)
    assert sorted(set(df["startDate"].dt.date)) == [d for d in days(start - dt.timedelta(days=15), END)
                                                    if d not in cancelled]


def test_missed_day_is_refilled(tmp_path, sb):
    start = END - dt.timedelta(days=29)  # 2 windows
    assert sync(sb, tmp_path, start=start).status == "complete"
    original = S.read_synced(tmp_path)
    hole = start + dt.timedelta(days=7)
    # A user loses one day: its partition folder and its state entry.
    shutil.rmtree(pair_data(tmp_path) / f"day={hole}")
    state_path = pair_meta(tmp_path) / "state.json"
    state = json.loads(state_path.read_text())
    del state["days"][hole.isoformat()]
    state_path.write_text(json.dumps(state))
    assert hole not in set(S.read_synced(tmp_path)["startDate"].dt.date)

    before = creates(sb)
    r = sync(sb, tmp_path, start=start)
    assert [(w["start"], w["end"]) for w in r.windows] == [(hole, hole)]  # the window holding that day only
    assert creates(sb) == before + 1 and r.days_added == 1 and r.status == "complete"
    assert state_of(tmp_path)["days"][hole.isoformat()]["status"] == "done"
    pd.testing.assert_frame_equal(canon(S.read_synced(tmp_path)), canon(original))


def test_fatal_recorded_with_amazons_message_and_retried(tmp_path, sb):
    start = END - dt.timedelta(days=29)  # 2 windows
    reason = "The report data for the requested date range is not yet available. Please try again later."
    sb.inject("report_outcome", status="FATAL", error_details=reason, report_type=TRAFFIC, count=1)
    r = sync(sb, tmp_path, start=start)
    assert r.status == "failed" and r.days_remaining == 15 and r.days_added == 15
    failed = [w for w in r.windows if w["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["reason"] == reason and failed[0]["category"] != "options"
    failed_days = days(failed[0]["start"], failed[0]["end"])
    assert sorted(r.failures) == failed_days and set(r.failures.values()) == {reason}
    st = state_of(tmp_path)["days"]
    assert all(st[d.isoformat()]["status"] == "failed" and st[d.isoformat()]["reason"] == reason
               for d in failed_days)
    h = S.sync_history(tmp_path)
    assert h["status"].tolist() == ["failed"] and h["failures"][0][0]["reason"] == reason

    # The next run retries exactly the failed window and completes the dataset.
    assert creates(sb) == 2
    r2 = sync(sb, tmp_path, start=start)
    assert [(w["start"], w["end"]) for w in r2.windows] == [(failed_days[0], failed_days[-1])]
    assert r2.status == "complete" and r2.failures == {} and creates(sb) == 3
    assert all(state_of(tmp_path)["days"][d.isoformat()]["status"] == "done" for d in failed_days)
    assert S.sync_history(tmp_path)["status"].tolist() == ["failed", "complete"]
    assert_same_rows(S.read_synced(tmp_path), reference(sb, start, END))


# --------------------------------------------------------------------------- sales: sync equals read_report


def test_sandbox_sync_end_to_end(tmp_path, monkeypatch, make_fresh_sandbox):
    today = dt.date.today() - dt.timedelta(days=30)
    start = today - dt.timedelta(days=40)
    monkeypatch.setattr(S, "_poll_interval", 0.05)
    sb = make_fresh_sandbox(speed=500, processing_seconds=0.2)
    client = sb.client(marketplace="US")
    first = S.sync(SALES, tmp_path, start=start, end="yesterday", today=today, client=client,
                   progress_bar_type=None)
    assert first.status == "complete", first
    assert first.calls.get("createReport") == len(first.windows) == 3  # 37 final days / 15
    df = S.read_synced(tmp_path)
    assert set(df["startDate"].dt.date) <= set(days(start, today - dt.timedelta(days=4)))
    assert not df.duplicated().any()
    # Reference: one read_report over the same range gives the same rows.
    from amzv_pandas._reports.api import read_report

    ref = read_report(SALES, start, today - dt.timedelta(days=4), marketplace="US", client=client,
                      progress_bar_type=None)
    cols = [c for c in ref.columns if c in df.columns]
    key = [c for c in ("startDate", "asin") if c in cols]
    pd.testing.assert_frame_equal(df[cols].sort_values(key).reset_index(drop=True),
                                  ref[cols].sort_values(key).reset_index(drop=True), check_like=True)

    sb.inject("report_outcome", status="FATAL", error_details="Data is not yet available", report_type=SALES)
    later = S.sync(SALES, tmp_path, start=start, end="yesterday", today=today + dt.timedelta(days=2),
                   client=client, progress_bar_type=None)
    assert later.status == "failed" and later.failures
    h = S.sync_history(tmp_path)
    assert h["status"].tolist() == ["complete", "failed"]
