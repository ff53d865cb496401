"""Resumable, append-only sync of Vendor Analytics (Data Kiosk) into the day-partitioned account dataset.

:func:`sync_vendor_analytics` is :func:`~amzv_pandas._sync.sync.sync` for the Data Kiosk
Vendor Analytics dataset (also reached as ``amzv.sync("vendor_analytics:<view>", path, ...)``;
``accounts=`` through :mod:`amzv_pandas._facade.datasets`)::

    >>> amzv.sync_vendor_analytics("va/", start="today-400", metrics=["orders", "traffic"],
    ...                            group_by=("asin",), budget="2h")            # doctest: +SKIP
    >>> amzv.read_synced("va/"); amzv.sync_history("va/")                      # doctest: +SKIP

The same dataset layout (:mod:`amzv_pandas._sync.layout`: ``account=/marketplace_id=/day=``,
``dataset.json``, one meta folder per pair), state, lock, history and crash-safety rules as
report sync (:mod:`amzv_pandas._sync.store`), with what Data Kiosk changes:

* **One query per window, every marketplace.** Data Kiosk answers every marketplace of the
  account in one query, so a window is one query (all its pages, via
  :func:`amzv_pandas._datakiosk.api.run_plan`) and its rows are split by ``marketplaceId`` and
  by ``startDate``: ``PATH/account=<name>/marketplace_id=<id>/day=<startDate>/part-0.parquet``
  (a WEEK or MONTH row lives in the partition of its period's first day; ``marketplaceId`` is
  the path's, not a column of the files).
* **The pair is the account × the marketplaces its query keeps**: without ``marketplace=`` one
  state, history and lock for every marketplace (``_amzv_sync/account=A/marketplace_id=ALL/``),
  with ``marketplace="CA"`` that marketplace's (``.../marketplace_id=A2EUQ1WTGCTBG2/``). One
  account keeps either every marketplace or chosen ones in a dataset (their rows would share
  folders), so the other choice is refused.
* **Windows**: :data:`WINDOW_UNITS` periods (30 days, 8 weeks or 3 months; one day when daily
  inventory, ``productAvailability``, is asked for by DAY, as Amazon requires), newest first,
  whole periods inside ``start`` → ``end`` only. At most :data:`MAX_IN_FLIGHT` windows are
  fetched at once; the Data Kiosk queue (:mod:`amzv_pandas._datakiosk.queue`) keeps the
  account under its limit of concurrent non-terminal queries and waits out the service's
  refusals. Windows are committed in the planned order on the calling thread.
* **A day is done** when the state says so and exactly the marketplaces it recorded have
  their partition; or, for a run killed between its files and its state, when the day's
  partitions all carry the footer of one fetch that lists exactly those marketplaces and row
  counts (a window killed halfway through its marketplaces is fetched again). A day without
  rows (DONE with no document, or CANCELLED) is recorded empty and not fetched again.
* **Limits, checked before any call**: ``start`` at most two years back (Data Kiosk keeps no
  more; a relative ``start="today-700"`` follows the calendar), ``end`` not in the future, every
  name checked against the SDL (did-you-mean). Days are fetched once final: the end of the day in
  the marketplace's zone plus 72 hours (:data:`PUBLICATION_LAG`), as Amazon publishes them.
* **Resume**: a killed run's query in flight is polled again by the next run (the in-flight
  record of the query), not created again; committed windows are never fetched again.
* **The single-account layout** a Vendor Analytics sync wrote before accounts
  (``PATH/marketplace_id=/day=`` and ``_amzv_sync/state.json``) is read as it is and moved under
  ``account=<name>/`` by the next sync, as report datasets are (:func:`~amzv_pandas._sync.layout.migrate_legacy`).

:func:`plan_vendor_analytics` checks a call once (no client, no call) into a picklable
:class:`VendorAnalyticsPlan`, which has the interface of :class:`~amzv_pandas._sync.sync.SyncPlan`
(``identity``, ``with_marketplaces``, ``check_account``, ``run_account``), so the facade runs
either source the same way. ``tests/e2e/datakiosk/test_sync_vendor_analytics.py`` kills a run at
the checkpoints of :func:`~amzv_pandas._sync.store.checkpoint` (and at random instants) and checks
that the next run leaves the dataset an uninterrupted run leaves.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import dataclasses
import datetime as _dt
import json
import os
import socket
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NamedTuple
from zoneinfo import ZoneInfo

import pandas as pd

from .._specs.dates import DateLike, DateRange, iter_days, last_final_day, resolve_today
from .._util.time import iso_utc, utc_now
from ..exceptions import ConfigurationError, ReportFatalError, ReportTimeout, SyncError
from .dataset import existing_partitions, row_days, write_window
from .layout import account_name, iter_pairs, pair_data_dir, pair_meta_dir, prepare_dataset
from .lock import SyncLock
from .planning import parse_budget, plan_windows, target_units
from .result import SyncResult
from .sources import ALL_MARKETPLACES, SOURCE, source_view
from .store import (FOOTER_KEY, META_DIR, PART_FILE, STATE_FILE, STATE_VERSION, append_history, check_identity,
                    checkpoint, clear_tmp, end_record, identity_key, load_state, save_state)

if TYPE_CHECKING:
    from .._transport.http import Transport

__all__ = ["sync_vendor_analytics", "plan_vendor_analytics", "plan_source", "VendorAnalyticsPlan", "source_view",
           "SOURCE", "WINDOW_UNITS", "MAX_IN_FLIGHT", "PUBLICATION_LAG", "ALL_MARKETPLACES"]

#: Periods per window (one query each). Longer windows mean fewer createQuery calls (1 a minute
#: after a burst of 15) and fewer queries in Amazon's queue; shorter ones bound the frame in memory
#: and what a failed window costs. A 2-year DAY backfill is 25 queries (plus pages).
WINDOW_UNITS = {"DAY": 30, "WEEK": 8, "MONTH": 3}
#: Windows fetched at once (the account's Data Kiosk queue bounds the queries in flight anyway).
MAX_IN_FLIGHT = 2
#: A day is fetched once this long after its end in the marketplace's zone (as the vendor reports).
PUBLICATION_LAG = _dt.timedelta(hours=72)
_UNKNOWN_MARKETPLACE = "UNKNOWN"

#: Seams for tests (as in :mod:`amzv_pandas._sync.sync`): the budget's clock, the wall clock, the
#: first poll interval (None: ``AMZV_POLL_INTERVAL`` or 5 s).
_monotonic: Callable[[], float] = time.monotonic
_utcnow: Callable[[], _dt.datetime] = utc_now
_poll_interval: float | None = None


# --------------------------------------------------------------------------- #
# amzv.sync("vendor_analytics:<view>", ...)
# --------------------------------------------------------------------------- #


def plan_source(report_type: str, path: Any, *, report_options: Any = None, allow_unknown: bool = False,
                **kwargs: Any) -> "VendorAnalyticsPlan":
    """``amzv.sync("vendor_analytics[:<view>]", path, ...)``'s plan: :func:`plan_vendor_analytics` with the view named."""
    view = source_view(report_type)
    if view is None:
        raise ConfigurationError(f"report_type={report_type!r} is not a sync source", parameter="report_type",
                                 value=report_type, allowed=f"{SOURCE}:manufacturing, {SOURCE}:sourcing")
    if report_options is not None or allow_unknown:
        bad = "report_options" if report_options is not None else "allow_unknown"
        raise ConfigurationError(f"{bad}= is for report types; {report_type!r} takes view, aggregate_by, metrics, "
                                 "group_by, totals, currency and marketplace instead", parameter=bad,
                                 value=report_options if report_options is not None else allow_unknown,
                                 allowed="the keyword arguments of sync_vendor_analytics")
    if view:
        given = kwargs.get("view", view)
        if given != view:
            raise ConfigurationError(f"report_type={report_type!r} names view {view!r} but view={given!r}",
                                     parameter="view", value=given, allowed=view)
        kwargs["view"] = view
    return plan_vendor_analytics(path, **kwargs)


# --------------------------------------------------------------------------- #
# One window (the seam tests replace)
# --------------------------------------------------------------------------- #


def _fetch_window(start: _dt.date, end: _dt.date, *, options: dict[str, Any], marketplace: str | None,
                  client: Any) -> pd.DataFrame:
    """Every row of ``start`` → ``end`` (all pages); an empty frame for no data / CANCELLED, no warning.

    ``cache=False``: the dataset is the store (no second copy), but the in-flight record of the
    query is still kept, so a killed run's query is polled again rather than created again.
    """
    from .._datakiosk.api import run_plan
    from .._specs.datakiosk.build import plan_query

    plan = plan_query(start, end, view=options["view"], aggregate_by=options["aggregate_by"],
                      metrics=options["metrics"], group_by=options["group_by"], totals=options["totals"],
                      currency=options["currency"])
    return run_plan(plan, client=client, marketplace=marketplace, cache=False, progress_bar_type=None,
                    poll_interval=_poll_interval, warn_no_data=False)


# --------------------------------------------------------------------------- #
# Partitions of every marketplace of one account
# --------------------------------------------------------------------------- #


def _present(root: Path, account: str, selection: str) -> dict[_dt.date, dict[str, Path]]:
    """The account's partitions the pair covers: day → marketplace id → file."""
    found: dict[_dt.date, dict[str, Path]] = collections.defaultdict(dict)
    for acc, mp, folder in iter_pairs(root):
        if acc == account and selection in (ALL_MARKETPLACES, mp):
            for day, part in existing_partitions(folder).items():
                found[day][mp] = part
    return found


def _footer(path: Path) -> dict[str, Any] | None:
    import pyarrow.parquet as pq

    try:
        return json.loads((pq.read_schema(path).metadata or {})[FOOTER_KEY])
    except Exception:  # unreadable or foreign: not ours to trust
        return None


def _markets_of(frame: pd.DataFrame, first: _dt.date, last: _dt.date) -> tuple[pd.Series, dict[str, dict[str, int]]]:
    """Each row's marketplace, and the rows per day and marketplace of the window (its footer's map)."""
    if "marketplaceId" in frame.columns:
        mps = frame["marketplaceId"].astype(object).where(frame["marketplaceId"].notna(), _UNKNOWN_MARKETPLACE)
    else:
        mps = pd.Series([_UNKNOWN_MARKETPLACE] * len(frame), index=frame.index, dtype=object)
    days = row_days(frame, first, last)  # the day write_window files each row under
    markets: dict[str, dict[str, int]] = {}
    for (day, mp), n in pd.DataFrame({"d": days, "m": mps}).groupby(["d", "m"], sort=True).size().items():
        markets.setdefault(day.isoformat(), {})[str(mp)] = int(n)
    return mps.astype(str), markets


def _reconcile(meta: Path, state: dict[str, Any], present: dict[_dt.date, dict[str, Path]], key: str,
               wanted: set[_dt.date]) -> set[_dt.date]:
    """The days of ``wanted`` that are really done (see the module docstring); the state is corrected."""
    days = state["days"]
    done: set[_dt.date] = set()
    changed = False
    for day in sorted(wanted):
        iso = day.isoformat()
        have = present.get(day, {})
        entry = days.get(iso)
        if entry and entry.get("status") == "done":
            recorded = {mp for mp, n in (entry.get("markets") or {}).items() if n}
            if set(have) == recorded:
                done.add(day)
                continue
            del days[iso]  # its partitions are not those the state recorded: fetch the day again
            changed = True
        elif have:
            footers = [_footer(p) for p in have.values()]
            if not all(f and f.get("complete") and f.get("identity_key") == key for f in footers):
                continue
            f0 = footers[0]
            assert f0 is not None
            if len({(f.get("run_id"), f.get("fetched_at")) for f in footers if f}) != 1:
                continue  # parts of two fetches: the newer one was killed halfway
            listed = (f0.get("markets") or {}).get(iso) or {}
            rows = {mp: int((f or {}).get("rows", -1)) for mp, f in zip(have, footers)}
            if rows == {mp: int(n) for mp, n in listed.items()}:
                days[iso] = {"status": "done", "rows": sum(rows.values()), "markets": rows,
                             "window": f0.get("window"), "at": f0.get("fetched_at")}
                done.add(day)
                changed = True
    if changed:
        save_state(meta, state)
    return done


def _commit(root: Path, account: str, meta: Path, frame: pd.DataFrame | None, first: _dt.date, last: _dt.date,
            footer: dict[str, Any], present: dict[_dt.date, dict[str, Path]]) -> dict[_dt.date, dict[str, int]]:
    """Write the window's partitions (every marketplace), then drop its days' partitions it no longer has.

    Returns the rows per day and marketplace written. The state is saved by the caller, after this.
    """
    counts: dict[_dt.date, dict[str, int]] = collections.defaultdict(dict)
    if frame is not None and len(frame):
        mps, markets = _markets_of(frame, first, last)
        footer = {**footer, "markets": markets}
        rows = frame.drop(columns=["marketplaceId"], errors="ignore")  # the path holds it
        for mp, part in rows.groupby(mps.to_numpy(), sort=True):
            written = write_window(pair_data_dir(root, account, str(mp)), meta, part, first, last,
                                   {**footer, "marketplace_id": str(mp)})
            for day, n in written.items():
                counts[day][str(mp)] = n
        if {d.isoformat(): c for d, c in counts.items()} != markets:  # the same split as write_window's
            raise SyncError(f"the window {first} → {last} was split into other days than planned; nothing of it "
                            "is recorded as done")
    for day in iter_days(first, last):
        for mp, part in list(present.get(day, {}).items()):
            if mp not in counts.get(day, {}):
                with contextlib.suppress(FileNotFoundError):
                    part.unlink()  # this fetch has no rows there: drop what an older fetch left
        present[day] = {mp: pair_data_dir(root, account, mp) / f"day={day.isoformat()}" / PART_FILE
                        for mp in counts.get(day, {})}
    return dict(counts)


def _check_selection(root: Path, account: str, source: str, selection: str) -> None:
    """Refuse a pair whose rows would share folders with another pair of the same account."""
    held = set()
    for acc, mp, folder in iter_pairs(root / META_DIR):
        if acc == account and mp != selection and (folder / STATE_FILE).exists():
            with contextlib.suppress(SyncError):
                state = load_state(folder)
                if state is not None and state["identity"].get("report_type") == source:
                    held.add(mp)
    clash = sorted(held) if selection == ALL_MARKETPLACES else sorted(held & {ALL_MARKETPLACES})
    if clash:
        what = "every marketplace" if clash == [ALL_MARKETPLACES] else f"marketplace(s) {', '.join(clash)}"
        asked = "every marketplace" if selection == ALL_MARKETPLACES else f"marketplace {selection}"
        raise SyncError(f"{root} holds account {account!r}'s {source} for {what}, and {asked} was asked: one query "
                        "answers every marketplace, so an account keeps either every marketplace (marketplace=None) "
                        "or chosen ones in a dataset; use the same marketplace= as before, or another path")


# --------------------------------------------------------------------------- #
# Checking a call once: the plan
# --------------------------------------------------------------------------- #


def _check_arguments(view: Any, aggregate_by: Any, metrics: Any, group_by: Any, totals: Any,
                     currency: Any) -> tuple[dict[str, Any], bool]:
    """The query options every window uses (metric paths resolved once), and whether windows are one day."""
    from .._specs.datakiosk.build import (AGGREGATIONS, SAME_DAY_GROUP, check_currency, resolve_group_by,
                                          resolve_metrics)
    from .._specs.datakiosk.catalogue import VIEWS
    from .._util.checks import check_choice

    view = check_choice(view, "view", list(VIEWS))
    aggregate_by = check_choice(aggregate_by, "aggregate_by", list(AGGREGATIONS))
    if not isinstance(totals, bool):
        raise ConfigurationError(f"totals={totals!r:.80} must be True or False", parameter="totals", value=totals,
                                 allowed="True, False")
    chosen = resolve_metrics(metrics, view)
    if metrics is None and aggregate_by == "DAY":
        # Amazon serves daily inventory one day per query: every metric but those, as read_vendor_analytics does.
        chosen = tuple(m for m in chosen if m.group != SAME_DAY_GROUP)
    one_day = aggregate_by == "DAY" and any(m.group == SAME_DAY_GROUP for m in chosen)
    options = {"view": view, "aggregate_by": aggregate_by, "metrics": [m.path for m in chosen],
               "group_by": [] if totals else list(resolve_group_by(group_by)), "totals": totals,
               "currency": check_currency(currency)}
    return options, one_day


def _check_range(start: Any, end: Any, day0: _dt.date, fixed: bool) -> DateRange:
    """``start`` → ``end`` resolved on ``day0``: the end not in the future, the start at most two years back."""
    from .._specs.datakiosk.schema import two_years_back

    rng = DateRange.parse(start, end).resolve(today=day0)
    if rng.end > day0:
        raise ConfigurationError(f"end={rng.end} is in the future (today is {day0}); Data Kiosk has no data for it",
                                 parameter="end", value=str(rng.end), allowed=f"a date up to {day0}")
    # Each query is checked against UTC today too: the later of the two sets the limit.
    earliest = two_years_back(day0 if fixed else max(day0, utc_now().date()))
    if rng.start < earliest:
        raise ConfigurationError(
            f"start={rng.start} is more than two years back: Data Kiosk keeps data from {earliest} on; for a "
            f"recurring sync use a relative start such as start='today-700', which follows the calendar",
            parameter="start", value=str(rng.start), allowed=f"a date from {earliest} to {rng.end}")
    return rng




class _Days(NamedTuple):
    """An account's days of a plan: what its run fetches and counts (computed before any call)."""

    marketplace_id: str | None  # the one kept, or None for every marketplace
    range: DateRange
    final_units: list[tuple[_dt.date, _dt.date]]
    pending_days: int


@dataclasses.dataclass(frozen=True)
class VendorAnalyticsPlan:
    """A Vendor Analytics sync's checked arguments, the same for every account (picklable: no client,
    no secret). The interface of :class:`~amzv_pandas._sync.sync.SyncPlan`."""

    root: str
    options: dict[str, Any]  # view, aggregate_by, metrics (paths), group_by, totals, currency
    one_day: bool
    start: Any
    end: Any
    marketplace: str | None  # a marketplace id, or None: every marketplace of the account
    budget_s: float | None
    today: Any

    @property
    def report_type(self) -> str:
        return f"{SOURCE}:{self.options['view']}"

    @property
    def identity(self) -> dict[str, Any]:
        """What ``dataset.json`` records: the source and its query options (one dataset holds one)."""
        return {"report_type": self.report_type,
                "report_options": {k: v for k, v in self.options.items() if k != "view"}}

    @property
    def selection(self) -> str:
        """The ``marketplace_id`` of an account's pair: the marketplace kept, or ``ALL``."""
        return self.marketplace or ALL_MARKETPLACES

    def with_marketplaces(self, marketplaces: Any) -> "VendorAnalyticsPlan":
        """This plan for an account whose own marketplaces are ``marketplaces`` (empty: unchanged)."""
        ids = list(dict.fromkeys(marketplaces or ()))
        if not ids:
            return self
        if len(ids) > 1:
            raise ConfigurationError(
                f"marketplace={ids!r}: a Vendor Analytics sync keeps one marketplace, or every marketplace of the "
                "account (None), per account (one query answers all of them)", parameter="marketplace",
                value=ids, allowed="one marketplace or None")
        return dataclasses.replace(self, marketplace=ids[0])

    def check_account(self, client: Any, account: str) -> None:
        """Everything one account's run would refuse before its first call."""
        _account_days(self, client, account)

    def run_account(self, client: Any, account: str, *, progress_bar_type: Any = None,
                    legacy_owner: str | None = None, bar: Any = None) -> SyncResult:
        """One account's run (its pair: :attr:`selection`)."""
        return _run_account(self, client, account, progress_bar_type=progress_bar_type, legacy_owner=legacy_owner,
                            bar=bar)


def plan_vendor_analytics(
    path: str | os.PathLike[str],
    *,
    start: DateLike,
    end: DateLike = "yesterday",
    view: str = "manufacturing",
    aggregate_by: str = "DAY",
    metrics: Any = None,
    group_by: Any = ("asin",),
    totals: bool = False,
    currency: str | None = None,
    marketplace: Any = None,
    budget: _dt.timedelta | float | str | None = None,
    today: DateLike | None = None,
) -> VendorAnalyticsPlan:
    """Check a :func:`sync_vendor_analytics` call once, before any call and without a client."""
    from .._specs.datakiosk.build import plan_query
    from .._specs.marketplaces import Marketplace, get_marketplace
    from .._util.checks import check_writable_dir

    root = check_writable_dir(path, "path")
    limit = parse_budget(budget)
    options, one_day = _check_arguments(view, aggregate_by, metrics, group_by, totals, currency)
    if marketplace is not None and not isinstance(marketplace, (str, Marketplace)):
        raise ConfigurationError(f"marketplace={marketplace!r:.80}: give one country code or marketplace id, or "
                                 "None for every marketplace of the account", parameter="marketplace",
                                 value=marketplace, allowed="one marketplace or None")
    market_id = get_marketplace(marketplace).marketplace_id if marketplace is not None else None
    # The dates are checked by UTC's calendar here, before any client is touched (a bad date is reported
    # before missing credentials), then by each account's marketplace's (check_account), the days' own.
    day0 = resolve_today(today)
    rng = _check_range(start, end, day0, today is not None)
    units = _units(rng, options["aggregate_by"])
    # The GraphQL of a window, built and validated once with graphql-core: no call yet.
    plan_query(units[0][0], units[0][1], view=options["view"], aggregate_by=options["aggregate_by"],
               metrics=options["metrics"], group_by=options["group_by"], totals=options["totals"],
               currency=options["currency"], today=max(day0, units[0][1]))
    return VendorAnalyticsPlan(root=str(root), options=options, one_day=one_day, start=start, end=end,
                               marketplace=market_id, budget_s=limit.total_seconds() if limit else None, today=today)


def _units(rng: DateRange, period: str) -> list[tuple[_dt.date, _dt.date]]:
    """The whole periods inside ``rng`` (refused when there is none)."""
    units = [u for u in target_units(rng.start, rng.end, period) if rng.start <= u[0] and u[1] <= rng.end]
    if not units:
        raise ConfigurationError(f"start={rng.start} → end={rng.end} holds no whole {period.lower()}",
                                 parameter="start", value=str(rng.start),
                                 allowed=f"a range holding at least one whole {period.lower()}")
    return units


def _account_days(plan: VendorAnalyticsPlan, client: Any, account: str) -> _Days:
    """One account's checks (no call): its name, marketplace, cache folder, the dates in its zone."""
    from .._util.checks import check_writable_dir
    from .layout import check_account_name

    check_account_name(account)
    mp = client.resolve_marketplace(plan.marketplace)
    check_writable_dir(client.cache_dir, "cache_dir")  # the in-flight records of the queries
    zone = ZoneInfo(mp.timezone)
    day0 = resolve_today(plan.today, tz=zone)
    rng = _check_range(plan.start, plan.end, day0, plan.today is not None)
    units = _units(rng, plan.options["aggregate_by"])
    now = (_dt.datetime.combine(day0, _dt.time(0), zone) if plan.today is not None
           else _utcnow().astimezone(zone))
    last_final = last_final_day(PUBLICATION_LAG, now)
    _check_selection(Path(plan.root), account, plan.report_type, plan.selection)
    return _Days(marketplace_id=plan.marketplace, range=rng,
                 final_units=[u for u in units if u[1] <= last_final],
                 pending_days=sum((u[1] - u[0]).days + 1 for u in units if u[1] > last_final))


# --------------------------------------------------------------------------- #
# sync_vendor_analytics
# --------------------------------------------------------------------------- #


def sync_vendor_analytics(
    path: str | os.PathLike[str],
    *,
    start: DateLike,
    end: DateLike = "yesterday",
    view: str = "manufacturing",
    aggregate_by: str = "DAY",
    metrics: Any = None,
    group_by: Any = ("asin",),
    totals: bool = False,
    currency: str | None = None,
    marketplace: Any = None,
    budget: _dt.timedelta | float | str | None = None,
    progress_bar_type: Any = "auto",
    client: "Transport",
    today: DateLike | None = None,
) -> SyncResult:
    """Bring a Parquet dataset of Vendor Analytics (Data Kiosk) up to date, newest days first.

    Parameters
    ----------
    path : str or path-like
        Dataset directory (created if missing), Hive-partitioned by ``account``,
        ``marketplace_id`` and ``day`` (a row's ``startDate``):
        ``account=acme/marketplace_id=ATVPDKIKX0DER/day=2026-09-01/part-0.parquet``. Its
        ``_amzv_sync`` folder holds ``dataset.json`` (the view and query options: one dataset
        holds one) and, per account, the state, history and lock of its query
        (``account=acme/marketplace_id=ALL/``, or the marketplace kept). A dataset written
        before accounts (``marketplace_id=/day=`` at the top) is moved under the account's name.
    start : DateLike
        Oldest day of the backfill, at most two years back (Data Kiosk keeps no more): prefer a
        relative ``"today-700"`` for a recurring job, it follows the calendar.
    end : DateLike, default "yesterday"
        Newest day (not in the future). Days are fetched once final: 72 hours after their end in
        the marketplace's zone; the others are counted in ``days_pending``.
    view, aggregate_by, metrics, group_by, totals, currency
        As in :func:`~amzv_pandas.read_vendor_analytics`; fixed for a dataset (a different
        choice on the same ``path`` raises :class:`~amzv_pandas.exceptions.SyncError`).
        ``metrics=None`` leaves out daily inventory with ``aggregate_by="DAY"``; asked for, it
        is fetched one day per query. WEEK/MONTH sync whole periods inside ``start`` → ``end``.
    marketplace : str, optional
        Keep only this marketplace's rows (Data Kiosk returns every marketplace of the
        account); default: every marketplace. Its zone (else the client's marketplace's) says
        when a day is final. An account keeps either every marketplace or one in a dataset.
    budget : timedelta, seconds or str, optional
        Stop starting new windows once this much time has passed (``"2h"``).
    progress_bar_type : {"auto", "tqdm", "tqdm_notebook", None}, default "auto"
        A bar over windows.
    client : Client
        The account (``amzv.sync_vendor_analytics`` defaults it to the default client); its
        rows are filed under its ``name``.
    today : DateLike, optional
        The date "today" means (default: today in the marketplace's zone).

    Returns
    -------
    SyncResult
        ``report_type`` is ``"vendor_analytics:<view>"``, ``marketplace_id`` the one kept or
        ``"ALL"``, ``account`` the client's name.

    Raises
    ------
    ConfigurationError
        Any bad argument, before any call: unknown metric or group-by names (did-you-mean), a
        bad ``view``/``aggregate_by``/``currency``, a start more than two years back, an end
        before the start or in the future, an unusable ``path`` or ``cache_dir``, an account
        name that cannot name a partition.
    SyncError
        Another sync runs on the account's pair of ``path``, ``path`` holds a different sync, or
        the account is synced there for another choice of marketplaces.
    QueryFatalError
        A window ended FATAL with Amazon's explanation (the query cannot succeed on any day);
        it is recorded in the state and history first. Other FATALs and timeouts are recorded
        per day and retried on the next run.

    See Also
    --------
    read_synced, sync_history, read_vendor_analytics
    """
    from .._util.progress import validate_progress_bar_type

    validate_progress_bar_type(progress_bar_type)
    plan = plan_vendor_analytics(path, start=start, end=end, view=view, aggregate_by=aggregate_by, metrics=metrics,
                                 group_by=group_by, totals=totals, currency=currency, marketplace=marketplace,
                                 budget=budget, today=today)
    name = account_name(client)
    return plan.run_account(client, name, progress_bar_type=progress_bar_type, legacy_owner=name)


def _run_account(plan: VendorAnalyticsPlan, client: Any, account: str, *, progress_bar_type: Any,
                 legacy_owner: str | None, bar: Any) -> SyncResult:
    """One account's pair: lock, state, reconcile, windows newest first, commits in order, history."""
    from .._util.progress import SharedProgress

    t0 = _monotonic()
    started = _utcnow()
    days_plan = _account_days(plan, client, account)
    root = Path(plan.root)
    prepare_dataset(root, plan.identity, legacy_owner)  # dataset.json; the single-account layout moved
    _check_selection(root, account, plan.report_type, plan.selection)  # again: a moved dataset's pair
    options = plan.options
    period = options["aggregate_by"]
    max_units = 1 if plan.one_day else WINDOW_UNITS[period]
    rng, final_units, pending_days = days_plan.range, days_plan.final_units, days_plan.pending_days
    market_id = days_plan.marketplace_id
    limit = _dt.timedelta(seconds=plan.budget_s) if plan.budget_s is not None else None
    source = plan.report_type
    identity = {"report_type": source, "marketplace_id": plan.selection,
                "report_options": plan.identity["report_options"]}
    key = identity_key(identity)
    meta = pair_meta_dir(root, account, plan.selection)
    meta.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex[:12]
    calls_before = collections.Counter(getattr(client, "calls", {}))
    shared = SharedProgress(progress_bar_type, desc=f"sync {source}") if bar is None else None
    if shared is not None:
        bar = shared.part(account)

    try:
        with SyncLock(meta, run_id, what=f"{root} (account {account}, {source} marketplace {plan.selection})"):
            result = _run_pair(plan, client, account, root, meta, identity, key, run_id, started, t0, rng,
                               final_units, pending_days, market_id, period, max_units, limit, calls_before, bar)
    finally:
        if shared is not None:
            shared.close()
    return result


def _run_pair(plan: VendorAnalyticsPlan, client: Any, account: str, root: Path, meta: Path,
              identity: dict[str, Any], key: str, run_id: str, started: _dt.datetime, t0: float, rng: DateRange,
              final_units: list[tuple[_dt.date, _dt.date]], pending_days: int, market_id: str | None, period: str,
              max_units: int, limit: _dt.timedelta | None, calls_before: collections.Counter[str],
              bar: Any) -> SyncResult:
    """The run under the pair's lock (see the module docstring for the rules)."""
    options = plan.options
    source = plan.report_type
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
        "run_id": run_id, "event": "start", "started": iso_utc(started), "status": "running", "account": account,
        "report_type": source, "marketplace_id": identity["marketplace_id"], "report_options":
        identity["report_options"], "start": rng.start.isoformat(), "end": rng.end.isoformat(),
        "pid": os.getpid(), "host": socket.gethostname(), "budget_s": plan.budget_s}
    append_history(meta, record)
    checkpoint("history-start")

    present = _present(root, account, plan.selection)
    done = _reconcile(meta, state, present, key, {d for u in final_units for d in iter_days(*u)})
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
    slots = max(1, int(MAX_IN_FLIGHT))
    pool = cf.ThreadPoolExecutor(max_workers=slots, thread_name_prefix="amzv-sync-va") if windows else None
    queued: collections.deque[tuple[_dt.date, _dt.date, cf.Future[pd.DataFrame]]] = collections.deque()
    todo = iter(windows)
    budget_spent = False

    def start_windows() -> None:
        nonlocal budget_spent
        while not budget_spent and len(queued) < slots:
            nxt = next(todo, None)
            if nxt is None:
                return
            if limit is not None and _monotonic() - t0 >= limit.total_seconds():
                budget_spent = True
                return
            if bar is not None and hasattr(bar, "set_description_str"):
                bar.set_description_str(f"{nxt[0]} → {nxt[1]}")
            assert pool is not None
            queued.append((*nxt, pool.submit(_fetch_window, nxt[0], nxt[1], options=options,
                                             marketplace=market_id, client=client)))

    wait_for_in_flight = False
    try:
        start_windows()
        while queued:
            w_start, w_end, future = queued.popleft()  # committed in the planned order
            w_days = list(iter_days(w_start, w_end))
            window = [w_start.isoformat(), w_end.isoformat()]
            info: dict[str, Any] = {"start": w_start, "end": w_end, "rows": 0, "reason": None}
            try:
                frame = future.result()
            except (ReportFatalError, ReportTimeout) as exc:
                reason = getattr(exc, "reason", None) or str(exc)
                category = getattr(exc, "category", "timeout")
                info.update(status="failed", reason=reason, category=category)
                for day in w_days:
                    prev = days.get(day.isoformat(), {})
                    days[day.isoformat()] = {"status": "failed", "reason": reason, "category": category,
                                             "attempts": int(prev.get("attempts", 0)) + 1,
                                             "at": iso_utc(_utcnow()), "window": window}
                    failures[day] = reason
                save_state(meta, state)
                tried.append(info)
                if bar is not None:
                    bar.update(1)
                if category == "options":  # Amazon refuses the query itself: no window can succeed
                    stop_exc = exc
                    wait_for_in_flight = True
                    break
                start_windows()
                continue
            start_windows()
            checkpoint("fetched")
            fetched_at = iso_utc(_utcnow())
            statuses = (frame.attrs.get("amzv") or {}).get("statuses") or []
            empty = None if len(frame) else ("cancelled" if "CANCELLED" in statuses else "no data")
            footer = {"identity_key": key, "report_type": source, "account": account, "window": window,
                      "complete": True, "fetched_at": fetched_at, "run_id": run_id}
            counts = _commit(root, account, meta, frame, w_start, w_end, footer, present)
            frame = None  # free it before the next wait
            for day in w_days:
                markets = counts.get(day, {})
                days[day.isoformat()] = {"status": "done", "rows": sum(markets.values()), "markets": markets,
                                         "at": fetched_at, "window": window, **({"empty": empty} if empty else {})}
                if day not in done:
                    days_added += 1
                    done.add(day)
            save_state(meta, state)
            rows = sum(sum(m.values()) for m in counts.values())
            rows_added += rows
            info.update(status="empty" if empty else "done", rows=rows)
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
            pool.shutdown(wait=wait_for_in_flight, cancel_futures=True)
        remaining = sum(1 for u in final_units for d in iter_days(*u) if d not in done)
        calls_after = collections.Counter(getattr(client, "calls", {}))
        calls = {k: v - calls_before.get(k, 0) for k, v in calls_after.items() if v - calls_before.get(k, 0)}
        if stop_exc is not None:
            status = ("options_error" if isinstance(stop_exc, ReportFatalError)
                      else "interrupted" if isinstance(stop_exc, KeyboardInterrupt) else "error")
        elif failures:
            status = "failed"
        else:
            status = "partial" if remaining else "complete"
        finished = _utcnow()
        last_row = end_record(record, status=status, started=started, finished=finished, tried=tried,
                              days_added=days_added, remaining=remaining, pending_days=pending_days,
                              rows_added=rows_added, calls=calls, stop_exc=stop_exc)
        with contextlib.suppress(OSError):
            append_history(meta, last_row)
        checkpoint("history-end")

    if isinstance(stop_exc, ReportFatalError):
        raise stop_exc
    return SyncResult(path=str(root), report_type=source, marketplace_id=identity["marketplace_id"], status=status,
                      days_added=days_added, days_remaining=remaining, days_pending=pending_days,
                      rows_added=rows_added, failures=failures, windows=tried, calls=calls,
                      elapsed=_dt.timedelta(seconds=_monotonic() - t0), account=account)
