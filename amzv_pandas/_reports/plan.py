"""Planning a report read: argument checks and the request windows (no API call).

Validates what :func:`amzv_pandas._reports.api.read_report` and its siblings are given
(cache mode, quoting, section, poll interval, marketplaces, the date range) and cuts the
range into the fewest createReport windows a report type allows (:func:`_plan`).
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .._specs import dates as _dates
from .._cache.store import CacheKey
from ..exceptions import ConfigurationError, NoDataWarning
from .._util.checks import check_choice, check_mapping_of_str, check_number
from .._specs.marketplaces import Marketplace
from .._specs.registry import ReportType

if TYPE_CHECKING:
    from .._transport.http import Client

DEFAULT_POLL_INTERVAL = 5.0
MAX_MARKETPLACES = 25
MAX_LIST_FILTER = 10

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
    return check_number(value, parameter, min=0, exclusive_min=True, allow_none=allow_none,
                        what="a positive number of seconds")


def _poll_interval(value: Any) -> float:
    if value is not None:
        return _check_positive(value, "poll_interval", allow_none=False)  # type: ignore[return-value]
    env = os.environ.get("AMZV_POLL_INTERVAL")
    if env:
        try:
            parsed = float(env)
        except ValueError:
            parsed = -1.0
        if not (parsed > 0 and math.isfinite(parsed)):
            msg = f"AMZV_POLL_INTERVAL={env!r} must be a positive number of seconds"
            raise ConfigurationError(msg, parameter="AMZV_POLL_INTERVAL", value=env, allowed="a number > 0")
        return parsed
    return DEFAULT_POLL_INTERVAL


def _check_cache_mode(cache: Any) -> bool | str:
    return check_choice(cache, "cache", [True, False, "always"])


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
    if not isinstance(section, str) or not section.strip():
        msg = f"section={section!r} must be a section name such as {rt.default_section or 'salesByAsin'!r}"
        raise ConfigurationError(msg, parameter="section", value=section, allowed=list(rt.section_names))
    section = section.strip()
    if rt.format == "tsv":
        msg = f"section={section!r}: {rt.name} is a flat file with a single table; drop section="
        raise ConfigurationError(msg, parameter="section", value=section, allowed=[None])
    if rt.sections:
        return rt.section(section).name  # raises, listing the sections
    return section


def _marketplaces(client: "Client", marketplace: Any) -> list[Marketplace]:
    if marketplace is None or isinstance(marketplace, (str, Marketplace)):
        return [client.resolve_marketplace(marketplace)]
    if isinstance(marketplace, (bytes, bytearray, Mapping)):
        given = None
    else:
        try:
            given = list(marketplace)
        except TypeError:
            given = None
    if given is None:
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
        if m is None:  # resolve_marketplace(None) would silently mean "the client's"
            msg = f"marketplace={given!r:.80} holds None; list country codes or marketplace ids (e.g. ['US'])"
            raise ConfigurationError(msg, parameter="marketplace", value=marketplace, allowed="1 to 25 marketplaces")
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
    given = check_mapping_of_str(report_options, "report_options", allowed_keys=rt.option_names)
    rt.check_marketplaces([m.country_code for m in markets])

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
        rng = _published(rt, rng, period, now.astimezone(zone), start)
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


def _published(rt: ReportType, rng: "_dates.ResolvedRange", period: str, now_local: _dt.datetime,
               start: Any) -> "_dates.ResolvedRange":
    """The part of ``rng`` whose data Amazon has published, warning about the rest.

    Amazon publishes a day's vendor data ``rt.publication_lag`` after the day ends (in the
    marketplace's zone) and answers FATAL "not yet available" for later days, after
    spending a createReport: so a range reaching past the last published day is trimmed
    to it (to the last whole period for WEEK/MONTH/...), and one lying wholly past it is
    refused before any call.
    """
    if not rt.publication_lag:
        return rng
    available = _dates.last_final_day(rt.publication_lag, now_local)
    if rng.end <= available:
        return rng
    last = available
    if period in _dates.PERIODS and period != "DAY" and _dates.period_end(available, period) != available:
        last = _dates.period_start(available, period) - _dt.timedelta(days=1)
    hours = int(rt.publication_lag.total_seconds() // 3600)
    if last < rng.start:
        days_back = (now_local.date() - last).days
        what = "day available now is" if period == "DAY" else f"whole {period} available now ends"
        msg = (f"{rt.name} data is published {hours} h after a day ends: the latest {what} "
               f"{last}, before start={rng.start}. End the range on or before {last} (e.g. end='today-{days_back}')")
        raise ConfigurationError(msg, parameter="start", value=start, allowed=f"a range ending on or before {last}")
    warnings.warn(f"{rt.name}: data after {last} is not published yet (Amazon publishes it {hours} h after a day "
                  f"ends); returning {rng.start} to {last} instead of to {rng.end}", NoDataWarning, stacklevel=4)
    return _dates.ResolvedRange(rng.start, last)


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
