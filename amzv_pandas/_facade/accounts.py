"""Many accounts in one call: resolving ``accounts=``, running one task per account, joining the frames.

``accounts=`` (on ``read_report``, ``list_reports``, the catalog functions, ``sync``...) is a
sequence whose items are profile names, ``Client`` objects, or mappings of ``Client`` keyword
arguments plus an optional ``"name"``. :func:`resolve_accounts` turns it into
:class:`AccountSpec` objects and checks every item before any call: an unknown profile (with a
did-you-mean), a duplicate name, a mapping with unknown keys, marketplaces of several regions for
one account. A spec made from a profile name or a mapping is picklable and rebuilds its client
with :meth:`AccountSpec.build_client`, so a worker process (a Dask cluster's executor) can run
it; its repr never shows a secret.

:func:`run_accounts` runs one task per account, concurrently: in a bounded thread pool by default
(each account keeps its own token, rate limiters and region, so N accounts take about as long
as the slowest), or in any :class:`concurrent.futures.Executor`. A task is a picklable top-level
callable ``task(spec, progress)``; it gets the spec, never a Client, so nothing unpicklable
crosses to a worker. :func:`concat_accounts` joins the frames with an ``account`` column.
"""

from __future__ import annotations

import concurrent.futures as cf
import inspect
import pickle
import threading
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from .._reports.plan import check_one_region
from .._specs.marketplaces import REGIONS, Marketplace, get_marketplace
from .._util.checks import check_choice, did_you_mean
from .._util.progress import SharedProgress
from ..exceptions import AccountError, AccountErrorWarning, AmzvError, ConfigurationError
from .client import Client

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AccountSpec", "resolve_accounts", "run_accounts", "concat_accounts", "check_executor",
           "ACCOUNT_COLUMN", "MAX_ACCOUNT_WORKERS", "ON_ACCOUNT_ERROR", "profiles", "client_keywords"]

#: The column naming each row's account.
ACCOUNT_COLUMN = "account"
#: Accounts run at once in the default thread pool (each one runs its own small pool of windows).
MAX_ACCOUNT_WORKERS = 8
ON_ACCOUNT_ERROR = ("raise", "warn")


def client_keywords() -> tuple[str, ...]:
    """The keyword arguments ``amzv.Client`` takes (a mapping item may use these and ``"name"``)."""
    return tuple(p for p in inspect.signature(Client.__init__).parameters if p != "self")


class AccountSpec:
    """One account of an ``accounts=`` list: its name, how to build its client, its marketplaces.

    Attributes
    ----------
    name : str
        The account's name (the ``account`` column).
    options : dict
        The ``Client`` keyword arguments (empty for a spec made from a ``Client`` object).
    marketplaces : tuple of str
        The marketplace ids this account reads (empty: the client's default marketplace).
    region : str or None
        The region of those marketplaces (or of the client).
    source : {"profile", "mapping", "client"}
    """

    __slots__ = ("name", "options", "marketplaces", "region", "source", "_client", "_lock")

    def __init__(self, name: str, options: Mapping[str, Any], *, marketplaces: Sequence[str] = (),
                 region: str | None = None, source: str = "mapping", client: Client | None = None) -> None:
        self.name = name
        self.options = dict(options)
        self.marketplaces = tuple(marketplaces)
        self.region = region
        self.source = source
        self._client = client
        self._lock = threading.Lock()

    @property
    def picklable(self) -> bool:
        """Whether the spec can go to another process (made from a profile name or a mapping)."""
        return self.source != "client"

    def build_client(self) -> Client:
        """The account's client: the one given, else built from the options (once per process)."""
        with self._lock:
            if self._client is None:
                self._client = Client(**self.options)
            return self._client

    @property
    def marketplace_argument(self) -> list[str] | None:
        """The ``marketplace=`` to pass to a domain function for this account (None: the client's)."""
        return list(self.marketplaces) or None

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.options.items() if k in ("profile", "endpoint", "region")}
        if "credentials" in self.options:
            shown["credentials"] = "<hidden>"
        markets = [get_marketplace(m).country_code for m in self.marketplaces]
        extra = "".join(f", {k}={v if k == 'credentials' else repr(v)}" for k, v in shown.items())
        return (f"AccountSpec(name={self.name!r}, source={self.source!r}, marketplaces={markets}, "
                f"region={self.region!r}{extra})")

    __str__ = __repr__

    def __reduce__(self) -> Any:
        if not self.picklable:
            msg = (f"account {self.name!r} was given as a Client object, which cannot be sent to another process; "
                   "give it as a profile name or a mapping of Client keyword arguments")
            raise ConfigurationError(msg, parameter="accounts", value=self.name,
                                     allowed="profile names or mappings with a non-thread executor")
        # The client is rebuilt where the spec lands: sessions, locks and tokens never cross.
        return (_rebuild_spec, (self.name, self.options, self.marketplaces, self.region, self.source))


def _rebuild_spec(name: str, options: dict[str, Any], marketplaces: tuple[str, ...], region: str | None,
                  source: str) -> AccountSpec:
    return AccountSpec(name, options, marketplaces=marketplaces, region=region, source=source)


# --------------------------------------------------------------------------------------------
# resolving accounts=


def _items(accounts: Any, parameter: str) -> list[Any]:
    if hasattr(accounts, "tolist") and not isinstance(accounts, (str, bytes, Mapping)):
        accounts = accounts.tolist()  # a pandas Series / Index (amzv.profiles().name) or a numpy array
    if isinstance(accounts, (str, bytes, bytearray, Mapping, Client)) or not isinstance(accounts, Sequence):
        what = "a Client" if isinstance(accounts, Client) else (
            "a mapping" if isinstance(accounts, Mapping) else f"{type(accounts).__name__} {accounts!r:.60}")
        msg = (f"{parameter}= must be a list of accounts (profile names, Client objects or mappings of Client "
               f"keyword arguments), got {what}; e.g. {parameter}=['acme-us', 'acme-de']")
        raise ConfigurationError(msg, parameter=parameter, value=None if isinstance(accounts, Mapping) else accounts,
                                 allowed="a list of profile names, Clients or mappings")
    items = list(accounts)
    if not items:
        msg = f"{parameter}=[] is empty; list at least one account"
        raise ConfigurationError(msg, parameter=parameter, value=[], allowed="1 or more accounts")
    return items


def _fail(parameter: str, i: int, label: str | None, text: str, *, value: Any = None,
          allowed: Any = None) -> ConfigurationError:
    where = f"{parameter}[{i}]" + (f" ({label!r})" if label else "")
    return ConfigurationError(f"{where}: {text}", parameter=parameter, value=value, allowed=allowed)


def _from_profile(item: str, i: int, parameter: str, known: list[str]) -> tuple[str, dict[str, Any]]:
    if not item.strip():
        raise _fail(parameter, i, None, "'' is no profile name", value=item, allowed=known)
    if item not in known:
        from .._transport.profiles import profiles_path

        close = did_you_mean(item, known)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        text = (f"profile {item!r} is not saved in {profiles_path()} (profiles: {', '.join(known) or 'none'}){hint}; "
                f"create it with amzv.authorize(..., profile={item!r})")
        raise _fail(parameter, i, None, text, value=item, allowed=known)
    return item, {"profile": item}


def _from_mapping(item: Mapping[Any, Any], i: int, parameter: str) -> tuple[str | None, dict[str, Any]]:
    allowed = ("name", *client_keywords())
    unknown = [k for k in item if k not in allowed]
    if unknown:
        bad = unknown[0]
        close = did_you_mean(bad, allowed) if isinstance(bad, str) else []
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        text = (f"unknown key(s) {', '.join(repr(k) for k in unknown)}{hint}; a mapping takes 'name' and the "
                f"Client keyword arguments: {', '.join(allowed[1:])}")
        raise _fail(parameter, i, item.get("name") if isinstance(item.get("name"), str) else None, text,
                    value=unknown, allowed=list(allowed))
    options = {k: v for k, v in item.items() if k != "name" and v is not None}
    name = item.get("name")
    if name is not None and not isinstance(name, str):
        raise _fail(parameter, i, None, f"'name' must be a str, got {type(name).__name__}", value=name,
                    allowed="an account name such as 'acme-de'")
    if isinstance(options.get("credentials"), Mapping):
        from .._transport.lwa import Credentials

        try:  # a Credentials (masked repr) from here on, never the raw mapping
            options["credentials"] = Credentials.coerce(options["credentials"])
        except ConfigurationError as exc:
            raise _fail(parameter, i, name, str(exc), allowed=exc.allowed) from None
    return name, options


def _markets(values: Any, parameter: str) -> list[Marketplace]:
    if values is None:
        return []
    if isinstance(values, (str, Marketplace)):
        values = [values]
    elif hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, (bytes, Mapping)) or not isinstance(values, Sequence):
        msg = f"{parameter}={values!r:.80} must be a country code, a marketplace id or a list of them"
        raise ConfigurationError(msg, parameter=parameter, value=values, allowed="e.g. 'US' or ['US', 'CA']")
    out: list[Marketplace] = []
    for v in values:
        if not isinstance(v, (str, Marketplace)):
            msg = f"{parameter}={values!r:.80} holds {v!r}; list country codes or marketplace ids (e.g. ['US', 'CA'])"
            raise ConfigurationError(msg, parameter=parameter, value=values, allowed="e.g. ['US', 'CA']")
        m = get_marketplace(v)  # UnknownMarketplaceError names marketplace= with the known codes
        if m not in out:
            out.append(m)
    return out


def resolve_accounts(accounts: Any, *, marketplace: Any = None, parameter: str = "accounts",
                     executor: Any = None) -> list[AccountSpec]:
    """Check ``accounts=`` (and ``marketplace=`` for each account) and return one spec per account.

    Parameters
    ----------
    accounts : sequence
        Profile names, ``Client`` objects, or mappings of ``Client`` keyword arguments plus an
        optional ``"name"``; a mapping's ``"marketplace"`` may be a list (that account's
        marketplaces). A pandas Series works (``amzv.profiles().name``).
    marketplace : str or list, optional
        The call's marketplaces, for every account (else each account's own).
    executor : Executor, optional
        Where the accounts will run: a non-thread executor needs specs that can be pickled.

    Raises
    ------
    ConfigurationError
        ``parameter=`` names the bad item: not a list, an empty list, an item that is no profile
        name, Client or mapping, an unknown profile (did-you-mean), a mapping with unknown keys
        or bad Client arguments, a duplicate name, marketplaces of several regions for one
        account (or outside the Client's region), a Client object with a process executor.
    """
    from .._transport.profiles import list_profiles

    items = _items(accounts, parameter)
    call_markets = _markets(marketplace, "marketplace")
    known: list[str] | None = None
    specs: list[AccountSpec] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        client: Client | None = None
        if isinstance(item, Client):
            name, options, source, client = item.name, {}, "client", item
        elif isinstance(item, str):
            if known is None:
                known = list_profiles()
            name, options = _from_profile(item, i, parameter, known)
            source = "profile"
        elif isinstance(item, Mapping):
            name, options = _from_mapping(item, i, parameter)
            source = "mapping"
        else:
            text = (f"{type(item).__name__} {item!r:.60} is not an account; give a profile name (str), a Client, "
                    "or a mapping of Client keyword arguments")
            raise _fail(parameter, i, None, text, value=item, allowed="str, Client or mapping")

        own = _markets(options.get("marketplace"), "marketplace") if client is None else []
        markets = call_markets or own
        label = name or options.get("profile")
        try:
            region = check_one_region(markets, account=label)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{parameter}[{i}]: {exc}", parameter="marketplace", value=exc.value,
                                     allowed=exc.allowed) from None
        if client is None:
            if markets:  # the client's default marketplace (and so its region) is the account's first
                options["marketplace"] = markets[0].marketplace_id
            if name is not None:
                options["name"] = name
            try:
                client = Client(**options)  # no call: checks keywords, reads the profile, resolves the region
            except ConfigurationError as exc:
                raise _fail(parameter, i, label, str(exc), value=exc.value, allowed=exc.allowed) from None
            name = client.name
            options["name"] = name
        if region is not None and client.region != region:
            listed = ", ".join(f"{m.country_code} ({m.region})" for m in markets)
            text = (f"marketplace {listed} is not in this account's region {client.region} "
                    f"(endpoint {client.endpoint}); an account lives in one region")
            raise ConfigurationError(f"{parameter}[{i}] ({name!r}): {text}", parameter="marketplace",
                                     value=[m.country_code for m in markets], allowed=f"marketplaces of {client.region}")
        if name in seen:
            text = (f"duplicate account name {name!r} (also {parameter}[{seen[name]}]); names label the rows, so each "
                    "account needs its own: add a 'name' to a mapping or Client(name=...)")
            raise _fail(parameter, i, None, text, value=name, allowed="distinct names")
        seen[name] = i
        spec = AccountSpec(name, options, marketplaces=[m.marketplace_id for m in markets],
                           region=client.region, source=source, client=client)
        specs.append(spec)
    if executor is not None and not isinstance(check_executor(executor), cf.ThreadPoolExecutor):
        for i, spec in enumerate(specs):
            if not spec.picklable:
                text = ("a Client object cannot be sent to another process's executor; give this account as a "
                        "profile name or a mapping of Client keyword arguments")
                raise _fail(parameter, i, spec.name, text, value=spec.name,
                            allowed="profile names or mappings with a non-thread executor")
    return specs


# --------------------------------------------------------------------------------------------
# running one task per account


def check_executor(executor: Any) -> cf.Executor | None:
    """``executor`` itself if it is a :class:`concurrent.futures.Executor` (or None)."""
    if executor is None or isinstance(executor, cf.Executor):
        return executor
    msg = (f"executor must be a concurrent.futures.Executor (a ThreadPoolExecutor, a ProcessPoolExecutor, "
           f"distributed.Client(...).get_executor()...) or None, got {type(executor).__name__}")
    raise ConfigurationError(msg, parameter="executor", value=type(executor).__name__,
                             allowed="a concurrent.futures.Executor or None")


@dataclass
class _Outcome:
    """What one account's task sends back: its result or its error, and the warnings it raised."""

    result: Any = None
    error: BaseException | None = None
    warnings: list[tuple[str, type]] = field(default_factory=list)


def _call(task: Callable[..., Any], spec: AccountSpec, progress: Any, capture: bool) -> _Outcome:
    """Run ``task`` for one account (top level, so it pickles). In another process the warnings are
    recorded and sent back with the result (they would be lost there); threads share the caller's."""
    if not capture:
        try:
            return _Outcome(result=task(spec, progress))
        except Exception as exc:
            return _Outcome(error=exc)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = _Outcome(result=task(spec, progress))
        except Exception as exc:
            out = _Outcome(error=_portable(exc))
    out.warnings = [(str(w.message), w.category) for w in caught]
    return out


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives a pickle round trip (it goes back to the caller's process), else an
    AmzvError with its type and text (an exception whose ``__init__`` takes other arguments than
    its ``args`` pickles but does not unpickle)."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return AmzvError(f"{type(exc).__name__}: {exc}")


def _check_task(task: Any, specs: Sequence[AccountSpec]) -> None:
    if not callable(task):
        raise ConfigurationError(f"task must be callable, got {type(task).__name__}", parameter="task")
    try:
        pickle.dumps(task)
    except Exception as exc:
        msg = (f"the per-account task {task!r:.80} cannot be pickled for a non-thread executor ({exc}); "
               "use a top-level function (or a functools.partial of one)")
        raise ConfigurationError(msg, parameter="executor") from None
    for spec in specs:
        pickle.dumps(spec)  # a Client-made spec raises a ConfigurationError naming accounts=


def run_accounts(
    task: Callable[[AccountSpec, Any], Any],
    specs: Sequence[AccountSpec],
    *,
    executor: cf.Executor | None = None,
    on_account_error: str = "raise",
    progress: SharedProgress | None = None,
    max_workers: int | None = None,
) -> dict[str, Any]:
    """Run ``task(spec, progress)`` once per account, concurrently; ``{name: result}`` in the specs' order.

    Parameters
    ----------
    task : callable
        ``task(spec, progress)``: a top-level function (or a ``functools.partial`` of one) when
        ``executor`` is not a thread pool, so it pickles. ``progress`` is the account's part
        of the shared bar in threads, ``None`` in another process.
    specs : list of AccountSpec
    executor : concurrent.futures.Executor, optional
        Default: a thread pool of at most :data:`MAX_ACCOUNT_WORKERS` threads, made and shut
        down here. Any other executor is used as given (and left open): a
        ``ProcessPoolExecutor``, or ``distributed.Client(cluster).get_executor()``.
    on_account_error : {"raise", "warn"}, default "raise"
        A failing account: ``"raise"`` waits for the others, then raises :class:`AccountError`
        naming it and carrying the others' results (``.results``, ``.frames``); ``"warn"``
        issues an :class:`AccountErrorWarning` naming it and its error, and leaves it out.
    progress : SharedProgress, optional
        The call's one bar; each account gets ``progress.part(name)`` (threads only). An
        account's finished work is counted once its task returns.

    Raises
    ------
    ConfigurationError
        Before anything runs: ``executor`` is not an Executor, ``on_account_error`` is not
        allowed, or the task or a spec cannot be pickled for a non-thread executor.
    AccountError
        With ``on_account_error="raise"``, for the first failing account (in the specs' order).
    """
    executor = check_executor(executor)
    on_account_error = check_choice(on_account_error, "on_account_error", ON_ACCOUNT_ERROR)
    in_threads = executor is None or isinstance(executor, cf.ThreadPoolExecutor)
    if not in_threads:
        _check_task(task, specs)
    own = executor is None
    if own:
        workers = max(1, min(max_workers or MAX_ACCOUNT_WORKERS, len(specs)))
        executor = cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="amzv-account")
    assert executor is not None
    futures: dict[cf.Future[_Outcome], AccountSpec] = {}
    outcomes: dict[str, _Outcome] = {}
    try:
        for spec in specs:
            part = progress.part(spec.name) if (progress is not None and in_threads) else None
            futures[executor.submit(_call, task, spec, part, not in_threads)] = spec
        for fut in cf.as_completed(futures):
            spec = futures[fut]
            try:
                outcome = fut.result()
            except Exception as exc:  # the executor itself failed (a worker died, a pickling error...)
                outcome = _Outcome(error=exc)
            outcomes[spec.name] = outcome
            if progress is not None:
                progress.account_done(spec.name, _windows_of(outcome.result))
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    finally:
        if own:
            executor.shutdown(wait=False, cancel_futures=True)
    for spec in specs:  # warnings recorded in other processes, re-issued here in the caller's thread
        for message, category in outcomes[spec.name].warnings:
            warnings.warn(message, category, stacklevel=3)
    results = {s.name: outcomes[s.name].result for s in specs if outcomes[s.name].error is None}
    failed = [(s, outcomes[s.name].error) for s in specs if outcomes[s.name].error is not None]
    if not failed:
        return results
    if on_account_error == "warn":
        for spec, error in failed:
            warnings.warn(AccountErrorWarning.for_account(spec.name, error), stacklevel=3)
        return results
    spec, error = failed[0]
    others = [s.name for s, _ in failed[1:]]
    raise AccountError.for_account(spec.name, error, results=results,
                                   errors={s.name: e for s, e in failed}, also_failed=others) from error


def _windows_of(result: Any) -> int | None:
    """How many request windows a read's frame came from (its ``attrs``), if it says."""
    meta = getattr(result, "attrs", {}).get("amzv") if hasattr(result, "attrs") else None
    windows = meta.get("windows") if isinstance(meta, dict) else None
    return len(windows) if isinstance(windows, list) else None


# --------------------------------------------------------------------------------------------
# joining


def concat_accounts(frames: Mapping[str, "pd.DataFrame"], *, column: str = ACCOUNT_COLUMN,
                    pyarrow: bool = False) -> "pd.DataFrame":
    """One frame: each account's rows in the accounts' order, with ``column`` (the name) first.

    ``attrs["amzv"]`` holds ``accounts`` (the names) and ``per_account`` (each frame's own attrs).
    ``pyarrow`` makes the column an Arrow string (as ``dtype_backend="pyarrow"`` frames are).
    """
    import pandas as pd

    dtype: Any = "string"
    if pyarrow:
        import pyarrow as pa

        dtype = pd.ArrowDtype(pa.string())

    parts = []
    for name, frame in frames.items():
        part = frame.copy(deep=False)
        if column in part.columns:
            part = part.drop(columns=[column])
        part.insert(0, column, pd.Series([name] * len(part), index=part.index, dtype=dtype))
        part.attrs = {}
        parts.append(part)
    if not parts:
        out = pd.DataFrame({column: pd.Series([], dtype=dtype)})
    else:
        nonempty = [p for p in parts if len(p)] or parts[:1]
        out = pd.concat(nonempty, ignore_index=True, sort=False) if len(nonempty) > 1 else nonempty[0].reset_index(drop=True)
    out.attrs["amzv"] = {"accounts": list(frames), "per_account": {n: f.attrs.get("amzv") for n, f in frames.items()}}
    return out


# --------------------------------------------------------------------------------------------
# profiles


def profiles() -> "pd.DataFrame":
    """The saved profiles: one row per account (``name``, ``marketplace``, ``region``, ``endpoint``).

    Never a secret. ``amzv.read_report(..., accounts=amzv.profiles().name)`` reads every one.
    """
    import pandas as pd

    from .._transport.profiles import profile_summaries

    rows = []
    for row in profile_summaries():
        market = None
        if row.get("marketplace"):
            try:
                market = get_marketplace(row["marketplace"])
            except ConfigurationError:
                market = None
        region = row.get("region") or (market.region if market else None) or "NA"
        endpoint = row.get("endpoint") or (REGIONS[region].endpoint if region in REGIONS else None)
        rows.append({"name": row["name"], "marketplace": market.country_code if market else row.get("marketplace"),
                     "region": region, "endpoint": endpoint})
    frame = pd.DataFrame(rows, columns=["name", "marketplace", "region", "endpoint"])
    return frame.astype({c: "string" for c in frame.columns})
