"""The public surface, pinned; and what `import amzv_pandas` may not do."""

import json
import subprocess
import sys

import amzv_pandas as amzv

EXPECTED = {
    "__version__", "exceptions",
    "Client", "Credentials", "authorize", "get_default_client", "set_default_client", "marketplaces", "sandbox",
    "get_catalog_items", "search_catalog_items", "expand_attributes",
    "sync", "read_synced", "sync_history", "SyncResult", "DateRange",
    "read_report", "get_report", "list_reports", "list_report_schedules", "report_types", "get_report_type",
    "cache_info", "clear_cache", "ReportForm",
    "read_vendor_analytics", "query_data_kiosk", "vendor_analytics_metrics", "sync_vendor_analytics",
    "profiles",
}


def test_all_is_pinned():
    assert set(amzv.__all__) == EXPECTED
    assert len(amzv.__all__) == len(set(amzv.__all__))


def test_every_public_name_resolves():
    for name in amzv.__all__:
        assert getattr(amzv, name) is not None, name
    assert set(dir(amzv)) >= EXPECTED


def test_unknown_attribute():
    import pytest

    with pytest.raises(AttributeError):
        amzv.no_such_thing  # noqa: B018


def test_import_is_light_and_offline():
    code = r"""
import builtins, io, json, os, socket, sys
opened, connected = [], []
real_open = io.open
def spy_open(file, *a, **k):
    opened.append(str(file)); return real_open(file, *a, **k)
class NoSocket(socket.socket):
    def connect(self, *a, **k):
        connected.append(a); raise OSError("network touched at import")
before = set(sys.modules)
builtins.open = io.open = spy_open
socket.socket = NoSocket
import amzv_pandas
new = set(sys.modules) - before
print(json.dumps({"opened": [f for f in opened if "amzv" in f or "cache" in f.lower() or "config" in f.lower()],
                  "connected": len(connected),
                  "modules": sorted(m for m in new if m.split(".")[0] in
                                    ("ipywidgets", "tqdm", "requests", "pyarrow", "amzv_pandas", "IPython"))}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    assert report["connected"] == 0
    assert report["opened"] == []
    mods = report["modules"]
    assert not any(m.startswith(("ipywidgets", "tqdm", "IPython")) for m in mods), mods
    assert "amzv_pandas.sandbox" not in mods
    assert not any(m.startswith("amzv_pandas.sandbox") for m in mods)


def test_public_names_survive_importing_every_submodule():
    """A submodule named like a public function would replace it once imported."""
    import importlib
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(amzv.__path__)}
    # marketplaces() is bound eagerly by __init__ after its module loaded, so it stays the function
    assert not (set(amzv.__all__) - {"exceptions", "sandbox", "marketplaces"}) & modules
    code = ("import amzv_pandas as amzv, importlib, pkgutil\n"
            "for m in pkgutil.iter_modules(amzv.__path__):\n"
            "    if m.name not in ('__main__', 'widgets'):\n"
            "        importlib.import_module('amzv_pandas.' + m.name)\n"
            "bad = [n for n in amzv.__all__ if n not in ('exceptions', 'sandbox', '__version__')\n"
            "       and not callable(getattr(amzv, n))]\n"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


#: The public functions that take a client: the facade's wrappers of the domain functions.
CLIENT_FUNCTIONS = {
    "read_report": "amzv_pandas._reports.api", "get_report": "amzv_pandas._reports.api",
    "list_reports": "amzv_pandas._reports.api", "list_report_schedules": "amzv_pandas._reports.api",
    "cache_info": "amzv_pandas._cache.store", "clear_cache": "amzv_pandas._cache.store",
    "get_catalog_items": "amzv_pandas._catalog.api", "search_catalog_items": "amzv_pandas._catalog.api",
}


def test_module_functions_wrap_the_domain_functions_once():
    """One docstring per verb (the domain's); the facade only makes ``client`` optional (issue 11)."""
    import inspect

    from amzv_pandas._reports import api as reports_api

    from amzv_pandas._facade.api import ACCOUNT_FUNCTIONS, ACCOUNTS_DOC

    assert reports_api.read_report.__doc__ in amzv.read_report.__doc__.replace(ACCOUNTS_DOC, "")
    assert inspect.signature(amzv.read_report).parameters["client"].default is None
    for name, module in {**CLIENT_FUNCTIONS, **ACCOUNT_MODULES}.items():
        public = getattr(amzv, name)
        domain = getattr(__import__(module, fromlist=[name]), name)
        assert public.__wrapped__ is domain, name
        added = name in ACCOUNT_FUNCTIONS and "accounts" not in inspect.signature(domain).parameters
        doc = public.__doc__
        if added:  # the account keywords, documented once, inserted right before client
            assert doc.count(ACCOUNTS_DOC) == 1 and ACCOUNTS_DOC + "    client : " in doc, name
            doc = doc.replace(ACCOUNTS_DOC, "")
        assert doc == domain.__doc__ and public.__name__ == name, name
        client = inspect.signature(public).parameters["client"]
        assert client.kind is client.KEYWORD_ONLY and client.default is None, name
        others = [p for p in inspect.signature(domain).parameters if p != "client"]
        if added:
            others += ["accounts", "on_account_error", "executor"]
            for extra in ("accounts", "on_account_error", "executor"):
                assert inspect.signature(public).parameters[extra].kind is inspect.Parameter.KEYWORD_ONLY
        assert [p for p in inspect.signature(public).parameters if p != "client"] == others, name


def test_sync_wraps_the_domain_sync_and_adds_accounts():
    """``amzv.sync`` is the domain's (one docstring) plus ``accounts=``, ``on_account_error=``, ``executor=``."""
    import inspect

    from amzv_pandas._sync import dataset, sync as domain

    assert amzv.sync.__wrapped__ is domain.sync and amzv.sync.__name__ == "sync"
    params = inspect.signature(amzv.sync).parameters
    assert params["client"].kind is params["client"].KEYWORD_ONLY and params["client"].default is None
    others = [p for p in inspect.signature(domain.sync).parameters if p not in ("client", "source_options")]
    assert [p for p in params if p != "client"] == [*others, "accounts", "on_account_error", "executor",
                                                    "source_options"]
    assert domain.sync.__doc__.split("    client : ")[0] in amzv.sync.__doc__ and "executor :" in amzv.sync.__doc__
    assert amzv.read_synced.__wrapped__ is dataset.read_synced
    assert amzv.read_synced.__doc__ == dataset.read_synced.__doc__
    # sync_vendor_analytics: the same account machinery (amzv_pandas._facade.datasets)
    from amzv_pandas._sync import vendor_analytics as va

    assert amzv.sync_vendor_analytics.__wrapped__ is va.sync_vendor_analytics
    params = inspect.signature(amzv.sync_vendor_analytics).parameters
    assert params["client"].default is None
    others = [p for p in inspect.signature(va.sync_vendor_analytics).parameters if p != "client"]
    assert [p for p in params if p != "client"] == [*others, "accounts", "on_account_error", "executor"]
    assert va.sync_vendor_analytics.__doc__.split("    client : ")[0] in amzv.sync_vendor_analytics.__doc__
    assert "executor :" in amzv.sync_vendor_analytics.__doc__


#: The other functions that take accounts= (beyond CLIENT_FUNCTIONS).
ACCOUNT_MODULES = {"read_vendor_analytics": "amzv_pandas._datakiosk.api"}


def test_account_functions_take_accounts_and_refuse_it_with_client():
    import pytest

    from amzv_pandas._facade.api import ACCOUNT_FUNCTIONS
    from amzv_pandas.exceptions import ConfigurationError

    assert ACCOUNT_FUNCTIONS >= {"read_report", "get_report", "list_reports", "get_catalog_items",
                                 "search_catalog_items", "read_vendor_analytics"}
    client = amzv.Client(credentials={"client_id": "i", "client_secret": "s", "refresh_token": "r"},
                         endpoint="http://127.0.0.1:9", marketplace="US")
    with pytest.raises(ConfigurationError, match="accounts= or client=") as info:
        amzv.list_reports(accounts=[client], client=client)
    assert info.value.parameter == "accounts"
    with pytest.raises(ConfigurationError, match="executor") as info:
        amzv.list_reports(client=client, executor=object())
    assert info.value.parameter == "executor"
    with pytest.raises(ConfigurationError) as info:
        amzv.list_reports(accounts=[client], executor="dask")
    assert info.value.parameter == "executor"


def test_client_is_the_transport_with_the_verbs():
    from amzv_pandas._transport.http import Transport

    assert issubclass(amzv.Client, Transport) and amzv.Client is not Transport
    assert amzv.Client.__module__ == "amzv_pandas._facade.client"
    verbs = ("read_report", "get_report", "list_reports", "list_report_schedules", "cache_info", "clear_cache",
             "get_catalog_items", "search_catalog_items", "marketplace_participations")
    assert all(callable(getattr(amzv.Client, v)) for v in verbs)
    assert not any(hasattr(Transport, v) for v in verbs)  # the transport knows no reports or catalog


def test_a_bad_argument_is_named_before_missing_credentials():
    """Without a client and without credentials, the argument checks still come first."""
    import pytest

    from amzv_pandas.exceptions import ConfigurationError

    calls = {
        "report_type": lambda: amzv.read_report("GET_NO_SUCH_REPORT_TYPE", "2025-01-01"),
        "asins": lambda: amzv.get_catalog_items(),
        "older_than": lambda: amzv.clear_cache(older_than="soon"),
    }
    for parameter, call in calls.items():
        with pytest.raises(ConfigurationError) as info:
            call()
        assert info.value.parameter == parameter, (parameter, str(info.value))
    with pytest.raises(ConfigurationError, match="no SP-API credentials found") as info:
        amzv.cache_info()  # nothing to check first: the missing default client is the error
    assert info.value.parameter == "credentials"
