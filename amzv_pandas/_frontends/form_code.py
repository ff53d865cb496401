"""Show code: the form's current call as a cell that runs on its own.

The cell starts with ``import amzv_pandas as amzv`` and a line giving the client (a profile,
the default client, or the notebook variable holding it), then the call with every argument
the form sends, one per line. Run in a fresh cell it returns the same frame as Run. No secret
is ever written: a client is named by its profile or its variable, never by its credentials.
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["client_line", "call_code", "cell_code"]


def _user_namespace() -> Mapping[str, Any]:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - the form needs IPython through ipywidgets
        return {}
    shell = get_ipython()
    return getattr(shell, "user_ns", None) or {}


def _default_client() -> Any:
    """The default client if one is set or can be built, else ``None`` (never raises)."""
    from .._facade import api

    try:
        return api.get_default_client()
    except Exception:  # no credentials in the environment: there is no default client
        return None


def client_line(client: Any, namespace: Mapping[str, Any] | None = None) -> str:
    """The line that gives ``client`` in a fresh cell (``client = ...``)."""
    market = getattr(getattr(client, "marketplace", None), "country_code", None)
    if client is not None and getattr(client, "profile", None):
        extra = f", marketplace={market!r}" if market else ""
        return f"client = amzv.Client(profile={client.profile!r}{extra})"
    if client is None or client is _default_client():
        return "client = amzv.get_default_client()"
    names = [name for name, value in (namespace if namespace is not None else _user_namespace()).items()
             if value is client and not name.startswith("_")]
    if names:
        name = "client" if "client" in names else sorted(names)[0]
        return f"client = {name}  # the notebook's {client!r}"
    extra = f"marketplace={market!r}" if market else ""
    return f"client = amzv.Client({extra})  # credentials from LWA_APP_ID, LWA_CLIENT_SECRET, SP_API_REFRESH_TOKEN"


def call_code(operation: str, kwargs: Mapping[str, Any], module: str = "amzv") -> str:
    """``df = amzv.<operation>(...)`` with one keyword argument per line and ``client=client``
    (``accounts=accounts`` when the call names its accounts)."""
    lines = [f"    {k}={v!r}," for k, v in kwargs.items() if k != "accounts"]
    lines.append("    accounts=accounts," if kwargs.get("accounts") else "    client=client,")
    return f"df = {module}.{operation}(\n" + "\n".join(lines) + "\n)"


def cell_code(operation: str, kwargs: Mapping[str, Any], client: Any,
              namespace: Mapping[str, Any] | None = None) -> str:
    """The whole cell: the import, the client (or accounts) line, the call, and ``df`` to show it."""
    if kwargs.get("accounts"):
        who = f"accounts = {list(kwargs['accounts'])!r}  # saved profiles (amzv.profiles())"
    else:
        who = client_line(client, namespace)
    return "\n".join(["import amzv_pandas as amzv", "", who, call_code(operation, kwargs), "df"])
