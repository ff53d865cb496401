"""amzv.sync: planning, state, partitions, lock, history (fake fetcher).

The same against the sandbox: tests/e2e/sync/test_sync.py."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading

import pandas as pd
import pytest

import importlib

# the module behind amzv.sync()
S = importlib.import_module("amzv_pandas._sync.sync")
SP = importlib.import_module("amzv_pandas._sync.planning")
from amzv_pandas._facade.client import Client
from amzv_pandas._specs.dates import last_final_day
from amzv_pandas._frontends.cli import sync_main
from amzv_pandas.exceptions import ReportCancelledError, ReportFatalError, SyncError

SALES = "GET_VENDOR_SALES_REPORT"
US = "ATVPDKIKX0DER"
TODAY = dt.date(2026, 6, 1)
D = dt.date.fromisoformat


def _client() -> Client:
    return Client(credentials={"client_id": "id", "client_secret": "s", "refresh_token": "r"},
                  marketplace="US", endpoint="http://127.0.0.1:9")


#: The name the fake account's rows are filed under (its key: the client has no profile).
ACCOUNT = S.account_name(_client())


def fake_rows(start: dt.date, end: dt.date, skip: frozenset = frozenset()) -> pd.DataFrame:
    """Deterministic rows per day, the same whatever the window: 3 ASINs a day."""
    recs = []
    day = start
    while day <= end:
        if day not in skip:
            for i, asin in enumerate(("B000000001", "B000000002", "B000000003")):
                recs.append({"startDate": pd.Timestamp(day), "endDate": pd.Timestamp(day), "asin": asin,
                             "shippedUnits": day.toordinal() % 97 + i,
                             "shippedRevenue_amount": (day.toordinal() % 89) * 1.5 + i,
                             "marketplaceId": US})
        day += dt.timedelta(days=1)
    df = pd.DataFrame(recs, columns=["startDate", "endDate", "asin", "shippedUnits", "shippedRevenue_amount",
                                     "marketplaceId"])
    return df.astype({"startDate": "datetime64[us]", "endDate": "datetime64[us]", "asin": "str",
                      "shippedUnits": "Int64", "shippedRevenue_amount": "Float64", "marketplaceId": "str"})


class FakeAmazon:
    """Replaces sync._fetch_window: records windows, fails/cancels on demand, advances a fake clock."""

    def __init__(self, minutes_per_window: float = 10.0) -> None:
        self.windows: list[tuple[dt.date, dt.date]] = []
        self.fatal: dict[dt.date, str] = {}   # day -> category
        self.cancel: set[dt.date] = set()
        self.empty: set[dt.date] = set()
        self.clock = 0.0
        self.step = minutes_per_window * 60
        self.on_fetch = None

    def __call__(self, report_type, start, end, *, marketplace, report_options, client):
        self.windows.append((start, end))
        client.calls["createReport"] += 1
        self.clock += self.step
        if self.on_fetch:
            self.on_fetch()
        days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
        for day in days:
            if day in self.fatal:
                cat = self.fatal[day]
                reason = ("This report type requires the reportPeriod, distributorView, sellingProgram "
                          "reportOption to be specified" if cat == "options" else f"Data for {day} is not available")
                raise ReportFatalError(f"FATAL: {reason}", reason=reason, category=cat, report_type=report_type)
        if all(d in self.cancel for d in days):
            raise ReportCancelledError("CANCELLED", report_type=report_type)
        client.calls["getReportDocument"] += 1
        return fake_rows(start, end, frozenset(self.cancel | self.empty))


@pytest.fixture
def amazon(monkeypatch):
    fake = FakeAmazon()
    monkeypatch.setattr(S, "_fetch_window", fake)
    monkeypatch.setattr(S, "_monotonic", lambda: fake.clock)
    # FakeAmazon's clock models windows that run one after another; the tests of windows in
    # flight at once (below) raise this again.
    monkeypatch.setattr(S, "MAX_IN_FLIGHT", 1)
    return fake


def run(path, amazon=None, **kw):
    kw.setdefault("start", "2026-03-01")
    kw.setdefault("end", "2026-04-29")
    kw.setdefault("marketplace", "US")
    kw.setdefault("today", TODAY)
    kw.setdefault("progress_bar_type", None)
    kw.setdefault("client", _client())
    return S.sync(SALES, path, **kw)


def days_of(frame: pd.DataFrame) -> list[dt.date]:
    return sorted(set(frame["startDate"].dt.date))


def all_days(a: str, b: str) -> list[dt.date]:
    return [d.date() for d in pd.date_range(a, b)]


def canon(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of one account's dataset in a stable order, without its ``account`` column (checked)."""
    if "account" in frame.columns:
        assert set(frame["account"]) <= {ACCOUNT} and str(frame["account"].dtype) == "str"
        frame = frame.drop(columns="account")
    return frame.sort_values(["startDate", "asin"]).reset_index(drop=True)


def meta_of(path) -> "os.PathLike":
    """The state/history/lock folder of the one account × marketplace of these tests."""
    return path / "_amzv_sync" / f"account={ACCOUNT}" / f"marketplace_id={US}"


def data_of(path):
    return path / f"account={ACCOUNT}" / f"marketplace_id={US}"


# --------------------------------------------------------------------------- planning


def test_window_measurement():
    # The module docstring's numbers: a year of 1-day vs 15-day windows under createReport's quota.
    one_day = SP.quota_seconds(365)
    fifteen = SP.quota_seconds(-(-365 // 15))
    assert 350 * 60 <= one_day <= 360 * 60
    assert 9.5 * 60 <= fifteen <= 10.5 * 60
    assert one_day > 30 * fifteen
    rt = __import__("amzv_pandas._specs.registry", fromlist=["x"]).get_report_type(SALES)
    assert rt.window_shape(rt.validate_options(None)) == ("DAY", 15)
    assert rt.window_shape(rt.validate_options({"reportPeriod": "WEEK"})) == ("WEEK", 7)


def test_plan_newest_first_and_holes():
    units = [(d, d) for d in all_days("2026-01-01", "2026-01-20") if d not in (D("2026-01-10"),)]
    # 01-10 is done: two runs; the newer one first, each packed from its newest end.
    w = SP.plan_windows(units, "DAY", 15)
    assert w == [(D("2026-01-11"), D("2026-01-20")), (D("2026-01-01"), D("2026-01-09"))]
    w = SP.plan_windows([(d, d) for d in all_days("2026-01-01", "2026-01-31")], "DAY", 15)
    assert w[0] == (D("2026-01-17"), D("2026-01-31")) and w[-1] == (D("2026-01-01"), D("2026-01-01"))


def test_budget_and_lag_parsing():
    assert SP.parse_budget("1h30m") == dt.timedelta(minutes=90)
    assert SP.parse_budget(90) == dt.timedelta(seconds=90)
    with pytest.raises(Exception, match="not a duration"):
        SP.parse_budget("soon")
    now = dt.datetime(2026, 6, 1, 15, tzinfo=dt.timezone.utc)
    assert last_final_day(dt.timedelta(hours=72), now) == D("2026-05-28")
    assert last_final_day(dt.timedelta(0), now) == D("2026-05-31")


# --------------------------------------------------------------------------- runs (fake Amazon)


def test_backfill_converges_over_budget_limited_runs(tmp_path, amazon):
    results = []
    for _ in range(10):
        r = run(tmp_path, amazon, budget=dt.timedelta(minutes=15))  # 2 windows (10 fake minutes each)
        results.append(r)
        if r.days_remaining == 0:
            break
    # 60 days / 15-day windows = 4 windows, 2 per run.
    assert [r.days_added for r in results] == [30, 30]
    assert results[0].status == "partial" and results[0].days_remaining == 30
    assert results[-1].status == "complete" and results[-1].days_remaining == 0
    df = S.read_synced(tmp_path)
    assert days_of(df) == all_days("2026-03-01", "2026-04-29")
    assert len(df) == 60 * 3 and not df.duplicated(["startDate", "asin"]).any()
    pd.testing.assert_frame_equal(canon(df), canon(fake_rows(D("2026-03-01"), D("2026-04-29"))))
    # A further run fetches nothing.
    again = run(tmp_path, amazon)
    assert again.windows == [] and again.days_added == 0 and again.calls == {}
    # Any Hive reader sees the same rows (the _amzv_sync folder is skipped).
    assert len(pd.read_parquet(tmp_path)) == 180


def test_current_days_first_then_backfill(tmp_path, amazon):
    run(tmp_path, amazon, start="2026-04-10", end="2026-04-29", budget=dt.timedelta(minutes=5))
    assert amazon.windows == [(D("2026-04-15"), D("2026-04-29"))]
    # Three days later: the 3 new days come first, then the backfill goes on downwards.
    amazon.windows.clear()
    r = run(tmp_path, amazon, start="2026-03-20", end="2026-05-02", today=TODAY + dt.timedelta(days=3))
    assert amazon.windows == [(D("2026-04-30"), D("2026-05-02")), (D("2026-03-31"), D("2026-04-14")),
                              (D("2026-03-20"), D("2026-03-30"))]
    assert [(w["start"], w["end"]) for w in r.windows] == amazon.windows
    assert r.status == "complete" and days_of(S.read_synced(tmp_path)) == all_days("2026-03-20", "2026-05-02")


def test_publication_lag_days_not_fetched(tmp_path, amazon):
    r = run(tmp_path, amazon, start="2026-05-20", end="yesterday")  # today 06-01, lag 72 h
    assert max(e for _, e in amazon.windows) == D("2026-05-28")
    assert r.days_pending == 3 and r.days_remaining == 0 and r.status == "complete"


def test_missed_day_is_refilled(tmp_path, amazon):
    run(tmp_path, amazon, start="2026-04-01", end="2026-04-10")
    hole = D("2026-04-05")
    part = data_of(tmp_path) / f"day={hole}" / "part-0.parquet"
    # (a) partition and state entry gone
    part.unlink()
    state_path = meta_of(tmp_path) / "state.json"
    state = json.loads(state_path.read_text())
    del state["days"][hole.isoformat()]
    state_path.write_text(json.dumps(state))
    amazon.windows.clear()
    r = run(tmp_path, amazon, start="2026-04-01", end="2026-04-10")
    assert amazon.windows == [(hole, hole)] and r.days_added == 1
    # (b) only the partition gone: the state alone does not make a day done
    part.unlink()
    amazon.windows.clear()
    run(tmp_path, amazon, start="2026-04-01", end="2026-04-10")
    assert amazon.windows == [(hole, hole)]
    # (c) only the state entry gone: the partition's footer says complete, nothing refetched
    state = json.loads(state_path.read_text())
    del state["days"][hole.isoformat()]
    state_path.write_text(json.dumps(state))
    amazon.windows.clear()
    run(tmp_path, amazon, start="2026-04-01", end="2026-04-10")
    assert amazon.windows == []
    df = S.read_synced(tmp_path)
    pd.testing.assert_frame_equal(canon(df), canon(fake_rows(D("2026-04-01"), D("2026-04-10"))))


def test_fatal_recorded_and_retried_next_run(tmp_path, amazon):
    amazon.fatal = {D("2026-04-20"): "not_available"}
    r = run(tmp_path, amazon, start="2026-04-01", end="2026-04-29")
    assert r.status == "failed" and len(r.windows) == 2
    assert set(r.failures) == set(all_days("2026-04-15", "2026-04-29"))
    assert "not available" in r.failures[D("2026-04-20")]
    assert r.days_remaining == 15 and r.days_added == 14
    state = json.loads((meta_of(tmp_path) / "state.json").read_text())
    assert state["days"]["2026-04-20"]["status"] == "failed"
    assert state["days"]["2026-04-20"]["category"] == "not_available"
    amazon.fatal.clear()
    amazon.windows.clear()
    r2 = run(tmp_path, amazon, start="2026-04-01", end="2026-04-29")
    assert amazon.windows == [(D("2026-04-15"), D("2026-04-29"))]
    assert r2.status == "complete" and r2.failures == {}
    h = S.sync_history(tmp_path)
    assert list(h["status"]) == ["failed", "complete"]
    assert h["failures"][0][0]["reason"].startswith("Data for") and h["windows_failed"][0] == 1


def test_options_fatal_stops_the_run(tmp_path, amazon):
    amazon.fatal = {D("2026-04-29"): "options"}
    with pytest.raises(ReportFatalError, match="requires the reportPeriod"):
        run(tmp_path, amazon, start="2026-04-01", end="2026-04-29")
    assert len(amazon.windows) == 1  # stopped after the first window
    h = S.sync_history(tmp_path)
    assert h["status"].tolist() == ["options_error"]
    assert "requires the reportPeriod" in h["message"][0]
    assert "requires the reportPeriod" in h["failures"][0][0]["reason"]
    state = json.loads((meta_of(tmp_path) / "state.json").read_text())
    assert state["days"]["2026-04-29"]["category"] == "options"


def test_cancelled_days_recorded_empty(tmp_path, amazon):
    amazon.cancel = set(all_days("2026-04-01", "2026-04-14"))
    amazon.empty = {D("2026-04-20")}
    r = run(tmp_path, amazon, start="2026-04-01", end="2026-04-29")
    assert [w["status"] for w in r.windows] == ["done", "empty"]
    assert r.status == "complete" and r.days_added == 29 and r.days_remaining == 0
    state = json.loads((meta_of(tmp_path) / "state.json").read_text())
    assert state["days"]["2026-04-03"] == {**state["days"]["2026-04-03"], "rows": 0, "empty": "cancelled"}
    assert state["days"]["2026-04-20"]["rows"] == 0
    assert not (data_of(tmp_path) / "day=2026-04-03").exists()
    amazon.windows.clear()
    assert run(tmp_path, amazon, start="2026-04-01", end="2026-04-29").windows == []
    assert amazon.windows == []  # not refetched forever


def test_identity_mismatch_refused(tmp_path, amazon):
    run(tmp_path, amazon, start="2026-04-20", end="2026-04-29")
    with pytest.raises(SyncError, match="different sync.*sellingProgram"):
        run(tmp_path, amazon, start="2026-04-20", end="2026-04-29", report_options={"sellingProgram": "FRESH"})
    with pytest.raises(SyncError, match="different sync.*report_type"):
        S.sync("GET_VENDOR_TRAFFIC_REPORT", tmp_path, start="2026-04-20", marketplace="US", today=TODAY,
               progress_bar_type=None, client=_client())


def test_concurrent_sync_refused(tmp_path, amazon):
    entered, release = threading.Event(), threading.Event()
    amazon.on_fetch = lambda: (entered.set(), release.wait(10))
    errors = []
    t = threading.Thread(target=lambda: run(tmp_path, amazon, start="2026-04-20", end="2026-04-29"))
    t.start()
    try:
        assert entered.wait(10)
        with pytest.raises(SyncError, match=rf"another sync is running .*pid {os.getpid()}"):
            S.sync(SALES, tmp_path, start="2026-04-20", end="2026-04-29", marketplace="US", today=TODAY,
                   progress_bar_type=None, client=_client())
    finally:
        release.set()
        t.join(10)
    assert not (meta_of(tmp_path) / "lock").exists()
    assert days_of(S.read_synced(tmp_path)) == all_days("2026-04-20", "2026-04-29")


def test_stale_lock_taken_over(tmp_path, amazon):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    meta = meta_of(tmp_path)
    meta.mkdir(parents=True)
    import socket

    (meta / "lock").write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(),
                                           "started": "2026-01-01T00:00:00Z", "run_id": "old"}))
    r = run(tmp_path, amazon, start="2026-04-28", end="2026-04-29")
    assert r.status == "complete" and not (meta / "lock").exists()
    # A live pid on another host is never taken over.
    (meta / "lock").write_text(json.dumps({"pid": 1, "host": "elsewhere", "started": "x", "run_id": "y"}))
    with pytest.raises(SyncError, match="elsewhere"):
        run(tmp_path, amazon, start="2026-04-28", end="2026-04-29")


def test_history_and_result_repr(tmp_path, amazon):
    r = run(tmp_path, amazon, start="2026-04-01", end="2026-04-29")
    assert r.calls == {"createReport": 2, "getReportDocument": 2}
    text = repr(r)
    assert "complete" in text and "days added" in text and "createReport 2" in text
    assert "<table>" in r._repr_html_() and "SyncResult" in r._repr_html_()
    # A torn history line (kill -9 mid-append) costs only that line.
    with open(meta_of(tmp_path) / "history.jsonl", "ab") as fh:
        fh.write(b'{"run_id": "torn", "ev')
    run(tmp_path, amazon, start="2026-04-01", end="2026-04-29")
    h = S.sync_history(tmp_path)
    assert len(h) == 2 and list(h["status"]) == ["complete", "complete"]
    row = h.iloc[0]
    assert row["windows_done"] == 2 and row["days_added"] == 29 and row["calls"] == 4
    assert row["finished"] >= row["started"] and row["duration"] >= pd.Timedelta(0)
    assert h.iloc[1]["days_added"] == 0


def test_read_synced_filters_and_types(tmp_path, amazon):
    run(tmp_path, amazon, start="2026-04-01", end="2026-04-29")
    df = S.read_synced(tmp_path, start="2026-04-10", end="2026-04-12")
    assert days_of(df) == all_days("2026-04-10", "2026-04-12")
    assert df["shippedUnits"].dtype == "Int64" and df["shippedRevenue_amount"].dtype == "Float64"
    assert df["startDate"].dtype == "datetime64[us]" and df["asin"].dtype == "str"
    assert "day" not in df.columns and df.attrs["amzv"]["sync"]["report_type"] == SALES


def test_week_period_windows_are_aligned(tmp_path, amazon):
    r = run(tmp_path, amazon, start="2026-03-04", end="2026-04-29", report_options={"reportPeriod": "WEEK"})
    # Whole Sunday–Saturday weeks, at most 7 per request, newest first.
    assert amazon.windows == [(D("2026-03-15"), D("2026-05-02")), (D("2026-03-01"), D("2026-03-14"))]
    assert all(s.weekday() == 6 and e.weekday() == 5 for s, e in amazon.windows)
    assert r.status == "complete"


def test_progress_bar_over_windows(tmp_path, amazon):
    class Bar:
        updates, closed = 0, False

        def update(self, n=1):
            Bar.updates += n

        def close(self):
            Bar.closed = True

    r = run(tmp_path, amazon, start="2026-03-01", end="2026-04-29", progress_bar_type=Bar())
    assert Bar.updates == len(r.windows) == 4 and Bar.closed


def test_cli_exit_codes(tmp_path, amazon, monkeypatch, capsys):
    for name, value in (("LWA_APP_ID", "id"), ("LWA_CLIENT_SECRET", "s"), ("SP_API_REFRESH_TOKEN", "r"),
                        ("AMZV_ENDPOINT", "http://127.0.0.1:9")):
        monkeypatch.setenv(name, value)
    argv = [SALES, str(tmp_path), "--start", "2026-04-01", "--end", "2026-04-29", "--marketplace", "US",
            "--option", "sellingProgram=RETAIL", "--budget", "1h", "--today", "2026-06-01", "--no-progress"]
    amazon.fatal = {D("2026-04-02"): "not_available"}
    assert sync_main(argv) == 1  # a window failed: cron sees it
    assert "failed" in capsys.readouterr().out
    amazon.fatal.clear()
    assert sync_main(argv) == 0
    assert "complete" in capsys.readouterr().out
    assert sync_main([*argv, "--option", "sellingProgram=FRESH"]) == 1
    assert "different sync" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        sync_main([SALES, str(tmp_path), "--start", "2026-04-01", "--option", "novalue"])


# --------------------------------------------------------------------------- windows in flight


def _record_commits(monkeypatch) -> list[dt.date]:
    """Window starts in the order their partitions are written (on the calling thread)."""
    committed: list[dt.date] = []
    write = S._write_window

    def recording(base, meta, frame, w_start, w_end, footer):
        assert threading.current_thread() is threading.main_thread()
        committed.append(w_start)
        return write(base, meta, frame, w_start, w_end, footer)

    monkeypatch.setattr(S, "_write_window", recording)
    return committed


def test_windows_in_flight_commit_in_plan_order(tmp_path, monkeypatch):
    monkeypatch.setattr(S, "MAX_IN_FLIGHT", 4)
    committed = _record_commits(monkeypatch)
    barrier = threading.Barrier(4, timeout=10)  # passes only with 4 fetches running at once
    cond = threading.Condition()
    started: list[dt.date] = []
    finished: list[dt.date] = []
    # The newest window of each batch of 4 finishes last: the 3 after it must wait to be committed.
    last_of_batch = {D("2026-04-15"): 3, D("2026-02-14"): 7}

    def fetch(report_type, start, end, *, marketplace, report_options, client):
        with cond:
            started.append(start)
        barrier.wait()
        if start in last_of_batch:
            with cond:
                assert cond.wait_for(lambda: len(finished) >= last_of_batch[start], timeout=10)
        with cond:
            finished.append(start)
            cond.notify_all()
        return fake_rows(start, end)

    monkeypatch.setattr(S, "_fetch_window", fetch)
    r = run(tmp_path, start="2026-01-01", end="2026-04-29")  # 119 days: 8 windows
    planned = [w["start"] for w in r.windows]
    assert len(planned) == 8 and planned == sorted(planned, reverse=True)
    assert committed == planned and sorted(started) == sorted(planned)  # committed newest first...
    assert finished[3] == planned[0] and finished[7] == planned[4]  # ...though fetched out of order
    assert r.status == "complete" and r.days_added == 119
    df = S.read_synced(tmp_path)
    pd.testing.assert_frame_equal(canon(df), canon(fake_rows(D("2026-01-01"), D("2026-04-29"))))


def test_options_fatal_stops_windows_in_flight_uncommitted(tmp_path, amazon, monkeypatch):
    monkeypatch.setattr(S, "MAX_IN_FLIGHT", 4)
    committed = _record_commits(monkeypatch)
    barrier = threading.Barrier(4, timeout=10)
    amazon.on_fetch = barrier.wait  # all 4 windows of 03-01 → 04-29 in flight at once
    amazon.fatal = {D("2026-04-10"): "options"}  # the second window
    with pytest.raises(ReportFatalError, match="requires the reportPeriod"):
        run(tmp_path, amazon)
    assert len(amazon.windows) == 4  # the two after it were fetched...
    assert committed == [D("2026-04-15")]  # ...but only the window before it is committed
    state = json.loads((meta_of(tmp_path) / "state.json").read_text())
    assert {k for k, v in state["days"].items() if v["status"] == "done"} == {
        d.isoformat() for d in all_days("2026-04-15", "2026-04-29")}
    assert state["days"]["2026-03-31"]["category"] == "options" and "2026-03-30" not in state["days"]
    assert days_of(S.read_synced(tmp_path)) == all_days("2026-04-15", "2026-04-29")
    h = S.sync_history(tmp_path)
    assert h["status"].tolist() == ["options_error"] and h["windows_done"][0] == 1
    # Fixed options: the next run fetches the rest, once.
    amazon.fatal.clear()
    amazon.windows.clear()
    amazon.on_fetch = None
    r = run(tmp_path, amazon)
    assert sorted(amazon.windows, reverse=True) == [(D("2026-03-31"), D("2026-04-14")),
                                                    (D("2026-03-16"), D("2026-03-30")),
                                                    (D("2026-03-01"), D("2026-03-15"))]
    assert r.status == "complete"
    pd.testing.assert_frame_equal(canon(S.read_synced(tmp_path)),
                                  canon(fake_rows(D("2026-03-01"), D("2026-04-29"))))


def test_budget_stops_new_windows_in_flight_ones_committed(tmp_path, amazon, monkeypatch):
    monkeypatch.setattr(S, "MAX_IN_FLIGHT", 4)
    committed = _record_commits(monkeypatch)
    # Each commit "takes" 10 minutes; the budget is checked before each window starts.
    monkeypatch.setattr(S, "_monotonic", lambda: 600.0 * len(committed))
    r = run(tmp_path, amazon, start="2026-01-01", end="2026-04-29", budget=dt.timedelta(minutes=15))
    # 4 start at once; the 5th and 6th start after the 1st and 2nd commits (10 < 15 min), then
    # the budget is spent: nothing new starts, the 4 in flight are still committed, in order.
    assert len(amazon.windows) == 6 and committed == [w["start"] for w in r.windows]
    assert committed == sorted(committed, reverse=True) and len(committed) == 6
    assert r.status == "partial" and r.days_added == 90 and r.days_remaining == 29
    assert days_of(S.read_synced(tmp_path)) == all_days("2026-01-30", "2026-04-29")


# --------------------------------------------------------------------------- "today" in read_synced


def test_read_synced_counts_relative_days_in_the_marketplace_zone(tmp_path, amazon, monkeypatch):
    # 03:00 UTC on 06-02 is still 06-01 in Los Angeles (the US marketplace's zone): "today" differs.
    instant = dt.datetime(2026, 6, 2, 3, 0, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(importlib.import_module("amzv_pandas._specs.date_grammar"), "_now_utc", lambda: instant)
    monkeypatch.setattr(S, "_utcnow", lambda: instant)  # sync's clock of the publication lag
    r = run(tmp_path, amazon, start="today-12", end="today-5", today=None)
    synced = all_days("2026-05-20", "2026-05-27")  # counted from 06-01, the marketplace's date
    assert r.status == "complete" and r.days_pending == 0
    assert days_of(S.read_synced(tmp_path)) == synced
    # The same relative range names the same days in read_synced (UTC would say 05-21 → 05-28).
    assert days_of(S.read_synced(tmp_path, start="today-12", end="today-5")) == synced
    assert days_of(S.read_synced(tmp_path, start="yesterday")) == []  # 05-31 onwards: nothing synced
    assert days_of(S.read_synced(tmp_path, end="today-12")) == [D("2026-05-20")]
    # today= pins it, as in sync (absolute forms only).
    assert days_of(S.read_synced(tmp_path, start="today-12", end="today-5", today="2026-06-01")) == synced
    assert days_of(S.read_synced(tmp_path, start="today-12", end="today-5",
                                 today=D("2026-06-02"))) == all_days("2026-05-21", "2026-05-27")
    # Without a state the path still names the marketplace: the same days.
    (meta_of(tmp_path) / "state.json").unlink()
    assert days_of(S.read_synced(tmp_path, start="today-12", end="today-5")) == synced
