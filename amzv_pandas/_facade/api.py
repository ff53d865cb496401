"""The module-level functions (``amzv.read_report``...) and the default client.

Each public function is its domain function wrapped once (:func:`_wrap`): same name,
docstring and parameters, except that ``client`` may be left out (``None``), and is then
the default client. Resolving it here, in one place, is what the wrapper adds (the httpx
``_api.py`` shape); the domain functions require a client.

The functions of :data:`ACCOUNT_FUNCTIONS` also take ``accounts=``, ``on_account_error=`` and
``executor=`` (documented once, :data:`ACCOUNTS_DOC`, inserted into each docstring): the wrapper
resolves the accounts (:mod:`~amzv_pandas._facade.accounts`), checks the call for each with a
client that sends nothing, then runs the domain function once per account and joins the frames
with an ``account`` column.

The wrappers are built on first use (PEP 562), so importing this module imports no domain
module: ``amzv.read_report`` loads the reports layer, not the catalog or sync.
"""

from __future__ import annotations

import functools
import inspect
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any, Callable

from ..exceptions import AmzvError, ConfigurationError
from .client import Client

__all__ = ["get_default_client", "set_default_client", "resolve_client", "read_report", "get_report",
           "list_reports", "list_report_schedules", "cache_info", "clear_cache", "get_catalog_items",
           "search_catalog_items", "marketplace_participations", "sync"]
__all__ += ["read_vendor_analytics", "query_data_kiosk"]

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


#: The functions that take ``accounts=`` here (``sync`` handles its accounts itself when its
#: signature has them: a dataset keeps every account's state).
ACCOUNT_FUNCTIONS = frozenset({"read_report", "get_report", "list_reports", "get_catalog_items",
                               "search_catalog_items", "read_vendor_analytics"})
#: Functions whose progress bar counts report windows: each account's read gets a part of one shared bar.
_WINDOW_PROGRESS = frozenset({"read_report", "get_report"})
#: How a function's per-account results ({name: result}, in the accounts' order) become one result;
#: the default joins DataFrames with an ``account`` column. A function whose results are not frames
#: (a future ``sync``'s SyncResults) registers its own here.
COMBINE: dict[str, Callable[[dict[str, Any], dict[str, Any]], Any]] = {}

ACCOUNTS_DOC = """\
    accounts : list, optional
        Many accounts in one call: profile names, ``Client`` objects, or mappings of ``Client``
        keyword arguments plus an optional ``"name"`` (``{"name": "acme-de", "profile": "acme-de"}``;
        ``amzv.profiles().name`` works). Every item is checked before any call (an unknown profile,
        a duplicate name, marketplaces of several regions for one account are refused). The
        accounts run concurrently, each with its own token, rate limits and region, and their
        frames are joined with an ``account`` column (the name) first. Not together with ``client``.
    on_account_error : {"raise", "warn"}, default "raise"
        With ``accounts``: ``"raise"`` raises :class:`~amzv_pandas.exceptions.AccountError` naming the
        failing account (its ``.frames`` hold the other accounts'); ``"warn"`` issues an
        :class:`~amzv_pandas.exceptions.AccountErrorWarning` naming it and returns the others' rows.
    executor : concurrent.futures.Executor, optional
        With ``accounts``: where the per-account work runs (default: a thread pool in this process),
        e.g. ``distributed.Client(cluster).get_executor()``. Accounts given as profile names or
        mappings are rebuilt on each worker; an account's work stays in one task, so its quotas hold.
"""

_ACCOUNT_PARAMETERS = (
    inspect.Parameter("accounts", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="Sequence[Any] | None"),
    inspect.Parameter("on_account_error", inspect.Parameter.KEYWORD_ONLY, default="raise", annotation="str"),
    inspect.Parameter("executor", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="Executor | None"),
)


def _with_accounts_doc(doc: str | None) -> str | None:
    """``doc`` with :data:`ACCOUNTS_DOC` inserted before its ``client`` parameter."""
    if not doc:
        return doc
    marker = "\n    client : "
    at = doc.find(marker)
    if at < 0:
        raise AssertionError("a domain docstring documents no client parameter")  # pragma: no cover
    return doc[:at + 1] + ACCOUNTS_DOC + doc[at + 1:]


def _wrap(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with ``client`` optional: None (or left out) means the default client.

    A function of :data:`ACCOUNT_FUNCTIONS` also gets ``accounts``, ``on_account_error`` and
    ``executor`` (keyword-only, last) and their documentation (before ``client``'s).
    """
    signature = inspect.signature(func)
    params = [p.replace(default=None, annotation="Client | None") if p.name == "client" else p
              for p in signature.parameters.values()]
    many = func.__name__ in ACCOUNT_FUNCTIONS and "accounts" not in signature.parameters
    if many:  # keyword-only, after the function's own (**kwargs, if any, stays last)
        at = len(params) - (params[-1].kind is inspect.Parameter.VAR_KEYWORD)
        params[at:at] = list(_ACCOUNT_PARAMETERS)
    shown = signature.replace(parameters=params)

    if not many:
        @functools.wraps(func)
        def call(*args: Any, client: Any = None, **kwargs: Any) -> Any:
            return func(*args, client=_client_for_call(client), **kwargs)
    else:
        @functools.wraps(func)
        def call(*args: Any, client: Any = None, accounts: Any = None, on_account_error: str = "raise",
                 executor: Any = None, **kwargs: Any) -> Any:
            if accounts is None:
                _check_single(on_account_error, executor)
                return func(*args, client=_client_for_call(client), **kwargs)
            if client is not None:
                msg = ("give accounts= or client=, not both (a Client may be an item of accounts=, e.g. "
                       "accounts=[client, 'acme-de'])")
                raise ConfigurationError(msg, parameter="accounts", allowed="accounts= or client=")
            return _call_accounts(func, args, kwargs, accounts, on_account_error, executor)

        call.__doc__ = _with_accounts_doc(func.__doc__)

    call.__signature__ = shown  # type: ignore[attr-defined]
    return call


def _check_single(on_account_error: Any, executor: Any) -> None:
    from .accounts import ON_ACCOUNT_ERROR, check_executor
    from .._util.checks import check_choice

    check_choice(on_account_error, "on_account_error", ON_ACCOUNT_ERROR)
    if check_executor(executor) is not None:
        msg = "executor= runs the per-account work of accounts=; without accounts= there is nothing to run on it"
        raise ConfigurationError(msg, parameter="executor", allowed="executor= together with accounts=")


# -- many accounts --------------------------------------------------------------------------


class _DryRun(Exception):
    """Raised where the checking client would send a request."""


class _CheckingClient:
    """An account's client that checks the call and sends nothing (``request``/``download`` stop it).

    Its cache is this process's private temporary folder (:func:`_checking_cache`), so checking
    reads no real cache; the lock files a read takes before its first request go there too.
    """

    def __init__(self, client: Client, cache_dir: Path) -> None:
        self._client = client
        self.cache_dir = cache_dir

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise _DryRun

    def download(self, *args: Any, **kwargs: Any) -> Any:
        raise _DryRun

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._client, name)


def _account_kwargs(func: Callable[..., Any], kwargs: dict[str, Any], spec: Any, progress: Any) -> dict[str, Any]:
    """The call's keywords for one account: its marketplaces, its part of the progress bar."""
    params = inspect.signature(func).parameters
    out = dict(kwargs)
    if "marketplace" in params and out.get("marketplace") is None and spec.marketplace_argument:
        wanted = spec.marketplace_argument
        out["marketplace"] = wanted[0] if len(wanted) == 1 else wanted
    if "progress_bar_type" in params:
        out["progress_bar_type"] = progress
    return out


def account_task(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], spec: Any, progress: Any) -> Any:
    """One account's share of a many-account call (a top-level function: it pickles to any worker).

    ``name`` is the public function; the client is (re)built from ``spec`` where this runs.
    """
    func = _domain_function(name)
    return func(*args, client=spec.build_client(), **_account_kwargs(func, kwargs, spec, progress))


_checking_dir: Path | None = None


def _checking_cache() -> Path:
    """A private (0700) temporary folder for the checks, made once and removed when the process
    exits: a check's window threads may still be taking a lock there as its call returns."""
    global _checking_dir
    with _default_lock:
        if _checking_dir is None:
            import atexit
            import shutil

            _checking_dir = Path(tempfile.mkdtemp(prefix="amzv-check-"))
            atexit.register(shutil.rmtree, _checking_dir, ignore_errors=True)
        return _checking_dir


def _check_account_call(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], spec: Any) -> None:
    """Every check ``func`` makes up to its first request, for this account: bad input fails now,
    before any account has sent anything."""
    if func.__name__ != "list_reports" and kwargs.get("cache", True) is not False:
        from .._util.checks import check_writable_dir

        # The check below runs on a temporary cache: the account's own must be usable too.
        try:
            check_writable_dir(spec.build_client().cache_dir, "cache_dir")
        except ConfigurationError as exc:
            raise type(exc)(f"account {spec.name!r}: {exc}", parameter=exc.parameter, value=exc.value,
                            allowed=exc.allowed) from None
    with warnings.catch_warnings():
        checking = _CheckingClient(spec.build_client(), _checking_cache())
        warnings.simplefilter("ignore")
        try:
            func(*args, client=checking, **_account_kwargs(func, kwargs, spec, None))
        except _DryRun:
            pass
        except ConfigurationError as exc:
            if exc.parameter in ("marketplace", "region"):  # these depend on the account: say which
                raise type(exc)(f"account {spec.name!r}: {exc}", parameter=exc.parameter, value=exc.value,
                                allowed=exc.allowed) from None
            raise
        except Exception:  # the check went where only a real client can go: the run will tell
            pass


def _call_accounts(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], accounts: Any,
                   on_account_error: Any, executor: Any) -> Any:
    """``func`` once per account of ``accounts`` (checked first), the frames joined with ``account``."""
    import concurrent.futures as cf

    import pandas as pd

    from . import accounts as acc
    from .._util.checks import check_choice
    from .._util.progress import SharedProgress, validate_progress_bar_type

    on_account_error = check_choice(on_account_error, "on_account_error", acc.ON_ACCOUNT_ERROR)
    executor = acc.check_executor(executor)
    params = inspect.signature(func).parameters
    specs = acc.resolve_accounts(accounts, marketplace=kwargs.get("marketplace") if "marketplace" in params else None,
                                 executor=executor)
    takes_bar = "progress_bar_type" in params
    bar_type = kwargs.pop("progress_bar_type", params["progress_bar_type"].default if takes_bar else None)
    validate_progress_bar_type(bar_type)
    for spec in specs:
        _check_account_call(func, args, kwargs, spec)

    name = func.__name__
    task: Callable[..., Any] = functools.partial(account_task, name, tuple(args), dict(kwargs))
    progress = None
    if takes_bar and bar_type is not None:
        # One bar for the call. Reads in this process count their windows on it (each account's
        # part shows its label and window status); elsewhere a finished account adds its windows.
        windows = name in _WINDOW_PROGRESS
        progress = SharedProgress(bar_type, desc=str(args[0]) if (windows and args) else name,
                                  unit="window" if windows else "account")
        if not (windows and (executor is None or isinstance(executor, cf.ThreadPoolExecutor))):
            task = functools.partial(_no_bar, task)
    try:
        results = acc.run_accounts(task, specs, executor=executor, on_account_error=on_account_error,
                                   progress=progress)
    finally:
        if progress is not None:
            progress.close()
    if name in COMBINE:
        return COMBINE[name](results, kwargs)
    frames = {k: v for k, v in results.items() if isinstance(v, pd.DataFrame)}
    return acc.concat_accounts(frames, pyarrow=kwargs.get("dtype_backend") == "pyarrow")


def _no_bar(task: Callable[..., Any], spec: Any, progress: Any) -> Any:
    """``task`` without a bar of its own (its account counts on the call's shared bar when it ends)."""
    return task(spec, None)


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
    else:  # "sync"
        from .._sync import sync as module
    return getattr(module, name)


_WRAPPED = frozenset({"read_report", "get_report", "list_reports", "list_report_schedules", "cache_info",
                      "clear_cache", "get_catalog_items", "search_catalog_items", "marketplace_participations",
                      "sync"})
_WRAPPED |= frozenset({"read_vendor_analytics", "query_data_kiosk"})
_wrap_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    if name not in _WRAPPED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _wrap_lock:
        if name not in globals():  # one wrapper per function, whichever thread asks first
            globals()[name] = _wrap(_domain_function(name))
        return globals()[name]
