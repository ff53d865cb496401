"""Reports: create (or reuse) -> poll -> download -> parse, as DataFrames.

:func:`read_report` is the one call most users need: it validates everything before
calling Amazon, serves finished ranges from the on-disk cache (zero API calls), reuses
reports already in flight or already done, splits ranges longer than a report type allows
into the fewest windows (created and polled concurrently), polls at a pace the rate limits
allow, streams the document to disk, and parses it with pyarrow.

:func:`get_report` downloads an existing report, :func:`list_reports` and
:func:`list_report_schedules` list what the account has.

This module holds the public verbs (the listing verbs live in :mod:`amzv_pandas._reports.listing`).
The machinery is one module per job: :mod:`~amzv_pandas._reports.plan` (argument checks, request
windows), :mod:`~amzv_pandas._reports.run` (one window: reuse/create, poll; its document's
download and parse in :mod:`~amzv_pandas._reports.download`), :mod:`~amzv_pandas._reports.drive`
(the thread pool, progress bar and timeout), :mod:`~amzv_pandas._reports.cache_reads` and
:mod:`~amzv_pandas._reports.assemble`. Every function takes the transport as ``client=``; the
public ``amzv.read_report``... resolve the default client (the facade) and call these.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import pandas as pd

from .._cache.store import CacheKey, ReportCache
from .._specs.marketplaces import Marketplace, get_marketplace
from .._specs.registry import get_report_type, resolve_report_type
from .._util.checks import check_bool, check_choice, check_writable_dir
from .._util.ids import api_path, check_id
from .._util.progress import validate_progress_bar_type
from .._util.time import parse_utc
from ..exceptions import ConfigurationError, ReportNotGeneratedError
from .answers import API, TERMINAL
from .assemble import assemble
from .cache_reads import cached_by_id, from_cache
from .drive import drive
from .per_marketplace import get_per_marketplace, read_per_marketplace
from .listing import PROCESSING_STATUSES, list_report_schedules, list_reports
from .plan import (Plan, Window, check_cache_mode, check_positive, check_quotechar, check_section, make_plan,
                   resolve_marketplaces, resolve_poll_interval)
from .run import Run
from .._parsers.document import parse_document  # noqa: F401  (re-exported: part of this module's API)
from .._parsers.arrow import check_dtype_backend, convert_frame

if TYPE_CHECKING:
    from .._transport.http import Transport

__all__ = ["read_report", "get_report", "list_reports", "list_report_schedules", "PROCESSING_STATUSES", "parse_document"]

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
    dtype_backend: str | None = None,
    client: "Transport",
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
        Country code(s) or marketplace id(s) of the client's region, at most 25; default: the
        client's. Types Amazon allows one marketplace per report (the vendor analytics and
        forecast reports: the registry's ``single_marketplace``) get one report per marketplace,
        run concurrently within the account's quotas, joined with a ``marketplaceId`` column
        (each row's marketplace id) first; other types keep one report for all of them.
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
    dtype_backend : {"numpy_nullable", "pyarrow"}, optional
        As in pandas' readers: ``None``/``"numpy_nullable"`` gives Int64/Float64/``str``/datetime64
        columns; ``"pyarrow"`` gives ``pd.ArrowDtype`` columns (text shared with the cache's frame).
    client : Client
        The account to read with (the public ``amzv.read_report`` defaults it to
        ``amzv.get_default_client()``).

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
    rt = resolve_report_type(report_type, allow_unknown=check_bool(allow_unknown, "allow_unknown"))
    if query_date_type is not None:
        rt = get_report_type(rt.resolve_query_date_type(query_date_type))
    cache_mode = check_cache_mode(cache)
    backend = check_dtype_backend(dtype_backend)
    refresh = check_bool(refresh, "refresh")
    on_cancelled = check_choice(on_cancelled, "on_cancelled", _ON_CANCELLED)
    validate_progress_bar_type(progress_bar_type)
    interval = resolve_poll_interval(poll_interval)
    timeout = check_positive(timeout, "timeout")
    q = check_quotechar(quotechar, rt)
    sec = check_section(section, rt)
    markets = resolve_marketplaces(client, marketplace)
    if rt.single_marketplace and len(markets) > 1:
        # One report per marketplace (Amazon takes one for these types), all planned (and so
        # checked) before the first call, then run together within the account's quotas.
        plans = [make_plan(client, rt, start, end, [m], report_options, sec, q, cache_mode) for m in markets]
        check_writable_dir(client.cache_dir, "cache_dir")
        runs = [Run(client, p, ReportCache.for_client(client), interval, refresh, on_cancelled) for p in plans]
        return read_per_marketplace(runs, lambda run, bar: _read_run(run, cache_mode, refresh, timeout, bar),
                                    progress_bar_type, backend)
    plan = make_plan(client, rt, start, end, markets, report_options, sec, q, cache_mode)
    # The cache directory also holds the in-flight index (written right after createReport, even
    # with cache=False): a path that cannot be written must fail now, not after the report exists.
    check_writable_dir(client.cache_dir, "cache_dir")

    run = Run(client, plan, ReportCache.for_client(client), interval, refresh, on_cancelled)
    return convert_frame(_read_run(run, cache_mode, refresh, timeout, progress_bar_type), backend)


def _read_run(run: Run, cache_mode: bool | str, refresh: bool, timeout: float | None,
              progress_bar_type: Any) -> pd.DataFrame:
    """A planned read: the windows the cache holds, then the others (driven), assembled."""
    frames: dict[int, pd.DataFrame] = {}
    todo: list[Window] = []
    for w in run.plan.windows:
        frame = None
        if cache_mode is not False and not refresh and w.cacheable:
            frame = from_cache(run, w)
        if frame is None:
            todo.append(w)
        else:
            frames[w.index] = frame
    frames.update(drive(run, todo, timeout, progress_bar_type))
    return assemble(run, frames)


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
    dtype_backend: str | None = None,
    client: "Transport",
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
    marketplace : str, Marketplace or list, optional
        With ``report_type``: only reports covering this marketplace. A list (of one region)
        fetches the newest DONE report of each marketplace, joined with a ``marketplaceId``
        column (as :func:`read_report` does for one-marketplace types).
    section, quotechar : optional
        As in :func:`read_report`.
    cache : bool, default True
        Keep the document on disk (a DONE report's document never changes); a cached report
        id is served without any API call.
    progress_bar_type : optional
        As in :func:`read_report`.
    allow_unknown : bool, default False
        As in :func:`read_report`.
    dtype_backend : {"numpy_nullable", "pyarrow"}, optional
        As in :func:`read_report`.
    client : Client

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
    if (report_id is None) == (report_type is None):
        msg = ("give exactly one of report_id= (a report to download) or report_type= (the newest DONE report "
               "of that type)")
        raise ConfigurationError(msg, parameter="report_id", value=report_id, allowed="report_id or report_type")
    if report_id is not None:
        report_id = check_id(report_id, "report_id")
    cache = check_bool(cache, "cache")
    allow_unknown = check_bool(allow_unknown, "allow_unknown")
    backend = check_dtype_backend(dtype_backend)
    validate_progress_bar_type(progress_bar_type)
    wanted_rt = resolve_report_type(report_type, allow_unknown=allow_unknown) if report_type is not None else None
    # Without a type the section and quoting are matched to the report's once it is known: check their form now.
    check_section(section, wanted_rt or get_report_type("GET_UNKNOWN_TYPE"))
    check_quotechar(quotechar, wanted_rt or get_report_type("GET_UNKNOWN_TYPE"))
    if marketplace is not None and not isinstance(marketplace, (str, Marketplace)):
        if report_type is None:
            msg = "marketplace= selects reports of report_type=; with report_id= the report names its own"
            raise ConfigurationError(msg, parameter="marketplace", value=marketplace, allowed="report_type= with it")
        markets = resolve_marketplaces(client, marketplace)
        if len(markets) > 1:
            if cache:
                check_writable_dir(client.cache_dir, "cache_dir")
            return get_per_marketplace(
                [m.country_code for m in markets],
                lambda code, bar: get_report(report_type=report_type, marketplace=code, section=section,
                                             quotechar=quotechar, cache=cache, progress_bar_type=bar,
                                             allow_unknown=allow_unknown, client=client),
                progress_bar_type, report_type, backend)
        marketplace = markets[0]
    market = client.resolve_marketplace(marketplace) if marketplace is not None else client.marketplace
    if cache:
        check_writable_dir(client.cache_dir, "cache_dir")
    store = ReportCache.for_client(client)

    if report_id is not None:
        hit = cached_by_id(store, client, report_id, section, quotechar) if cache else None
        if hit is not None:
            return convert_frame(hit, backend)
        report = client.request("GET", api_path(f"{API}/reports/{{reportId}}", reportId=report_id))
    else:
        assert wanted_rt is not None
        params: dict[str, Any] = {"reportTypes": [wanted_rt.name], "processingStatuses": ["DONE"], "pageSize": 100}
        if market is not None:
            params["marketplaceIds"] = [market.marketplace_id]
        reports = [r for r in client.request("GET", f"{API}/reports", params=params).get("reports") or []
                   if r.get("reportDocumentId")]
        if not reports:
            where = f" for marketplace {market.country_code}" if market is not None else ""
            central = "Vendor Central" if wanted_rt.family == "vendor" else (
                "Seller Central" if wanted_rt.family == "seller" else "Vendor/Seller Central")
            msg = (f"no DONE {wanted_rt.name} report exists{where} in the last 90 days: generate one with "
                   f"amzv.read_report({wanted_rt.name!r}, ...), or schedule it in {central}")
            raise ReportNotGeneratedError(msg, report_type=wanted_rt.name)
        report = max(reports, key=lambda r: parse_utc(r.get("createdTime")) or _dt.datetime.min.replace(
            tzinfo=_dt.timezone.utc))
        report_id = str(report["reportId"])
        hit = cached_by_id(store, client, report_id, section, quotechar) if cache else None
        if hit is not None:
            return convert_frame(hit, backend)

    rt = get_report_type(str(report.get("reportType") or (wanted_rt.name if wanted_rt else "UNKNOWN")))
    sec = check_section(section, rt)
    q = check_quotechar(quotechar, rt)
    mids = list(report.get("marketplaceIds") or ([market.marketplace_id] if market else []))
    markets = []
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
    w = Window(0, report.get("dataStartTime"), report.get("dataEndTime"), None, None, {}, key, None,
                cacheable=cache)
    w.report_id = report_id
    w.status = str(report.get("processingStatus"))
    plan = Plan(rt, markets, {}, sec, q, [w], w.label_start, w.label_end)
    run = Run(client, plan, store, resolve_poll_interval(None), False, "warn")

    def work(w: Window) -> pd.DataFrame:
        rep = report if report.get("processingStatus") in TERMINAL else run.poll(w, report_id, tolerate_not_found=False)
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

    frames = drive(run, [w], None, progress_bar_type, work)
    return convert_frame(assemble(run, frames), backend)
