"""sync_vendor_analytics against the sandbox: the dataset (account=/marketplace_id=/day=) equals
read_vendor_analytics, a rerun makes no call, an error mid-run and a subprocess killed at any point resume
to the same dataset, a killed run's query in flight is polled again rather than created again, and two
sandbox accounts sync into one dataset through accounts=."""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

import amzv_pandas as amzv
from amzv_pandas.exceptions import ServerError

VA = importlib.import_module("amzv_pandas._sync.vendor_analytics")
START, END = "today-70", "today-10"  # 61 final days: windows of 30, 30 and 1, two pages each
METRICS = ["traffic", "orders.orderedUnitsWithRevenue", "costs.netPPM"]
KEY = ["account", "marketplaceId", "startDate", "asin"]

CHILD = textwrap.dedent('''
    import json, os, sys
    import importlib
    VA = importlib.import_module("amzv_pandas._sync.vendor_analytics")
    from amzv_pandas._facade.client import Client

    cfg = json.loads(os.environ["DK_SYNC"])
    VA._poll_interval = 0.02
    client = Client(credentials=cfg["credentials"], endpoint=cfg["url"], token_url=cfg["token_url"],
                    marketplace="US", cache_dir=cfg["cache"])
    VA.sync_vendor_analytics(cfg["path"], start=cfg["start"], end=cfg["end"], metrics=cfg["metrics"],
                             client=client, progress_bar_type=None)
''')


@pytest.fixture(scope="module")
def sandbox_options():
    return {"speed": 1000, "processing_seconds": 1.0, "datakiosk_page_size": 50}


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setattr(VA, "_poll_interval", 0.02)


def dk_calls(sb) -> int:
    calls = sb.stats()["calls"]
    return sum(calls.get(op, 0) for op in ("createQuery", "getQuery", "getDocument"))


def canon(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEY, kind="stable").reset_index(drop=True)


def as_read(synced: pd.DataFrame, read: pd.DataFrame) -> pd.DataFrame:
    """A synced account's rows in read_vendor_analytics' columns (read_synced adds the account first, then
    the marketplace of the path), sorted as ``canon`` sorts."""
    assert list(synced.columns[:2]) == ["account", "marketplaceId"] and synced["account"].nunique() <= 1
    assert set(synced.columns) == {"account", *read.columns}
    keys = [k for k in KEY if k != "account"]
    return synced[list(read.columns)].sort_values(keys, kind="stable").reset_index(drop=True)


def read_canon(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values([k for k in KEY if k != "account"], kind="stable").reset_index(drop=True)


def run(client, path, **kw):
    return amzv.sync_vendor_analytics(path, start=START, end=END, metrics=METRICS, client=client,
                                      progress_bar_type=None, **kw)


@pytest.fixture(scope="module")
def reference(server, tmp_path_factory):
    """An uninterrupted run's dataset."""
    path = tmp_path_factory.mktemp("reference") / "va"
    VA._poll_interval = 0.02
    try:
        with server.client(marketplace="US", cache_dir=path.parent / "cache") as c:
            result = run(c, path)
    finally:
        VA._poll_interval = None
    assert result.status == "complete" and result.days_added == 61
    return canon(amzv.read_synced(path))


def test_the_dataset_is_what_read_vendor_analytics_returns(sb, client, tmp_path, reference):
    frame = amzv.read_vendor_analytics(START, END, metrics=METRICS, client=client, progress_bar_type=None,
                                       poll_interval=0.02, cache=False)
    want = read_canon(frame)
    pd.testing.assert_frame_equal(as_read(reference, want), want.astype(reference[want.columns].dtypes.to_dict()))
    assert not reference.duplicated(KEY).any() and reference["account"].nunique() == 1 and set(reference["marketplaceId"]) == {"ATVPDKIKX0DER",
                                                                                      "A2EUQ1WTGCTBG2"}
    assert reference["orders_orderedUnitsWithRevenue_value_amount"].dtype == "Float64"
    result = run(client, tmp_path / "va")
    assert [(w["start"] - w["end"]).days for w in result.windows] == [-29, -29, 0]
    sb.reset_stats()
    again = run(client, tmp_path / "va")
    assert again.status == "complete" and again.days_added == 0 and dk_calls(sb) == 0
    hist = amzv.sync_history(tmp_path / "va")
    assert hist["status"].tolist() == ["complete", "complete"] and hist["calls"].iloc[0] > 0


@pytest.mark.parametrize("kw", [dict(aggregate_by="WEEK", metrics=["shippedOrders", "forecasting"]),
                                dict(aggregate_by="MONTH", totals=True, metrics=["costs.netPPM"])])
def test_weeks_months_totals_and_forecasts(client, tmp_path, kw):
    start, end = "today-200", "today-10"
    result = amzv.sync_vendor_analytics(tmp_path / "va", start=start, end=end, client=client, progress_bar_type=None,
                                        **kw)
    assert result.status == "complete"
    got = amzv.read_synced(tmp_path / "va")
    want = amzv.read_vendor_analytics(start, end, client=client, progress_bar_type=None, poll_interval=0.02,
                                      cache=False, **kw)
    keys = [c for c in ("startDate", "marketplaceId", "asin", "forecasting_weekNumber") if c in want.columns]
    assert len(got) == len(want) > 0 and not got.duplicated(["account", *keys]).any()
    assert set(got.columns) == {"account", *want.columns}
    got = got[list(want.columns)]
    pd.testing.assert_frame_equal(got.sort_values(keys).reset_index(drop=True),
                                  want.sort_values(keys).reset_index(drop=True).astype(got.dtypes.to_dict()))
    # a period's rows live in the partition of its first day (a Sunday, or the 1st)
    days = {p.name[4:] for p in (tmp_path / "va").glob("account=*/marketplace_id=*/day=*")}
    assert days == set(want["startDate"].dt.strftime("%Y-%m-%d"))


def test_an_error_mid_run_resumes_to_the_same_dataset(sb, tmp_path, reference):
    path = tmp_path / "va"
    with sb.client(marketplace="US", cache_dir=tmp_path / "cache", max_retries=0) as c:
        sb.inject("500", operation="getDocument", count=1)
        with pytest.raises(ServerError):
            run(c, path)
    assert amzv.sync_history(path)["status"].tolist() == ["error"]
    with sb.client(marketplace="US", cache_dir=tmp_path / "cache") as c:
        assert run(c, path).status == "complete"
    pd.testing.assert_frame_equal(canon(amzv.read_synced(path)), reference)


def _child(sb, path, cache, env_extra=None) -> subprocess.Popen:
    cfg = {"credentials": {"client_id": sb.credentials.client_id, "client_secret": sb.credentials.client_secret,
                           "refresh_token": sb.credentials.refresh_token},
           "url": sb.url, "token_url": sb.token_url, "cache": str(cache), "path": str(path), "start": START,
           "end": END, "metrics": METRICS}
    env = {**os.environ, "AMZV_SYNC_FSYNC": "0", "DK_SYNC": json.dumps(cfg), **(env_extra or {})}
    return subprocess.Popen([sys.executable, "-c", CHILD], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


@pytest.mark.parametrize("point", ["planned", "fetched:1", "partition:3", "state:2", "window:2", "history-end"])
def test_a_killed_subprocess_resumes_to_the_same_dataset(sb, tmp_path, reference, point):
    path = tmp_path / "va"
    child = _child(sb, path, tmp_path / "cache", {"AMZV_SYNC_KILL_AT": point})
    _, err = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, err.decode()[-2000:]
    with sb.client(marketplace="US", cache_dir=tmp_path / "cache") as c:
        result = run(c, path)
    assert result.status == "complete" and result.days_remaining == 0
    got = canon(amzv.read_synced(path))
    pd.testing.assert_frame_equal(got, reference)
    statuses = amzv.sync_history(path)["status"].tolist()
    assert statuses[-1] == "complete" and (point == "history-end" or "killed" in statuses)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_subprocess_killed_at_a_random_instant_resumes_to_the_same_dataset(sb, tmp_path, reference, seed):
    import random

    path = tmp_path / "va"
    child = _child(sb, path, tmp_path / "cache")
    time.sleep(random.Random(seed).uniform(2.0, 5.0))  # the child imports for a second or two, runs ~5 s
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    with sb.client(marketplace="US", cache_dir=tmp_path / "cache") as c:
        assert run(c, path).status == "complete"
    pd.testing.assert_frame_equal(canon(amzv.read_synced(path)), reference)


def test_a_killed_runs_query_is_polled_again_not_created_again(make_fresh_sandbox, tmp_path):
    sb = make_fresh_sandbox(speed=1, processing_seconds=4.0)
    path, cache = tmp_path / "va", tmp_path / "cache"
    child = _child(sb, path, cache)
    deadline = time.monotonic() + 60
    while sb.stats()["calls"].get("createQuery", 0) < 1:
        assert time.monotonic() < deadline and child.poll() is None
        time.sleep(0.05)
    time.sleep(0.3)  # its in-flight record is written right after createQuery
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    created = sb.stats()["calls"]["createQuery"]
    assert created in (1, 2)  # two windows in flight at most
    with sb.client(marketplace="US", cache_dir=cache) as c:
        result = run(c, path)
    assert result.status == "complete"
    # 3 windows of one page: each query created once, the killed run's one(s) polled again
    assert sb.stats()["calls"]["createQuery"] == 3


def test_two_sandbox_accounts_sync_into_one_dataset(make_fresh_sandbox, tmp_path):
    """accounts=sb.clients(): one query per window per account, each account's rows its own data."""
    sb = make_fresh_sandbox(speed=1000, processing_seconds=1.0, datakiosk_page_size=50, accounts=2)
    clients = sb.clients()
    names = [c.name for c in clients]
    r = amzv.sync_vendor_analytics(tmp_path / "va", accounts=clients, start=START, end=END, metrics=METRICS,
                                   progress_bar_type=None)
    assert r.status == "complete" and len(r.pairs) == 2 and r.days_added == 2 * 61
    # Each account ran its own queries (one per window page, the same for both) on its own quota, no 429.
    stats = sb.stats_by_account()
    pairs = {p.account: p for p in r.pairs}
    for name in names:
        assert stats[name]["calls"]["createQuery"] == pairs[name].calls["createQuery"] >= 3, name
        assert stats[name]["throttled"] == {}, name
    assert pairs[names[0]].calls["createQuery"] == pairs[names[1]].calls["createQuery"]  # (polls may differ)
    assert sorted(p.name for p in (tmp_path / "va").iterdir()) == ["_amzv_sync", *(f"account={n}" for n in names)]
    df = amzv.read_synced(tmp_path / "va")
    assert not df.duplicated(KEY).any() and sorted(set(df["account"])) == sorted(names)
    # Each account's rows are what that account's read_vendor_analytics returns (its own seeded data).
    per_account = []
    for client in clients:
        want = read_canon(client.read_vendor_analytics(START, END, metrics=METRICS, progress_bar_type=None,
                                                       poll_interval=0.02, cache=False))
        got = amzv.read_synced(tmp_path / "va", accounts=client.name)
        pd.testing.assert_frame_equal(as_read(got, want), want.astype(got[want.columns].dtypes.to_dict()))
        per_account.append(want)
    assert not per_account[0].equals(per_account[1])
    h = amzv.sync_history(tmp_path / "va")
    assert sorted(zip(h["account"], h["marketplace_id"])) == [(n, "ALL") for n in sorted(names)]
    # The same accounts through amzv.sync: nothing is missing, no Data Kiosk call.
    sb.reset_stats()
    again = amzv.sync("vendor_analytics:manufacturing", tmp_path / "va", accounts=clients, start=START, end=END,
                      metrics=METRICS, progress_bar_type=None)
    assert again.days_added == 0 and again.status == "complete" and dk_calls(sb) == 0


# --------------------------------------------------------------------------- two accounts killed, and Dask

CHILD_ACCOUNTS = textwrap.dedent('''
    import json, os
    import amzv_pandas as amzv
    from amzv_pandas._facade.client import Client
    from amzv_pandas._transport.lwa import Credentials

    cfg = json.loads(os.environ["DK_SYNC"])
    os.environ["AMZV_POLL_INTERVAL"] = "0.02"
    clients = [Client(name=name, credentials=Credentials(**creds), endpoint=cfg["url"], token_url=cfg["token_url"],
                      marketplace="US", cache_dir=cfg["cache"] + "-" + name) for name, creds in cfg["accounts"]]
    amzv.sync_vendor_analytics(cfg["path"], accounts=clients, start=cfg["start"], end=cfg["end"],
                               metrics=cfg["metrics"], progress_bar_type=None)
''')


@pytest.fixture(scope="module")
def two(make_sandbox, sandbox_options):
    """The module's sandbox acting as two accounts."""
    return make_sandbox(**sandbox_options, accounts=2)


@pytest.fixture(scope="module")
def two_reference(two, tmp_path_factory):
    """An uninterrupted two-account run's dataset."""
    path = tmp_path_factory.mktemp("two-reference") / "va"
    VA._poll_interval = 0.02
    try:
        result = amzv.sync_vendor_analytics(path, accounts=two.clients(), start=START, end=END, metrics=METRICS,
                                            progress_bar_type=None)
    finally:
        VA._poll_interval = None
    assert result.status == "complete" and result.days_added == 2 * 61
    return canon(amzv.read_synced(path))


@pytest.mark.parametrize("point", ["fetched:2", "partition:5", "state:4", "window:3"])
def test_two_accounts_killed_resume_to_the_same_dataset(two, tmp_path, two_reference, point):
    path = tmp_path / "va"
    accounts = [(two.account_name(k), {"client_id": two.account_credentials(k).client_id,
                                        "client_secret": two.account_credentials(k).client_secret,
                                        "refresh_token": two.account_credentials(k).refresh_token}) for k in (1, 2)]
    cfg = {"url": two.url, "token_url": two.token_url, "cache": str(tmp_path / "cache"), "path": str(path),
           "start": START, "end": END, "metrics": METRICS, "accounts": accounts}
    env = {**os.environ, "AMZV_SYNC_FSYNC": "0", "DK_SYNC": json.dumps(cfg), "AMZV_SYNC_KILL_AT": point}
    child = subprocess.Popen([sys.executable, "-c", CHILD_ACCOUNTS], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    _, err = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, err.decode()[-2000:]
    clients = [two.client(account=k, cache_dir=f"{tmp_path / 'cache'}-{name}") for k, (name, _) in
               enumerate(accounts, start=1)]  # each its cache (and the killed run's in-flight records)
    try:
        result = amzv.sync_vendor_analytics(path, accounts=clients, start=START, end=END, metrics=METRICS,
                                            progress_bar_type=None)
    finally:
        for c in clients:
            c.close()
    assert result.status == "complete" and result.days_remaining == 0
    got = canon(amzv.read_synced(path))
    assert not got.duplicated(KEY).any()
    pd.testing.assert_frame_equal(got, two_reference)
    h = amzv.sync_history(path)
    assert "killed" in h["status"].tolist() and set(h["account"]) == {n for n, _ in accounts}


def test_a_dask_cluster_executor_gives_the_in_process_dataset(two, tmp_path, two_reference, monkeypatch):
    distributed = pytest.importorskip("distributed")
    from amzv_pandas._transport.profiles import save_profile

    # The accounts as profiles: a worker rebuilds each from its name (the secrets stay in the file).
    monkeypatch.setenv("AMZV_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("AMZV_POLL_INTERVAL", "0.02")  # the workers' poll pace (they inherit the environment)
    for k in (1, 2):
        save_profile(two.account_name(k), two.account_credentials(k), marketplace="US", endpoint=two.url,
                     token_url=two.token_url)
    secrets = [s for k in (1, 2) for s in (two.account_credentials(k).refresh_token,
                                           two.account_credentials(k).client_secret)]
    payloads: list[bytes] = []

    class Recording(cf.Executor):
        """Pickles every task as Dask does (cloudpickle), to look for secrets, then runs it on ``inner``."""

        def __init__(self, inner):
            self.inner = inner

        def submit(self, fn, /, *args, **kwargs):
            import cloudpickle

            payloads.append(cloudpickle.dumps((fn, args, kwargs)))
            return self.inner.submit(fn, *args, **kwargs)

    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as dask_client:
        r = amzv.sync("vendor_analytics:manufacturing", tmp_path / "va", start=START, end=END, metrics=METRICS,
                      accounts=[two.account_name(1), two.account_name(2)], progress_bar_type=None,
                      executor=Recording(dask_client.get_executor()))
    assert r.status == "complete" and r.days_added == 2 * 61
    assert len(payloads) == 2  # one task per account
    for payload in payloads:
        assert not any(s.encode() in payload for s in secrets), "a secret crossed into the task graph"
    pd.testing.assert_frame_equal(canon(amzv.read_synced(tmp_path / "va")), two_reference)
