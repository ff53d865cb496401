"""The accounts machinery: resolving ``accounts=``, running one task per account, joining frames."""

from __future__ import annotations

import concurrent.futures as cf
import functools
import pickle
import warnings

import pandas as pd
import pytest

import amzv_pandas as amzv
from amzv_pandas._facade import accounts as acc
from amzv_pandas._transport.lwa import Credentials
from amzv_pandas._transport.profiles import save_profile
from amzv_pandas._util.progress import SharedProgress
from amzv_pandas.exceptions import AccountError, AccountErrorWarning, ConfigurationError

SECRET = "s3cr3t-client-secret-value"
TOKEN = "Atzr|refresh-token-value-xyz"


def creds(n: int = 1) -> dict[str, str]:
    return {"client_id": f"amzn1.application-oa2-client.{n}", "client_secret": SECRET + str(n),
            "refresh_token": TOKEN + str(n)}


@pytest.fixture
def saved_profiles() -> list[str]:
    save_profile("acme-us", Credentials(**creds(1)), marketplace="US")
    save_profile("acme-de", Credentials(**creds(2)), marketplace="DE")
    return ["acme-us", "acme-de"]


def test_profile_names_resolve_to_named_picklable_specs(saved_profiles: list[str]) -> None:
    specs = acc.resolve_accounts(saved_profiles)
    assert [s.name for s in specs] == ["acme-us", "acme-de"]
    assert [s.region for s in specs] == ["NA", "EU"]
    again = pickle.loads(pickle.dumps(specs[1]))
    assert again.name == "acme-de" and again.build_client().region == "EU"
    assert again.build_client().name == "acme-de"


def test_a_pandas_series_of_profile_names_is_accepted(saved_profiles: list[str]) -> None:
    specs = acc.resolve_accounts(amzv.profiles().name)
    assert sorted(s.name for s in specs) == sorted(saved_profiles)


def test_unknown_profile_gets_did_you_mean(saved_profiles: list[str]) -> None:
    with pytest.raises(ConfigurationError, match=r"accounts\[1\].*'acme-dd'.*did you mean 'acme-de'") as exc:
        acc.resolve_accounts(["acme-us", "acme-dd"])
    assert exc.value.parameter == "accounts"


def test_mapping_with_credentials_hides_secrets_everywhere() -> None:
    specs = acc.resolve_accounts([{"name": "b", "credentials": creds(), "marketplace": "CA"}])
    spec = specs[0]
    assert spec.name == "b" and spec.marketplaces == ("A2EUQ1WTGCTBG2",)
    for text in (repr(spec), str(spec), repr(spec.build_client())):
        assert SECRET not in text and TOKEN not in text
    assert isinstance(spec.options["credentials"], Credentials)
    assert pickle.loads(pickle.dumps(spec)).build_client().credentials.client_secret == SECRET + "1"


def test_mapping_name_defaults_to_the_account_key() -> None:
    spec = acc.resolve_accounts([{"credentials": creds()}])[0]
    assert spec.name == Credentials(**creds()).fingerprint


def test_mapping_unknown_key_is_refused_with_did_you_mean() -> None:
    with pytest.raises(ConfigurationError, match=r"accounts\[0\].*'marketplce'.*did you mean 'marketplace'") as exc:
        acc.resolve_accounts([{"credentials": creds(), "marketplce": "US"}])
    assert exc.value.parameter == "accounts"


def test_bad_client_arguments_name_the_account() -> None:
    with pytest.raises(ConfigurationError, match=r"accounts\[0\] \('x'\).*endpoint") as exc:
        acc.resolve_accounts([{"name": "x", "credentials": creds(), "endpoint": "http://example.com"}])
    assert exc.value.parameter == "accounts"


def test_duplicate_names_are_refused(saved_profiles: list[str]) -> None:
    with pytest.raises(ConfigurationError, match=r"accounts\[1\].*duplicate account name 'acme-us'.*accounts\[0\]"):
        acc.resolve_accounts(["acme-us", {"name": "acme-us", "credentials": creds(3)}])


@pytest.mark.parametrize("value", ["acme-us", {"profile": "acme-us"}, 3, None, {"acme-us"}])
def test_not_a_list_is_refused(value: object) -> None:
    with pytest.raises(ConfigurationError, match="must be a list of accounts") as exc:
        acc.resolve_accounts(value)
    assert exc.value.parameter == "accounts"


def test_empty_list_and_bad_items_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="empty"):
        acc.resolve_accounts([])
    with pytest.raises(ConfigurationError, match=r"accounts\[0\]: int 3 is not an account"):
        acc.resolve_accounts([3])


def test_mixed_regions_for_one_account_are_refused_naming_them() -> None:
    with pytest.raises(ConfigurationError, match=r"mixes regions.*US \(NA\), DE \(EU\)") as exc:
        acc.resolve_accounts([{"name": "a", "credentials": creds(), "marketplace": ["US", "DE"]}])
    assert exc.value.parameter == "marketplace"
    with pytest.raises(ConfigurationError, match=r"mixes regions.*CA \(NA\), JP \(FE\)"):
        acc.resolve_accounts([{"credentials": creds()}], marketplace=["CA", "JP"])


def test_a_client_outside_the_calls_region_is_refused() -> None:
    client = amzv.Client(credentials=creds(), marketplace="US", name="us")
    with pytest.raises(ConfigurationError, match=r"accounts\[0\] \('us'\).*DE \(EU\).*region NA"):
        acc.resolve_accounts([client], marketplace=["DE"])


def test_client_objects_are_used_as_given_but_never_pickled() -> None:
    client = amzv.Client(credentials=creds(), marketplace="US", name="mine")
    spec = acc.resolve_accounts([client])[0]
    assert spec.build_client() is client and not spec.picklable
    with pytest.raises(ConfigurationError, match="cannot be sent to another process"):
        pickle.dumps(spec)
    with pytest.raises(ConfigurationError, match=r"accounts\[0\] \('mine'\).*Client object") as exc:
        acc.resolve_accounts([client], executor=cf.ProcessPoolExecutor(max_workers=1))
    assert exc.value.parameter == "accounts"


def test_client_name_defaults_to_profile_then_account_key(saved_profiles: list[str]) -> None:
    assert amzv.Client(profile="acme-de").name == "acme-de"
    assert amzv.Client(credentials=creds()).name == Credentials(**creds()).fingerprint
    assert amzv.Client(credentials=creds(), name="shop").name == "shop"
    with pytest.raises(ConfigurationError, match="name=") as exc:
        amzv.Client(credentials=creds(), name="a/b")
    assert exc.value.parameter == "name"


def test_profiles_frame_has_no_secret(saved_profiles: list[str]) -> None:
    frame = amzv.profiles()
    assert list(frame.columns) == ["name", "marketplace", "region", "endpoint"]
    assert frame.set_index("name").loc["acme-de", "region"] == "EU"
    assert frame.set_index("name").loc["acme-us", "endpoint"] == "https://sellingpartnerapi-na.amazon.com"
    assert SECRET not in frame.to_string() and TOKEN not in frame.to_string()


# -- running ---------------------------------------------------------------------------------


def _frame_task(spec: acc.AccountSpec, progress: object, *, fail: str = "") -> pd.DataFrame:
    if spec.name == fail:
        raise ConfigurationError(f"boom in {spec.name}")
    return pd.DataFrame({"asin": [f"{spec.name}-A", f"{spec.name}-B"], "units": [1, 2]})


def _specs() -> list[acc.AccountSpec]:
    return acc.resolve_accounts([{"name": n, "credentials": creds(i)} for i, n in enumerate(["a", "b", "c"])])


def test_run_accounts_returns_results_in_order_and_concat_adds_account() -> None:
    results = acc.run_accounts(_frame_task, _specs())
    assert list(results) == ["a", "b", "c"]
    frame = acc.concat_accounts(results)
    assert frame["account"].tolist() == ["a", "a", "b", "b", "c", "c"]
    assert frame.columns[0] == "account" and frame.attrs["amzv"]["accounts"] == ["a", "b", "c"]


def test_raise_names_the_account_and_carries_the_others() -> None:
    with pytest.raises(AccountError, match="account 'b' failed: ConfigurationError: boom in b") as exc:
        acc.run_accounts(functools.partial(_frame_task, fail="b"), _specs())
    assert exc.value.account == "b" and sorted(exc.value.frames) == ["a", "c"]
    assert isinstance(exc.value.__cause__, ConfigurationError)


def test_warn_names_the_account_and_returns_the_others() -> None:
    with pytest.warns(AccountErrorWarning, match="account 'c' failed.*boom in c"):
        results = acc.run_accounts(functools.partial(_frame_task, fail="c"), _specs(), on_account_error="warn")
    assert list(results) == ["a", "b"]


def test_executor_and_on_account_error_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="executor must be a concurrent.futures.Executor") as exc:
        acc.run_accounts(_frame_task, _specs(), executor="threads")
    assert exc.value.parameter == "executor"
    with pytest.raises(ConfigurationError) as exc:
        acc.run_accounts(_frame_task, _specs(), on_account_error="ignore")
    assert exc.value.parameter == "on_account_error"


def test_a_given_thread_executor_is_used_and_left_open() -> None:
    with cf.ThreadPoolExecutor(2) as pool:
        assert list(acc.run_accounts(_frame_task, _specs(), executor=pool)) == ["a", "b", "c"]
        assert pool.submit(lambda: 1).result() == 1


def test_a_process_executor_needs_a_picklable_task() -> None:
    with pytest.raises(ConfigurationError, match="cannot be pickled") as exc:
        acc.run_accounts(lambda spec, p: None, _specs(), executor=_FakeProcessExecutor())
    assert exc.value.parameter == "executor"


class _FakeProcessExecutor(cf.Executor):
    """Runs tasks after a pickle round trip (what a process or Dask executor does), in this thread."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        blob = pickle.dumps((fn, args, kwargs))
        self.sent.append(blob)
        fn, args, kwargs = pickle.loads(blob)
        fut: cf.Future = cf.Future()
        fut.set_result(pickle.loads(pickle.dumps(fn(*args, **kwargs))))
        return fut


def test_a_process_executor_gets_specs_without_clients_and_no_secret_in_reprs() -> None:
    executor = _FakeProcessExecutor()
    specs = _specs()
    with pytest.warns(AccountErrorWarning, match="account 'b'"):
        results = acc.run_accounts(functools.partial(_frame_task, fail="b"), specs, executor=executor,
                                   on_account_error="warn")
    assert list(results) == ["a", "c"] and len(executor.sent) == 3
    assert all(b"requests" not in blob for blob in executor.sent)  # no session crossed
    assert all(SECRET not in repr(s) for s in specs)


def _warning_task(spec: acc.AccountSpec, progress: object) -> int:
    warnings.warn(f"note from {spec.name}", amzv.exceptions.NoDataWarning)
    return 1


def test_warnings_from_another_process_are_reissued() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        acc.run_accounts(_warning_task, _specs(), executor=_FakeProcessExecutor())
    assert sorted(str(w.message) for w in caught) == ["note from a", "note from b", "note from c"]
    assert all(w.category is amzv.exceptions.NoDataWarning for w in caught)


class _Bar:
    def __init__(self) -> None:
        self.total = 0
        self.n = 0
        self.descriptions: list[str] = []

    def update(self, n: float = 1) -> None:
        self.n += n

    def close(self) -> None:
        pass

    def set_description_str(self, text: str, refresh: bool = False) -> None:
        self.descriptions.append(text)


def _progress_task(spec: acc.AccountSpec, progress: object) -> pd.DataFrame:
    for market in ("US", "CA"):
        part = progress.part(market)  # type: ignore[attr-defined]
        part.add_total(2)
        part.set_description_str("IN_PROGRESS")
        part.update(1)
        part.close()
    return pd.DataFrame({"x": [1]})


def test_one_bar_counts_windows_across_accounts_and_marketplaces() -> None:
    bar = _Bar()
    shared = SharedProgress(bar, desc="GET_VENDOR_SALES_REPORT")
    acc.run_accounts(_progress_task, _specs(), progress=shared)
    assert shared.total == 12 and bar.n == 12
    assert "GET_VENDOR_SALES_REPORT b/CA: IN_PROGRESS" in bar.descriptions


class _Stubborn(Exception):
    def __init__(self, a: str, b: str) -> None:  # unpickling calls _Stubborn(message): it fails
        super().__init__(f"{a} {b}")


def _stubborn_task(spec: acc.AccountSpec, progress: object) -> None:
    raise _Stubborn("no", "way")


def test_an_error_that_cannot_travel_back_comes_back_as_its_text() -> None:
    with pytest.raises(AccountError, match="account 'a' failed: AmzvError: _Stubborn: no way"):
        acc.run_accounts(_stubborn_task, _specs()[:1], executor=_FakeProcessExecutor())
