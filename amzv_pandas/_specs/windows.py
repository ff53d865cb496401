"""A report type's date rules applied to a request: the createReport windows of a range.

:func:`request_windows` turns ``start``/``end`` and the given ``reportOptions`` into the
request windows the type's record allows (:attr:`ReportType.date_range`, ``max_windows``,
``lookback_days``, ``aligned``, ``publication_lag_hours``): refusing what Amazon would
refuse after a createReport, trimming a range to the published days, and cutting it into
the fewest windows. Pure: the clock and the marketplace's zone are arguments. Reached
through :meth:`amzv_pandas._specs.report_type.ReportType.request_windows`.
"""

from __future__ import annotations

import datetime as _dt
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import dates as _dates
from .._util.time import iso_utc, parse_utc
from ..exceptions import ConfigurationError, NoDataWarning

__all__ = ["Span", "RequestWindows", "request_windows", "parse_instant", "has_time"]


@dataclass(frozen=True)
class Span:
    """One createReport window: its labels (cache key, attrs), its API times, when it is final."""

    label_start: str | None
    label_end: str | None
    api_start: str | None
    api_end: str | None
    final_at: _dt.datetime | None  # when the window's data is final (None: never)


@dataclass(frozen=True)
class RequestWindows:
    """The checked ``reportOptions`` (defaults filled) and the windows, oldest first."""

    options: dict[str, str]
    spans: list[Span]


def request_windows(rt: Any, start: Any, end: Any, given: dict[str, str], *, now: _dt.datetime,
                    zone: _dt.tzinfo) -> RequestWindows:
    """Validate the range and options of ``rt`` and cut the request into windows (no API call).

    ``given`` are the caller's ``reportOptions`` (names already checked); ``now`` the current
    UTC instant; ``zone`` the marketplace's time zone (a vendor's reporting days).
    """
    today = now.astimezone(zone).date()
    if rt.date_range == "none":
        return _snapshot(rt, start, end, given)
    if rt.date_range == "options":
        return _option_range(rt, start, end, given, now=now, today=today)
    if rt.date_range == "datetime":
        return _instants(rt, start, end, given, now=now)
    return _days(rt, start, end, given, now=now, zone=zone, today=today)


def _snapshot(rt: Any, start: Any, end: Any, given: dict[str, str]) -> RequestWindows:
    if start is not None or end is not None:
        bad = "start" if start is not None else "end"
        msg = (f"{rt.name} has no date range (it is a snapshot of the current data); "
               f"drop {bad}={start if start is not None else end!r}")
        raise ConfigurationError(msg, parameter=bad, value=start if start is not None else end, allowed=[None])
    return RequestWindows(rt.validate_options(given), [Span(None, None, None, None, None)])


def _option_range(rt: Any, start: Any, end: Any, given: dict[str, str], *, now: _dt.datetime,
                  today: _dt.date) -> RequestWindows:
    """The range is two reportOptions (coupons, promotions): one window, no API times."""
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
        first = parse_instant(start, "start", is_end=False, today=today)
        last = parse_instant(end if end is not None else start, "end", is_end=True, today=today)
        _check_instants(first, last, now, rt)
        last = min(last, now.replace(microsecond=0))
        given = {**given, frm: iso_utc(first), to: iso_utc(last)}
    elif frm not in given and to not in given:
        msg = (f"{rt.name} needs start= and end=: the range of {frm}/{to} (or give those reportOptions). "
               f"Accepted: {_dates.ACCEPTED_FORMS}")
        raise ConfigurationError(msg, parameter="start", value=None, allowed=_dates.ACCEPTED_FORMS)
    options = rt.validate_options(given)
    lo, hi = options.get(frm), options.get(to)
    final_at = (parse_utc(hi) or now) + rt.publication_lag if hi else None
    return RequestWindows(options, [Span(lo, hi, None, None, final_at)])


def _instants(rt: Any, start: Any, end: Any, given: dict[str, str], *, now: _dt.datetime) -> RequestWindows:
    """dataStartTime/dataEndTime as true UTC instants (the real-time reports)."""
    options = rt.validate_options(given)
    if start is None:
        msg = (f"{rt.name} needs start= (and usually end=): a date-time, a date or a relative form. "
               f"Accepted: {_dates.ACCEPTED_FORMS}")
        raise ConfigurationError(msg, parameter="start", value=None, allowed=_dates.ACCEPTED_FORMS)
    first = parse_instant(start, "start", is_end=False, today=now.date())
    last_req = parse_instant(end if end is not None else start, "end", is_end=True, today=now.date()) \
        if end is not None or not has_time(start) else now.replace(microsecond=0)
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
    spans = [Span(iso_utc(lo), iso_utc(hi), iso_utc(lo), iso_utc(hi), hi + rt.publication_lag) for lo, hi in pieces]
    return RequestWindows(options, spans)


def _days(rt: Any, start: Any, end: Any, given: dict[str, str], *, now: _dt.datetime, zone: _dt.tzinfo,
          today: _dt.date) -> RequestWindows:
    """dataStartTime/dataEndTime read as the marketplace's calendar days (vendor analytics)."""
    options = rt.validate_options(given)
    if start is None and end is None:
        msg = (f"{rt.name} needs start= (and end=): a date or a relative form such as 'today-7'. "
               f"Accepted: {_dates.ACCEPTED_FORMS}")
        raise ConfigurationError(msg, parameter="start", value=None, allowed=_dates.ACCEPTED_FORMS)
    rng = _dates.DateRange.parse(start, end).resolve(tz=zone)
    if rng.end > today:
        msg = (f"end={rng.end} is in the future (today is {today} in {zone}); reports hold no "
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
    spans = []
    for lo, hi in pieces:
        api_lo, api_hi = _dates.ResolvedRange(lo, hi).api_times()
        if (parse_utc(api_hi) or clip) > clip:  # dataEndTime must not be in the future
            api_hi = iso_utc(clip)
        spans.append(Span(lo.isoformat(), hi.isoformat(), api_lo, api_hi, _day_end_utc(hi, zone) + rt.publication_lag))
    return RequestWindows(options, spans)


def _day_end_utc(day: _dt.date, zone: _dt.tzinfo) -> _dt.datetime:
    """The instant a calendar day ends in ``zone``."""
    nxt = _dt.datetime.combine(day + _dt.timedelta(days=1), _dt.time(), tzinfo=zone)
    return nxt.astimezone(_dt.timezone.utc)


def parse_instant(value: Any, parameter: str, *, is_end: bool, today: _dt.date) -> _dt.datetime:
    """A UTC instant from a date-like: date-only forms mean the start (or end) of that UTC day."""
    if has_time(value):
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


def _published(rt: Any, rng: "_dates.ResolvedRange", period: str, now_local: _dt.datetime,
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
    # The caller's frame: read_report (or the facade's wrapper) -> plan -> ReportType -> here.
    warnings.warn(f"{rt.name}: data after {last} is not published yet (Amazon publishes it {hours} h after a day "
                  f"ends); returning {rng.start} to {last} instead of to {rng.end}", NoDataWarning, stacklevel=6)
    return _dates.ResolvedRange(rng.start, last)


_TIME_RE = re.compile(r"\d[Tt ]\d|:")


def has_time(value: Any) -> bool:
    """Whether ``value`` names an instant (a date-time) rather than a calendar day."""
    if isinstance(value, (_dt.datetime, np.datetime64)):
        return True
    return isinstance(value, str) and _TIME_RE.search(value.strip()) is not None


def _check_instants(first: _dt.datetime, last: _dt.datetime, now: _dt.datetime, rt: Any) -> None:
    if first > last:
        msg = (f"start={iso_utc(first)} is after end={iso_utc(last)}: start is the first (oldest) instant of the "
               "range and end the last")
        raise ConfigurationError(msg, parameter="start", value=iso_utc(first), allowed=f"on or before {iso_utc(last)}")
    if first >= now:
        msg = (f"the whole range {iso_utc(first)} → {iso_utc(last)} is in the future (now is {iso_utc(now)}); "
               "reports hold no data for future times")
        raise ConfigurationError(msg, parameter="start", value=iso_utc(first), allowed=f"before {iso_utc(now)}")
    if rt.lookback_days:
        earliest = now - _dt.timedelta(days=rt.lookback_days)
        if first < earliest:
            msg = (f"start={iso_utc(first)} is more than {rt.lookback_days} days ago; {rt.name} keeps data back to "
                   f"{iso_utc(earliest)}")
            raise ConfigurationError(msg, parameter="start", value=iso_utc(first),
                                     allowed=f"on or after {iso_utc(earliest)}")
