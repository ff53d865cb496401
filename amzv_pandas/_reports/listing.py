"""Listing what the account has: ``getReports`` (:func:`list_reports`) and ``getReportSchedules``.

Every page is fetched; the report types asked for are registry names (a typo would list
nothing, silently), at most 10 per call as the API takes.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import pandas as pd

from .._parsers.arrow import check_dtype_backend, convert_frame
from .._specs.marketplaces import Marketplace
from .._specs.registry import REPORT_TYPES, resolve_report_type
from .._specs.windows import parse_instant
from .._util.checks import check_bool, check_int
from .._util.time import iso_utc, utc_now
from ..exceptions import ConfigurationError
from .answers import API
from .plan import MAX_LIST_FILTER, resolve_marketplaces

if TYPE_CHECKING:
    from .._transport.http import Transport

__all__ = ["list_reports", "list_report_schedules", "PROCESSING_STATUSES", "RETENTION"]

#: ``processingStatus`` values of the Reports API model (``ProcessingStatus`` enum).
PROCESSING_STATUSES: tuple[str, ...] = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")

#: Reports live 90 days at Amazon; getReports' createdSince default.
RETENTION = _dt.timedelta(days=90)



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
    return parse_instant(value, parameter, is_end=is_end, today=utc_now().date())


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
    dtype_backend: str | None = None,
    client: "Transport",
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
    dtype_backend : {"numpy_nullable", "pyarrow"}, optional
        As in :func:`read_report`.
    client : Client

    Returns
    -------
    DataFrame
        One row per report, newest first: ``reportId``, ``reportType``, ``processingStatus``,
        ``marketplaceIds`` (comma-separated), ``dataStartTime``, ``dataEndTime``, ``createdTime``,
        ``processingStartTime``, ``processingEndTime`` (UTC datetimes), ``reportScheduleId``,
        ``reportDocumentId``.
    """
    types = _report_type_names(report_types, limit=MAX_LIST_FILTER, allow_unknown=allow_unknown)
    stats = _names(statuses, "statuses", limit=MAX_LIST_FILTER, allowed=PROCESSING_STATUSES)
    max_results = check_int(max_results, "max_results", min=1, allow_none=True)
    backend = check_dtype_backend(dtype_backend)
    since = _list_time(created_since, "created_since", is_end=False)
    until = _list_time(created_until, "created_until", is_end=True)
    now = utc_now()
    if since is None:
        since = now - RETENTION + _dt.timedelta(minutes=1)  # the model's default, sent explicitly
    if until is not None and until > now:
        until = None
    if until is not None and since > until:
        msg = f"created_since={iso_utc(since)} is after created_until={iso_utc(until)}"
        raise ConfigurationError(msg, parameter="created_since", value=created_since,
                                 allowed=f"on or before {iso_utc(until)}")
    if since >= now:
        msg = f"created_since={iso_utc(since)} is in the future"
        raise ConfigurationError(msg, parameter="created_since", value=created_since, allowed=f"before {iso_utc(now)}")
    mids = None
    if marketplace is not None:
        markets = resolve_marketplaces(client, marketplace)
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
                                  "createdSince": iso_utc(since), "createdUntil": iso_utc(until) if until else None,
                                  "pageSize": min(100, max_results) if max_results else 100}
        while True:
            answer = client.request("GET", f"{API}/reports", params=params)
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
                        "created_since": iso_utc(since), "created_until": iso_utc(until) if until else None}
    return convert_frame(df, backend)


_SCHEDULE_COLUMNS = ["reportScheduleId", "reportType", "marketplaceIds", "period", "nextReportCreationTime",
                     "reportOptions"]


def list_report_schedules(
    report_types: str | Sequence[str] | None = None,
    *,
    marketplace: str | Marketplace | Sequence[str] | None = None,
    allow_unknown: bool = False,
    dtype_backend: str | None = None,
    client: "Transport",
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
    dtype_backend : {"numpy_nullable", "pyarrow"}, optional
        As in :func:`read_report`.
    client : Client

    Returns
    -------
    DataFrame
        One row per schedule: ``reportScheduleId``, ``reportType``, ``marketplaceIds``
        (comma-separated), ``period`` (ISO 8601 duration such as ``P1D``),
        ``nextReportCreationTime`` (UTC) and ``reportOptions`` (dict).
    """
    types = _report_type_names(report_types, limit=None, allow_unknown=allow_unknown) or sorted(REPORT_TYPES)
    backend = check_dtype_backend(dtype_backend)
    wanted = None
    if marketplace is not None:
        wanted = {m.marketplace_id for m in resolve_marketplaces(client, marketplace)}
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i in range(0, len(types), MAX_LIST_FILTER):
        answer = client.request("GET", f"{API}/schedules", params={"reportTypes": types[i:i + MAX_LIST_FILTER]})
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
    return convert_frame(df, backend)
