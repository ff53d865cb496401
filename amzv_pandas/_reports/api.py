"""Reports: create (or reuse) -> poll -> download -> parse, as DataFrames.

:func:`read_report` is the one call most users need: it validates everything before
calling Amazon, serves finished ranges from the on-disk cache (zero API calls), reuses
reports already in flight or already done, splits ranges longer than a report type allows
into the fewest windows (created and polled concurrently), polls at a pace the rate limits
allow, streams the document to disk, and parses it with pyarrow.

:func:`get_report` downloads an existing report, :func:`list_reports` and
:func:`list_report_schedules` list what the account has.

This module holds the public verbs. The machinery lives in two private modules:
:mod:`amzv_pandas._reports.plan` (argument checks and cutting a range into request windows)
and :mod:`amzv_pandas._reports.run` (one run of windows: reuse/create, poll, download,
parse, progress, cache reads and assembling the frame).
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import pandas as pd

from .._util.ids import api_path, check_id
from .._util.progress import validate_progress_bar_type
from .plan import (
    DEFAULT_POLL_INTERVAL,
    MAX_LIST_FILTER,
    _check_cache_mode,
    _check_positive,
    _check_quotechar,
    _check_section,
    _instant,
    _iso,
    _marketplaces,
    _now,
    _parse_time,
    _Plan,
    _plan,
    _poll_interval,
    _Window,
)
from .run import _API, _TERMINAL, _assemble, _drive, _from_cache, _Run
from .run import parse_document  # noqa: F401  (re-exported: part of this module's API)
from .._util.checks import check_bool, check_choice, check_int, check_writable_dir
from .._cache.store import CacheKey, ReportCache
from ..exceptions import ConfigurationError, ReportNotGeneratedError
from .._specs.marketplaces import Marketplace
from .._specs.registry import REPORT_TYPES, get_report_type, resolve_report_type

if TYPE_CHECKING:
    from .._transport.http import Client

__all__ = ["read_report", "get_report", "list_reports", "list_report_schedules", "PROCESSING_STATUSES"]

#: ``processingStatus`` values of the Reports API model (``ProcessingStatus`` enum).
PROCESSING_STATUSES: tuple[str, ...] = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")

#: Reports live 90 days at Amazon; getReports' createdSince default.
RETENTION = _dt.timedelta(days=90)

_ON_CANCELLED = ("warn", "raise", "ignore")


# --------------------------------------------------------------------------------------------
# public API


def read_report(
    report_type: str,
    start: Any = None,
    end: Any = None,
    *,
    marketplace: str | Marketplace | Sequence[str] | None = None,
    report_options: Mapping[str, Any] | None = None,
    section: str | None = None,
    quotechar: str | None = "auto",
    query_date_type: str | None = None,
    cache: bool | str = True,
    refresh: bool = False,
    progress_bar_type: Any = "auto",
    poll_interval: float | None = None,
    timeout: float | None = None,
    on_cancelled: str = "warn",
    allow_unknown: bool = False,
    client: "Client | None" = None,
) -> pd.DataFrame:
    """Request a report (or reuse one) and return it as a DataFrame.

    Create (or reuse) -> poll -> download -> parse. Everything is validated before the
    first API call. Finished ranges come from the on-disk cache without any API call.

    Before creating a report it reuses one: a matching report still in flight (remembered
    in the cache directory, so a restarted kernel resumes polling it), or, for report types
    without reportOptions, a matching DONE report listed by getReports. getReports does not
    show a report's options, so a DONE vendor report (whose options matter) is reused only
    through the in-flight record, never guessed from the listing.

    A range that reaches into days Amazon has not published yet (the report type's
    publication lag, e.g. 72 h for vendor sales) is trimmed to the last published day with
    a :class:`~amzv_pandas.exceptions.NoDataWarning`; a range lying wholly inside it is
    refused before any call.

    Parameters
    ----------
    report_type : str
        Amazon's report type, e.g. ``"GET_VENDOR_SALES_REPORT"`` (see ``amzv.report_types()``).
        A name the registry does not know is refused (:class:`UnknownReportTypeError`, with
        the close names) unless ``allow_unknown=True``.
    start, end : date-like, optional
        The inclusive range: ``datetime.date``/``datetime``, ISO strings, or the relative forms
        ``"today"``/0, ``"yesterday"``/1, ``"today-7"``/7. ``end`` defaults to ``start`` (one day).
        Not used by snapshot reports (listings, inventory, forecasts). For the coupon and
        promotion reports it fills the campaign/promotion start-date options.
    marketplace : str, Marketplace or list, optional
        Country code(s) or marketplace id(s), at most 25; default: the client's. The vendor
        analytics and forecast reports take exactly one (the vendor account's).
    report_options : mapping, optional
        ``reportOptions``; values are checked against the registry and missing options with a
        default are filled (``reportPeriod="DAY"``...).
    section : str, optional
        The table of a JSON report (``"salesAggregate"``, ``"salesByAsin"``...); default: the
        type's default section.
    quotechar : {"auto", '"', None, "\\0"}, default "auto"
        Flat files: ``"auto"`` is the report type's default, ``'"'`` double-quote quoting,
        ``None``/``"\\0"`` no quoting (stray quotes in titles stay data).
    query_date_type : {"created", "last_updated"}, optional
        For order reports: whether the range filters on the order date or the last update.
    cache : bool or "always", default True
        Use the on-disk cache. Ranges whose data is not final yet (within the type's
        publication lag, or snapshots) are cached only with ``"always"``.
    refresh : bool, default False
        Ignore cached documents and finished reports; fetch anew (the result is cached).
    progress_bar_type : {"auto", "tqdm", "tqdm_notebook", None} or bar, default "auto"
        One bar: the processing status and elapsed time, then the bytes downloaded (one
        bar over windows when the range is split). Cache hits show none.
    poll_interval : float, optional
        First pause between status checks, in seconds (default ``AMZV_POLL_INTERVAL``, else 5);
        it grows by 1.5x up to 60 s.
    timeout : float, optional
        Seconds to wait; then :class:`ReportTimeout` carries the report id(s), which
        :func:`get_report` (or the same call again) picks up later.
    on_cancelled : {"warn", "raise", "ignore"}, default "warn"
        A CANCELLED report (Amazon's "no data"): an empty frame with the expected columns
        and a :class:`NoDataWarning`, a :class:`ReportCancelledError`, or an empty frame silently.
    allow_unknown : bool, default False
        Send a report type the registry does not list (one Amazon added after this release; it
        must still look like one: ``[A-Z0-9_]{3,100}``). Options are then sent as given and the
        document format is guessed.
    client : Client, optional
        Default: ``amzv.get_default_client()``.

    Returns
    -------
    DataFrame
        Windows concatenated in date order with a fresh RangeIndex. ``df.attrs["amzv"]`` holds
        ``report_type``, ``report_ids``, ``document_ids``, ``marketplace_ids``,
        ``report_options``, ``section``, ``data_start``, ``data_end``, ``from_cache`` and
        ``windows`` (one dict per request window).

    Raises
    ------
    UnknownReportTypeError
        Before any API call: ``report_type`` is not in the registry (``suggestions`` holds the
        close names).
    CachePathError
        Before any API call: ``client.cache_dir`` (which also holds the in-flight index) is a
        file, lies under one, is not writable, or has a NUL or over-long component.
    ConfigurationError
        Before any API call: unknown or bad options, a missing required option, end before
        start, a range in the future, a misaligned WEEK/MONTH/QUARTER/YEAR range (the nearest
        aligned ranges are named), more than 25 marketplaces...
    ReportFatalError
        The report ended FATAL; ``reason`` is Amazon's explanation, ``category`` and ``fix`` say
        what to do.
    ReportCancelledError
        CANCELLED with ``on_cancelled="raise"``.
    ReportTimeout
        ``timeout`` ran out; ``report_ids`` can be fetched later.

    Examples
    --------
    >>> df = amzv.read_report("GET_VENDOR_SALES_REPORT", "2024-03-03", "2024-03-30",
    ...                       report_options={"reportPeriod": "WEEK"})        # doctest: +SKIP
    """
    from .._transport.http import resolve_client

    rt = resolve_report_type(report_type, allow_unknown=check_bool(allow_unknown, "allow_unknown"))
    if query_date_type is not None:
        rt = get_report_type(rt.resolve_query_date_type(query_date_type))
    cache_mode = _check_cache_mode(cache)
    refresh = check_bool(refresh, "refresh")
    on_cancelled = check_choice(on_cancelled, "on_cancelled", _ON_CANCELLED)
    validate_progress_bar_type(progress_bar_type)
    interval = _poll_interval(poll_interval)
    timeout = _check_positive(timeout, "timeout")
    q = _check_quotechar(quotechar, rt)
    sec = _check_section(section, rt)
    client = resolve_client(client)
    markets = _marketplaces(client, marketplace)
    plan = _plan(client, rt, start, end, markets, report_options, sec, q, cache_mode)
    # The cache directory also holds the in-flight index (written right after createReport, even
    # with cache=False): a path that cannot be written must fail now, not after the report exists.
    check_writable_dir(client.cache_dir, "cache_dir")

    run = _Run(client, plan, ReportCache.for_client(client), interval, refresh, on_cancelled)
    frames: dict[int, pd.DataFrame] = {}
    todo: list[_Window] = []
    for w in plan.windows:
        frame = None
        if cache_mode is not False and not refresh and w.cacheable:
            frame = _from_cache(run, w)
        if frame is None:
            todo.append(w)
        else:
            frames[w.index] = frame
    frames.update(_drive(run, todo, timeout, progress_bar_type))
    return _assemble(run, frames)


def get_report(
    report_id: str | None = None,
    *,
    report_type: str | None = None,
    marketplace: str | Marketplace | None = None,
    section: str | None = None,
    quotechar: str | None = "auto",
    cache: bool = True,
    progress_bar_type: Any = "auto",
    allow_unknown: bool = False,
    client: "Client | None" = None,
) -> pd.DataFrame:
    """Download an existing report as a DataFrame.

    Parameters
    ----------
    report_id : str, optional
        The report to fetch (e.g. from :class:`ReportTimeout` or :func:`list_reports`); polled
        first when still processing. Letters, digits and ``. _ -`` only (it goes into the
        request path).
    report_type : str, optional
        Instead of an id: the most recent DONE report of this type (and ``marketplace``),
        e.g. one Amazon made on a schedule. Must be in the registry unless ``allow_unknown``.
    marketplace : str or Marketplace, optional
        With ``report_type``: only reports covering this marketplace.
    section, quotechar : optional
        As in :func:`read_report`.
    cache : bool, default True
        Keep the document on disk (a DONE report's document never changes); a cached report
        id is served without any API call.
    progress_bar_type : optional
        As in :func:`read_report`.
    allow_unknown : bool, default False
        As in :func:`read_report`.
    client : Client, optional

    Returns
    -------
    DataFrame
        With ``df.attrs["amzv"]`` as in :func:`read_report`.

    Raises
    ------
    ConfigurationError
        Before any call: a ``report_id`` outside the safe alphabet, an unknown ``report_type``
        (:class:`UnknownReportTypeError`), an unusable ``client.cache_dir`` with ``cache=True``
        (:class:`CachePathError`)...
    ReportNotGeneratedError
        No DONE report of ``report_type`` exists (generate one with :func:`read_report`, or
        schedule it in Vendor/Seller Central).
    ReportFatalError
        The report ended FATAL.
    """
    from .._transport.http import resolve_client

    if (report_id is None) == (report_type is None):
        msg = ("give exactly one of report_id= (a report to download) or report_type= (the newest DONE report "
               "of that type)")
        raise ConfigurationError(msg, parameter="report_id", value=report_id, allowed="report_id or report_type")
    if report_id is not None:
        report_id = check_id(report_id, "report_id")
    cache = check_bool(cache, "cache")
    allow_unknown = check_bool(allow_unknown, "allow_unknown")
    validate_progress_bar_type(progress_bar_type)
    wanted_rt = resolve_report_type(report_type, allow_unknown=allow_unknown) if report_type is not None else None
    # Without a type the section and quoting are matched to the report's once it is known: check their form now.
    _check_section(section, wanted_rt or get_report_type("GET_UNKNOWN_TYPE"))
    _check_quotechar(quotechar, wanted_rt or get_report_type("GET_UNKNOWN_TYPE"))
    client = resolve_client(client)
    market = client.resolve_marketplace(marketplace) if marketplace is not None else client.marketplace
    if cache:
        check_writable_dir(client.cache_dir, "cache_dir")
    store = ReportCache.for_client(client)

    if report_id is not None:
        hit = _cached_by_id(store, client, report_id, section, quotechar) if cache else None
        if hit is not None:
            return hit
        report = client.request("GET", api_path(f"{_API}/reports/{{reportId}}", reportId=report_id))
    else:
        assert wanted_rt is not None
        params: dict[str, Any] = {"reportTypes": [wanted_rt.name], "processingStatuses": ["DONE"], "pageSize": 100}
        if market is not None:
            params["marketplaceIds"] = [market.marketplace_id]
        reports = [r for r in client.request("GET", f"{_API}/reports", params=params).get("reports") or []
                   if r.get("reportDocumentId")]
        if not reports:
            where = f" for marketplace {market.country_code}" if market is not None else ""
            central = "Vendor Central" if wanted_rt.family == "vendor" else (
                "Seller Central" if wanted_rt.family == "seller" else "Vendor/Seller Central")
            msg = (f"no DONE {wanted_rt.name} report exists{where} in the last 90 days: generate one with "
                   f"amzv.read_report({wanted_rt.name!r}, ...), or schedule it in {central}")
            raise ReportNotGeneratedError(msg, report_type=wanted_rt.name)
        report = max(reports, key=lambda r: _parse_time(r.get("createdTime")) or _dt.datetime.min.replace(
            tzinfo=_dt.timezone.utc))
        report_id = str(report["reportId"])
        hit = _cached_by_id(store, client, report_id, section, quotechar) if cache else None
        if hit is not None:
            return hit

    rt = get_report_type(str(report.get("reportType") or (wanted_rt.name if wanted_rt else "UNKNOWN")))
    sec = _check_section(section, rt)
    q = _check_quotechar(quotechar, rt)
    mids = list(report.get("marketplaceIds") or ([market.marketplace_id] if market else []))
    markets = []
    from .._specs.marketplaces import get_marketplace

    for mid in mids:
        try:
            markets.append(get_marketplace(mid))
        except ConfigurationError:
            pass
    if not markets:
        markets = [market or client.marketplace or get_marketplace("US")]
    key = CacheKey.make(region=client.region, account=client.account_key, report_type=rt.name,
                        marketplace_ids=mids, start=report.get("dataStartTime"), end=report.get("dataEndTime"),
                        report_id=report_id)
    w = _Window(0, report.get("dataStartTime"), report.get("dataEndTime"), None, None, {}, key, None,
                cacheable=cache)
    w.report_id = report_id
    w.status = str(report.get("processingStatus"))
    plan = _Plan(rt, markets, {}, sec, q, [w], w.label_start, w.label_end)
    run = _Run(client, plan, store, _poll_interval(None), False, "warn")

    def work(w: _Window) -> pd.DataFrame:
        rep = report if report.get("processingStatus") in _TERMINAL else run.poll(w, report_id, tolerate_not_found=False)
        status = rep.get("processingStatus")
        if status == "FATAL":
            raise run.fatal_error(rep)
        if status == "CANCELLED":
            return run.cancelled(report_id)
        w.document_id = str(rep["reportDocumentId"])
        w.status = "DOWNLOADING"
        frame = run.download_and_parse(w, report_id, w.document_id, store.entry(key) if cache else None)
        w.status = "DONE"
        return frame

    frames = _drive(run, [w], None, progress_bar_type, work)
    return _assemble(run, frames)


def _cached_by_id(store: ReportCache, client: "Client", report_id: str, section: str | None,
                  quotechar: Any) -> pd.DataFrame | None:
    """A cached document of ``report_id`` (fetched by read_report or get_report), parsed."""
    for entry in store.entries():
        meta = entry.meta() or {}
        if meta.get("report_id") != report_id or entry.key.region != client.region \
                or entry.key.account != client.account_key:
            continue
        rt = get_report_type(entry.key.report_type)
        from .._specs.marketplaces import get_marketplace

        try:
            markets = [get_marketplace(m) for m in entry.key.marketplace_ids] or [get_marketplace("US")]
        except ConfigurationError:
            markets = [get_marketplace("US")]
        w = _Window(0, entry.key.start, entry.key.end, None, None, dict(entry.key.options), entry.key, None, True)
        plan = _Plan(rt, markets, dict(entry.key.options), _check_section(section, rt),
                     _check_quotechar(quotechar, rt), [w], entry.key.start, entry.key.end)
        run = _Run(client, plan, store, DEFAULT_POLL_INTERVAL, False, "warn")
        frame = _from_cache(run, w)
        if frame is not None:
            return _assemble(run, {0: frame})
    return None


# --------------------------------------------------------------------------------------------
# listing


_REPORT_COLUMNS = ["reportId", "reportType", "processingStatus", "marketplaceIds", "dataStartTime", "dataEndTime",
                   "createdTime", "processingStartTime", "processingEndTime", "reportScheduleId", "reportDocumentId"]
_TIME_COLUMNS = ["dataStartTime", "dataEndTime", "createdTime", "processingStartTime", "processingEndTime"]


def _names(value: Any, parameter: str, *, limit: int | None, allowed: Sequence[str] | None = None) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value) \
        if isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray, Mapping)) else None
    if items is None or not items or not all(isinstance(v, str) and v.strip() for v in items):
        msg = f"{parameter}={value!r} must be a name or a non-empty list of names"
        raise ConfigurationError(msg, parameter=parameter, value=value, allowed=list(allowed) if allowed else None)
    out = list(dict.fromkeys(v.strip().upper() for v in items))
    if limit is not None and len(out) > limit:
        msg = f"{parameter} lists {len(out)} values; the API takes at most {limit} per call"
        raise ConfigurationError(msg, parameter=parameter, value=value, allowed=f"1 to {limit} values")
    if allowed is not None:
        bad = [v for v in out if v not in allowed]
        if bad:
            msg = f"{parameter}={bad[0]!r} is not a processing status; allowed: {', '.join(allowed)}"
            raise ConfigurationError(msg, parameter=parameter, value=bad[0], allowed=list(allowed))
    return out


def _report_type_names(value: Any, *, limit: int | None, allow_unknown: Any) -> list[str] | None:
    """``report_types=`` of the listing verbs: registry names (a typo would list nothing, silently)."""
    names = _names(value, "report_types", limit=limit)
    allow = check_bool(allow_unknown, "allow_unknown")
    if names is None:
        return None
    return list(dict.fromkeys(resolve_report_type(n, allow_unknown=allow, parameter="report_types").name
                              for n in names))


def _list_time(value: Any, parameter: str, *, is_end: bool) -> _dt.datetime | None:
    if value is None:
        return None
    return _instant(value, parameter, is_end=is_end, today=_now().date())


def _typed_reports(rows: list[dict[str, Any]]) -> pd.DataFrame:
    records = []
    for r in rows:
        rec = {c: r.get(c) for c in _REPORT_COLUMNS}
        mids = r.get("marketplaceIds")
        rec["marketplaceIds"] = ",".join(mids) if isinstance(mids, list) else mids
        records.append(rec)
    df = pd.DataFrame(records, columns=_REPORT_COLUMNS)
    for c in _REPORT_COLUMNS:
        if c in _TIME_COLUMNS:
            df[c] = pd.to_datetime(df[c], utc=True, format="ISO8601").astype("datetime64[us, UTC]")
        else:
            df[c] = df[c].astype("str")
    return df


def list_reports(
    report_types: str | Sequence[str] | None = None,
    *,
    statuses: str | Sequence[str] | None = None,
    marketplace: str | Marketplace | Sequence[str] | None = None,
    created_since: Any = None,
    created_until: Any = None,
    max_results: int | None = None,
    allow_unknown: bool = False,
    client: "Client | None" = None,
) -> pd.DataFrame:
    """List the account's reports (``getReports``, every page).

    Parameters
    ----------
    report_types : str or list of str, optional
        At most 10, each in the registry (unless ``allow_unknown``). Default: every report
        type in the registry (asked 10 at a time).
    statuses : str or list of str, optional
        ``processingStatus`` values: CANCELLED, DONE, FATAL, IN_PROGRESS, IN_QUEUE.
    marketplace : str or list, optional
        Only reports covering one of these marketplaces (at most 10).
    created_since, created_until : date-like, optional
        Creation-time range; default: the last 90 days (Amazon keeps reports that long).
    max_results : int, optional
        Stop after this many reports.
    allow_unknown : bool, default False
        Accept report types the registry does not list (see :func:`read_report`).
    client : Client, optional

    Returns
    -------
    DataFrame
        One row per report, newest first: ``reportId``, ``reportType``, ``processingStatus``,
        ``marketplaceIds`` (comma-separated), ``dataStartTime``, ``dataEndTime``, ``createdTime``,
        ``processingStartTime``, ``processingEndTime`` (UTC datetimes), ``reportScheduleId``,
        ``reportDocumentId``.
    """
    from .._transport.http import resolve_client

    types = _report_type_names(report_types, limit=MAX_LIST_FILTER, allow_unknown=allow_unknown)
    stats = _names(statuses, "statuses", limit=MAX_LIST_FILTER, allowed=PROCESSING_STATUSES)
    max_results = check_int(max_results, "max_results", min=1, allow_none=True)
    since = _list_time(created_since, "created_since", is_end=False)
    until = _list_time(created_until, "created_until", is_end=True)
    now = _now()
    if since is None:
        since = now - RETENTION + _dt.timedelta(minutes=1)  # the model's default, sent explicitly
    if until is not None and until > now:
        until = None
    if until is not None and since > until:
        msg = f"created_since={_iso(since)} is after created_until={_iso(until)}"
        raise ConfigurationError(msg, parameter="created_since", value=created_since,
                                 allowed=f"on or before {_iso(until)}")
    if since >= now:
        msg = f"created_since={_iso(since)} is in the future"
        raise ConfigurationError(msg, parameter="created_since", value=created_since, allowed=f"before {_iso(now)}")
    client = resolve_client(client)
    mids = None
    if marketplace is not None:
        markets = _marketplaces(client, marketplace)
        if len(markets) > MAX_LIST_FILTER:
            msg = f"marketplace= lists {len(markets)} marketplaces; getReports takes at most {MAX_LIST_FILTER}"
            raise ConfigurationError(msg, parameter="marketplace", value=marketplace,
                                     allowed=f"1 to {MAX_LIST_FILTER} marketplaces")
        mids = [m.marketplace_id for m in markets]
    chunks = [types] if types is not None else [
        sorted(REPORT_TYPES)[i:i + MAX_LIST_FILTER] for i in range(0, len(REPORT_TYPES), MAX_LIST_FILTER)]
    rows: list[dict[str, Any]] = []
    pages = 0
    for chunk in chunks:
        params: dict[str, Any] = {"reportTypes": chunk, "processingStatuses": stats, "marketplaceIds": mids,
                                  "createdSince": _iso(since), "createdUntil": _iso(until) if until else None,
                                  "pageSize": min(100, max_results) if max_results else 100}
        while True:
            answer = client.request("GET", f"{_API}/reports", params=params)
            pages += 1
            rows.extend(answer.get("reports") or [])
            token = answer.get("nextToken")
            if not token or (max_results is not None and len(rows) >= max_results and types is not None):
                break
            params = {"nextToken": token}  # the model: nextToken must be the only parameter
        if max_results is not None and len(rows) >= max_results and types is not None:
            break
    df = _typed_reports(rows)
    if len(chunks) > 1:
        df = df.sort_values("createdTime", ascending=False, kind="stable", ignore_index=True)
    if max_results is not None:
        df = df.iloc[:max_results].reset_index(drop=True)
    df.attrs["amzv"] = {"report_types": types, "statuses": stats, "marketplace_ids": mids, "pages": pages,
                        "created_since": _iso(since), "created_until": _iso(until) if until else None}
    return df


_SCHEDULE_COLUMNS = ["reportScheduleId", "reportType", "marketplaceIds", "period", "nextReportCreationTime",
                     "reportOptions"]


def list_report_schedules(
    report_types: str | Sequence[str] | None = None,
    *,
    marketplace: str | Marketplace | Sequence[str] | None = None,
    allow_unknown: bool = False,
    client: "Client | None" = None,
) -> pd.DataFrame:
    """List the account's report schedules (``getReportSchedules``).

    Parameters
    ----------
    report_types : str or list of str, optional
        Each in the registry (unless ``allow_unknown``). Default: every report type in the
        registry (the API takes 10 per call; asked in chunks).
    marketplace : str or list, optional
        Only schedules covering one of these marketplaces.
    allow_unknown : bool, default False
        Accept report types the registry does not list (see :func:`read_report`).
    client : Client, optional

    Returns
    -------
    DataFrame
        One row per schedule: ``reportScheduleId``, ``reportType``, ``marketplaceIds``
        (comma-separated), ``period`` (ISO 8601 duration such as ``P1D``),
        ``nextReportCreationTime`` (UTC) and ``reportOptions`` (dict).
    """
    from .._transport.http import resolve_client

    types = _report_type_names(report_types, limit=None, allow_unknown=allow_unknown) or sorted(REPORT_TYPES)
    client = resolve_client(client)
    wanted = None
    if marketplace is not None:
        wanted = {m.marketplace_id for m in _marketplaces(client, marketplace)}
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i in range(0, len(types), MAX_LIST_FILTER):
        answer = client.request("GET", f"{_API}/schedules", params={"reportTypes": types[i:i + MAX_LIST_FILTER]})
        for s in answer.get("reportSchedules") or []:
            sid = str(s.get("reportScheduleId"))
            if sid in seen:
                continue
            seen.add(sid)
            mids = s.get("marketplaceIds") or []
            if wanted is not None and not wanted & set(mids):
                continue
            rows.append({"reportScheduleId": sid, "reportType": s.get("reportType"),
                         "marketplaceIds": ",".join(mids), "period": s.get("period"),
                         "nextReportCreationTime": s.get("nextReportCreationTime"),
                         "reportOptions": dict(s.get("reportOptions") or {})})
    df = pd.DataFrame(rows, columns=_SCHEDULE_COLUMNS)
    for c in ("reportScheduleId", "reportType", "marketplaceIds", "period"):
        df[c] = df[c].astype("str")
    df["nextReportCreationTime"] = pd.to_datetime(df["nextReportCreationTime"], utc=True,
                                                  format="ISO8601").astype("datetime64[us, UTC]")
    df["reportOptions"] = df["reportOptions"].astype(object)
    df.attrs["amzv"] = {"report_types": types, "calls": -(-len(types) // MAX_LIST_FILTER)}
    return df
