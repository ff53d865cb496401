"""amzv.sync(..., accounts=[...]) against the sandbox: many accounts × marketplaces into one dataset,
their own quotas, bad input refused before any call, and a Dask cluster's executor giving the same dataset."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import warnings

import pandas as pd
import pytest

import amzv_pandas as amzv
from amzv_pandas._specs.dates import resolve_today
from amzv_pandas._specs.marketplaces import get_marketplace
from amzv_pandas.exceptions import AccountErrorWarning, ConfigurationError

TRAFFIC = "GET_VENDOR_TRAFFIC_REPORT"
US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
TODAY = resolve_today(None, tz=get_marketplace("US"))
START = TODAY - dt.timedelta(days=60)
END = TODAY - dt.timedelta(days=31)  # 30 days: 2 windows of 15 per pair
KEY = ["account", "marketplaceId", "startDate", "asin"]


@pytest.fixture
def sb(make_fresh_sandbox, monkeypatch):
    monkeypatch.setenv("AMZV_POLL_INTERVAL", "0.02")
    return make_fresh_sandbox(speed=500, processing_seconds=0.2, accounts=2)


def sync(path, **kw):
    kw.setdefault("marketplace", ["US", "CA"])
    return amzv.sync(TRAFFIC, path, start=START, end=END, today=TODAY, progress_bar_type=None, **kw)


def canon(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEY).reset_index(drop=True)


def test_accounts_and_marketplaces_into_one_dataset(sb, tmp_path):
    r = sync(tmp_path, accounts=sb.clients())
    assert r.status == "complete" and len(r.pairs) == 4 and r.days_added == 4 * 30
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_amzv_sync", "account=sandbox-1", "account=sandbox-2"]
    df = amzv.read_synced(tmp_path)
    assert df.groupby(["account", "marketplaceId"]).size().index.tolist() == [
        ("sandbox-1", CA), ("sandbox-1", US), ("sandbox-2", CA), ("sandbox-2", US)]
    assert not df.duplicated(KEY).any()
    # Each account × marketplace holds what that account's read_report returns for it.
    for k, client in enumerate(sb.clients(), start=1):
        for mp in (US, CA):
            ref = client.read_report(TRAFFIC, START, END, marketplace=mp, cache=False, progress_bar_type=None)
            got = amzv.read_synced(tmp_path, accounts=f"sandbox-{k}", marketplace=mp).drop(columns="account")
            pd.testing.assert_frame_equal(got.sort_values(["startDate", "asin"]).reset_index(drop=True),
                                          ref[list(got.columns)].sort_values(["startDate", "asin"])
                                          .reset_index(drop=True))
    # Each account made its own calls, on its own quota: 2 marketplaces × 2 windows, no 429.
    for name, stats in sb.stats_by_account().items():
        assert stats["throttled"] == {}, name
    h = amzv.sync_history(tmp_path)
    assert len(h) == 4 and set(zip(h["account"], h["marketplace_id"])) == {
        ("sandbox-1", US), ("sandbox-1", CA), ("sandbox-2", US), ("sandbox-2", CA)}
    assert (h["status"] == "complete").all() and (h["windows_done"] == 2).all()
    # Nothing missing: a second run fetches nothing for any pair.
    sb.reset_stats()
    assert sync(tmp_path, accounts=sb.clients()).days_added == 0
    assert sb.stats()["calls"].get("createReport", 0) == 0


def test_a_failing_account_warns_and_the_others_are_synced(sb, tmp_path):
    good = sb.account_options(1, name="good")
    bad = {**sb.account_options(2, name="bad"), "token_url": sb.url + "/no/such/token/endpoint"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = sync(tmp_path, accounts=[good, bad], on_account_error="warn", marketplace="US")
    assert r.status == "complete" and r.account == "good"
    assert any(issubclass(w.category, AccountErrorWarning) and "bad" in str(w.message) for w in caught)
    assert set(amzv.read_synced(tmp_path)["account"]) == {"good"}


@pytest.mark.parametrize("case", ["duplicate", "region", "executor", "client-and-accounts", "profile"])
def test_bad_accounts_refused_before_any_call(sb, tmp_path, case):
    one, two = sb.clients()
    kwargs = {
        "duplicate": dict(accounts=[one, sb.account_options(2, name="sandbox-1")]),
        "region": dict(accounts=[one, two], marketplace=["US", "DE"]),
        "executor": dict(accounts=[one, two], executor="dask"),
        "client-and-accounts": dict(accounts=[one], client=two),
        "profile": dict(accounts=["no-such-profile"]),
    }[case]
    with pytest.raises(ConfigurationError) as info:
        sync(tmp_path / "ds", **kwargs)
    assert info.value.parameter in {"accounts", "marketplace", "executor"}
    assert sb.stats()["calls"] == {} and not (tmp_path / "ds").exists()


# --------------------------------------------------------------------------- a Dask cluster


class _Recording(cf.Executor):
    """An executor that pickles every task as Dask does (cloudpickle), to look for secrets, then runs it on ``inner``."""

    def __init__(self, inner: cf.Executor) -> None:
        self.inner = inner
        self.payloads: list[bytes] = []

    def submit(self, fn, /, *args, **kwargs):
        import cloudpickle

        self.payloads.append(cloudpickle.dumps((fn, args, kwargs)))
        return self.inner.submit(fn, *args, **kwargs)


def test_dask_cluster_executor_gives_the_in_process_dataset(sb, tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    from amzv_pandas._transport.profiles import save_profile

    # The accounts as profiles: a worker rebuilds each from its name (the secrets stay in the file).
    monkeypatch.setenv("AMZV_CONFIG_DIR", str(tmp_path / "config"))
    for k, name in ((1, "acme-a"), (2, "acme-b")):
        save_profile(name, sb.account_credentials(k), marketplace="US", endpoint=sb.url, token_url=sb.token_url)
    secrets = [s for k in (1, 2) for s in (sb.account_credentials(k).refresh_token,
                                           sb.account_credentials(k).client_secret)]

    in_process = sync(tmp_path / "threads", accounts=["acme-a", "acme-b"])
    assert in_process.status == "complete"
    # Worker processes inherit the environment: the profiles folder, the sandbox's poll pace.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as dask_client:
        executor = _Recording(dask_client.get_executor())
        r = sync(tmp_path / "dask", accounts=["acme-a", "acme-b"], executor=executor)
    assert r.status == "complete" and r.days_added == in_process.days_added == 4 * 30
    assert len(executor.payloads) == 2  # one task per account: its quota stays in one place
    for payload in executor.payloads:
        assert not any(s.encode() in payload for s in secrets), "a secret crossed into the task graph"
    pd.testing.assert_frame_equal(canon(amzv.read_synced(tmp_path / "dask")),
                                  canon(amzv.read_synced(tmp_path / "threads")))
    assert set(amzv.sync_history(tmp_path / "dask")["account"]) == {"acme-a", "acme-b"}
