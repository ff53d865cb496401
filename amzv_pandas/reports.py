"""Reports: create (or reuse) -> poll -> download -> parse, as DataFrames.

:func:`read_report` is the one call most users need: it validates everything before
calling Amazon, serves finished ranges from the on-disk cache (zero API calls), reuses
reports already in flight or already done, splits ranges longer than a report type allows
into the fewest windows (created and polled concurrently), polls at a pace the rate limits
allow, streams the document to disk, and parses it with pyarrow.

:func:`get_report` downloads an existing report, :func:`list_reports` and
:func:`list_report_schedules` list what the account has.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as _dt
import hashlib
import logging
import os
import re
import tempfile
import threading
import time
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from . import dates as _dates
from . import parse as _parse
from ._progress import get_progress_bar, validate_progress_bar_type
from .cache import CacheEntry, CacheKey, ReportCache, frame_variant
from .exceptions import (
    CacheIntegrityError,
    ConfigurationError,
    Forbidden,
    NoDataWarning,
    NotFound,
    RateLimited,
    ReportCancelledError,
    ReportFatalError,
    ReportNotGeneratedError,
    ReportTimeout,
    ServerError,
    StaleCacheWarning,
    TransportError,
)
from .marketplaces import Marketplace
from .report_types import REPORT_TYPES, ReportType, get_report_type

if TYPE_CHECKING:
    from .client import Client

__all__ = ["read_report", "get_report", "list_reports", "list_report_schedules", "PROCESSING_STATUSES"]

logger = logging.getLogger(__name__)

_API = "/reports/2021-06-30"

#: ``processingStatus`` values of the Reports API model (``ProcessingStatus`` enum).
PROCESSING_STATUSES: tuple[str, ...] = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")
_TERMINAL = frozenset({"DONE", "FATAL", "CANCELLED"})

DEFAULT_POLL_INTERVAL = 5.0
MAX_POLL_INTERVAL = 60.0
POLL_BACKOFF = 1.5
#: getReport can answer 404 for a moment right after createReport (models #2419).
NOT_FOUND_GRACE_SECONDS = 60.0
NOT_FOUND_GRACE_ATTEMPTS = 5
#: Download granularity: large reads keep Python out of the hot path.
CHUNK = 1 << 20
MAX_DOWNLOAD_ATTEMPTS = 4
#: Concurrent windows; createReport itself is paced by the client.
MAX_WORKERS = 4
#: A DONE report whose data was not final when it was made is reused only this soon after.
REUSE_FRESH = _dt.timedelta(minutes=15)
#: Reports live 90 days at Amazon; getReports' createdSince default.
RETENTION = _dt.timedelta(days=90)
MAX_MARKETPLACES = 25
MAX_LIST_FILTER = 10

_ON_CANCELLED = ("warn", "raise", "ignore")
_CACHE_MODES = "True, False or 'always'"


# --------------------------------------------------------------------------------------------
# small helpers


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _iso(ts: _dt.datetime) -> str:
    return ts.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: Any) -> _dt.datetime | None:
    if not value:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    if ts is pd.NaT:
        return None
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.to_pydatetime()


def _same_time(a: Any, b: Any) -> bool:
    ta, tb = _parse_time(a), _parse_time(b)
    return ta is not None and tb is not None and abs((ta - tb).total_seconds()) < 1.0


def _check_positive(value: Any, parameter: str, *, allow_none: bool = True) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        msg = f"{parameter}={value!r} must be a positive number of seconds" + (" or None" if allow_none else "")
        raise ConfigurationError(msg, parameter=parameter, value=value, allowed="a number > 0")
    return float(value)


def _poll_interval(value: Any) -> float:
    if value is not None:
        return _check_positive(value, "poll_interval", allow_none=False)  # type: ignore[return-value]
    env = os.environ.get("AMZV_POLL_INTERVAL")
    if env:
        try:
            parsed = float(env)
        except ValueError:
            parsed = -1.0
        if not parsed > 0:
            msg = f"AMZV_POLL_INTERVAL={env!r} must be a positive number of seconds"
            raise ConfigurationError(msg, parameter="AMZV_POLL_INTERVAL", value=env, allowed="a number > 0")
        return parsed
    return DEFAULT_POLL_INTERVAL


def _check_cache_mode(cache: Any) -> bool | str:
    if cache is True or cache is False or cache == "always":
        return cache
    msg = f"cache={cache!r} is not allowed; use {_CACHE_MODES}"
    raise ConfigurationError(msg, parameter="cache", value=cache, allowed=[True, False, "always"])


def _check_quotechar(quotechar: Any, rt: ReportType) -> str | None:
    """``"auto"`` -> the registry's; ``'"'`` -> Double Quote; ``None``/``"\\0"`` -> no quoting."""
    if isinstance(quotechar, str) and quotechar == "auto":
        return rt.quotechar
    if quotechar is None or quotechar in ("\0", ""):
        return None
    if isinstance(quotechar, str) and len(quotechar) == 1:
        return quotechar
    allowed = "'auto' (the report type's default), '\"' (double quote), None or '\\0' (no quoting)"
    msg = f"quotechar={quotechar!r} is not allowed; use {allowed}"
    raise ConfigurationError(msg, parameter="quotechar", value=quotechar, allowed=["auto", '"', None, "\0"])


def _check_section(section: Any, rt: ReportType) -> str | None:
    if section is None:
        return rt.default_section if rt.sections else None
    if not isinstance(section, str):
        msg = f"section={section!r} must be a section name such as {rt.default_section or 'salesByAsin'!r}"
        raise ConfigurationError(msg, parameter="section", value=section, allowed=list(rt.section_names))
    if rt.format == "tsv":
        msg = f"section={section!r}: {rt.name} is a flat file with a single table; drop section="
        raise ConfigurationError(msg, parameter="section", value=section, allowed=[None])
    if rt.sections:
        return rt.section(section).name  # raises, listing the sections
    return section


def _marketplaces(client: "Client", marketplace: Any) -> list[Marketplace]:
    if marketplace is None or isinstance(marketplace, (str, Marketplace)):
        return [client.resolve_marketplace(marketplace)]
    try:
        given = list(marketplace)
    except TypeError:
        msg = f"marketplace={marketplace!r} must be a country code, a marketplace id or a list of them"
        raise ConfigurationError(msg, parameter="marketplace", value=marketplace) from None
    if not given:
        msg = "marketplace=[] is empty; give at least one marketplace (e.g. 'US')"
        raise ConfigurationError(msg, parameter="marketplace", value=marketplace, allowed="1 to 25 marketplaces")
    if len(given) > MAX_MARKETPLACES:
        msg = (f"marketplace= lists {len(given)} marketplaces; a report covers at most {MAX_MARKETPLACES} "
               "(split the request)")
        raise ConfigurationError(msg, parameter="marketplace", value=given, allowed=f"1 to {MAX_MARKETPLACES} marketplaces")
    out: list[Marketplace] = []
    for m in given:
        found = client.resolve_marketplace(m)
        if found not in out:
            out.append(found)
    return out


# --------------------------------------------------------------------------------------------
# planning: the request windows


@dataclass
class _Window:
    """One createReport request of a read and its progress."""

    index: int
    label_start: str | None
    label_end: str | None
    api_start: str | None
    api_end: str | None
    options: dict[str, str]
    key: CacheKey
    final_at: _dt.datetime | None  # when the window's data is final (None: never)
    cacheable: bool = False
    # progress, written by the worker, read by the main thread
    status: str = "PENDING"
    report_id: str | None = None
    document_id: str | None = None
    started: float | None = None
    bytes_done: int = 0
    bytes_total: int | None = None
    from_cache: bool = False
    rows: int | None = None
    done: bool = False


@dataclass
class _Plan:
    rt: ReportType
    marketplaces: list[Marketplace]
    options: dict[str, str]
    section: str | None
    quotechar: str | None
    windows: list[_Window]
    data_start: str | None
    data_end: str | None


def _day_end_utc(day: _dt.date, zone: _dt.tzinfo) -> _dt.datetime:
    """The instant a calendar day ends in ``zone``."""
    nxt = _dt.datetime.combine(day + _dt.timedelta(days=1), _dt.time(), tzinfo=zone)
    return nxt.astimezone(_dt.timezone.utc)


def _instant(value: Any, parameter: str, *, is_end: bool, today: _dt.date) -> _dt.datetime:
    """A UTC instant from a date-like: date-only forms mean the start (or end) of that UTC day."""
    if _has_time(value):
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError):
            raise ConfigurationError(
                f"{parameter}={value!r} is not a date-time. Accepted: {_dates.ACCEPTED_FORMS}",
                parameter=parameter, value=value, allowed=_dates.ACCEPTED_FORMS) from None
        if ts is pd.NaT:
            raise ConfigurationError(f"{parameter}={value!r} is NaT (missing)", parameter=parameter, value=value,
                                     allowed=_dates.ACCEPTED_FORMS)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        return ts.to_pydatetime().replace(microsecond=0)
    spec = _dates.parse_date_spec(value, parameter=parameter)
    day = spec.resolve(today) if isinstance(spec, _dates.RelativeDate) else spec
    start = _dt.datetime.combine(day, _dt.time(), tzinfo=_dt.timezone.utc)
    return start + _dt.timedelta(days=1, seconds=-1) if is_end else start


def _plan(
    client: "Client",
    rt: ReportType,
    start: Any,
    end: Any,
    markets: list[Marketplace],
    report_options: Mapping[str, Any] | None,
    section: str | None,
    quotechar: str | None,
    cache: bool | str,
) -> _Plan:
    """Validate the range and options and cut the request into windows (no API call)."""
    now = _now()
    zone = ZoneInfo(markets[0].timezone)
    today = now.astimezone(zone).date()
    given = dict(report_options or {})
    if report_options is not None and not isinstance(report_options, Mapping):
        msg = f"report_options={report_options!r} must be a mapping of option name to value"
        raise ConfigurationError(msg, parameter="report_options", value=report_options,
                                 allowed=list(rt.option_names))

    # (label start, label end, api start, api end, final_at, options) per window
    spans: list[tuple[str | None, str | None, str | None, str | None, _dt.datetime | None]] = []
    options: dict[str, str]

    if rt.date_range == "none":
        if start is not None or end is not None:
            bad = "start" if start is not None else "end"
            msg = (f"{rt.name} has no date range (it is a snapshot of the current data); "
                   f"drop {bad}={start if start is not None else end!r}")
            raise ConfigurationError(msg, parameter=bad, value=start if start is not None else end, allowed=[None])
        options = rt.validate_options(given)
        spans.append((None, None, None, None, None))
    elif rt.date_range == "options":
        frm, to = rt.range_options or ("", "")
        if start is not None or end is not None:
            clash = [n for n in (frm, to) if n in given]
            if clash:
                msg = (f"give the range either as start/end or as reportOptions {frm}/{to}, not both "
                       f"(got start={start!r} and {clash[0]}={given[clash[0]]!r})")
                raise ConfigurationError(msg, parameter=clash[0], value=given[clash[0]], allowed="start/end only")
            if start is None:
                msg = f"end={end!r} needs start= (the earliest {frm})"
                raise ConfigurationError(msg, parameter="start", value=None, allowed=_dates.ACCEPTED_FORMS)
            first = _instant(start, "start", is_end=False, today=today)
            last = _instant(end if end is not None else start, "end", is_end=True, today=today)
            _check_instants(first, last, now, rt)
            last = min(last, now.replace(microsecond=0))
            given[frm], given[to] = _iso(first), _iso(last)
        elif frm not in given and to not in given:
            msg = (f"{rt.name} needs start= and end=: the range of {frm}/{to} (or give those reportOptions). "
                   f"Accepted: {_dates.ACCEPTED_FORMS}")
            raise ConfigurationError(msg, parameter="start", value=None, allowed=_dates.ACCEPTED_FORMS)
        options = rt.validate_options(given)
        lo, hi = options.get(frm), options.get(to)
        final_at = (_parse_time(hi) or now) + rt.publication_lag if hi else None
        spans.append((lo, hi, None, None, final_at))
    elif rt.date_range == "datetime":
        options = rt.validate_options(given)
        if start is None:
            msg = (f"{rt.name} needs start= (and usually end=): a date-time, a date or a relative form. "
                   f"Accepted: {_dates.ACCEPTED_FORMS}")
            raise ConfigurationError(msg, parameter="start", value=None, allowed=_dates.ACCEPTED_FORMS)
        first = _instant(start, "start", is_end=False, today=now.date())
        last_req = _instant(end if end is not None else start, "end", is_end=True, today=now.date()) \
            if end is not None or not _has_time(start) else now.replace(microsecond=0)
        _check_instants(first, last_req, now, rt)
        last = min(last_req, now.replace(microsecond=0))
        window = rt.max_window(None)
        if window is None:
            pieces = [(first, last)]
        else:
            count, unit = window
            step = _dt.timedelta(hours=count) if unit == "HOUR" else _dt.timedelta(days=count)
            pieces = []
            lo = first
            while True:
                hi = min(lo + step, last)
                pieces.append((lo, hi))
                if hi >= last:
                    break
                lo = hi
        for lo, hi in pieces:
            spans.append((_iso(lo), _iso(hi), _iso(lo), _iso(hi), hi + rt.publication_lag))
    else:  # "day": dataStartTime/dataEndTime read as dates
        options = rt.validate_options(given)
        if start is None and end is None:
            msg = (f"{rt.name} needs start= (and end=): a date or a relative form such as 'today-7'. "
                   f"Accepted: {_dates.ACCEPTED_FORMS}")
            raise ConfigurationError(msg, parameter="start", value=None, allowed=_dates.ACCEPTED_FORMS)
        rng = _dates.DateRange.parse(start, end).resolve(tz=zone)
        if rng.end > today:
            msg = (f"end={rng.end} is in the future (today is {today} in {markets[0].timezone}); reports hold no "
                   f"data for future dates: end the range on or before {today}")
            raise ConfigurationError(msg, parameter="end", value=end, allowed=f"a date on or before {today}")
        if rt.lookback_days:
            _dates.check_lookback(rng.start, today, rt.lookback_days)
        period = options.get("reportPeriod", "DAY").upper()
        if rt.aligned and period != "DAY":
            _dates.check_aligned(rng.start, rng.end, period)
        window = rt.max_window(period if "reportPeriod" in options else None)
        if window is None:
            pieces = [(rng.start, rng.end)]
        else:
            count, unit = window
            if unit == period:
                pieces = _dates.split_range(rng.start, rng.end, period=period, max_periods=count)
            elif unit == "DAY":
                pieces = _dates.split_range(rng.start, rng.end, period="DAY" if period not in _dates.PERIODS
                                            else period, max_days=count)
            else:
                pieces = [(rng.start, rng.end)]
        clip = now.replace(microsecond=0) - _dt.timedelta(seconds=2)
        for lo, hi in pieces:
            api_lo, api_hi = _dates.ResolvedRange(lo, hi).api_times()
            if (_parse_time(api_hi) or clip) > clip:  # dataEndTime must not be in the future
                api_hi = _iso(clip)
            spans.append((lo.isoformat(), hi.isoformat(), api_lo, api_hi, _day_end_utc(hi, zone) + rt.publication_lag))

    ids = [m.marketplace_id for m in markets]
    windows = []
    for i, (lo, hi, api_lo, api_hi, final_at) in enumerate(spans):
        key = CacheKey.make(region=client.region, account=client.account_key, report_type=rt.name,
                            marketplace_ids=ids, start=lo, end=hi, options=options)
        cacheable = cache == "always" or (cache is True and final_at is not None and now >= final_at)
        windows.append(_Window(i, lo, hi, api_lo, api_hi, dict(options), key, final_at, cacheable))
    return _Plan(rt, markets, options, section, quotechar, windows,
                 windows[0].label_start, windows[-1].label_end)


_TIME_RE = re.compile(r"\d[Tt ]\d|:")


def _has_time(value: Any) -> bool:
    """Whether ``value`` names an instant (a date-time) rather than a calendar day."""
    if isinstance(value, (_dt.datetime, np.datetime64)):
        return True
    return isinstance(value, str) and _TIME_RE.search(value.strip()) is not None


def _check_instants(first: _dt.datetime, last: _dt.datetime, now: _dt.datetime, rt: ReportType) -> None:
    if first > last:
        msg = (f"start={_iso(first)} is after end={_iso(last)}: start is the first (oldest) instant of the "
               "range and end the last")
        raise ConfigurationError(msg, parameter="start", value=_iso(first), allowed=f"on or before {_iso(last)}")
    if first >= now:
        msg = (f"the whole range {_iso(first)} → {_iso(last)} is in the future (now is {_iso(now)}); "
               "reports hold no data for future times")
        raise ConfigurationError(msg, parameter="start", value=_iso(first), allowed=f"before {_iso(now)}")
    if rt.lookback_days:
        earliest = now - _dt.timedelta(days=rt.lookback_days)
        if first < earliest:
            msg = (f"start={_iso(first)} is more than {rt.lookback_days} days ago; {rt.name} keeps data back to "
                   f"{_iso(earliest)}")
            raise ConfigurationError(msg, parameter="start", value=_iso(first), allowed=f"on or after {_iso(earliest)}")


# --------------------------------------------------------------------------------------------
# the run: reuse/create -> poll -> download -> parse, one worker per window


class _Stopped(Exception):
    """The main thread asked the workers to stop (timeout, Ctrl-C, another window failed)."""


@dataclass
class _Run:
    client: "Client"
    plan: _Plan
    cache: ReportCache
    poll_interval: float
    refresh: bool
    on_cancelled: str
    stop: threading.Event = field(default_factory=threading.Event)
    claimed: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    done_reports: list[dict[str, Any]] | None = None  # one getReports answer, shared by the windows
    # Warnings raised in worker threads are re-issued from the caller's thread, where
    # warnings filters and pytest.warns see them.
    pending_warnings: list[tuple[str, type[Warning]]] = field(default_factory=list)

    @property
    def rt(self) -> ReportType:
        return self.plan.rt

    @property
    def marketplace_ids(self) -> list[str]:
        return [m.marketplace_id for m in self.plan.marketplaces]

    @property
    def variant(self) -> str:
        return frame_variant(section=self.plan.section, quotechar=self.plan.quotechar,
                             encoding=self.default_encoding)

    @property
    def default_encoding(self) -> str:
        """The flat-file codec when the download names none."""
        market = self.plan.marketplaces[0]
        if self.rt.known and self.rt.format == "tsv":
            return self.rt.encoding_for(market.country_code)
        return market.encoding

    def wait(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise _Stopped

    def claim(self, report_id: str) -> bool:
        with self.lock:
            if report_id in self.claimed:
                return False
            self.claimed.add(report_id)
            return True

    # -- one window --------------------------------------------------------------------------

    def run_window(self, w: _Window) -> pd.DataFrame:
        w.started = time.monotonic()
        inflight = self.cache.inflight()
        report: dict[str, Any] | None = None
        record = inflight.get(w.key)
        if record and self.claim(record["report_id"]):
            reusable = record.get("status") != "DONE" or (
                not self.refresh and _done_reusable(_parse_time(record.get("created_at")), w.final_at))
            if reusable:
                w.report_id = record["report_id"]
                w.status = record.get("status") or "IN_QUEUE"
                created = _parse_time(record.get("created_at")) or _now()
                fresh = (_now() - created).total_seconds() < NOT_FOUND_GRACE_SECONDS
                try:
                    report = self.poll(w, w.report_id, tolerate_not_found=fresh)
                except NotFound:
                    logger.info("report %s of the in-flight index is gone; creating a new one", w.report_id)
                    inflight.remove(w.key, w.report_id)
                    w.report_id = None
        if report is None and not self.refresh:
            found = self.find_done(w)
            if found is not None:
                w.report_id = found["reportId"]
                report = found
        if report is None:
            rid = self.create(w)
            w.report_id = rid
            inflight.put(w.key, rid, status="IN_QUEUE")
            report = self.poll(w, rid, tolerate_not_found=True)
        return self.finish(w, report)

    def finish(self, w: _Window, report: Mapping[str, Any]) -> pd.DataFrame:
        status = report.get("processingStatus")
        rid = str(report.get("reportId") or w.report_id)
        inflight = self.cache.inflight()
        if status == "FATAL":
            inflight.remove(w.key, rid)
            raise self.fatal_error(report)
        if status == "CANCELLED":
            inflight.remove(w.key, rid)
            w.status = "CANCELLED"
            return self.cancelled(rid)
        doc_id = report.get("reportDocumentId")
        if not doc_id:
            msg = f"report {rid} is DONE but has no reportDocumentId"
            raise ReportFatalError(msg, report_id=rid, report_type=self.rt.name, category="unknown",
                                   fix="Retry later, or call amzv.get_report() with the report id.")
        w.document_id = str(doc_id)
        w.status = "DOWNLOADING"
        entry = self.cache.entry(w.key) if w.cacheable else None
        frame = self.download_and_parse(w, rid, w.document_id, entry)
        inflight.put(w.key, rid, status="DONE", document_id=w.document_id)
        w.status = "DONE"
        return frame

    def cancelled(self, rid: str) -> pd.DataFrame:
        msg = (f"{self.rt.name} report {rid} was CANCELLED: Amazon does this when there is no data for the "
               "range and options asked for")
        if self.on_cancelled == "raise":
            raise ReportCancelledError(msg, report_id=rid, report_type=self.rt.name, processing_status="CANCELLED")
        if self.on_cancelled == "warn":
            with self.lock:
                self.pending_warnings.append(
                    (msg + "; returning an empty frame (on_cancelled='ignore' silences this)", NoDataWarning))
        return _empty_frame(self.rt, self.plan.section)

    # -- reuse -------------------------------------------------------------------------------

    def find_done(self, w: _Window) -> dict[str, Any] | None:
        """A DONE report of the same spec, when getReports can prove it (no options)."""
        if self.rt.options or w.options or len(self.marketplace_ids) > MAX_LIST_FILTER:
            return None  # getReports does not show options: a match could have other ones
        with self.lock:
            if self.done_reports is None:
                try:
                    answer = self.client.request("GET", f"{_API}/reports", params={
                        "reportTypes": [self.rt.name], "processingStatuses": ["DONE"],
                        "marketplaceIds": self.marketplace_ids, "pageSize": 100})
                    self.done_reports = list(answer.get("reports") or [])
                except (RateLimited, ServerError, TransportError) as exc:
                    logger.debug("getReports for reuse failed (%s); creating instead", exc)
                    self.done_reports = []
            candidates = list(self.done_reports)
        for rep in candidates:
            if not self._matches(rep, w, compare_times=w.api_start is not None):
                continue
            if not _done_reusable(_parse_time(rep.get("createdTime")), w.final_at):
                continue
            if rep.get("reportDocumentId") and self.claim(str(rep["reportId"])):
                logger.info("reusing DONE report %s", rep["reportId"])
                return rep
        return None

    def _matches(self, rep: Mapping[str, Any], w: _Window, *, compare_times: bool) -> bool:
        if rep.get("reportType") != self.rt.name:
            return False
        if set(rep.get("marketplaceIds") or ()) != set(self.marketplace_ids):
            return False
        if compare_times:
            return _same_time(rep.get("dataStartTime"), w.api_start) and _same_time(rep.get("dataEndTime"), w.api_end)
        return True

    # -- create ------------------------------------------------------------------------------

    def create(self, w: _Window) -> str:
        body: dict[str, Any] = {"reportType": self.rt.name, "marketplaceIds": self.marketplace_ids}
        if w.api_start is not None:
            body["dataStartTime"] = w.api_start
            body["dataEndTime"] = w.api_end
        if w.options:
            body["reportOptions"] = dict(w.options)
        # Only reports created from now on count as "ours" (2 s of slack for clock skew,
        # createdTime has whole seconds): an older match may carry other options.
        since = _now().replace(microsecond=0) - _dt.timedelta(seconds=2)
        failures = 0
        throttled = 0
        while True:
            if self.stop.is_set():
                raise _Stopped
            w.status = "CREATING"
            try:
                # No blind retry: a 5xx or a dropped connection may come after Amazon
                # created the report, so we look for it before creating another.
                rid = str(self.client.request("POST", f"{_API}/reports", json=body, retries=0)["reportId"])
                self.claim(rid)
                return rid
            except RateLimited:
                # Amazon refused the call: nothing was created, so retrying is safe.
                throttled += 1
                if throttled > max(self.client.max_retries, 1) * 3:
                    raise
                self.wait(self.client.backoff.delay(min(throttled, 6)))
            except (ServerError, TransportError) as exc:
                failures += 1
                # The report may have been created before the error: look before creating another.
                found = self.find_just_created(w, since)
                if found is not None:
                    logger.info("createReport failed (%s) but report %s was created; using it", exc, found)
                    return found
                if failures > self.client.max_retries:
                    raise
                self.wait(self.client.backoff.delay(failures - 1))

    def find_just_created(self, w: _Window, since: _dt.datetime) -> str | None:
        params: dict[str, Any] = {"reportTypes": [self.rt.name], "createdSince": _iso(since), "pageSize": 100}
        if len(self.marketplace_ids) <= MAX_LIST_FILTER:
            params["marketplaceIds"] = self.marketplace_ids
        try:
            answer = self.client.request("GET", f"{_API}/reports", params=params)
        except (ServerError, TransportError, RateLimited):
            return None
        for rep in answer.get("reports") or []:
            if rep.get("processingStatus") in ("FATAL", "CANCELLED"):
                continue
            if self._matches(rep, w, compare_times=w.api_start is not None) and self.claim(str(rep["reportId"])):
                return str(rep["reportId"])
        return None

    # -- poll --------------------------------------------------------------------------------

    def poll(self, w: _Window, report_id: str, *, tolerate_not_found: bool) -> dict[str, Any]:
        interval = self.poll_interval
        first = time.monotonic()
        misses = 0
        while True:
            if self.stop.is_set():
                raise _Stopped
            try:
                report = self.client.request("GET", f"{_API}/reports/{report_id}")
            except NotFound:
                misses += 1
                if (not tolerate_not_found or misses >= NOT_FOUND_GRACE_ATTEMPTS
                        or time.monotonic() - first > NOT_FOUND_GRACE_SECONDS):
                    raise
                self.wait(interval)
                continue
            status = str(report.get("processingStatus"))
            w.status = status
            if status in _TERMINAL:
                return report
            self.wait(interval)
            interval = min(interval * POLL_BACKOFF, MAX_POLL_INTERVAL)

    # -- FATAL -------------------------------------------------------------------------------

    def fatal_error(self, report: Mapping[str, Any]) -> ReportFatalError:
        rid = str(report.get("reportId"))
        reason = None
        doc_id = report.get("reportDocumentId")
        if doc_id:
            try:
                reason = _parse.error_details(self.fetch_small_document(str(doc_id)))
            except (_Stopped, KeyboardInterrupt):
                raise
            except Exception as exc:  # the explanation is a bonus: never hide the FATAL itself
                logger.warning("could not read the error document of report %s: %s", rid, exc)
        category, fix = _parse.classify_fatal(reason)
        said = f": Amazon says {reason!r}" if reason else " (Amazon gave no explanation)"
        msg = f"{self.rt.name} report {rid} ended FATAL{said}. Fix ({category}): {fix}"
        return ReportFatalError(msg, reason=reason, category=category, fix=fix, report_id=rid,
                                report_type=self.rt.name)

    def fetch_small_document(self, doc_id: str) -> bytes:
        """A small document's bytes (error documents), decompressed."""
        with tempfile.TemporaryDirectory(prefix="amzv-") as tmp:
            path, info = self.download(None, doc_id, Path(tmp))
            data = path.read_bytes()
        if info.get("compression") == "gzip":
            data = _gunzip_checked(data)
        return data

    # -- download ----------------------------------------------------------------------------

    def download(self, w: _Window | None, doc_id: str, folder: Path,
                 entry: CacheEntry | None = None) -> tuple[Path, dict[str, Any]]:
        """Stream the document to a temp file; retry truncated bodies and expired URLs."""
        last_error: Exception | None = None
        for attempt in range(MAX_DOWNLOAD_ATTEMPTS):
            if self.stop.is_set():
                raise _Stopped
            # The URL expires 5 minutes after getReportDocument: ask right before downloading.
            doc = self.client.request("GET", f"{_API}/documents/{doc_id}")
            url = doc["url"]
            try:
                response = self.client.download(url)
            except Forbidden as exc:
                last_error = exc
                logger.info("document URL of %s refused (%s); asking for a new one", doc_id, exc.code)
                continue
            if entry is not None:
                fh, tmp = entry.temp_document()
            else:
                fd, name = tempfile.mkstemp(prefix="amzv-doc-", dir=folder)
                fh, tmp = os.fdopen(fd, "wb"), Path(name)
            digest = hashlib.sha256() if entry is not None else None
            received = 0
            ok = False
            try:
                length = response.headers.get("Content-Length")
                expected = int(length) if length and length.isdigit() else None
                if w is not None:
                    w.bytes_total, w.bytes_done = expected, 0
                raw = response.raw
                with fh:
                    while True:
                        if self.stop.is_set():
                            raise _Stopped
                        block = raw.read(CHUNK, decode_content=False)
                        if not block:
                            break
                        fh.write(block)
                        if digest is not None:
                            digest.update(block)
                        received += len(block)
                        if w is not None:
                            w.bytes_done = received
                if expected is not None and received != expected:
                    raise _Truncated(f"received {received} of {expected} bytes")
                compression = "gzip" if (doc.get("compressionAlgorithm") or "").upper() == "GZIP" else None
                if response.headers.get("Content-Encoding", "").lower() == "gzip":
                    compression = "gzip"
                if compression == "gzip":
                    with open(tmp, "rb") as check:
                        if check.read(2) != b"\x1f\x8b":
                            raise _Truncated("the body is not gzip data")
                info = {
                    "report_id": w.report_id if w is not None else None,
                    "document_id": doc_id,
                    "compression": compression,
                    "content_type": response.headers.get("Content-Type"),
                    "size": received,
                    "sha256": digest.hexdigest() if digest is not None else None,
                    "fetched_at": _now().isoformat(),
                }
                ok = True
                return tmp, info
            except _Truncated as exc:
                last_error = exc
                logger.info("download of %s incomplete (%s); retrying", doc_id, exc)
            except _Stopped:
                raise
            except Exception as exc:  # urllib3 ProtocolError / IncompleteRead / reset connection
                if not _is_transport_error(exc):
                    raise
                last_error = exc
                logger.info("download of %s broke off (%s); retrying", doc_id, type(exc).__name__)
            finally:
                response.close()
                if not ok:
                    _unlink(tmp)
        msg = f"could not download report document {doc_id} after {MAX_DOWNLOAD_ATTEMPTS} attempts: {last_error}"
        raise TransportError(msg)

    def download_and_parse(self, w: _Window, rid: str, doc_id: str, entry: CacheEntry | None) -> pd.DataFrame:
        tmpdir = None if entry is not None else tempfile.TemporaryDirectory(prefix="amzv-")
        try:
            for attempt in range(MAX_DOWNLOAD_ATTEMPTS):
                path, info = self.download(w, doc_id, Path(tmpdir.name) if tmpdir else Path("."), entry)
                info["report_id"] = rid
                try:
                    frame = self.parse(path, info)
                except _Truncated as exc:
                    # A body that looked complete but whose gzip stream is cut: fetch again.
                    _unlink(path)
                    if attempt + 1 >= MAX_DOWNLOAD_ATTEMPTS:
                        raise TransportError(f"report document {doc_id} arrived truncated "
                                             f"{MAX_DOWNLOAD_ATTEMPTS} times: {exc}") from None
                    logger.info("document %s is truncated (%s); downloading again", doc_id, exc)
                    continue
                except BaseException:
                    _unlink(path)
                    raise
                if entry is not None:
                    entry.commit_document(path, info)
                    try:
                        entry.write_frame(self.variant, frame)
                    except Exception as exc:  # a frame Arrow cannot hold: the document is still cached
                        logger.warning("could not cache the parsed frame of report %s: %s", rid, exc)
                else:
                    _unlink(path)
                return frame
            raise AssertionError("unreachable")
        finally:
            if tmpdir is not None:
                tmpdir.cleanup()

    # -- parse -------------------------------------------------------------------------------

    def parse(self, path: Path, info: Mapping[str, Any]) -> pd.DataFrame:
        return parse_document(path, info, self.rt, section=self.plan.section, quotechar=self.plan.quotechar,
                              default_encoding=self.default_encoding)


class _Truncated(Exception):
    """A downloaded body is incomplete."""


def _is_transport_error(exc: BaseException) -> bool:
    import requests

    try:
        from urllib3.exceptions import HTTPError as Urllib3Error
    except ImportError:  # pragma: no cover
        Urllib3Error = ()  # type: ignore[assignment,misc]
    return isinstance(exc, (requests.RequestException, Urllib3Error, ConnectionError, TimeoutError))


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except (FileNotFoundError, TypeError):
        pass


def _gunzip_checked(data: bytes) -> bytes:
    """Decompress a whole gzip document, refusing a truncated stream."""
    d = zlib.decompressobj(31)
    try:
        out = d.decompress(data) + d.flush()
    except zlib.error as exc:
        raise _Truncated(f"corrupt gzip stream ({exc})") from None
    if not d.eof:
        raise _Truncated("the gzip stream ends before its end marker")
    return out


def _done_reusable(created: _dt.datetime | None, final_at: _dt.datetime | None) -> bool:
    """A DONE report is worth reusing when it was made from final data, or very recently."""
    if created is None:
        return False
    if final_at is not None and created >= final_at:
        return True
    return _now() - created <= REUSE_FRESH


def _empty_frame(rt: ReportType, section: str | None) -> pd.DataFrame:
    try:
        return rt.empty_frame(section)
    except ConfigurationError:
        return pd.DataFrame()


def parse_document(
    path: Path,
    info: Mapping[str, Any],
    rt: ReportType,
    *,
    section: str | None,
    quotechar: str | None,
    default_encoding: str,
) -> pd.DataFrame:
    """Parse a stored document (gzip or plain) by its report type's format."""
    parse = _parse
    gz = info.get("compression") == "gzip"
    fmt = rt.format
    if fmt not in ("json", "tsv"):
        import gzip

        with (gzip.open(path, "rb") if gz else open(path, "rb")) as fh:
            try:
                head = fh.read(4096)
            except (EOFError, OSError, zlib.error) as exc:
                raise _Truncated(str(exc)) from None
        fmt = parse.sniff_format(head)
    if fmt == "json":
        data = Path(path).read_bytes()
        if gz:
            data = _gunzip_checked(data)
        return parse.parse_vendor_json(data, report_type=rt, section=section)
    encoding = parse.charset_from_content_type(info.get("content_type")) or default_encoding
    try:
        return parse.parse_flat_file(os.fspath(path), quotechar=quotechar, encoding=encoding,
                                     dtypes=rt.flat_file_dtypes() or None, compression="gzip" if gz else None)
    except OSError as exc:
        # pyarrow checks the gzip stream as it reads: a cut stream is a truncated download.
        if "truncated" in str(exc).lower() or "compressed" in str(exc).lower():
            raise _Truncated(str(exc)) from None
        raise


# --------------------------------------------------------------------------------------------
# driving the workers and the progress bar from the main thread


class _Progress:
    """One bar for the whole read, updated from the main thread only."""

    def __init__(self, progress_bar_type: Any, rt_name: str, windows: list[_Window]) -> None:
        self.windows = windows
        self.single = len(windows) == 1
        self.t0 = time.monotonic()
        self.rt_name = rt_name
        self.bar = get_progress_bar(progress_bar_type, desc=rt_name, total=None if self.single else len(windows),
                                    unit="it" if self.single else "window")
        self.counted = sum(1 for w in windows if w.done)
        self.bytes_mode = False
        self.bytes_shown = 0
        if self.bar is not None and self.counted and not self.single:
            self.bar.update(self.counted)

    def _desc(self, text: str) -> None:
        if self.bar is not None and hasattr(self.bar, "set_description_str"):
            self.bar.set_description_str(text, refresh=False)

    def render(self) -> None:
        if self.bar is None:
            return
        elapsed = time.monotonic() - self.t0
        if self.single:
            w = self.windows[0]
            if w.status in ("DOWNLOADING", "DONE") and w.bytes_total is not None and not self.bytes_mode:
                self.bytes_mode = True
                if hasattr(self.bar, "reset"):
                    self.bar.unit, self.bar.unit_scale, self.bar.unit_divisor = "B", True, 1024
                    self.bar.reset(total=w.bytes_total)
            self._desc(f"{self.rt_name} {w.report_id or ''} {w.status} ({elapsed:.0f}s)".replace("  ", " "))
            if self.bytes_mode and w.bytes_done > self.bytes_shown:
                self.bar.update(w.bytes_done - self.bytes_shown)
                self.bytes_shown = w.bytes_done
            elif hasattr(self.bar, "refresh"):
                self.bar.refresh()
            return
        counts: dict[str, int] = {}
        for w in self.windows:
            if not w.done:
                counts[w.status] = counts.get(w.status, 0) + 1
        states = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        self._desc(f"{self.rt_name} [{states or 'done'}] ({elapsed:.0f}s)")
        finished = sum(1 for w in self.windows if w.done)
        if finished > self.counted:
            self.bar.update(finished - self.counted)
            self.counted = finished
        elif hasattr(self.bar, "refresh"):
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.render()
            self.bar.close()


def _resume_hint(run: _Run, ids: Sequence[str]) -> str:
    shown = ", ".join(repr(i) for i in ids) or "none created yet"
    return (f"report id(s) {shown} keep processing at Amazon: run the same read_report() call again to resume "
            f"polling them (no new report is created), or fetch one later with amzv.get_report(report_id)")


def _drive(
    run: _Run,
    todo: list[_Window],
    timeout: float | None,
    progress_bar_type: Any,
    work: Callable[[_Window], pd.DataFrame] | None = None,
) -> dict[int, pd.DataFrame]:
    """Run the windows in a small thread pool; the main thread renders progress and enforces timeout."""
    frames: dict[int, pd.DataFrame] = {}
    if not todo:
        return frames
    progress = _Progress(progress_bar_type, run.rt.name, run.plan.windows)
    pool = cf.ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(todo)), thread_name_prefix="amzv-report")
    futures = {pool.submit(_work, run, w, work or run.run_window): w for w in todo}
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        pending = set(futures)
        while pending:
            done, pending = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                w = futures[fut]
                exc = fut.exception()
                if exc is not None:
                    raise exc
                frames[w.index] = fut.result()
                w.done = True
            progress.render()
            if pending and deadline is not None and time.monotonic() >= deadline:
                waiting = [w for w in todo if not w.done]
                ids = [w.report_id for w in waiting if w.report_id]
                msg = (f"{run.rt.name}: still {', '.join(sorted({w.status for w in waiting}))} after {timeout:g}s; "
                       + _resume_hint(run, ids))
                raise ReportTimeout(msg, report_id=ids, report_type=run.rt.name,
                                    processing_status=waiting[0].status if waiting else None)
    except KeyboardInterrupt:
        run.stop.set()
        ids = [w.report_id for w in todo if w.report_id and not w.done]
        raise KeyboardInterrupt(f"stopped waiting for {run.rt.name}; " + _resume_hint(run, ids)) from None
    finally:
        run.stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        progress.close()
        for message, category in run.pending_warnings:
            warnings.warn(message, category, stacklevel=4)
        run.pending_warnings.clear()
    return frames


def _work(run: _Run, w: _Window, work: Callable[[_Window], pd.DataFrame]) -> pd.DataFrame:
    try:
        frame = work(w)
    except _Stopped:
        return _empty_frame(run.rt, run.plan.section)
    w.rows = len(frame)
    return frame


# --------------------------------------------------------------------------------------------
# cache reads


def _from_cache(run: _Run, w: _Window) -> pd.DataFrame | None:
    entry = run.cache.entry(w.key)
    if not entry.exists():
        return None
    meta = entry.meta() or {}
    try:
        frame = entry.read_frame(run.variant)
        if frame is None:  # no frame for this section/quoting/parser yet: parse the stored document
            entry.verify_document()
            path = entry.document_path
            frame = parse_document(path, meta, run.rt, section=run.plan.section, quotechar=run.plan.quotechar,
                                   default_encoding=run.default_encoding)
            try:
                entry.write_frame(run.variant, frame)
            except Exception as exc:  # pragma: no cover - Arrow cannot hold the frame
                logger.warning("could not cache the parsed frame: %s", exc)
    except (CacheIntegrityError, _Truncated) as exc:
        entry.delete()
        warnings.warn(f"cached {run.rt.name} document for {w.label_start} → {w.label_end} was corrupt ({exc}); "
                      "it was deleted and will be downloaded again", StaleCacheWarning, stacklevel=3)
        return None
    w.report_id = meta.get("report_id")
    w.document_id = meta.get("document_id")
    w.from_cache = True
    w.status = "CACHED"
    w.done = True
    w.rows = len(frame)
    return frame


# --------------------------------------------------------------------------------------------
# assembling the result


_SORT_COLUMNS = ("startDate", "startTime", "startDateTime")


def _assemble(run: _Run, frames: Mapping[int, pd.DataFrame]) -> pd.DataFrame:
    windows = run.plan.windows
    if len(windows) == 1:
        df = frames[0]
    else:
        parts = [frames[w.index] for w in windows]
        non_empty = [p for p in parts if len(p)] or parts[:1]
        df = pd.concat(non_empty, ignore_index=True)
        sort_by = next((c for c in _SORT_COLUMNS if c in df.columns), None)
        if sort_by is not None:
            df = df.sort_values(sort_by, kind="stable", ignore_index=True)
    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index(drop=True)
    df.attrs["amzv"] = {
        "report_type": run.rt.name,
        "report_ids": [w.report_id for w in windows if w.report_id],
        "document_ids": [w.document_id for w in windows if w.document_id],
        "marketplace_ids": run.marketplace_ids,
        "report_options": dict(run.plan.options),
        "section": run.plan.section,
        "data_start": run.plan.data_start,
        "data_end": run.plan.data_end,
        "from_cache": all(w.from_cache for w in windows),
        "windows": [
            {"start": w.label_start, "end": w.label_end, "report_id": w.report_id, "document_id": w.document_id,
             "status": "DONE" if w.status in ("CACHED", "DONE") else w.status, "from_cache": w.from_cache,
             "rows": w.rows}
            for w in windows
        ],
    }
    return df


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
    client: "Client | None" = None,
) -> pd.DataFrame:
    """Request a report (or reuse one) and return it as a DataFrame.

    Create (or reuse) -> poll -> download -> parse. Everything is validated before the
    first API call. Finished ranges come from the on-disk cache without any API call.

    Parameters
    ----------
    report_type : str
        Amazon's report type, e.g. ``"GET_VENDOR_SALES_REPORT"`` (see ``amzv.report_types()``).
    start, end : date-like, optional
        The inclusive range: ``datetime.date``/``datetime``, ISO strings, or the relative forms
        ``"today"``/0, ``"yesterday"``/1, ``"today-7"``/7. ``end`` defaults to ``start`` (one day).
        Not used by snapshot reports (listings, inventory, forecasts). For the coupon and
        promotion reports it fills the campaign/promotion start-date options.
    marketplace : str, Marketplace or list, optional
        Country code(s) or marketplace id(s), at most 25; default: the client's.
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
    from .client import resolve_client

    rt = get_report_type(report_type)
    if query_date_type is not None:
        rt = get_report_type(rt.resolve_query_date_type(query_date_type))
    cache_mode = _check_cache_mode(cache)
    if not isinstance(refresh, bool):
        raise ConfigurationError(f"refresh={refresh!r} must be True or False", parameter="refresh", value=refresh,
                                 allowed=[True, False])
    if on_cancelled not in _ON_CANCELLED:
        msg = f"on_cancelled={on_cancelled!r} is not allowed; use one of {', '.join(map(repr, _ON_CANCELLED))}"
        raise ConfigurationError(msg, parameter="on_cancelled", value=on_cancelled, allowed=list(_ON_CANCELLED))
    validate_progress_bar_type(progress_bar_type)
    interval = _poll_interval(poll_interval)
    timeout = _check_positive(timeout, "timeout")
    q = _check_quotechar(quotechar, rt)
    sec = _check_section(section, rt)
    client = resolve_client(client)
    markets = _marketplaces(client, marketplace)
    plan = _plan(client, rt, start, end, markets, report_options, sec, q, cache_mode)

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
    client: "Client | None" = None,
) -> pd.DataFrame:
    """Download an existing report as a DataFrame.

    Parameters
    ----------
    report_id : str, optional
        The report to fetch (e.g. from :class:`ReportTimeout` or :func:`list_reports`); polled
        first when still processing.
    report_type : str, optional
        Instead of an id: the most recent DONE report of this type (and ``marketplace``),
        e.g. one Amazon made on a schedule.
    marketplace : str or Marketplace, optional
        With ``report_type``: only reports covering this marketplace.
    section, quotechar : optional
        As in :func:`read_report`.
    cache : bool, default True
        Keep the document on disk (a DONE report's document never changes); a cached report
        id is served without any API call.
    progress_bar_type : optional
        As in :func:`read_report`.
    client : Client, optional

    Returns
    -------
    DataFrame
        With ``df.attrs["amzv"]`` as in :func:`read_report`.

    Raises
    ------
    ReportNotGeneratedError
        No DONE report of ``report_type`` exists (generate one with :func:`read_report`, or
        schedule it in Vendor/Seller Central).
    ReportFatalError
        The report ended FATAL.
    """
    from .client import resolve_client

    if (report_id is None) == (report_type is None):
        msg = ("give exactly one of report_id= (a report to download) or report_type= (the newest DONE report "
               "of that type)")
        raise ConfigurationError(msg, parameter="report_id", value=report_id, allowed="report_id or report_type")
    if report_id is not None and (not isinstance(report_id, str) or not report_id.strip()):
        msg = f"report_id={report_id!r} must be a report id string such as '50012345678'"
        raise ConfigurationError(msg, parameter="report_id", value=report_id)
    if not isinstance(cache, bool):
        raise ConfigurationError(f"cache={cache!r} must be True or False", parameter="cache", value=cache,
                                 allowed=[True, False])
    validate_progress_bar_type(progress_bar_type)
    wanted_rt = get_report_type(report_type) if report_type is not None else None
    if wanted_rt is not None:
        sec = _check_section(section, wanted_rt)
        _check_quotechar(quotechar, wanted_rt)
    client = resolve_client(client)
    market = client.resolve_marketplace(marketplace) if marketplace is not None else client.marketplace
    store = ReportCache.for_client(client)

    if report_id is not None:
        report_id = report_id.strip()
        hit = _cached_by_id(store, client, report_id, section, quotechar) if cache else None
        if hit is not None:
            return hit
        report = client.request("GET", f"{_API}/reports/{report_id}")
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
    from .marketplaces import get_marketplace

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
        from .marketplaces import get_marketplace

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


def _names(value: Any, parameter: str, *, limit: int, allowed: Sequence[str] | None = None) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, Iterable) else None
    if items is None or not items or not all(isinstance(v, str) and v.strip() for v in items):
        msg = f"{parameter}={value!r} must be a name or a non-empty list of names"
        raise ConfigurationError(msg, parameter=parameter, value=value, allowed=list(allowed) if allowed else None)
    out = list(dict.fromkeys(v.strip().upper() for v in items))
    if len(out) > limit:
        msg = f"{parameter} lists {len(out)} values; the API takes at most {limit} per call"
        raise ConfigurationError(msg, parameter=parameter, value=value, allowed=f"1 to {limit} values")
    if allowed is not None:
        bad = [v for v in out if v not in allowed]
        if bad:
            msg = f"{parameter}={bad[0]!r} is not a processing status; allowed: {', '.join(allowed)}"
            raise ConfigurationError(msg, parameter=parameter, value=bad[0], allowed=list(allowed))
    return out


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
    client: "Client | None" = None,
) -> pd.DataFrame:
    """List the account's reports (``getReports``, every page).

    Parameters
    ----------
    report_types : str or list of str, optional
        At most 10. Default: every report type in the registry (asked 10 at a time).
    statuses : str or list of str, optional
        ``processingStatus`` values: CANCELLED, DONE, FATAL, IN_PROGRESS, IN_QUEUE.
    marketplace : str or list, optional
        Only reports covering one of these marketplaces (at most 10).
    created_since, created_until : date-like, optional
        Creation-time range; default: the last 90 days (Amazon keeps reports that long).
    max_results : int, optional
        Stop after this many reports.
    client : Client, optional

    Returns
    -------
    DataFrame
        One row per report, newest first: ``reportId``, ``reportType``, ``processingStatus``,
        ``marketplaceIds`` (comma-separated), ``dataStartTime``, ``dataEndTime``, ``createdTime``,
        ``processingStartTime``, ``processingEndTime`` (UTC datetimes), ``reportScheduleId``,
        ``reportDocumentId``.
    """
    from .client import resolve_client

    types = _names(report_types, "report_types", limit=MAX_LIST_FILTER)
    stats = _names(statuses, "statuses", limit=MAX_LIST_FILTER, allowed=PROCESSING_STATUSES)
    if max_results is not None and (isinstance(max_results, bool) or not isinstance(max_results, int)
                                    or max_results < 1):
        msg = f"max_results={max_results!r} must be a whole number >= 1 or None"
        raise ConfigurationError(msg, parameter="max_results", value=max_results, allowed="an int >= 1 or None")
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
    client: "Client | None" = None,
) -> pd.DataFrame:
    """List the account's report schedules (``getReportSchedules``).

    Parameters
    ----------
    report_types : str or list of str, optional
        Default: every report type in the registry (the API takes 10 per call; asked in chunks).
    marketplace : str or list, optional
        Only schedules covering one of these marketplaces.
    client : Client, optional

    Returns
    -------
    DataFrame
        One row per schedule: ``reportScheduleId``, ``reportType``, ``marketplaceIds``
        (comma-separated), ``period`` (ISO 8601 duration such as ``P1D``),
        ``nextReportCreationTime`` (UTC) and ``reportOptions`` (dict).
    """
    from .client import resolve_client

    if report_types is None:
        types = sorted(REPORT_TYPES)
    else:
        items = [report_types] if isinstance(report_types, str) else list(report_types)
        if not items or not all(isinstance(v, str) and v.strip() for v in items):
            msg = f"report_types={report_types!r} must be a report type or a non-empty list of them"
            raise ConfigurationError(msg, parameter="report_types", value=report_types)
        types = list(dict.fromkeys(v.strip().upper() for v in items))
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
