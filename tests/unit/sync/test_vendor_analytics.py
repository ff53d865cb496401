"""sync_vendor_analytics with a fake fetcher: windows, marketplaces, resume after an exception mid-run,
footer adoption, stale partitions, no data, FATAL, the budget and every check before any call.

The same against the sandbox (and a killed subprocess): tests/e2e/datakiosk/test_sync_vendor_analytics.py."""

from __future__ import annotations

import datetime as dt
import importlib
import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import amzv_pandas as amzv
from amzv_pandas._facade.client import Client
from amzv_pandas.exceptions import AmzvError, ConfigurationError, QueryFatalError, SyncError

VA = importlib.import_module("amzv_pandas._sync.vendor_analytics")
TODAY = dt.date(2026, 6, 1)  # days up to 2026-05-28 are final (72 h after their end, US time)
US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
START, END = dt.date(2026, 3, 1), dt.date(2026, 4, 29)  # 60 days: windows of 30, newest first
KEY = ["startDate", "marketplaceId", "asin"]
D = dt.date.fromisoformat


def _client() -> Client:
    return Client(credentials={"client_id": "id", "client_secret": "s", "refresh_token": "r"},
                  marketplace="US", endpoint="http://127.0.0.1:9")


def rows(start: dt.date, end: dt.date, *, markets=(US, CA), skip=frozenset()) -> pd.DataFrame:
    """The same rows for a day whatever the window: 2 ASINs per marketplace, none on some days."""
    recs = []
    day = start
    while day <= end:
        if day.toordinal() % 13 and day not in skip:
            for m in markets:
                for i, asin in enumerate(("B0001", "B0002")):
                    recs.append({"startDate": pd.Timestamp(day), "endDate": pd.Timestamp(day), "marketplaceId": m,
                                 "asin": asin, "traffic_glanceViews": day.toordinal() % 91 + i,
                                 "costs_netPPM": (day.toordinal() % 7) / 10 + i})
        day += dt.timedelta(days=1)
    df = pd.DataFrame(recs, columns=["startDate", "endDate", "marketplaceId", "asin", "traffic_glanceViews",
                                     "costs_netPPM"])
    return df.astype({"startDate": "datetime64[us]", "endDate": "datetime64[us]", "marketplaceId": "str",
                      "asin": "str", "traffic_glanceViews": "Int64", "costs_netPPM": "Float64"})


class FakeKiosk:
    """Replaces ``_fetch_window``: records windows and options; empty, FATAL or one-marketplace on demand."""

    def __init__(self) -> None:
        self.windows: list[tuple[dt.date, dt.date]] = []
        self.options: list[dict] = []
        self.empty: set[dt.date] = set()
        self.fatal: dict[dt.date, str] = {}
        self.markets = (US, CA)

    def __call__(self, start, end, *, options, marketplace, client):
        self.windows.append((start, end))
        self.options.append(options)
        for day, category in self.fatal.items():
            if start <= day <= end:
                raise QueryFatalError("Data Kiosk query q ended FATAL", query_id="q", reason="Amazon says no",
                                      category=category)
        if any(start <= d <= end for d in self.empty):
            frame = rows(start, start).iloc[0:0]
            frame.attrs["amzv"] = {"statuses": ["DONE"]}
            return frame
        frame = rows(start, end, markets=self.markets)
        if marketplace is not None:
            frame = frame[frame["marketplaceId"] == marketplace].reset_index(drop=True)
        frame.attrs["amzv"] = {"statuses": ["DONE"]}
        return frame


@pytest.fixture
def kiosk(monkeypatch):
    fake = FakeKiosk()
    monkeypatch.setattr(VA, "_fetch_window", fake)
    return fake


def run(path, **kw):
    args = dict(start=START, end=END, metrics=["traffic.glanceViews", "costs.netPPM"], today=TODAY,
                client=_client(), progress_bar_type=None)
    args.update(kw)
    return VA.sync_vendor_analytics(path, **args)


def canon(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEY, kind="stable").reset_index(drop=True)


def expected(start=START, end=END) -> pd.DataFrame:
    return canon(rows(start, end))


def test_backfill_newest_first_partitioned_by_marketplace_and_day(tmp_path, kiosk):
    result = run(tmp_path / "va")
    assert kiosk.windows == [(D("2026-03-31"), D("2026-04-29")), (D("2026-03-01"), D("2026-03-30"))]
    assert result.status == "complete" and result.days_added == 60 and result.days_remaining == 0
    assert result.report_type == "vendor_analytics:manufacturing" and result.marketplace_id == "ALL"
    assert kiosk.options[0]["metrics"] == ["traffic.glanceViews", "costs.netPPM"]
    assert (tmp_path / "va" / f"marketplace_id={CA}" / "day=2026-03-02" / "part-0.parquet").exists()
    got = amzv.read_synced(tmp_path / "va")
    pd.testing.assert_frame_equal(canon(got), expected(), check_like=False)
    assert not got.duplicated(KEY).any()
    assert got.attrs["amzv"]["sync"]["report_type"] == "vendor_analytics:manufacturing"
    again = run(tmp_path / "va")  # nothing missing: no window, no call
    assert len(kiosk.windows) == 2 and again.status == "complete" and again.days_added == 0
    hist = amzv.sync_history(tmp_path / "va")
    assert hist["status"].tolist() == ["complete", "complete"] and hist["days_added"].tolist() == [60, 0]


def test_an_exception_mid_window_resumes_to_the_same_dataset(tmp_path, kiosk, monkeypatch):
    real = VA.write_window
    calls = {"n": 0}

    def flaky(root, meta, mp, frame, first, last, footer):
        calls["n"] += 1
        if calls["n"] == 3:  # the 2nd window: its first marketplace written, the second not
            raise OSError("disk full")
        return real(root, meta, mp, frame, first, last, footer)

    monkeypatch.setattr(VA, "write_window", flaky)
    with pytest.raises(OSError, match="disk full"):
        run(tmp_path / "va")
    assert amzv.sync_history(tmp_path / "va")["status"].tolist() == ["error"]
    monkeypatch.setattr(VA, "write_window", real)
    kiosk.windows.clear()
    result = run(tmp_path / "va")
    assert kiosk.windows == [(D("2026-03-01"), D("2026-03-30"))]  # only the window not committed
    assert result.status == "complete" and result.days_remaining == 0
    got = canon(amzv.read_synced(tmp_path / "va"))
    pd.testing.assert_frame_equal(got, expected())


def test_a_run_killed_before_its_state_is_adopted_from_the_footers(tmp_path, kiosk, monkeypatch):
    real = VA.save_state
    calls = {"n": 0}

    def dies(meta, state):
        calls["n"] += 1
        if calls["n"] == 2:  # 1: the new state; 2: the first window's commit
            raise KeyboardInterrupt
        return real(meta, state)

    monkeypatch.setattr(VA, "save_state", dies)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "va")
    monkeypatch.setattr(VA, "save_state", real)
    kiosk.windows.clear()
    run(tmp_path / "va")
    # the newest window's days with rows were adopted from their footers; its days without rows are
    # fetched again (nothing says they are empty), with the older window
    assert (D("2026-03-31"), D("2026-04-29")) not in kiosk.windows
    assert kiosk.windows[-1] == (D("2026-03-01"), D("2026-03-30"))
    state = json.loads((tmp_path / "va" / "_amzv_sync" / "state.json").read_text())
    assert state["days"]["2026-04-10"]["markets"] == {US: 2, CA: 2}
    pd.testing.assert_frame_equal(canon(amzv.read_synced(tmp_path / "va")), expected())


def test_a_day_missing_a_marketplace_is_fetched_again_and_stale_partitions_go(tmp_path, kiosk):
    run(tmp_path / "va")
    part = tmp_path / "va" / f"marketplace_id={CA}" / "day=2026-04-10" / "part-0.parquet"
    part.unlink()
    kiosk.windows.clear()
    run(tmp_path / "va")
    assert kiosk.windows == [(D("2026-04-10"), D("2026-04-10"))] and part.exists()
    # a fetch without CA for a day drops the CA partition an older fetch left
    state_file = tmp_path / "va" / "_amzv_sync" / "state.json"
    state = json.loads(state_file.read_text())
    del state["days"]["2026-04-11"]
    state_file.write_text(json.dumps(state))
    (tmp_path / "va" / f"marketplace_id={US}" / "day=2026-04-11" / "part-0.parquet").unlink()
    kiosk.markets = (US,)
    run(tmp_path / "va")
    assert not (tmp_path / "va" / f"marketplace_id={CA}" / "day=2026-04-11").joinpath("part-0.parquet").exists()
    got = amzv.read_synced(tmp_path / "va", "2026-04-11", "2026-04-11")
    assert set(got["marketplaceId"]) == {US} and len(got) == 2


def test_no_data_is_recorded_empty_and_not_fetched_again(tmp_path, kiosk):
    kiosk.empty = {D("2026-04-01")}
    result = run(tmp_path / "va")
    assert [w["status"] for w in result.windows] == ["empty", "done"]
    state = json.loads((tmp_path / "va" / "_amzv_sync" / "state.json").read_text())
    assert state["days"]["2026-04-05"] == {**state["days"]["2026-04-05"], "status": "done", "rows": 0,
                                           "empty": "no data"}
    kiosk.windows.clear()
    assert run(tmp_path / "va").days_added == 0 and kiosk.windows == []


def test_fatal_recorded_and_retried_options_fatal_stops(tmp_path, kiosk):
    kiosk.fatal = {D("2026-04-15"): "unknown"}
    result = run(tmp_path / "va")
    assert result.status == "failed" and D("2026-04-15") in result.failures and result.days_remaining == 30
    kiosk.fatal = {}
    kiosk.windows.clear()
    assert run(tmp_path / "va").status == "complete" and kiosk.windows == [(D("2026-03-31"), D("2026-04-29"))]
    kiosk.fatal = {D("2026-05-10"): "options"}
    with pytest.raises(QueryFatalError, match="FATAL"):
        run(tmp_path / "va", end="2026-05-20")
    hist = amzv.sync_history(tmp_path / "va")
    assert hist["status"].iloc[-1] == "options_error" and hist["failures"].iloc[-1][0]["reason"] == "Amazon says no"


def test_budget_stops_new_windows(tmp_path, kiosk, monkeypatch):
    clock = iter(range(0, 10_000, 100))
    monkeypatch.setattr(VA, "_monotonic", lambda: float(next(clock)))
    result = run(tmp_path / "va", budget=150)
    assert result.status == "partial" and len(kiosk.windows) == 1 and result.days_remaining == 30


def test_publication_lag_and_whole_weeks(tmp_path, kiosk):
    result = run(tmp_path / "lag", start="2026-05-20", end="2026-05-31")
    assert kiosk.windows == [(D("2026-05-20"), D("2026-05-28"))] and result.days_pending == 3
    kiosk.windows.clear()
    run(tmp_path / "weeks", start="2026-03-04", end="2026-04-29", aggregate_by="WEEK")
    # whole Sunday-Saturday weeks inside the range, 8 to a window
    assert kiosk.windows == [(D("2026-03-08"), D("2026-04-25"))]
    assert kiosk.options[-1]["aggregate_by"] == "WEEK"


def test_daily_inventory_by_day_is_one_day_per_query(tmp_path, kiosk):
    run(tmp_path / "inv", start="2026-04-01", end="2026-04-03",
        metrics=["productAvailability.sellableOnHandInventory"])
    assert kiosk.windows == [(D("2026-04-03"),) * 2, (D("2026-04-02"),) * 2, (D("2026-04-01"),) * 2]
    kiosk.windows.clear()
    run(tmp_path / "all", start="2026-04-01", end="2026-04-03", metrics=None)  # every metric but inventory
    assert len(kiosk.windows) == 1
    assert not any(p.startswith("productAvailability") for p in kiosk.options[-1]["metrics"])


def test_marketplace_keeps_one_and_sync_dispatches(tmp_path, kiosk):
    result = amzv.sync("vendor_analytics:sourcing", tmp_path / "ca", start=START, end=END, marketplace="CA",
                       metrics="costs.netPPM", today=TODAY, client=_client(), progress_bar_type=None)
    assert result.report_type == "vendor_analytics:sourcing" and result.marketplace_id == CA
    assert kiosk.options[0]["view"] == "sourcing"
    assert set(amzv.read_synced(tmp_path / "ca")["marketplaceId"]) == {CA}
    assert [p.name for p in (tmp_path / "ca").glob("marketplace_id=*")] == [f"marketplace_id={CA}"]


@pytest.mark.parametrize("kw, parameter, words", [
    (dict(metrics="trafic"), "metrics", "did you mean 'traffic'"),
    (dict(group_by="asn"), "group_by", "asin"),
    (dict(view="manufactoring"), "view", "manufacturing"),
    (dict(aggregate_by="HOUR"), "aggregate_by", "DAY"),
    (dict(start="2024-05-01"), "start", "two years"),
    (dict(end="2026-06-05"), "end", "future"),
    (dict(start="2026-04-10", end="2026-04-01"), None, "start"),
    (dict(currency="dollars"), "currency", "ISO 4217"),
    (dict(totals="yes"), "totals", "True or False"),
    (dict(start="2026-03-02", end="2026-03-05", aggregate_by="WEEK"), "start", "whole week"),
    (dict(budget="soon"), "budget", "duration"),
    (dict(marketplace=["US", "CA"]), "marketplace", "one"),
])
def test_every_argument_is_checked_before_any_call(tmp_path, kiosk, kw, parameter, words):
    with pytest.raises(ConfigurationError, match=words) as info:
        run(tmp_path / "va", **kw)
    if parameter:
        assert info.value.parameter == parameter
    assert kiosk.windows == [] and not (tmp_path / "va" / "_amzv_sync").exists()


def test_a_bad_date_is_reported_before_missing_credentials(tmp_path, kiosk):
    amzv.set_default_client(None)
    with pytest.raises(ConfigurationError) as info:  # no credentials anywhere: the default client cannot be built
        amzv.sync_vendor_analytics(tmp_path / "va", start="today-900", metrics="traffic", progress_bar_type=None)
    assert info.value.parameter == "start" and kiosk.windows == []


def test_sync_source_refuses_report_arguments_and_a_second_identity(tmp_path, kiosk):
    with pytest.raises(ConfigurationError, match="report_options"):
        amzv.sync("vendor_analytics:manufacturing", tmp_path / "va", start=START, report_options={"a": "b"},
                  client=_client())
    with pytest.raises(ConfigurationError, match="names view"):
        amzv.sync("vendor_analytics:manufacturing", tmp_path / "va", start=START, view="sourcing", client=_client())
    with pytest.raises(TypeError, match="metrics"):
        amzv.sync("GET_VENDOR_SALES_REPORT", tmp_path / "va", start=START, metrics="traffic", client=_client())
    run(tmp_path / "va")
    with pytest.raises(SyncError, match="different sync"):
        run(tmp_path / "va", metrics=["traffic"])


WRONG = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                  st.text(max_size=12), st.lists(st.text(max_size=6), max_size=3), st.binary(max_size=4),
                  st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
PARAMS = ("path", "start", "end", "view", "aggregate_by", "metrics", "group_by", "totals", "currency", "marketplace",
          "budget", "progress_bar_type", "today")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(param=st.sampled_from(PARAMS), value=WRONG)
def test_generated_wrong_values_are_clean_errors_before_any_call(tmp_path, kiosk, monkeypatch, param, value):
    monkeypatch.chdir(tmp_path)  # a generated path that happens to be valid is made here
    kiosk.windows.clear()
    kw = dict(path=tmp_path / "va", start=START, end=END, metrics="traffic", today=TODAY, client=_client(),
              progress_bar_type=None)
    kw[param] = value
    try:
        VA.sync_vendor_analytics(**kw)
    except AmzvError:
        assert kiosk.windows == [], (param, value)
    # (a value that happens to be valid just runs)
