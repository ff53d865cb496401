"""Data Kiosk as DataFrames: :func:`read_vendor_analytics`, :func:`query_data_kiosk`, the metric catalogue.

Every argument is checked before the first call (the query with graphql-core against the
shipped SDL); a finished result is served from the cache with zero calls; otherwise
:class:`~amzv_pandas._datakiosk.run.QueryRun` runs every page and
:mod:`~amzv_pandas._datakiosk.flatten` turns the JSONL into one typed frame.
"""

from __future__ import annotations

import hashlib
import warnings
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._reports.plan import check_cache_mode, check_positive, resolve_poll_interval
from .._parsers.arrow import check_dtype_backend, convert_frame
from .._specs.datakiosk.build import QueryPlan, plan_query
from .._specs.datakiosk.catalogue import VIEWS, metric_catalogue, selection_tree
from .._specs.datakiosk.schema import CheckedQuery, check_query, retention_days
from .._util.checks import check_bool, check_writable_dir
from .._util.progress import validate_progress_bar_type
from ..exceptions import NoDataWarning, ParseError
from .flatten import empty_frame, parse_documents
from .results import ResultCache, final_for_cache
from .run import QueryRun

if TYPE_CHECKING:
    from .._transport.http import Transport

__all__ = ["read_vendor_analytics", "query_data_kiosk", "vendor_analytics_metrics", "run_plan"]


def vendor_analytics_metrics(view: str | None = None) -> pd.DataFrame:
    """The Vendor Analytics metric catalogue, read from the shipped SDL.

    Parameters
    ----------
    view : {"manufacturing", "sourcing"}, optional
        One view; both when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per leaf metric: ``view``, ``path`` (what ``metrics=`` takes), ``group``,
        ``type`` (Long, Float, Int, String, Date, Amount), ``list_valued`` (weekly forecasts),
        ``retention`` (ISO 8601), ``retention_days``, ``column`` (the output column, an
        ``Amount`` gives ``_amount`` and ``_currency``) and ``description``.
    """
    from .._util.checks import check_choice

    views = list(VIEWS) if view is None else [check_choice(view, "view", list(VIEWS))]
    rows = [{"view": m.view, "path": m.path, "group": m.group, "type": m.type, "list_valued": m.in_list,
             "retention": m.retention, "retention_days": m.retention_days,
             "column": m.path.replace(".", "_") + ("_amount" if m.type == "Amount" else ""),
             "description": m.description} for v in views for m in metric_catalogue(v)]
    frame = pd.DataFrame(rows)
    return frame.astype({"retention_days": "Int64", "list_valued": "boolean"})


def _checked_common(cache: Any, refresh: Any, progress_bar_type: Any, timeout: Any, poll_interval: Any,
                    client: "Transport") -> tuple[Any, bool, float | None, float]:
    cache_mode = check_cache_mode(cache)
    refresh = check_bool(refresh, "refresh")
    validate_progress_bar_type(progress_bar_type)
    timeout = check_positive(timeout, "timeout", allow_none=True)
    interval = resolve_poll_interval(poll_interval)
    # The in-flight record is written right after createQuery: an unusable cache dir fails now.
    check_writable_dir(client.cache_dir, "cache_dir")
    return cache_mode, refresh, timeout, interval


def _execute(checked: CheckedQuery, *, client: "Transport", cache_mode: Any, refresh: bool, final: bool,
             progress_bar_type: Any, timeout: float | None, poll_interval: float, retention: str | None,
             start: str | None, end: str | None, label: str, warn_no_data: bool = True,
             stacklevel: int = 4) -> pd.DataFrame:
    tree = selection_tree(checked)
    canonical = checked.canonical
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    results = ResultCache.for_client(client, digest, start, end)
    cacheable = cache_mode == "always" or (cache_mode is True and final)
    attrs: dict[str, Any] = {"query": checked.text, "query_sha256": digest, "retention": retention,
                             "dataset": checked.dataset}
    if cache_mode is not False and not refresh and cacheable:
        hit = results.load(tree)
        if hit is not None:
            frame, manifest = hit
            frame.attrs["amzv"] = {**attrs, **manifest, "from_cache": True}
            return frame
    run = QueryRun(client, checked.text, digest, results.store, results.key, cacheable, refresh, poll_interval,
                   timeout, progress_bar_type, retention_days(retention) or 30, label=label)
    try:
        pages = run.run()
        docs = [p for p in pages if p.path is not None]
        try:
            frame = (parse_documents([p.path for p in docs], tree, getattr(client, "document_limits", None))
                     if docs else empty_frame(tree))
        except ParseError:
            results.forget_pages(len(pages))  # a page that does not parse is not kept to fail again
            raise
        manifest = {"query_ids": [p.query_id for p in pages], "document_ids": [p.document_id for p in docs],
                    "pages": len(pages), "statuses": [p.status for p in pages]}
        if cacheable and docs and all(p.status == "DONE" for p in pages):
            results.save(frame, manifest, pages)
    finally:
        run.cleanup()
    if not docs and warn_no_data:
        last = pages[-1]
        why = ("was CANCELLED" if last.status == "CANCELLED" else
               "is DONE without a document: Amazon has no data for this range")
        warnings.warn(f"Data Kiosk query {last.query_id} {why}; returning an empty frame with the expected "
                      "columns", NoDataWarning, stacklevel=stacklevel)
    frame.attrs["amzv"] = {**attrs, **manifest, "from_cache": False}
    return frame


def query_data_kiosk(query: str, *, client: "Transport", cache: bool | str = True, refresh: bool = False,
                     progress_bar_type: Any = "auto", timeout: float | None = None,
                     poll_interval: float | None = None, dtype_backend: str | None = None) -> pd.DataFrame:
    """Run any Data Kiosk GraphQL query (of a dataset whose SDL ships) and return every page, flattened.

    Parameters
    ----------
    query : str
        The GraphQL query, e.g. ``open("my_query.graphql").read()``. It is parsed and validated with
        graphql-core against the dataset's SDL before any call.
    client : Client
        The client (the module-level function uses the default client).
    cache : bool or "always", default True
        Keep the raw JSONL pages (sha256-verified) and the parsed frame; a repeat call is a cache hit
        with zero API calls. Ranges ending within the last 3 days (data not final), or queries whose
        ``endDate`` is not a literal, are cached only with ``"always"``.
    refresh : bool, default False
        Ignore cached pages and in-flight queries: run the query anew.
    progress_bar_type : {"auto", "tqdm", "tqdm_notebook", None} or a bar object
        One bar: query id, status, page and elapsed seconds.
    timeout : float, optional
        Seconds to wait in all; a :class:`~amzv_pandas.exceptions.ReportTimeout` names the query ids
        (calling again resumes polling them).
    poll_interval : float, optional
        First getQuery interval (grows by 1.5x up to 60 s); default ``AMZV_POLL_INTERVAL`` or 5 s.
    dtype_backend : {"numpy_nullable", "pyarrow"}, optional
        As in :func:`~amzv_pandas.read_report`: the library's dtypes (the default) or
        ``pd.ArrowDtype`` columns.

    Returns
    -------
    pandas.DataFrame
        One row per period x group (per period when only ``totals`` is selected); columns named after
        their paths (``orders_orderedUnitsWithRevenue_units``; ``groupByKey``/``metrics`` elided), an
        ``Amount`` as ``_amount`` + ``_currency``, list-valued fields as long rows. ``attrs["amzv"]``
        holds the query, its query and document ids, the pages and the retention.

    Raises
    ------
    ConfigurationError
        A malformed query (with line and column), an unknown dataset, several views, introspection,
        over 8,000 characters, or a bad keyword; no request is sent.
    QueryFatalError
        The query ended FATAL; the message is Amazon's from the error document.
    """
    checked = check_query(query)
    backend = check_dtype_backend(dtype_backend)
    cache_mode, refresh, timeout, interval = _checked_common(cache, refresh, progress_bar_type, timeout,
                                                             poll_interval, client)
    args = checked.arguments()
    start, end = args.get("startDate"), args.get("endDate")
    tree = selection_tree(checked)
    days = [retention_days(n.retention) for n in tree.leaves()]
    known = [d for d in days if d is not None]
    retention = f"P{min(known)}D" if known else None
    frame = _execute(checked, client=client, cache_mode=cache_mode, refresh=refresh,
                     final=final_for_cache(end), progress_bar_type=progress_bar_type, timeout=timeout,
                     poll_interval=interval, retention=retention, start=start, end=end, label="Data Kiosk",
                     stacklevel=4)
    return convert_frame(frame, backend)


def read_vendor_analytics(start: Any = None, end: Any = None, *, view: str = "manufacturing",
                          aggregate_by: str = "DAY", metrics: Any = None, group_by: Any = ("asin",),
                          totals: bool = False, currency: str | None = None, marketplace: Any = None,
                          client: "Transport", cache: bool | str = True, refresh: bool = False,
                          progress_bar_type: Any = "auto", timeout: float | None = None,
                          poll_interval: float | None = None, dtype_backend: str | None = None) -> pd.DataFrame:
    """Vendor Analytics (Data Kiosk ``analytics_vendorAnalytics_2024_09_30``) as one flat frame.

    Parameters
    ----------
    start, end : date, str or int
        The library's date grammar (``"2026-09-01"``, ``"today-7"``, ``7``); ``end`` defaults to ``start``.
        ``start`` at most two years back, ``end`` not in the future. WEEK/MONTH ranges are clipped to
        whole periods inside them, as the dataset does (weeks run Sunday to Saturday).
    view : {"manufacturing", "sourcing"}, default "manufacturing"
    aggregate_by : {"DAY", "WEEK", "MONTH"}, default "DAY"
    metrics : str or list of str, optional
        Metric groups (``"orders"``), dotted paths (``"orders.orderedUnitsWithRevenue"``,
        ``"traffic.glanceViews"``); see :func:`vendor_analytics_metrics`. ``None`` selects every metric
        of the view that is not list-valued (weekly forecasts must be asked for: ``"forecasting"``);
        with ``aggregate_by="DAY"`` over several days it leaves out ``productAvailability``, which
        Amazon serves only for one day at a time (``attrs["amzv"]["skipped_metrics"]`` lists them).
    group_by : str or list of str, default ("asin",)
        GroupByAttributes fields (``"asin"``, ``"brand"``, ``"parentAsin"``, ``"vendorCode"``...).
    totals : bool, default False
        Return the per-period totals (whole catalogue) instead of the grouped rows.
    currency : str, optional
        ISO 4217 code for every amount (Amazon's default is USD).
    marketplace : str or Marketplace, optional
        Keep only this marketplace's rows. Data Kiosk returns every marketplace of the account.
    client : Client
    cache, refresh, progress_bar_type, timeout, poll_interval, dtype_backend
        As in :func:`query_data_kiosk`.

    Returns
    -------
    pandas.DataFrame
        ``startDate``/``endDate`` (datetime64), ``marketplaceId``, the group-by keys, then one column per
        metric path (``Long`` -> Int64, ``Float`` -> Float64, ``Amount`` -> ``_amount`` Float64 +
        ``_currency``, ``Date`` -> datetime64, strings -> str); forecasts come back long (one row per
        forecast week). ``attrs["amzv"]``: query, query/document ids, pages, retention, dates.

    Raises
    ------
    ConfigurationError
        Unknown metric or group-by names (did-you-mean), bad ``view``/``aggregate_by``/``currency``/
        ``marketplace``, a start more than two years back, an end before the start or in the future,
        a range holding no whole week/month; no request is sent.
    QueryFatalError
        The query ended FATAL (Amazon's message).

    Examples
    --------
    >>> df = amzv.read_vendor_analytics("2026-09-01", "2026-09-30", metrics=["orders", "traffic.glanceViews"])
    """
    plan = plan_query(start, end if end is not None else start, view=view, aggregate_by=aggregate_by,
                      metrics=metrics, group_by=group_by, totals=totals, currency=currency)
    return run_plan(plan, marketplace=marketplace, client=client, cache=cache, refresh=refresh,
                    progress_bar_type=progress_bar_type, timeout=timeout, poll_interval=poll_interval,
                    dtype_backend=dtype_backend, _stacklevel=5)


def run_plan(plan: QueryPlan, *, client: "Transport", marketplace: Any = None, cache: bool | str = True,
             refresh: bool = False, progress_bar_type: Any = "auto", timeout: float | None = None,
             poll_interval: float | None = None, dtype_backend: str | None = None,
             warn_no_data: bool = True, _stacklevel: int = 4) -> pd.DataFrame:
    """Run a checked :class:`~amzv_pandas._specs.datakiosk.build.QueryPlan`: what
    :func:`read_vendor_analytics` does after :func:`~amzv_pandas._specs.datakiosk.build.plan_query`.

    ``warn_no_data=False`` (sync) returns the empty frame without a :class:`NoDataWarning`;
    ``attrs["amzv"]["statuses"]`` then says DONE (no document) or CANCELLED. The warning names
    the line ``_stacklevel`` frames up (the caller of the public function).
    """
    backend = check_dtype_backend(dtype_backend)
    market_id = None
    if marketplace is not None:
        market_id = client.resolve_marketplace(marketplace).marketplace_id
    cache_mode, refresh, timeout, interval = _checked_common(cache, refresh, progress_bar_type, timeout,
                                                             poll_interval, client)
    frame = _execute(plan.checked, client=client, cache_mode=cache_mode, refresh=refresh,
                     final=final_for_cache(str(plan.end)), progress_bar_type=progress_bar_type, timeout=timeout,
                     poll_interval=interval, retention=plan.retention, start=str(plan.start), end=str(plan.end),
                     label=f"Vendor Analytics {plan.view}", warn_no_data=warn_no_data,
                     stacklevel=_stacklevel)
    attrs = dict(frame.attrs.get("amzv") or {})
    if market_id is not None and "marketplaceId" in frame.columns:
        frame = frame[frame["marketplaceId"] == market_id].reset_index(drop=True)
    attrs.update(view=plan.view, aggregate_by=plan.aggregate_by, start=plan.start.isoformat(),
                 end=plan.end.isoformat(), metrics=[m.path for m in plan.metrics], group_by=list(plan.group_by),
                 totals=plan.totals, currency=plan.currency, marketplace_id=market_id,
                 skipped_metrics=list(plan.skipped))
    frame = convert_frame(frame, backend)
    frame.attrs["amzv"] = attrs
    return frame
