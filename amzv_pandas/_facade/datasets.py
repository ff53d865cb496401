"""``amzv.sync``, ``amzv.sync_vendor_analytics`` and ``amzv.read_synced``: one synced dataset for many accounts.

:func:`sync` and :func:`sync_vendor_analytics` are the domain functions
(:func:`amzv_pandas._sync.sync.sync`, :func:`amzv_pandas._sync.vendor_analytics.sync_vendor_analytics`)
for one account (the default client or ``client=``). For ``accounts=`` the domain checks the call
once into a plan (``plan_sync``: a :class:`~amzv_pandas._sync.sync.SyncPlan` for a report type, a
:class:`~amzv_pandas._sync.vendor_analytics.VendorAnalyticsPlan` for ``"vendor_analytics:<view>"``;
both have the same interface), then :func:`_sync_accounts` checks every account against it
(``check_account``) and prepares the dataset once here (a single-account dataset is moved under
its account's name) before any call, and runs one task per account with
:func:`~amzv_pandas._facade.accounts.run_accounts`: in a thread pool, or in any ``executor`` (a
Dask cluster's). A task carries the picklable plan and the account's spec (a profile name or
``Client`` keywords, rebuilt on the worker), never a ``Client``; each account's work runs in its
task, so its quotas hold.
"""

from __future__ import annotations

import functools
import inspect
from pathlib import Path
from typing import Any

from ..exceptions import ConfigurationError

__all__ = ["sync", "sync_vendor_analytics", "read_synced"]


#: The account parameters of both functions' docstrings (inserted before ``client``).
_ACCOUNTS_DOC = """
    accounts : list, optional
        Many accounts into the one dataset: profile names, ``Client`` objects, or mappings of
        ``Client`` keyword arguments plus an optional ``"name"`` (the ``account`` partition;
        letters, digits, ``.``, ``_``, ``-``). Every item is checked before any call. The accounts
        run concurrently (each account's marketplaces in its own task, so its quotas hold), each
        account × marketplace with its own state, history and lock. Not together with ``client``.
    on_account_error : {"raise", "warn"}, default "raise"
        With ``accounts``: ``"raise"`` raises :class:`~amzv_pandas.exceptions.AccountError` naming the
        failing account once the others finished (its ``.results`` hold their SyncResults);
        ``"warn"`` issues an :class:`~amzv_pandas.exceptions.AccountErrorWarning` and returns the others'.
    executor : concurrent.futures.Executor, optional
        With ``accounts``: where each account's sync runs (default: a thread pool here), e.g.
        ``distributed.Client(cluster).get_executor()``. Accounts given as profile names or
        mappings are rebuilt on the worker; ``path`` must be a folder every worker can reach.
"""


def _sync_task(plan: Any, spec: Any, progress: Any) -> Any:
    """One account's sync, where the executor runs it (top level: it pickles)."""
    client = spec.build_client()
    # The account's own marketplaces (a mapping's "marketplace" list) when the call names none.
    return plan.with_marketplaces(spec.marketplaces).run_account(client, spec.name, bar=progress, legacy_owner=None)


def _legacy_owner(root: Path, specs: list[Any]) -> str:
    """Who a single-account dataset's rows belong to: the account that wrote it, else the first."""
    from .._sync.store import META_DIR, load_state

    state = None
    try:
        state = load_state(root / META_DIR)
    except Exception:  # unreadable: prepare_dataset says so
        state = None
    key = (state or {}).get("account")
    for spec in specs:
        if key is not None and spec.build_client().account_key == key:
            return spec.name
    return specs[0].name


def _check_keywords(accounts: Any, client: Any, on_account_error: Any, executor: Any) -> None:
    from .._util.checks import check_choice
    from .accounts import ON_ACCOUNT_ERROR, check_executor

    check_choice(on_account_error, "on_account_error", ON_ACCOUNT_ERROR)
    check_executor(executor)
    if accounts is None and executor is not None:
        msg = "executor= runs the per-account work of accounts=; without accounts= there is nothing to run on it"
        raise ConfigurationError(msg, parameter="executor", allowed="executor= together with accounts=")
    if accounts is not None and client is not None:
        msg = "give accounts= or client=, not both (a Client may be an item of accounts=, e.g. accounts=[client, 'b'])"
        raise ConfigurationError(msg, parameter="accounts", allowed="accounts= or client=")


def _sync_accounts(plan: Any, accounts: Any, *, marketplace: Any, progress_bar_type: Any, on_account_error: str,
                   executor: Any) -> Any:
    """Any source's checked ``plan`` (a ``SyncPlan`` or a ``VendorAnalyticsPlan``: the same interface) once
    per account: every account checked and the dataset prepared before any call, one task per account."""
    from .._sync.layout import prepare_dataset
    from .._sync.sync import combine_results
    from .._util.progress import SharedProgress
    from .accounts import resolve_accounts, run_accounts

    specs = resolve_accounts(accounts, marketplace=marketplace, executor=executor)
    for spec in specs:  # everything an account's task would refuse, refused here, before any call
        plan.with_marketplaces(spec.marketplaces).check_account(spec.build_client(), spec.name)
    root = Path(plan.root)
    prepare_dataset(root, plan.identity, _legacy_owner(root, specs))
    shared = SharedProgress(progress_bar_type, desc=f"sync {plan.report_type}")
    try:
        results = run_accounts(functools.partial(_sync_task, plan), specs, executor=executor,
                               on_account_error=on_account_error, progress=shared)
    finally:
        shared.close()
    return combine_results(list(results.values()), path=str(root))


def sync(report_type: str, path: Any, *, start: Any, end: Any = "yesterday", marketplace: Any = None,
         report_options: Any = None, budget: Any = None, progress_bar_type: Any = "auto", client: Any = None,
         today: Any = None, allow_unknown: bool = False, accounts: Any = None, on_account_error: str = "raise",
         executor: Any = None, **source_options: Any) -> Any:
    from .._sync import sync as domain
    from .._util.progress import validate_progress_bar_type

    _check_keywords(accounts, client, on_account_error, executor)
    if accounts is None:
        from .api import _client_for_call

        return domain.sync(report_type, path, start=start, end=end, marketplace=marketplace,
                           report_options=report_options, budget=budget, progress_bar_type=progress_bar_type,
                           client=_client_for_call(client), today=today, allow_unknown=allow_unknown,
                           **source_options)
    validate_progress_bar_type(progress_bar_type)
    plan = domain.plan_sync(report_type, path, start=start, end=end, marketplace=marketplace,
                            report_options=report_options, budget=budget, today=today, allow_unknown=allow_unknown,
                            **source_options)
    return _sync_accounts(plan, accounts, marketplace=marketplace, progress_bar_type=progress_bar_type,
                          on_account_error=on_account_error, executor=executor)


def sync_vendor_analytics(path: Any, *, start: Any, end: Any = "yesterday", view: str = "manufacturing",
                          aggregate_by: str = "DAY", metrics: Any = None, group_by: Any = ("asin",),
                          totals: bool = False, currency: Any = None, marketplace: Any = None, budget: Any = None,
                          progress_bar_type: Any = "auto", client: Any = None, today: Any = None,
                          accounts: Any = None, on_account_error: str = "raise", executor: Any = None) -> Any:
    from .._sync import vendor_analytics as domain
    from .._util.progress import validate_progress_bar_type

    _check_keywords(accounts, client, on_account_error, executor)
    query = dict(view=view, aggregate_by=aggregate_by, metrics=metrics, group_by=group_by, totals=totals,
                 currency=currency)
    if accounts is None:
        from .api import _client_for_call

        return domain.sync_vendor_analytics(path, start=start, end=end, marketplace=marketplace, budget=budget,
                                            progress_bar_type=progress_bar_type, client=_client_for_call(client),
                                            today=today, **query)
    validate_progress_bar_type(progress_bar_type)
    plan = domain.plan_vendor_analytics(path, start=start, end=end, marketplace=marketplace, budget=budget,
                                        today=today, **query)
    return _sync_accounts(plan, accounts, marketplace=marketplace, progress_bar_type=progress_bar_type,
                          on_account_error=on_account_error, executor=executor)


def read_synced(path: Any, start: Any = None, end: Any = None, *, accounts: Any = None, marketplace: Any = None,
                today: Any = None, dtype_backend: str | None = None) -> Any:
    from .._sync.dataset import read_synced as domain_read

    if accounts is not None:
        from .client import Client

        items = [accounts] if isinstance(accounts, (str, Client)) else accounts
        if hasattr(items, "tolist"):
            items = items.tolist()  # amzv.profiles().name
        if isinstance(items, (list, tuple)):
            accounts = [a.name if isinstance(a, Client) else a.get("name") if isinstance(a, dict) else a
                        for a in items]
    return domain_read(path, start, end, accounts=accounts, marketplace=marketplace, today=today,
                       dtype_backend=dtype_backend)


def _docs() -> None:
    """The domain functions' documentation, with the many-account parameters of :func:`sync` and
    :func:`sync_vendor_analytics`."""
    from .._sync import dataset, sync as domain, vendor_analytics

    for public, wrapped in ((sync, domain.sync), (sync_vendor_analytics, vendor_analytics.sync_vendor_analytics)):
        _document(public, wrapped)
    read_synced.__doc__ = dataset.read_synced.__doc__
    read_synced.__signature__ = inspect.signature(dataset.read_synced)  # type: ignore[attr-defined]
    read_synced.__wrapped__ = dataset.read_synced  # type: ignore[attr-defined]


def _document(public: Any, wrapped: Any) -> None:
    """``public`` shown as ``wrapped``: its docstring with the account parameters before ``client``'s,
    its parameters with ``client`` optional and the account keywords added (``**source_options`` last)."""
    doc = wrapped.__doc__ or ""
    marker = "\n    client : "
    at = doc.find(marker)
    public.__doc__ = doc[:at + 1] + _ACCOUNTS_DOC.lstrip("\n") + doc[at + 1:] if at >= 0 else doc
    sig = inspect.signature(wrapped)
    params = [p.replace(default=None, annotation="Client | None") if p.name == "client" else p
              for p in sig.parameters.values()]
    variadic = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
    params = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
    params += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a) for n, d, a in (
        ("accounts", None, "Sequence[Any] | None"), ("on_account_error", "raise", "str"),
        ("executor", None, "Executor | None"))] + variadic
    public.__signature__ = sig.replace(parameters=params)
    public.__wrapped__ = wrapped


_docs()
