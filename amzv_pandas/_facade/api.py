"""The module-level functions (``amzv.read_report``...) and the default client.

Each public function is its domain function wrapped once (:func:`_wrap`): same name,
docstring and parameters, except that ``client`` may be left out (``None``), and is then
the default client. Resolving it here, in one place, is the only thing the wrapper adds
(the httpx ``_api.py`` shape); the domain functions require a client.

The wrappers are built on first use (PEP 562), so importing this module imports no domain
module: ``amzv.read_report`` loads the reports layer, not the catalog or sync.
"""

from __future__ import annotations

import functools
import inspect
import threading
from typing import Any, Callable

from ..exceptions import AmzvError, ConfigurationError
from .client import Client

__all__ = ["get_default_client", "set_default_client", "resolve_client", "read_report", "get_report",
           "list_reports", "list_report_schedules", "cache_info", "clear_cache", "get_catalog_items",
           "search_catalog_items", "marketplace_participations", "sync"]
__all__ += ["read_vendor_analytics", "query_data_kiosk", "sync_vendor_analytics"]

_default_client: Client | None = None
_default_lock = threading.Lock()


def get_default_client() -> Client:
    """The client module-level functions use: set one, or it is built from the environment."""
    global _default_client
    with _default_lock:
        if _default_client is None:
            _default_client = Client()
        return _default_client


def set_default_client(client: Client | None) -> None:
    """Make ``client`` the default of module-level functions (``None`` resets it)."""
    global _default_client
    if client is not None and not isinstance(client, Client):
        raise ConfigurationError(f"set_default_client() needs a Client, got {type(client).__name__}",
                                 parameter="client")
    with _default_lock:
        _default_client = client


def resolve_client(client: Client | None) -> Client:
    """``client`` itself, or the default client."""
    return client if client is not None else get_default_client()


class _NoDefaultClient:
    """The default client that could not be built (no credentials...), passed on in its place.

    The domain functions check every argument before they first touch the client; the error
    building the default raised is raised at that first touch, so a bad argument is still
    reported before missing credentials, as when the functions resolved the default themselves.
    """

    __slots__ = ("_error",)

    def __init__(self, error: AmzvError) -> None:
        object.__setattr__(self, "_error", error)

    def __getattr__(self, name: str) -> Any:
        raise object.__getattribute__(self, "_error").with_traceback(None)

    def __repr__(self) -> str:
        return "<no default amzv.Client>"


def _client_for_call(client: Any) -> Any:
    if client is not None:
        return client
    try:
        return get_default_client()
    except AmzvError as exc:
        return _NoDefaultClient(exc)


def _wrap(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with ``client`` optional: None (or left out) means the default client."""
    signature = inspect.signature(func)
    shown = signature.replace(parameters=[
        p.replace(default=None, annotation="Client | None") if p.name == "client" else p
        for p in signature.parameters.values()
    ])

    @functools.wraps(func)
    def call(*args: Any, client: Any = None, **kwargs: Any) -> Any:
        return func(*args, client=_client_for_call(client), **kwargs)

    call.__signature__ = shown  # type: ignore[attr-defined]
    return call


def _domain_function(name: str) -> Callable[..., Any]:
    """The domain function behind public ``name`` (imported only now)."""
    if name in ("read_report", "get_report", "list_reports", "list_report_schedules"):
        from .._reports import api as module
    elif name in ("cache_info", "clear_cache"):
        from .._cache import store as module
    elif name in ("get_catalog_items", "search_catalog_items"):
        from .._catalog import api as module
    elif name in ("read_vendor_analytics", "query_data_kiosk"):
        from .._datakiosk import api as module
    elif name == "marketplace_participations":
        from .. import _sellers as module
    elif name == "sync_vendor_analytics":
        from .._sync import vendor_analytics as module
    else:  # "sync"
        from .._sync import sync as module
    return getattr(module, name)


_WRAPPED = frozenset({"read_report", "get_report", "list_reports", "list_report_schedules", "cache_info",
                      "clear_cache", "get_catalog_items", "search_catalog_items", "marketplace_participations",
                      "sync"})
_WRAPPED |= frozenset({"read_vendor_analytics", "query_data_kiosk", "sync_vendor_analytics"})
_wrap_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    if name not in _WRAPPED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _wrap_lock:
        if name not in globals():  # one wrapper per function, whichever thread asks first
            globals()[name] = _wrap(_domain_function(name))
        return globals()[name]
