"""sync_vendor_analytics with a fake fetcher: windows, marketplaces, resume after an exception mid-run,
footer adoption, stale partitions, no data, FATAL, the budget and every check before any call.

The same against the sandbox (and a killed subprocess): tests/e2e/datakiosk/test_sync_vendor_analytics.py."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import importlib
import json
import os
import shutil

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import amzv_pandas as amzv
from amzv_pandas._facade.client import Client
from amzv_pandas.exceptions import (AccountError, AccountErrorWarning, AmzvError, ConfigurationError, QueryFatalError,
                                    ServerError, SyncError)

VA = importlib.import_module("amzv_pandas._sync.vendor_analytics")
TODAY = dt.date(2026, 6, 1)  # days up to 2026-05-28 are final (72 h after their end, US time)
US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
START, END = dt.date(2026, 3, 1), dt.date(2026, 4, 29)  # 60 days: windows of 30, newest first
KEY = ["account", "marketplaceId", "startDate", "asin"]
NAME = "acme"  # the client's name: its rows live under account=acme/
D = dt.date.fromisoformat


def _client(name: str | None = NAME, token: str = "r") -> Client:
    return Client(credentials={"client_id": "id", "client_secret": "s", "refresh_token": token},
                  marketplace="US", endpoint="http://127.0.0.1:9", name=name)


def data_dir(path, mp, account=NAME):
    return path / f"account={account}" / f"marketplace_id={mp}"


def meta_dir(path, mp="ALL", account=NAME):
    return path / "_amzv_sync" / f"account={account}" / f"marketplace_id={mp}"


def state_of(path, mp="ALL", account=NAME) -> dict:
    return json.loads((meta_dir(path, mp, account) / "state.json").read_text())


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
        self.failing: set[str] = set()  # client names whose queries fail

    def __call__(self, start, end, *, options, marketplace, client):
        if client.name in self.failing:
            raise ServerError("the service is down for this account")
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


def expected(start=START, end=END, account=NAME) -> pd.DataFrame:
    """What read_synced gives: the account, then the marketplace (the path's), then the rows' columns."""
    frame = rows(start, end)
    frame.insert(0, "account", pd.Series([account] * len(frame), dtype="str"))
    return canon(frame[["account", "marketplaceId", *[c for c in frame.columns if c not in ("account",
                                                                                          "marketplaceId")]]])


def test_backfill_newest_first_partitioned_by_marketplace_and_day(tmp_path, kiosk):
    result = run(tmp_path / "va")
    assert kiosk.windows == [(D("2026-03-31"), D("2026-04-29")), (D("2026-03-01"), D("2026-03-30"))]
    assert result.status == "complete" and result.days_added == 60 and result.days_remaining == 0
    assert result.report_type == "vendor_analytics:manufacturing" and result.marketplace_id == "ALL"
    assert kiosk.options[0]["metrics"] == ["traffic.glanceViews", "costs.netPPM"]
    assert (data_dir(tmp_path / "va", CA) / "day=2026-03-02" / "part-0.parquet").exists()
    assert sorted(p.name for p in (tmp_path / "va").iterdir()) == ["_amzv_sync", f"account={NAME}"]
    # one state, history and lock for the account's query of every marketplace; dataset.json the identity
    assert state_of(tmp_path / "va")["identity"]["marketplace_id"] == "ALL"
    described = json.loads((tmp_path / "va" / "_amzv_sync" / "dataset.json").read_text())
    assert described["report_type"] == "vendor_analytics:manufacturing"
    assert described["report_options"]["metrics"] == ["traffic.glanceViews", "costs.netPPM"]
    import pyarrow.parquet as pq

    names = pq.read_schema(data_dir(tmp_path / "va", US) / "day=2026-03-02" / "part-0.parquet").names
    assert not {"account", "marketplace_id", "day", "marketplaceId"} & set(names)  # the path holds them
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

    def flaky(base, meta, frame, first, last, footer):
        calls["n"] += 1
        if calls["n"] == 3:  # the 2nd window: its first marketplace written, the second not
            raise OSError("disk full")
        return real(base, meta, frame, first, last, footer)

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
    state = state_of(tmp_path / "va")
    assert state["days"]["2026-04-10"]["markets"] == {US: 2, CA: 2}
    pd.testing.assert_frame_equal(canon(amzv.read_synced(tmp_path / "va")), expected())


def test_a_day_missing_a_marketplace_is_fetched_again_and_stale_partitions_go(tmp_path, kiosk):
    run(tmp_path / "va")
    part = data_dir(tmp_path / "va", CA) / "day=2026-04-10" / "part-0.parquet"
    part.unlink()
    kiosk.windows.clear()
    run(tmp_path / "va")
    assert kiosk.windows == [(D("2026-04-10"), D("2026-04-10"))] and part.exists()
    # a fetch without CA for a day drops the CA partition an older fetch left
    state_file = meta_dir(tmp_path / "va") / "state.json"
    state = json.loads(state_file.read_text())
    del state["days"]["2026-04-11"]
    state_file.write_text(json.dumps(state))
    (data_dir(tmp_path / "va", US) / "day=2026-04-11" / "part-0.parquet").unlink()
    kiosk.markets = (US,)
    run(tmp_path / "va")
    assert not (data_dir(tmp_path / "va", CA) / "day=2026-04-11").joinpath("part-0.parquet").exists()
    got = amzv.read_synced(tmp_path / "va", "2026-04-11", "2026-04-11")
    assert set(got["marketplaceId"]) == {US} and len(got) == 2


def test_no_data_is_recorded_empty_and_not_fetched_again(tmp_path, kiosk):
    kiosk.empty = {D("2026-04-01")}
    result = run(tmp_path / "va")
    assert [w["status"] for w in result.windows] == ["empty", "done"]
    state = state_of(tmp_path / "va")
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
    assert [p.name for p in (tmp_path / "ca").glob("account=*/marketplace_id=*")] == [f"marketplace_id={CA}"]
    assert state_of(tmp_path / "ca", CA)["identity"]["marketplace_id"] == CA  # the pair: acme × CA


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


# --------------------------------------------------------------------------- the account layout


def test_read_synced_with_no_matching_day_has_the_columns_and_dtypes(tmp_path, kiosk):
    run(tmp_path / "va")
    full = amzv.read_synced(tmp_path / "va")
    assert list(full.columns[:4]) == ["account", "marketplaceId", "startDate", "endDate"]
    for kw in (dict(start="2026-05-01"), dict(marketplace="MX")):
        empty = amzv.read_synced(tmp_path / "va", **kw)
        assert len(empty) == 0
        assert empty.dtypes.to_dict() == full.dtypes.to_dict(), kw  # the same columns, in order, same dtypes
    assert amzv.read_synced(tmp_path / "va", start="2026-05-01", dtype_backend="pyarrow").columns.tolist() == \
        full.columns.tolist()


def test_an_account_keeps_every_marketplace_or_chosen_ones(tmp_path, kiosk):
    run(tmp_path / "va")
    kiosk.windows.clear()
    with pytest.raises(SyncError, match="every marketplace") as info:
        run(tmp_path / "va", marketplace="CA")
    assert "acme" in str(info.value) and kiosk.windows == []
    # another account may choose otherwise in the same dataset
    assert run(tmp_path / "va", marketplace="CA", client=_client("brandx", token="r2")).status == "complete"
    run(tmp_path / "one", marketplace="CA")
    with pytest.raises(SyncError, match=f"marketplace.*{CA}"):
        run(tmp_path / "one")
    df = amzv.read_synced(tmp_path / "va")
    n = len(rows(START, END, markets=(CA,)))
    assert df.groupby(["account", "marketplaceId"]).size().to_dict() == {
        ("acme", CA): n, ("acme", US): n, ("brandx", CA): n}
    assert not df.duplicated(KEY).any()


def make_legacy(path) -> None:
    """Turn a one-account dataset into the layout Vendor Analytics sync wrote before accounts:
    ``PATH/marketplace_id=.../day=...`` and ``PATH/_amzv_sync/{state.json,history.jsonl}``."""
    meta = path / "_amzv_sync"
    for mp_dir in sorted((path / f"account={NAME}").iterdir()):
        os.replace(mp_dir, path / mp_dir.name)
    (path / f"account={NAME}").rmdir()
    state = state_of(path)
    del state["account_name"]
    (meta / "state.json").write_text(json.dumps(state))
    records = [json.loads(line) for line in (meta_dir(path) / "history.jsonl").read_text().splitlines()]
    for rec in records:
        rec.pop("account")
    (meta / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    shutil.rmtree(meta / f"account={NAME}")
    (meta / "dataset.json").unlink()
    assert sorted(p.name for p in path.iterdir()) == ["_amzv_sync", f"marketplace_id={CA}", f"marketplace_id={US}"]


def test_a_single_account_dataset_is_read_then_moved_and_extended(tmp_path, kiosk):
    run(tmp_path / "va", end="2026-03-30")
    before = canon(amzv.read_synced(tmp_path / "va"))
    make_legacy(tmp_path / "va")
    # Read as it is: its rows belong to the account recorded in its state (the client's key).
    key = _client().account_key
    legacy = amzv.read_synced(tmp_path / "va")
    assert set(legacy["account"]) == {key}
    pd.testing.assert_frame_equal(canon(legacy).drop(columns="account"), before.drop(columns="account"))
    assert amzv.sync_history(tmp_path / "va")["account"].tolist() == [key]
    # The next sync moves it under the account's name (one pair: every marketplace) and extends it.
    kiosk.windows.clear()
    result = run(tmp_path / "va")
    assert kiosk.windows == [(D("2026-03-31"), D("2026-04-29"))]  # nothing old fetched again
    assert result.days_added == 30 and result.status == "complete"
    assert sorted(p.name for p in (tmp_path / "va").iterdir()) == ["_amzv_sync", f"account={NAME}"]
    assert not (tmp_path / "va" / "_amzv_sync" / "state.json").exists()
    assert [p.name for p in (tmp_path / "va" / "_amzv_sync" / f"account={NAME}").iterdir()] == ["marketplace_id=ALL"]
    pd.testing.assert_frame_equal(canon(amzv.read_synced(tmp_path / "va")), expected())
    assert amzv.sync_history(tmp_path / "va")["status"].tolist() == ["complete", "complete"]


# --------------------------------------------------------------------------- accounts=


def test_accounts_sync_into_one_dataset_through_both_entries(tmp_path, kiosk):
    accounts = [_client("acme"), _client("brandx", token="r2")]
    r = amzv.sync("vendor_analytics:manufacturing", tmp_path / "va", accounts=accounts, start=START, end=END,
                  metrics=["traffic.glanceViews", "costs.netPPM"], today=TODAY, progress_bar_type=None)
    assert r.status == "complete" and len(r.pairs) == 2 and r.days_added == 120 and r.account == "acme, brandx"
    assert {p.marketplace_id for p in r.pairs} == {"ALL"} and len(kiosk.windows) == 4  # one query per window each
    df = amzv.read_synced(tmp_path / "va")
    want = pd.concat([expected(account="acme"), expected(account="brandx")], ignore_index=True)
    pd.testing.assert_frame_equal(canon(df), canon(want))
    assert not df.duplicated(KEY).any()
    h = amzv.sync_history(tmp_path / "va")
    assert sorted(zip(h["account"], h["marketplace_id"])) == [("acme", "ALL"), ("brandx", "ALL")]
    kiosk.windows.clear()  # the public sync_vendor_analytics, the same accounts: nothing is missing
    again = amzv.sync_vendor_analytics(tmp_path / "va", accounts=accounts, start=START, end=END,
                                       metrics=["traffic.glanceViews", "costs.netPPM"], today=TODAY,
                                       progress_bar_type=None, executor=cf.ThreadPoolExecutor(2))
    assert again.days_added == 0 and kiosk.windows == []
    # a third account in one marketplace, through sync_vendor_analytics
    r3 = amzv.sync_vendor_analytics(tmp_path / "va", accounts=[_client("c3", token="r3")], marketplace="CA",
                                    start=START, end=END, metrics=["traffic.glanceViews", "costs.netPPM"],
                                    today=TODAY, progress_bar_type=None)
    assert r3.marketplace_id == CA and r3.account == "c3"
    assert set(amzv.read_synced(tmp_path / "va", accounts="c3")["marketplaceId"]) == {CA}


@pytest.mark.parametrize("case", ["name", "duplicate", "metrics", "client-and-accounts", "executor", "two-markets",
                                  "identity"])
def test_bad_accounts_and_arguments_refused_before_any_call(tmp_path, kiosk, case):
    one, two = _client("acme"), _client("brandx", token="r2")
    kw = dict(start=START, end=END, metrics="traffic", today=TODAY, progress_bar_type=None, accounts=[one, two])
    if case == "identity":  # the dataset holds another query: refused before any account runs
        run(tmp_path / "va")
        kiosk.windows.clear()
    kw.update({"name": dict(accounts=[one, _client("a b", token="r3")]),
               "duplicate": dict(accounts=[one, _client("acme", token="r3")]),
               "metrics": dict(metrics="trafic"),
               "client-and-accounts": dict(client=one),
               "executor": dict(executor="dask"),
               "two-markets": dict(accounts=[one, {"name": "m", "credentials": {"client_id": "i", "client_secret": "s",
                                                                               "refresh_token": "r4"},
                                                   "endpoint": "http://127.0.0.1:9", "marketplace": ["US", "CA"]}]),
               "identity": {}}[case])
    with pytest.raises((ConfigurationError, SyncError)) as info:
        amzv.sync_vendor_analytics(tmp_path / "va", **kw)
    if isinstance(info.value, ConfigurationError):
        assert info.value.parameter in {"accounts", "metrics", "executor", "marketplace"}
    assert kiosk.windows == []
    if case != "identity":
        assert not (tmp_path / "va" / "_amzv_sync").exists()


def test_the_plan_and_a_task_pickle_without_a_client(tmp_path):
    import functools
    import pickle

    from amzv_pandas._facade.datasets import _sync_task
    from amzv_pandas._sync.sync import plan_sync

    plan = plan_sync("vendor_analytics:sourcing", tmp_path / "va", start=START, end=END, metrics="costs.netPPM", today=TODAY,
                     marketplace="CA")
    assert isinstance(plan, VA.VendorAnalyticsPlan) and pickle.loads(pickle.dumps(plan)) == plan
    assert plan.identity == {"report_type": "vendor_analytics:sourcing", "report_options": {
        k: v for k, v in plan.options.items() if k != "view"}}
    assert plan.selection == CA and plan.with_marketplaces(()) is plan
    assert plan.with_marketplaces([US]).selection == US
    task = pickle.dumps(functools.partial(_sync_task, plan))  # what a Dask worker receives (with a spec)
    assert b"Client" not in task and b"refresh_token" not in task


def test_cli_syncs_vendor_analytics_of_several_profiles(tmp_path, kiosk, capsys):
    from amzv_pandas._frontends.cli import sync_main
    from amzv_pandas._transport.lwa import Credentials
    from amzv_pandas._transport.profiles import save_profile

    for name, token in (("acme-us", "r1"), ("brandx", "r2")):
        save_profile(name, Credentials(client_id="id", client_secret="s", refresh_token=token), marketplace="US",
                     endpoint="http://127.0.0.1:9")
    argv = ["vendor_analytics:manufacturing", str(tmp_path / "va"), "--start", "2026-04-20", "--end", "2026-04-29",
            "--today", "2026-06-01", "--no-progress", "--account", "acme-us", "--account", "brandx"]
    assert sync_main(argv) == 0
    assert "complete" in capsys.readouterr().out
    df = amzv.read_synced(tmp_path / "va")
    assert sorted(set(zip(df["account"], df["marketplaceId"]))) == [("acme-us", CA), ("acme-us", US),
                                                                    ("brandx", CA), ("brandx", US)]
    assert len(kiosk.windows) == 2 and not df.duplicated(KEY).any()


def test_a_failing_account_warns_or_raises_and_the_others_are_synced(tmp_path, kiosk):
    kiosk.failing = {"bad"}
    kw = dict(start=START, end=END, metrics="traffic", today=TODAY, progress_bar_type=None)
    accounts = [_client("good"), _client("bad", token="r2")]
    with pytest.warns(AccountErrorWarning, match="bad"):
        r = amzv.sync_vendor_analytics(tmp_path / "warn", accounts=accounts, on_account_error="warn", **kw)
    assert r.account == "good" and r.status == "complete"
    assert set(amzv.read_synced(tmp_path / "warn")["account"]) == {"good"}
    with pytest.raises(AccountError, match="bad") as info:
        amzv.sync("vendor_analytics:manufacturing", tmp_path / "raise", accounts=accounts, **kw)
    assert info.value.results["good"].status == "complete"
    h = amzv.sync_history(tmp_path / "raise")
    assert dict(zip(h["account"], h["status"])) == {"good": "complete", "bad": "error"}
