"""Resumable, append-only sync of a date-ranged report into a Parquet dataset.

This is the connector's "Append mode with historical backfill" (its FAQ, *How
should I configure the Orders or Order Items report?*) as a library call::

    >>> result = amzv.sync("GET_VENDOR_SALES_REPORT", "sales/", start="2023-01-01",
    ...                    marketplace="US", budget="23h")            # doctest: +SKIP
    >>> amzv.read_synced("sales/", start="2024-01-01")                # doctest: +SKIP
    >>> amzv.sync_history("sales/")                                   # doctest: +SKIP

Many accounts and marketplaces, one dataset
-------------------------------------------
``marketplace=["US", "CA"]`` and (through the facade, :mod:`amzv_pandas._facade.datasets`)
``accounts=[...]`` fill one dataset (layout: :mod:`amzv_pandas._sync.layout`). Each account ×
marketplace is a *pair* run by :func:`_sync_pair` exactly as a one-marketplace sync always ran
(everything below holds per pair, with the pair's own state, history and lock);
:func:`sync_account` runs an account's marketplaces at once on threads, sharing its client's
rate limiters, and the facade runs accounts at once (each account's work in one task, so its
quota stays in one process). :func:`plan_sync` checks what every account shares before any call.

Each run
--------
1. fetches the newest missing days up to ``end`` first (the "current day's data");
2. then walks back from the newest day still missing towards ``start``, newest
   first: holes left by failed or missed runs come before older history because
   they are newer;
3. stops when nothing is missing or the ``budget`` is spent, and remembers where
   it is (the next run plans again from the dataset and the state, so nothing is
   assumed about earlier runs).

Windows in flight, commits in order
-----------------------------------
Up to :data:`MAX_IN_FLIGHT` windows are fetched at once (``createReport`` → poll →
download, on worker threads; the client paces ``createReport`` itself), but every
window is *committed* - its partitions written, then the state saved - on the
calling thread, one at a time, in the planned (newest first) order, as soon as it
and every window planned before it have been fetched. A window holds its slot
until it is committed, so at most ``MAX_IN_FLIGHT`` fetched frames are in memory.
The disk therefore sees exactly the sequence a one-window-at-a-time run writes,
and the crash-safety rules below are unchanged; a killed run only loses the
fetches not yet committed, which the next run plans again.

* **Budget**: checked before each window is started; once it is spent no new
  window starts. Windows already in flight (at most ``MAX_IN_FLIGHT - 1`` beyond
  the one being committed, all running side by side) are still awaited and
  committed in order, because their ``createReport`` quota is already spent: a
  run overruns its budget by about one window's duration, as it did sequentially.
* **FATAL with category "options"**: recorded, then the run stops in planned
  order: windows planned after it are never committed (their fetches, already
  in flight, are awaited - they fail the same way - and dropped), and nothing
  new starts. Earlier windows were committed first.
* **Other FATALs / timeouts**: recorded per day when their turn to commit comes;
  the run goes on. Any other error (network, auth, Ctrl-C) surfaces when its
  window's turn comes (or at once for Ctrl-C); windows not yet committed are
  abandoned without waiting for their threads.

Window size: the largest the report type allows
-----------------------------------------------
``createReport`` and ``getReportDocument`` are each metered at 0.0167 req/s
(one a minute) with a burst of 15. A window costs one of each (a CANCELLED one
only the first), whatever its length, so the quota - not processing - sets the
pace of a long backfill. :func:`~amzv_pandas._sync.planning.quota_seconds` replays the schedule on the
library's own token bucket (:class:`amzv_pandas._transport.ratelimit.TokenBucket`, same
padding as the client) with a simulated clock. For one year (365 days) of a
vendor DAY report:

===================  =======  ==========================================
window               windows  time the quota needs (createReport)
===================  =======  ==========================================
1 day                365      15 in the burst + 350 at 1/min = 356 min
15 days (the max)    25       15 in the burst + 10 at 1/min  =  10.2 min
===================  =======  ==========================================

Measured end to end on the built-in sandbox (``speed=500`` scales the quota,
0.2 s processing per report, ``GET_VENDOR_TRAFFIC_REPORT`` 2025-09-01 →
2026-08-31, window size forced): 25 windows took 4.9 s of wall time, 365 windows
46.5 s. The 15-day window finishes a year about 35x sooner by the quota (9.5x on
the sandbox, where polling and downloads weigh more), so a sync always uses the
largest window the report type allows (``ReportType.window_shape``: 15 days for
``reportPeriod=DAY``, 7 weeks for WEEK...). A FATAL window then costs up to 15
days of retry on the next run instead of one, which is cheap next to 5.8 hours.
``tests/unit/sync/test_sync.py::test_window_measurement`` keeps these numbers honest. The command line
(``amzv sync``) is :func:`amzv_pandas._frontends.cli.sync_main`.

Publication lag: not fetched until final
----------------------------------------
A day is fetched only once it is final: its end plus the report type's
publication lag (72 h for the retail analytics reports) has passed. Days are the
marketplace's calendar days (its time zone), as Amazon counts them. Earlier,
Amazon answers FATAL or with partial numbers that a sync would never revisit.
Such days are counted in :attr:`SyncResult.days_pending`, not in
``days_remaining``.

Failures
--------
A FATAL window is recorded per day in the state with Amazon's reason and is
retried on later runs; the run goes on with the next window. A FATAL whose
category is ``"options"`` cannot succeed on any day, so the run records it and
then raises the :class:`~amzv_pandas.exceptions.ReportFatalError`. Other errors
(network, auth) end the run after the history record is written.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import copy
import dataclasses
import datetime as _dt
import os
import socket
import threading
import time
import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping
from zoneinfo import ZoneInfo

import pandas as pd

from .._specs.dates import DateLike, DateRange, iter_days, last_final_day, resolve_today
from .._util.time import iso_utc, utc_now
from ..exceptions import ConfigurationError, ReportCancelledError, ReportFatalError, ReportTimeout
from .dataset import existing_partitions, read_synced, reconcile, write_window
from .history import sync_history
from .layout import account_name
from .lock import SyncLock
from .planning import parse_budget, plan_windows, target_units
from .result import SyncResult
from .store import (STATE_VERSION, append_history, check_identity, checkpoint, clear_tmp, end_record,
                    identity_key, load_state, save_state)

if TYPE_CHECKING:
    from .._transport.http import Transport

# read_synced (dataset.py), sync_history (history.py) and SyncResult (result.py) are re-exported here,
# the module the public names have always come from.
__all__ = ["sync", "read_synced", "sync_history", "SyncResult", "SyncPlan", "plan_sync", "sync_account",
           "account_name", "combine_results"]


#: The clock of the budget (a seam: tests make windows "take" minutes without waiting).
_monotonic: Callable[[], float] = time.monotonic

#: The wall clock of a run: its start/end stamps and, without ``today=``, the "now" of the
#: publication lag (a seam: tests fix it).
_utcnow: Callable[[], _dt.datetime] = utc_now

#: Writes a fetched window's partitions (a seam: tests record the commit order).
_write_window = write_window

#: Windows fetched at once (see "Windows in flight, commits in order"). A window spends
#: nearly all of its time waiting - on Amazon's processing, the polls and the quota - not
#: working, so overlapping windows hides that wait and the previous window's fsync'd
#: writes (measured: one window at a time ran 1.35x the quota's lower bound on a busy
#: machine). 4 is what read_report overlaps (``_report_run.MAX_WORKERS``), sits well inside
#: createReport's burst of 15, and bounds memory to 4 frames; more would not speed a long
#: backfill, whose pace the quota (one createReport a minute after the burst) sets.
#: Read at each call (tests set it).
MAX_IN_FLIGHT = 4


# --------------------------------------------------------------------------- #
# Fetching (the seam tests replace)
# --------------------------------------------------------------------------- #


#: First pause between status polls (None: read_report's default, ``AMZV_POLL_INTERVAL`` else 5 s).
#: A seam for tests; ``amzv sync --sandbox`` sets ``AMZV_POLL_INTERVAL`` instead.
_poll_interval: float | None = None


def _fetch_window(report_type: str, start: _dt.date, end: _dt.date, *, marketplace: str,
                  report_options: Mapping[str, str], client: Any, allow_unknown: bool = False) -> pd.DataFrame:
    """One report for ``start`` → ``end``; raises ReportCancelledError for CANCELLED.

    The dataset is the sync's store, so the report cache is not used (no second copy).
    """
    from .._reports.api import read_report

    return read_report(report_type, start, end, marketplace=marketplace, report_options=dict(report_options),
                       cache=False, progress_bar_type=None, on_cancelled="raise", poll_interval=_poll_interval,
                       allow_unknown=allow_unknown, client=client)


# --------------------------------------------------------------------------- #
# sync
# --------------------------------------------------------------------------- #
# --------------------------------------------------------------------------- #


class _Stopped(Exception):
    """Another marketplace's run of the same call stopped (Ctrl-C, an error): this one stops too."""


@dataclasses.dataclass(frozen=True)
class SyncPlan:
    """A sync's checked arguments, the same for every account (picklable: no client, no secret)."""

    report_type: str
    known: bool
    root: str
    options: dict[str, str]
    start: Any
    end: Any
    marketplace: Any
    budget_s: float | None
    today: Any

    @property
    def identity(self) -> dict[str, Any]:
        """What ``dataset.json`` records: one dataset holds one of these."""
        return {"report_type": self.report_type, "report_options": dict(self.options)}

    # The interface every source's plan has (:class:`~amzv_pandas._sync.vendor_analytics.VendorAnalyticsPlan`
    # too), so the facade runs any of them the same way.

    def with_marketplaces(self, marketplaces: Any) -> "SyncPlan":
        """This plan for an account whose own marketplaces are ``marketplaces`` (empty: unchanged)."""
        return dataclasses.replace(self, marketplace=list(marketplaces)) if marketplaces else self

    def check_account(self, client: Any, account: str) -> None:
        """Everything one account's run would refuse before its first call."""
        from .._util.checks import check_writable_dir
        from .layout import check_account_name

        check_account_name(account)
        _resolve_markets(client, self.marketplace)
        # read_report writes its in-flight index there (even with cache=False).
        check_writable_dir(client.cache_dir, "cache_dir")

    def run_account(self, client: Any, account: str, *, progress_bar_type: Any = None,
                    legacy_owner: str | None = None, bar: Any = None) -> SyncResult:
        """One account's run: :func:`sync_account`."""
        return sync_account(self, client, account, progress_bar_type=progress_bar_type,
                            legacy_owner=legacy_owner, bar=bar)


def plan_sync(report_type: str, path: str | os.PathLike[str], *, start: DateLike, end: DateLike = "yesterday",
              marketplace: Any = None, report_options: Mapping[str, Any] | None = None,
              budget: _dt.timedelta | float | str | None = None, today: DateLike | None = None,
              allow_unknown: bool = False, **source_options: Any) -> Any:
    """Check what every account's sync shares, before any call (see :func:`sync` for the parameters).

    A :class:`SyncPlan`, or for ``"vendor_analytics[:<view>]"`` a
    :class:`~amzv_pandas._sync.vendor_analytics.VendorAnalyticsPlan` (which takes ``source_options``):
    both are picklable and have ``root``, ``report_type``, ``identity``, ``with_marketplaces``,
    ``check_account`` and ``run_account``.
    """
    from .sources import source_view

    if source_view(report_type) is not None:  # Data Kiosk Vendor Analytics (issue 14)
        from .vendor_analytics import plan_source

        return plan_source(report_type, path, start=start, end=end, marketplace=marketplace,
                           report_options=report_options, budget=budget, today=today, allow_unknown=allow_unknown,
                           **source_options)
    if source_options:
        raise TypeError(f"sync() got unexpected keyword argument(s) {', '.join(sorted(source_options))} for "
                        f"report type {report_type!r} (metrics, group_by... are for 'vendor_analytics:<view>')")
    from .._specs.marketplaces import Marketplace, resolve_marketplaces
    from .._specs.registry import resolve_report_type
    from .._util.checks import check_bool, check_mapping_of_str, check_writable_dir

    allow_unknown = check_bool(allow_unknown, "allow_unknown")
    rt = resolve_report_type(report_type, allow_unknown=allow_unknown)
    root = check_writable_dir(path, "path")
    limit = parse_budget(budget)
    if rt.date_range not in ("day", "datetime"):
        msg = (f"{rt.name} has no day-by-day date range (date_range={rt.date_range!r}); sync needs a report "
               "whose rows belong to days, such as GET_VENDOR_SALES_REPORT")
        raise ConfigurationError(msg, parameter="report_type", value=rt.name)
    options = rt.validate_options(check_mapping_of_str(report_options, "report_options",
                                                       allowed_keys=rt.option_names))
    if marketplace is not None and not isinstance(marketplace, (str, Marketplace)):
        if isinstance(marketplace, Mapping) or not hasattr(marketplace, "__iter__"):
            msg = f"marketplace={marketplace!r:.80}: give a country code or marketplace id, or a list of them"
            raise ConfigurationError(msg, parameter="marketplace", value=marketplace,
                                     allowed="a marketplace or a list of marketplaces")
        marketplace = [m.marketplace_id for m in resolve_marketplaces(list(marketplace), limit=None)]
    elif marketplace is not None:
        resolve_marketplaces(marketplace, limit=None)  # an unknown one is refused here, before any call
    DateRange.parse(start, end)  # a malformed date is refused before any call (each account resolves it)
    return SyncPlan(report_type=rt.name, known=rt.known, root=str(root), options=dict(options), start=start,
                    end=end, marketplace=marketplace, budget_s=limit.total_seconds() if limit else None,
                    today=today)


def sync(
    report_type: str,
    path: str | os.PathLike[str],
    *,
    start: DateLike,
    end: DateLike = "yesterday",
    marketplace: str | Any = None,
    report_options: Mapping[str, Any] | None = None,
    budget: _dt.timedelta | float | str | None = None,
    progress_bar_type: Any = "auto",
    client: "Transport",
    today: DateLike | None = None,
    allow_unknown: bool = False,
    **source_options: Any,
) -> SyncResult:
    """Bring a Parquet dataset of ``report_type`` up to date, newest days first.

    Parameters
    ----------
    report_type : str
        A date-ranged report type, e.g. ``"GET_VENDOR_SALES_REPORT"``; one the registry does
        not know is refused unless ``allow_unknown=True``. ``"vendor_analytics:manufacturing"``
        (or ``":sourcing"``) syncs Data Kiosk Vendor Analytics: the call is then
        :func:`~amzv_pandas.sync_vendor_analytics`, which takes ``source_options``.
    path : str or path-like
        Dataset directory (created if missing), Hive-partitioned by ``account``,
        ``marketplace_id`` and ``day``
        (``account=acme-de/marketplace_id=A1PA6795UKMFR9/day=2026-11-01/part-0.parquet``);
        its ``_amzv_sync`` folder holds each account × marketplace's state, history and lock.
        One dataset holds one report type and options, for any accounts and marketplaces.
        Checked before any call: it must be (or be creatable as) a writable directory, as must
        the client's ``cache_dir`` (the in-flight index of the reports). A dataset written by
        the single-account layout (``marketplace_id=.../day=...`` at the top) is moved under
        the account's name first.
    start : DateLike
        Oldest day of the historical backfill (``"2024-01-01"``, ``"today-365"``...).
    end : DateLike, default "yesterday"
        Newest day; relative values follow the calendar from run to run.
    marketplace : str or list of str, optional
        Country code or marketplace id, or a list of them (one region); default: the
        client's. Each marketplace is synced on its own (its own state, lock and history),
        all at once within the account's quota.
    report_options : mapping, optional
        ``reportOptions``; defaults are filled in (``reportPeriod=DAY``...).
    budget : timedelta, seconds or str, optional
        Stop starting new windows once this much time has passed (``"23h"``);
        ``None`` runs until nothing is missing.
    progress_bar_type : {"auto", "tqdm", "tqdm_notebook", None}, default "auto"
        One bar over the windows of every marketplace.
    client : Client
        The account to read with (the public ``amzv.sync`` defaults it to
        :func:`amzv_pandas.get_default_client`); its rows are filed under its ``name``.
    today : DateLike, optional
        The date "today" means (default: today in the marketplace's time zone,
        the vendor's reporting day); also the clock of the publication lag
        (midnight of that day).
    allow_unknown : bool, default False
        Sync a report type the registry does not list (see :func:`~amzv_pandas.read_report`).
    **source_options
        Only with ``"vendor_analytics[:<view>]"``: ``view``, ``aggregate_by``, ``metrics``,
        ``group_by``, ``totals``, ``currency`` of :func:`~amzv_pandas.sync_vendor_analytics`.

    Returns
    -------
    SyncResult
        For several marketplaces, their totals, with one result per marketplace in ``pairs``.

    Raises
    ------
    SyncError
        Another sync runs on the same account and marketplace of ``path``, or ``path`` holds a
        different report type or options.
    ReportFatalError
        A window failed because the options are wrong (category ``"options"``);
        it is recorded in the state and history first.
    ConfigurationError
        Bad arguments, or a report type without a date range, before any call:
        :class:`~amzv_pandas.exceptions.UnknownReportTypeError` for a name not in the
        registry, :class:`~amzv_pandas.exceptions.CachePathError` for a ``path`` (or
        ``cache_dir``) that is a file, not writable, or has a NUL or over-long component.

    See Also
    --------
    read_synced : the dataset as one frame.
    sync_history : one row per run.
    """
    from .._util.progress import validate_progress_bar_type

    validate_progress_bar_type(progress_bar_type)
    plan = plan_sync(report_type, path, start=start, end=end, marketplace=marketplace,
                     report_options=report_options, budget=budget, today=today, allow_unknown=allow_unknown,
                     **source_options)
    name = account_name(client)
    return plan.run_account(client, name, progress_bar_type=progress_bar_type, legacy_owner=name)


def sync_account(plan: SyncPlan, client: Any, account: str, *, progress_bar_type: Any = None,
                 legacy_owner: str | None = None, bar: Any = None,
                 stop: threading.Event | None = None) -> SyncResult:
    """One account's share of a sync: each of its marketplaces at once (threads), within its quota.

    ``legacy_owner``: the account a single-account dataset's rows are given to (``None``: such a
    dataset is refused, for a worker that must not decide). ``bar``: this account's part of a
    shared bar (:class:`~amzv_pandas._util.progress.SharedProgress`); without one, a bar of
    ``progress_bar_type`` is made and closed here.
    """
    from .._util.progress import SharedProgress
    from .layout import prepare_dataset

    t0 = _monotonic()
    plan.check_account(client, account)
    markets = _resolve_markets(client, plan.marketplace)
    root = Path(plan.root)
    prepare_dataset(root, plan.identity, legacy_owner)
    shared = SharedProgress(progress_bar_type, desc=f"sync {plan.report_type}") if bar is None else None
    if shared is not None:
        bar = shared.part(account)
    stop = stop or threading.Event()

    def part(mp: Any) -> Any:
        return bar.part(mp.country_code) if hasattr(bar, "part") else bar

    try:
        if len(markets) == 1:
            return _sync_pair(plan, client, account, markets[0], t0=t0, bar=part(markets[0]), stop=stop)
        results: list[SyncResult] = []
        errors: list[BaseException] = []
        with cf.ThreadPoolExecutor(max_workers=len(markets), thread_name_prefix="amzv-sync-mp") as pool:
            futures = [pool.submit(_sync_pair, plan, _counting_view(client), account, mp, t0=t0, bar=part(mp),
                                   stop=stop) for mp in markets]
            try:
                for future in futures:
                    try:
                        results.append(future.result())
                    except _Stopped:
                        pass
                    except Exception as exc:  # the others go on; the first error is raised once all end
                        errors.append(exc)
            except BaseException:
                stop.set()  # Ctrl-C: every marketplace stops at its next window
                raise
        if errors:
            raise errors[0]
        return combine_results(results, path=str(root))
    finally:
        if shared is not None:
            shared.close()


def _counting_view(client: Any) -> Any:
    """``client`` with its own call counter, for one marketplace's run (its history counts its calls).

    A shallow copy: the session, tokens and rate limiters are the same objects, so the
    marketplaces of an account still share its quotas; only ``calls`` is the run's own. Calls
    counted here are added to ``client.calls`` when the run ends (see :func:`_sync_pair`).
    """
    if not isinstance(getattr(client, "calls", None), collections.Counter):
        return client
    view = copy.copy(client)
    view.calls = collections.Counter()
    view._calls_lock = threading.Lock()
    view._counted_for = client
    return view


def _resolve_markets(client: Any, marketplace: Any) -> list[Any]:
    if marketplace is None or isinstance(marketplace, str) and "," not in marketplace:
        return [client.resolve_marketplace(marketplace)]
    items = marketplace.split(",") if isinstance(marketplace, str) else list(marketplace)
    markets: list[Any] = []
    for item in items:
        mp = client.resolve_marketplace(item.strip() if isinstance(item, str) else item)
        if mp not in markets:
            markets.append(mp)
    return markets


def combine_results(results: list[SyncResult], *, path: str) -> SyncResult:
    """One SyncResult for several account × marketplace runs: totals, the worst status, ``pairs``."""
    results = [p for r in results for p in (r.pairs or [r])]
    if len(results) == 1:
        return results[0]
    statuses = [r.status for r in results]
    status = next((s for s in ("failed", "partial") if s in statuses), "complete")
    calls: collections.Counter[str] = collections.Counter()
    for r in results:
        calls.update(r.calls)
    accounts = sorted({r.account for r in results if r.account})
    return SyncResult(
        path=path, report_type=results[0].report_type if results else "",
        marketplace_id=", ".join(dict.fromkeys(r.marketplace_id for r in results)), status=status,
        days_added=sum(r.days_added for r in results), days_remaining=sum(r.days_remaining for r in results),
        days_pending=sum(r.days_pending for r in results), rows_added=sum(r.rows_added for r in results),
        failures={(r.account, r.marketplace_id, d): why for r in results for d, why in r.failures.items()},
        windows=[{**w, "account": r.account, "marketplace_id": r.marketplace_id} for r in results for w in r.windows],
        calls=dict(calls), elapsed=max((r.elapsed for r in results), default=_dt.timedelta(0)),
        account=", ".join(accounts) if accounts else None, pairs=list(results))


def _sync_pair(plan: SyncPlan, client: Any, account: str, mp: Any, *, t0: float, bar: Any,
               stop: threading.Event) -> SyncResult:
    """Sync one account × marketplace: its own lock, state and history (the single-account run)."""
    from .._specs.registry import resolve_report_type
    from .layout import pair_data_dir, pair_meta_dir

    started = _utcnow()
    rt = resolve_report_type(plan.report_type, allow_unknown=not plan.known)
    options = dict(plan.options)
    limit = _dt.timedelta(seconds=plan.budget_s) if plan.budget_s is not None else None
    root = Path(plan.root)
    identity = {"report_type": rt.name, "marketplace_id": mp.marketplace_id, "report_options": options}
    key = identity_key(identity)
    period, max_units = rt.window_shape(options)  # the registry's rule: the largest window allowed

    # Vendors' reporting days are the marketplace's calendar days (as Amazon's lag is counted).
    zone = ZoneInfo(mp.timezone)
    today = plan.today
    day0 = resolve_today(today, tz=zone)
    rng = DateRange.parse(plan.start, plan.end).resolve(today=day0)
    now = _dt.datetime.combine(day0, _dt.time(0), zone) if today is not None else started.astimezone(zone)
    last_final = last_final_day(rt.publication_lag, now)
    first_available = day0 - _dt.timedelta(days=rt.lookback_days) if rt.lookback_days else None
    if first_available is not None and rng.start < first_available:
        warnings.warn(f"{rt.name} keeps {rt.lookback_days} days of data: days before {first_available} "
                      "are not synced", stacklevel=3)

    units = [u for u in target_units(rng.start, rng.end, period)
             if first_available is None or u[0] >= first_available]
    final_units = [u for u in units if u[1] <= last_final]
    pending_days = sum((u[1] - u[0]).days + 1 for u in units if u[1] > last_final)

    base = pair_data_dir(root, account, mp.marketplace_id)
    meta = pair_meta_dir(root, account, mp.marketplace_id)
    meta.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex[:12]
    calls_before = collections.Counter(getattr(client, "calls", {}))

    with SyncLock(meta, run_id, what=f"{root} (account {account}, marketplace {mp.marketplace_id})"):
        checkpoint("lock")
        clear_tmp(meta)
        state = load_state(meta)
        if state is None:
            state = {"version": STATE_VERSION, "identity": identity, "identity_key": key,
                     "account": getattr(client, "account_key", None), "account_name": account,
                     "created": iso_utc(started), "days": {}}
            save_state(meta, state)  # claims the pair for this identity from the first run on
        else:
            check_identity(state, identity, meta)
        days: dict[str, dict[str, Any]] = state["days"]

        record: dict[str, Any] = {
            "run_id": run_id, "event": "start", "started": iso_utc(started), "status": "running",
            "account": account, "report_type": rt.name, "marketplace_id": mp.marketplace_id,
            "report_options": options, "start": rng.start.isoformat(), "end": rng.end.isoformat(),
            "pid": os.getpid(), "host": socket.gethostname(), "budget_s": plan.budget_s,
        }
        append_history(meta, record)
        checkpoint("history-start")

        parts = existing_partitions(base)
        done = reconcile(meta, state, parts, key, {d for u in final_units for d in iter_days(*u)})

        missing = [u for u in final_units if not all(d in done for d in iter_days(*u))]
        windows = plan_windows(missing, period, max_units)
        checkpoint("planned")

        tried: list[dict[str, Any]] = []
        failures: dict[_dt.date, str] = {}
        days_added = rows_added = 0
        stop_exc: BaseException | None = None
        status = "running"
        if bar is not None and windows and hasattr(bar, "add_total"):
            bar.add_total(len(windows))
        # Fetches run on worker threads; everything below that touches the disk runs here, in plan order.
        slots = max(1, int(MAX_IN_FLIGHT))
        pool = cf.ThreadPoolExecutor(max_workers=slots, thread_name_prefix="amzv-sync") if windows else None
        queued: collections.deque[tuple[_dt.date, _dt.date, cf.Future[pd.DataFrame]]] = collections.deque()
        todo = iter(windows)
        budget_spent = False
        label = f"{account}/{mp.country_code}"  # in messages

        def start_windows() -> None:
            """Start planned windows while a slot is free and the budget lasts."""
            nonlocal budget_spent
            while not budget_spent and len(queued) < slots and not stop.is_set():
                nxt = next(todo, None)
                if nxt is None:
                    return
                if limit is not None and _monotonic() - t0 >= limit.total_seconds():
                    budget_spent = True
                    return
                if bar is not None and hasattr(bar, "set_description_str"):
                    bar.set_description_str(f"{nxt[0]} → {nxt[1]}")
                assert pool is not None
                extra = {} if rt.known else {"allow_unknown": True}
                queued.append((*nxt, pool.submit(_fetch_window, rt.name, nxt[0], nxt[1],
                                                 marketplace=mp.marketplace_id, report_options=options,
                                                 client=client, **extra)))

        wait_for_in_flight = False
        try:
            start_windows()
            while queued:
                if stop.is_set():
                    raise _Stopped(f"another marketplace of this sync stopped; {label} stopped too")
                w_start, w_end, future = queued.popleft()  # the oldest planned window not yet committed
                w_days = list(iter_days(w_start, w_end))
                info: dict[str, Any] = {"start": w_start, "end": w_end, "rows": 0, "reason": None}
                try:
                    frame = future.result()
                except ReportCancelledError:
                    frame = None
                except (ReportFatalError, ReportTimeout) as exc:
                    reason = getattr(exc, "reason", None) or str(exc)
                    category = getattr(exc, "category", "timeout")
                    info.update(status="failed", reason=reason, category=category)
                    for day in w_days:
                        prev = days.get(day.isoformat(), {})
                        days[day.isoformat()] = {
                            "status": "failed", "reason": reason, "category": category,
                            "attempts": int(prev.get("attempts", 0)) + 1, "at": iso_utc(_utcnow()),
                            "window": [w_start.isoformat(), w_end.isoformat()]}
                        failures[day] = reason
                    save_state(meta, state)
                    tried.append(info)
                    if bar is not None:
                        bar.update(1)
                    if category == "options":
                        # Later windows are never committed; their fetches are awaited, then dropped.
                        stop_exc = exc
                        wait_for_in_flight = True
                        break
                    start_windows()
                    continue
                start_windows()  # the next fetch runs while this window is written
                checkpoint("fetched")
                fetched_at = iso_utc(_utcnow())
                counts: dict[_dt.date, int] = {}
                if frame is not None and len(frame):
                    footer = {"identity_key": key, "report_type": rt.name, "marketplace_id": mp.marketplace_id,
                              "account": account, "window": [w_start.isoformat(), w_end.isoformat()],
                              "complete": True, "fetched_at": fetched_at, "run_id": run_id}
                    counts = _write_window(base, meta, frame, w_start, w_end, footer)
                cancelled, frame = frame is None, None  # free the frame before the next wait
                for day in w_days:
                    if day not in counts and day in parts:
                        # The window now has no rows for this day: drop what an older fetch left.
                        with contextlib.suppress(FileNotFoundError):
                            parts[day].unlink()
                    was_done = day in done
                    days[day.isoformat()] = {"status": "done", "rows": counts.get(day, 0), "at": fetched_at,
                                             "window": [w_start.isoformat(), w_end.isoformat()],
                                             **({"empty": "cancelled"} if cancelled else {})}
                    if not was_done:
                        days_added += 1
                        done.add(day)
                save_state(meta, state)
                rows = sum(counts.values())
                rows_added += rows
                info.update(status="empty" if cancelled else "done", rows=rows)
                tried.append(info)
                checkpoint("window")
                if bar is not None:
                    bar.update(1)
            wait_for_in_flight = True
        except BaseException as exc:
            stop_exc = exc
            raise
        finally:
            if pool is not None:
                # Not-started fetches are cancelled; running ones are awaited on a normal stop (so no
                # thread outlives the run or its lock), left to finish alone after an error or Ctrl-C.
                pool.shutdown(wait=wait_for_in_flight, cancel_futures=True)
            remaining = sum(1 for u in final_units for d in iter_days(*u) if d not in done)
            calls_after = collections.Counter(getattr(client, "calls", {}))
            calls = {k: v - calls_before.get(k, 0) for k, v in calls_after.items() if v - calls_before.get(k, 0)}
            owner = getattr(client, "_counted_for", None)
            if owner is not None:  # a counting view: the account's own counter sees these calls too
                with owner._calls_lock:
                    owner.calls.update(calls)
            if stop_exc is not None:
                status = ("options_error" if isinstance(stop_exc, ReportFatalError)
                          else "interrupted" if isinstance(stop_exc, (KeyboardInterrupt, _Stopped)) else "error")
            elif failures:
                status = "failed"
            elif remaining:
                status = "partial"
            else:
                status = "complete"
            finished = _utcnow()
            last_row = end_record(record, status=status, started=started, finished=finished, tried=tried,
                                  days_added=days_added, remaining=remaining, pending_days=pending_days,
                                  rows_added=rows_added, calls=calls, stop_exc=stop_exc)
            with contextlib.suppress(OSError):
                append_history(meta, last_row)
            checkpoint("history-end")

    if isinstance(stop_exc, ReportFatalError):
        raise stop_exc
    return SyncResult(
        path=str(root), report_type=rt.name, marketplace_id=mp.marketplace_id, status=status,
        days_added=days_added, days_remaining=remaining, days_pending=pending_days, rows_added=rows_added,
        failures=failures, windows=tried, calls=calls,
        elapsed=_dt.timedelta(seconds=_monotonic() - t0), account=account,
    )

