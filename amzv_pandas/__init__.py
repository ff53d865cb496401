"""amzv_pandas: Amazon Selling Partner API data (Vendor Central reports, the catalog) into pandas.

>>> import amzv_pandas as amzv
>>> df = amzv.read_report("GET_VENDOR_SALES_REPORT", marketplace="US",
...                       start="today-7", end="yesterday")          # doctest: +SKIP

Public names resolve lazily (PEP 562): importing the package loads only small
modules, touches no disk and no network, and never loads ipywidgets or the
sandbox.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import exceptions
from ._version import __version__
from ._specs.marketplaces import marketplaces
from ._frontends import accessor as _accessor  # noqa: F401  registers df.amzv; it imports the catalog lazily

# name -> (module, attribute); attribute None means the submodule itself. Every function that
# takes a client comes from the facade, which resolves client=None to the default client.
_LAZY: dict[str, tuple[str, str | None]] = {
    # the client, credentials and the built-in sandbox
    "Client": ("_facade.client", "Client"),
    "get_default_client": ("_facade.api", "get_default_client"),
    "set_default_client": ("_facade.api", "set_default_client"),
    "Credentials": ("_transport.lwa", "Credentials"),
    "authorize": ("_transport.lwa", "authorize"),
    "sandbox": ("sandbox", None),
    "profiles": ("_facade.accounts", "profiles"),
    # reports
    "read_report": ("_facade.api", "read_report"),
    "get_report": ("_facade.api", "get_report"),
    "list_reports": ("_facade.api", "list_reports"),
    "list_report_schedules": ("_facade.api", "list_report_schedules"),
    "report_types": ("_specs.registry", "report_types"),
    "get_report_type": ("_specs.registry", "get_report_type"),
    "cache_info": ("_facade.api", "cache_info"),
    "clear_cache": ("_facade.api", "clear_cache"),
    # the catalog
    "get_catalog_items": ("_facade.api", "get_catalog_items"),
    "search_catalog_items": ("_facade.api", "search_catalog_items"),
    "expand_attributes": ("_catalog.api", "expand_attributes"),
    # Data Kiosk (vendor analytics)
    "read_vendor_analytics": ("_facade.api", "read_vendor_analytics"),
    "query_data_kiosk": ("_facade.api", "query_data_kiosk"),
    "vendor_analytics_metrics": ("_datakiosk.api", "vendor_analytics_metrics"),
    # dates and append-mode sync
    "DateRange": ("_specs.dates", "DateRange"),
    "sync": ("_facade.datasets", "sync"),
    "sync_vendor_analytics": ("_facade.datasets", "sync_vendor_analytics"),
    "read_synced": ("_facade.datasets", "read_synced"),
    "sync_history": ("_sync.sync", "sync_history"),
    "SyncResult": ("_sync.sync", "SyncResult"),
    # notebooks
    "ReportForm": ("_frontends.widgets", "ReportForm"),
}

__all__ = ["__version__", "exceptions", "marketplaces", *_LAZY]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'amzv_pandas' has no attribute {name!r}")
    try:
        module = importlib.import_module(f".{target[0]}", __name__)
    except ImportError as exc:
        if "pip install" not in str(exc):
            raise
        # A missing optional dependency: its one-line advice, without import-machinery frames.
        raise ImportError(str(exc)) from None
    value = module if target[1] is None else getattr(module, target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
