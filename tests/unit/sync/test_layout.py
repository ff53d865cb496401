"""The dataset's layout: account × marketplace partitions, partition columns only in the path, the
single-account layout read and moved (also when the move is killed), read_synced's filters (fake fetcher)."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import signal

import pandas as pd
import pytest

from amzv_pandas._facade.client import Client
from amzv_pandas.exceptions import ConfigurationError, SyncError

from .test_sync import ACCOUNT, SALES, TODAY, US
from .test_sync import amazon as fake_amazon  # noqa: F401  (the fixture)

S = importlib.import_module("amzv_pandas._sync.sync")
L = importlib.import_module("amzv_pandas._sync.layout")
CA = "A2EUQ1WTGCTBG2"
KEY = ["account", "marketplaceId", "startDate", "asin"]


@pytest.fixture
def amazon(fake_amazon, monkeypatch):
    """The fake fetcher, each row carrying the marketplace it was asked for (as Amazon's do)."""
    def fetch(*args, marketplace, **kwargs):
        return fake_amazon(*args, marketplace=marketplace, **kwargs).assign(marketplaceId=marketplace)

    monkeypatch.setattr(S, "_fetch_window", fetch)
    fake_amazon.wrapped = fetch
    return fake_amazon


def _client(name=None, token="r") -> Client:
    return Client(credentials={"client_id": "id", "client_secret": "s", "refresh_token": token},
                  marketplace="US", endpoint="http://127.0.0.1:9", name=name)


def run(path, *, client=None, marketplace="US", start="2026-04-01", end="2026-04-29", **kw):
    return S.sync(SALES, path, start=start, end=end, marketplace=marketplace, today=TODAY, progress_bar_type=None,
                  client=client or _client(), **kw)


def canon(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEY).reset_index(drop=True)


def make_legacy(path) -> None:
    """Turn a one-account, one-marketplace dataset into the layout sync wrote before accounts:
    ``PATH/marketplace_id=.../day=.../part-0.parquet`` and ``PATH/_amzv_sync/{state.json,history.jsonl}``."""
    meta = path / "_amzv_sync"
    os.replace(path / f"account={ACCOUNT}" / f"marketplace_id={US}", path / f"marketplace_id={US}")
    (path / f"account={ACCOUNT}").rmdir()
    pair = meta / f"account={ACCOUNT}" / f"marketplace_id={US}"
    state = json.loads((pair / "state.json").read_text())
    del state["account_name"]
    (meta / "state.json").write_text(json.dumps(state))
    os.replace(pair / "history.jsonl", meta / "history.jsonl")
    shutil.rmtree(meta / f"account={ACCOUNT}")
    (meta / "dataset.json").unlink()
    records = [json.loads(line) for line in (meta / "history.jsonl").read_text().splitlines()]
    for rec in records:
        rec.pop("account")  # the old records had no account
    (meta / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    assert sorted(p.name for p in path.iterdir()) == ["_amzv_sync", f"marketplace_id={US}"]


def test_partition_columns_live_only_in_the_path(tmp_path, amazon):
    run(tmp_path)
    parts = sorted(tmp_path.glob("account=*/marketplace_id=*/day=*/part-0.parquet"))
    assert len(parts) == 29
    assert parts[0].relative_to(tmp_path).parts[:3] == (f"account={ACCOUNT}", f"marketplace_id={US}",
                                                       "day=2026-04-01")
    import pyarrow.parquet as pq

    for part in parts[:3]:
        assert not {"account", "marketplace_id", "day"} & set(pq.read_schema(part).names)


def test_a_frame_with_partition_named_columns_does_not_store_them(tmp_path, amazon, monkeypatch):
    def with_account(*args, **kwargs):
        frame = amazon.wrapped(*args, **kwargs)
        return frame.assign(account="someone-else", day="x")

    monkeypatch.setattr(S, "_fetch_window", with_account)
    run(tmp_path, start="2026-04-28")
    df = S.read_synced(tmp_path)
    assert set(df["account"]) == {ACCOUNT} and "day" not in df.columns


def test_two_marketplaces_one_dataset_each_pair_its_own_state(tmp_path, amazon):
    r = run(tmp_path, marketplace=["US", "CA"])
    assert r.status == "complete" and len(r.pairs) == 2 and r.days_added == 58
    assert {p.marketplace_id for p in r.pairs} == {US, CA} and r.marketplace_id == f"{US}, {CA}"
    metas = sorted((tmp_path / "_amzv_sync").glob("account=*/marketplace_id=*"))
    assert [m.name for m in metas] == [f"marketplace_id={CA}", f"marketplace_id={US}"]
    for meta in metas:
        state = json.loads((meta / "state.json").read_text())
        assert state["identity"]["marketplace_id"] == meta.name.split("=")[1]
        assert state["account_name"] == ACCOUNT and len(state["days"]) == 29
    h = S.sync_history(tmp_path)
    assert sorted(h["marketplace_id"]) == [CA, US] and set(h["account"]) == {ACCOUNT}
    assert list(h.columns[:3]) == ["run_id", "account", "marketplace_id"]
    # Each pair's calls are its own (2 windows each), their sum the call's.
    assert h["calls"].tolist() == [4, 4] and r.calls == {"createReport": 4, "getReportDocument": 4}
    df = S.read_synced(tmp_path)
    assert df.groupby("marketplaceId").size().to_dict() == {CA: 87, US: 87}
    assert not df.duplicated(["account", "marketplaceId", "startDate", "asin"]).any()
    # A second run finds nothing missing in either pair.
    amazon.windows.clear()
    assert run(tmp_path, marketplace=["CA", "US"]).days_added == 0 and amazon.windows == []


def test_two_accounts_share_the_dataset(tmp_path, amazon):
    run(tmp_path, client=_client("acme-us"))
    run(tmp_path, client=_client("acme-b", token="other"), end="2026-04-14")
    df = S.read_synced(tmp_path)
    assert df.groupby("account").size().to_dict() == {"acme-b": 14 * 3, "acme-us": 29 * 3}
    assert list(df.columns[:1]) == ["account"] and str(df["account"].dtype) == "str"
    only = S.read_synced(tmp_path, accounts="acme-b")
    assert set(only["account"]) == {"acme-b"} and len(only) == 42
    assert len(S.read_synced(tmp_path, accounts=[_client("acme-us")], start="2026-04-20")) == 10 * 3
    with pytest.raises(ConfigurationError, match=r"accounts=\['acme-bb'\].*did you mean 'acme-b'") as info:
        S.read_synced(tmp_path, accounts=["acme-bb"])
    assert info.value.parameter == "accounts"
    # The same account name on another run resumes its own pair (no second copy of its rows).
    amazon.windows.clear()
    assert run(tmp_path, client=_client("acme-us")).days_added == 0 and amazon.windows == []


def test_read_synced_filters_by_marketplace(tmp_path, amazon):
    run(tmp_path, marketplace=["US", "CA"], start="2026-04-20")
    assert set(S.read_synced(tmp_path, marketplace="CA")["marketplaceId"]) == {CA}
    assert set(S.read_synced(tmp_path, marketplace=[US])["marketplaceId"]) == {US}
    assert len(S.read_synced(tmp_path, marketplace=["US", "CA"], start="2026-04-29")) == 6
    with pytest.raises(ConfigurationError) as info:
        S.read_synced(tmp_path, marketplace="ZZ")
    assert info.value.parameter == "marketplace"
    empty = S.read_synced(tmp_path, marketplace="MX")
    assert len(empty) == 0 and {"account", "marketplaceId", "asin"} <= set(empty.columns)


def test_a_name_that_cannot_be_a_partition_is_refused_before_any_call(tmp_path, amazon):
    with pytest.raises(ConfigurationError, match="cannot name a dataset partition") as info:
        run(tmp_path, client=_client("acme de"))
    assert info.value.parameter == "accounts" and amazon.windows == []


def test_another_report_type_is_refused_for_the_dataset(tmp_path, amazon):
    run(tmp_path, start="2026-04-28")
    with pytest.raises(SyncError, match="different sync.*report_type"):
        S.sync("GET_VENDOR_TRAFFIC_REPORT", tmp_path, start="2026-04-20", marketplace="CA", today=TODAY,
               progress_bar_type=None, client=_client())


# --------------------------------------------------------------------------- the single-account layout


def test_single_account_dataset_is_read_then_moved_and_extended(tmp_path, amazon):
    run(tmp_path)
    before = S.read_synced(tmp_path)
    make_legacy(tmp_path)
    # Read as it is: its rows belong to the account that wrote it (the state's key).
    legacy = S.read_synced(tmp_path)
    pd.testing.assert_frame_equal(canon(legacy), canon(before))
    assert set(S.sync_history(tmp_path)["account"]) == {ACCOUNT}
    assert len(S.read_synced(tmp_path, accounts=ACCOUNT, start="2026-04-20")) == 30
    # The next sync moves it under the account and adds a marketplace; nothing old is fetched again.
    amazon.windows.clear()
    r = run(tmp_path, marketplace=["US", "CA"])
    assert [p.days_added for p in sorted(r.pairs, key=lambda p: p.marketplace_id)] == [29, 0]  # CA, US
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_amzv_sync", f"account={ACCOUNT}"]
    assert not (tmp_path / "_amzv_sync" / "state.json").exists()
    after = S.read_synced(tmp_path)
    pd.testing.assert_frame_equal(canon(after[after["marketplaceId"] == US]), canon(before))
    assert len(after[after["marketplaceId"] == CA]) == 87
    h = S.sync_history(tmp_path)
    assert len(h) == 3 and set(h["account"]) == {ACCOUNT}  # the old run is kept, in its pair's history


def test_single_account_dataset_of_a_profile_belongs_to_the_profile_name(tmp_path):
    state = {"identity": {"report_type": SALES, "marketplace_id": US, "report_options": {}},
             "account": "profile-acme-us", "days": {}}
    assert L.legacy_account_name(state) == "acme-us"
    assert L.legacy_account_name({"account": "c2c3928ae1d9e885"}) == "c2c3928ae1d9e885"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="kills a forked run")
@pytest.mark.parametrize("point", ["migrate-dataset", "migrate-tmp", "migrate-state", "migrate-move"])
def test_moving_a_single_account_dataset_killed_then_resumed(tmp_path, amazon, point):
    run(tmp_path)
    before = canon(S.read_synced(tmp_path))
    make_legacy(tmp_path)
    pid = os.fork()
    if pid == 0:  # the child dies at the point, never returning into pytest
        try:
            os.environ["AMZV_SYNC_KILL_AT"] = point
            run(tmp_path)
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, point
    assert canon(S.read_synced(tmp_path)).equals(before)  # readable mid-move, the same rows
    amazon.windows.clear()
    assert run(tmp_path).days_added == 0 and amazon.windows == []
    pd.testing.assert_frame_equal(canon(S.read_synced(tmp_path)), before)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_amzv_sync", f"account={ACCOUNT}"]
    assert not (tmp_path / "_amzv_sync" / "lock").exists()



def test_cli_syncs_several_profiles_and_marketplaces_into_one_dataset(tmp_path, amazon, capsys):
    from amzv_pandas._frontends.cli import sync_main
    from amzv_pandas._transport.lwa import Credentials
    from amzv_pandas._transport.profiles import save_profile

    for name, token in (("acme-us", "r1"), ("brandx", "r2")):
        save_profile(name, Credentials(client_id="id", client_secret="s", refresh_token=token), marketplace="US",
                     endpoint="http://127.0.0.1:9")
    argv = [SALES, str(tmp_path), "--start", "2026-04-20", "--end", "2026-04-29", "--today", "2026-06-01",
            "--no-progress", "--account", "acme-us", "--account", "brandx", "--marketplace", "US,CA"]
    assert sync_main(argv) == 0
    assert "complete" in capsys.readouterr().out
    df = S.read_synced(tmp_path)
    assert sorted(set(zip(df["account"], df["marketplaceId"]))) == [("acme-us", CA), ("acme-us", US),
                                                                    ("brandx", CA), ("brandx", US)]
    assert sync_main([*argv[:-4], "--account", "nobody"]) == 2  # an unknown profile: bad usage, before any call
    assert "nobody" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        sync_main([*argv, "--profile", "acme-us"])


def test_read_synced_keeps_the_frames_dtypes_and_a_column_a_later_run_added(tmp_path):
    # Partitions without a marketplaceId column of their own (the id comes from the path), an
    # Int64 column with a missing value, and a column only the newer day has: nothing may turn
    # Int64 into float64 or drop the new column.
    import pyarrow as pa
    import pyarrow.parquet as pq

    days = {"2026-11-01": pd.DataFrame({"asin": ["A", "B"], "units": pd.array([1, None], dtype="Int64")}),
            "2026-11-02": pd.DataFrame({"asin": ["A"], "units": pd.array([3], dtype="Int64"),
                                        "price": pd.array([2.5], dtype="Float64")})}
    for account in ("acme", "brandx"):
        for day, frame in days.items():
            part = tmp_path / f"account={account}" / f"marketplace_id={US}" / f"day={day}" / "part-0.parquet"
            part.parent.mkdir(parents=True)
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), part)
    df = S.read_synced(tmp_path, "2026-11-01", "2026-11-02")
    assert list(df.columns) == ["account", "marketplaceId", "asin", "units", "price"]
    assert df["units"].dtype == "Int64" and df["price"].dtype == "Float64"
    assert df["account"].tolist() == ["acme", "acme", "brandx", "brandx", "acme", "brandx"]
    assert (df["marketplaceId"] == US).all() and df["units"].isna().sum() == 2
    assert df["price"].notna().sum() == 2
