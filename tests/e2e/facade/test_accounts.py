"""Many accounts in one call against one sandbox acting as several accounts (``serve(accounts=N)``):
the account column, concurrency (by call overlap), each account's quotas, on_account_error,
many marketplaces per account, the one progress bar, and refusals before any call."""

from __future__ import annotations

import threading
import time
import warnings
from collections import defaultdict
from typing import Any

import pandas as pd
import pytest

import amzv_pandas as amzv
from amzv_pandas._transport.lwa import Credentials
from amzv_pandas._transport.profiles import save_profile
from amzv_pandas.exceptions import AccountError, AccountErrorWarning, AuthError, ConfigurationError

SALES = "GET_VENDOR_SALES_REPORT"
START, END = "2026-10-01", "2026-10-06"


@pytest.fixture(scope="module")
def sandbox_options() -> dict[str, Any]:
    # Reports take ~0.5 s each (processing_seconds is divided by speed): long enough for overlap to show.
    return {"speed": 1000, "processing_seconds": 500.0, "accounts": 3}


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMZV_POLL_INTERVAL", "0.05")


class CallLog:
    """Wraps each client's ``request`` to record (account, operation path, start, end)."""

    def __init__(self, clients: list[Any]) -> None:
        self.spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.lock = threading.Lock()
        for c in clients:
            self._wrap(c)

    def _wrap(self, client: Any) -> None:
        real = client.request

        def request(method: str, path: str, **kwargs: Any) -> Any:
            t0 = time.monotonic()
            try:
                return real(method, path, **kwargs)
            finally:
                with self.lock:
                    self.spans[client.name].append((t0, time.monotonic()))

        client.request = request

    def overlap(self) -> bool:
        """Whether every account was calling Amazon while every other one was (their call
        spans, first to last, share a moment)."""
        starts = [min(s for s, _ in spans) for spans in self.spans.values()]
        ends = [max(e for _, e in spans) for spans in self.spans.values()]
        return max(starts) < min(ends)


def test_accounts_are_read_concurrently_into_one_frame_with_an_account_column(sb):
    clients = sb.clients()
    log = CallLog(clients)
    df = amzv.read_report(SALES, START, END, accounts=clients, progress_bar_type=None)
    assert df.columns[0] == "account"
    assert df.groupby("account").size().to_dict() == {"sandbox-1": 300, "sandbox-2": 300, "sandbox-3": 300}
    # each account's own data: the same ASIN-days carry other numbers
    per = {name: part.drop(columns="account").reset_index(drop=True) for name, part in df.groupby("account")}
    assert not per["sandbox-1"]["orderedUnits"].equals(per["sandbox-2"]["orderedUnits"])
    assert log.overlap() and set(log.spans) == {"sandbox-1", "sandbox-2", "sandbox-3"}
    alone = amzv.read_report(SALES, START, END, client=sb.clients()[1], progress_bar_type=None)
    pd.testing.assert_frame_equal(per["sandbox-2"], alone.reset_index(drop=True), check_dtype=True)
    assert df.attrs["amzv"]["accounts"] == ["sandbox-1", "sandbox-2", "sandbox-3"]


def test_accounts_as_profiles_and_mappings(sb, tmp_path):
    save_profile("acme-us", sb.account_credentials(1), marketplace="US", endpoint=sb.url, token_url=sb.token_url)
    accounts = ["acme-us", {"name": "b", **{k: v for k, v in sb.account_options(2).items() if k != "name"}}]
    df = amzv.list_reports(SALES, accounts=accounts)
    assert set(df["account"]) <= {"acme-us", "b"} and list(df.columns[:1]) == ["account"]
    assert amzv.profiles().set_index("name").loc["acme-us", "endpoint"] == sb.url


def test_each_account_keeps_its_own_quota(make_sandbox):
    # createReport at 0.5/s with a burst of 8 (speed 1000 scales the rate): each account's six reports
    # (three 15-day windows x two marketplaces) fit its own bucket; one shared bucket would refuse ten.
    sb = make_sandbox(speed=1000, processing_seconds=300.0, accounts=3, rate_limits={"createReport": (0.0005, 8)})
    df = amzv.read_report(SALES, "2026-08-01", "2026-09-14", marketplace=["US", "CA"], accounts=sb.clients(),
                          progress_bar_type=None)
    assert df.groupby("account").size().to_dict() == {f"sandbox-{k}": 2 * 45 * 50 for k in (1, 2, 3)}
    for name, stats in sb.stats_by_account().items():
        assert stats["calls"]["createReport"] - stats["throttled"].get("createReport", 0) == 6, name
        assert all(n <= 1 for n in stats["throttled"].values()), (name, stats["throttled"])


def _bad(sb) -> dict[str, Any]:
    good = sb.account_credentials(3)
    return {"name": "revoked", "endpoint": sb.url, "token_url": sb.token_url, "marketplace": "US",
            "credentials": Credentials(good.client_id, good.client_secret, "Atzr|not-a-token-of-this-server")}


def test_on_account_error_warn_returns_the_others(sb):
    with pytest.warns(AccountErrorWarning, match="account 'revoked' failed: AuthError") as caught:
        df = amzv.read_report(SALES, START, END, accounts=[*sb.clients()[:2], _bad(sb)],
                              on_account_error="warn", progress_bar_type=None)
    assert set(df["account"]) == {"sandbox-1", "sandbox-2"}
    warning = next(w.message for w in caught if isinstance(w.message, AccountErrorWarning))
    assert warning.account == "revoked" and isinstance(warning.error, AuthError)
    assert "not-a-token" not in str(warning)


def test_on_account_error_raise_names_the_account_and_carries_the_frames(sb):
    with pytest.raises(AccountError, match="account 'revoked' failed") as info:
        amzv.read_report(SALES, START, END, accounts=[_bad(sb), sb.clients()[0]], progress_bar_type=None)
    assert info.value.account == "revoked" and isinstance(info.value.error, AuthError)
    assert list(info.value.frames) == ["sandbox-1"] and len(info.value.frames["sandbox-1"]) == 300


def test_many_marketplaces_for_many_accounts_and_one_bar(sb):
    class Bar:
        def __init__(self) -> None:
            self.total, self.n, self.closed, self.texts = 0, 0, 0, []

        def update(self, n: float = 1) -> None:
            self.n += n

        def close(self) -> None:
            self.closed += 1

        def set_description_str(self, text: str, refresh: bool = False) -> None:
            self.texts.append(text)

    bar = Bar()
    sb.reset_stats()
    df = amzv.read_report(SALES, START, END, marketplace=["US", "CA"], accounts=sb.clients()[:2],
                          progress_bar_type=bar)
    assert list(df.columns[:2]) == ["account", "marketplaceId"]
    assert df.groupby(["account", "marketplaceId"]).size().to_dict() == {
        ("sandbox-1", "A2EUQ1WTGCTBG2"): 300, ("sandbox-1", "ATVPDKIKX0DER"): 300,
        ("sandbox-2", "A2EUQ1WTGCTBG2"): 300, ("sandbox-2", "ATVPDKIKX0DER"): 300}
    assert sb.stats()["calls"]["createReport"] == 4  # one report per account x marketplace
    assert bar.total == 4 and bar.n == 4 and bar.closed == 1
    assert any(t.startswith(f"{SALES} sandbox-2/CA:") for t in bar.texts)


def test_a_vendor_type_with_two_marketplaces_costs_no_failed_report(sb):
    sb.reset_stats()
    with sb.client() as client:
        df = client.read_report("GET_VENDOR_TRAFFIC_REPORT", START, END, marketplace=["US", "CA"],
                                progress_bar_type=None)
    assert sorted(df["marketplaceId"].unique()) == ["A2EUQ1WTGCTBG2", "ATVPDKIKX0DER"]
    assert df.attrs["amzv"]["marketplace_ids"] == ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]
    assert sb.stats()["calls"]["createReport"] == 2


@pytest.mark.parametrize(("kwargs", "parameter", "text"), [
    (dict(accounts=["acme-nope"]), "accounts", "not saved"),
    (dict(marketplace=["US", "DE"]), "marketplace", r"US \(NA\), DE \(EU\)"),
    (dict(executor="dask"), "executor", "Executor"),
    (dict(on_account_error="ignore"), "on_account_error", "ignore"),
    (dict(section="salesByAsn"), "section", "salesByAsn"),
])
def test_bad_input_is_refused_before_any_call(sb, kwargs, parameter, text):
    sb.reset_stats()
    call = dict(start=START, end=END, accounts=sb.clients())
    call.update(kwargs)
    with pytest.raises(ConfigurationError, match=text) as info:
        amzv.read_report(SALES, progress_bar_type=None, **call)
    assert info.value.parameter == parameter
    assert sb.stats()["calls"] == {}


def test_duplicate_names_and_client_with_accounts_are_refused(sb):
    sb.reset_stats()
    with pytest.raises(ConfigurationError, match="duplicate account name 'sandbox-1'") as info:
        amzv.read_report(SALES, START, END, accounts=[sb.clients()[0], sb.client(name="sandbox-1")])
    assert info.value.parameter == "accounts"
    with pytest.raises(ConfigurationError, match="accounts= or client=") as info:
        amzv.read_report(SALES, START, END, accounts=sb.clients(), client=sb.client())
    assert info.value.parameter == "accounts"
    assert sb.stats()["calls"] == {}


def test_catalog_and_vendor_analytics_take_accounts(sb):
    items = amzv.search_catalog_items("coffee", max_results=3, accounts=sb.clients(), progress_bar_type=None)
    assert items.groupby("account").size().to_dict() == {"sandbox-1": 3, "sandbox-2": 3, "sandbox-3": 3}
    asins = items.loc[items["account"] == "sandbox-1", "asin"].tolist()
    with pytest.warns(amzv.exceptions.MissingItemsWarning):  # each account has its own catalog
        looked = amzv.get_catalog_items(asins, accounts=sb.clients()[:2], progress_bar_type=None)
    assert looked["account"].tolist() == ["sandbox-1"] * 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        va = amzv.read_vendor_analytics("2026-09-01", "2026-09-02", metrics=["traffic.glanceViews"],
                                        accounts=sb.clients()[:2], progress_bar_type=None, poll_interval=0.05)
    assert set(va["account"]) == {"sandbox-1", "sandbox-2"} and va.columns[0] == "account"


def test_get_report_takes_marketplace_lists_and_accounts(sb):
    clients = sb.clients()[:2]
    amzv.read_report(SALES, START, END, marketplace=["US", "CA"], accounts=clients, progress_bar_type=None)
    sb.reset_stats()
    df = amzv.get_report(report_type=SALES, marketplace=["US", "CA"], accounts=clients, progress_bar_type=None)
    assert df.groupby(["account", "marketplaceId"]).size().to_dict() == {
        ("sandbox-1", "A2EUQ1WTGCTBG2"): 300, ("sandbox-1", "ATVPDKIKX0DER"): 300,
        ("sandbox-2", "A2EUQ1WTGCTBG2"): 300, ("sandbox-2", "ATVPDKIKX0DER"): 300}
    assert sb.stats()["calls"].get("createReport") is None  # the newest DONE ones, nothing created
    with pytest.raises(ConfigurationError, match="with report_id") as info:
        amzv.get_report("123", marketplace=["US", "CA"], client=clients[0])
    assert info.value.parameter == "marketplace"


def test_an_accounts_unusable_cache_dir_is_refused_before_any_call(sb, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    sb.reset_stats()
    with pytest.raises(ConfigurationError, match="account 'b'") as info:
        amzv.read_report(SALES, START, END, progress_bar_type=None,
                         accounts=[sb.clients()[0], sb.account_options(2, name="b", cache_dir=str(blocker / "c"))])
    assert info.value.parameter == "cache_dir"
    assert sb.stats()["calls"] == {}
