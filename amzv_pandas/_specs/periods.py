"""Report periods: alignment to whole DAY/WEEK/MONTH/QUARTER/YEAR periods and window splitting.

Vendor retail-analytics reports read ``dataStartTime``/``dataEndTime`` as dates and, for
``reportPeriod`` WEEK/MONTH/QUARTER/YEAR, require the start on the first day and the end on
the last day of a period (WEEK = Sunday–Saturday). :func:`split_range` cuts a range into the
fewest request windows; :func:`last_final_day` applies a publication lag.
"""

from __future__ import annotations

import datetime as _dt
from typing import Iterable, Iterator

import numpy as np

from ..exceptions import ConfigurationError
from .date_grammar import ONE_DAY, PERIODS, WEEKDAYS, DateLike, check_order, to_date

__all__ = ["normalize_period", "period_start", "period_end", "is_aligned", "check_aligned", "align_outward",
           "iter_periods", "split_range", "iter_days", "day_count", "contiguous_ranges", "last_final_day"]

# --------------------------------------------------------------------------- #
# Periods and alignment
# --------------------------------------------------------------------------- #


def normalize_period(period: str, *, parameter: str = "period") -> str:
    """Upper-case ``period`` and check it is one of :data:`PERIODS`."""
    p = period.strip().upper() if isinstance(period, str) else period
    if p not in PERIODS:
        raise ConfigurationError(
            f"{parameter}={period!r} is not a report period; accepted: {', '.join(PERIODS)}",
            parameter=parameter, value=period, allowed=PERIODS,
        )
    return p


def _month_index(d: _dt.date) -> int:
    return d.year * 12 + d.month - 1


def _from_month_index(i: int) -> _dt.date:
    return _dt.date(i // 12, i % 12 + 1, 1)


def period_start(d: DateLike, period: str) -> _dt.date:
    """First day of the ``period`` containing ``d`` (WEEK starts on Sunday)."""
    p = normalize_period(period)
    day = to_date(d, "date")
    if p == "DAY":
        return day
    if p == "WEEK":
        return day - _dt.timedelta(days=(day.weekday() + 1) % 7)
    if p == "MONTH":
        return day.replace(day=1)
    if p == "QUARTER":
        return _dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return _dt.date(day.year, 1, 1)


def _next_period_start(first: _dt.date, p: str) -> _dt.date:
    """Start of the period after the one starting on ``first`` (``first`` aligned)."""
    if p == "DAY":
        return first + ONE_DAY
    if p == "WEEK":
        return first + _dt.timedelta(days=7)
    step = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}[p]
    return _from_month_index(_month_index(first) + step)


def period_end(d: DateLike, period: str) -> _dt.date:
    """Last day of the ``period`` containing ``d`` (WEEK ends on Saturday)."""
    p = normalize_period(period)
    return _next_period_start(period_start(d, p), p) - ONE_DAY


def is_aligned(start: DateLike, end: DateLike, period: str) -> bool:
    """Whether ``start`` is the first day and ``end`` the last day of a ``period``."""
    first, last = to_date(start, "start"), to_date(end, "end")
    return period_start(first, period) == first and period_end(last, period) == last


def align_outward(start: DateLike, end: DateLike, period: str) -> tuple[_dt.date, _dt.date]:
    """The smallest ``period``-aligned range containing ``start`` → ``end``."""
    first, last = to_date(start, "start"), to_date(end, "end")
    check_order(first, last, "start", "end")
    return period_start(first, period), period_end(last, period)


_RULES = {
    "WEEK": "run Sunday–Saturday",
    "MONTH": "run from the first to the last day of a calendar month",
    "QUARTER": "run from the first day of a quarter (Jan 1, Apr 1, Jul 1, Oct 1) to its last "
               "(Mar 31, Jun 30, Sep 30, Dec 31)",
    "YEAR": "run from Jan 1 to Dec 31",
}


def check_aligned(
    start: DateLike, end: DateLike, period: str, *, parameter: str = "start", end_parameter: str = "end"
) -> None:
    """Raise :class:`ConfigurationError` unless the range is aligned to ``period``.

    The message names the misaligned end(s) and gives the nearest aligned
    ranges: the one covering the request and, when not empty, the one inside it.

    Examples
    --------
    >>> check_aligned("2024-03-05", "2024-03-16", "WEEK")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    amzv_pandas.exceptions.ConfigurationError: start=2024-03-05 is a Tuesday; WEEK ranges run Sunday–Saturday: use 2024-03-03 → 2024-03-16 (covers the range) or 2024-03-10 → 2024-03-16 (within it)
    """
    p = normalize_period(period)
    first, last = to_date(start, parameter), to_date(end, end_parameter)
    check_order(first, last, parameter, end_parameter)
    lo, hi = period_start(first, p), period_end(last, p)
    if lo == first and hi == last:
        return
    problems = []
    inner_start, inner_end = first, last
    if lo != first:
        what = f"a {WEEKDAYS[first.weekday()]}" if p == "WEEK" else f"not the first day of a {p.lower()}"
        problems.append(f"{parameter}={first} is {what}")
        inner_start = period_end(first, p) + ONE_DAY
    if hi != last:
        what = f"a {WEEKDAYS[last.weekday()]}" if p == "WEEK" else f"not the last day of a {p.lower()}"
        problems.append(f"{end_parameter}={last} is {what}")
        inner_end = period_start(last, p) - ONE_DAY
    suggestion = f"use {lo} → {hi} (covers the range)"
    if inner_start <= inner_end:
        suggestion += f" or {inner_start} → {inner_end} (within it)"
    bad = parameter if lo != first else end_parameter
    raise ConfigurationError(
        f"{' and '.join(problems)}; {p} ranges {_RULES[p]}: {suggestion}",
        parameter=bad, value=first if bad == parameter else last,
        allowed=f"{p}-aligned dates, e.g. {lo} → {hi}",
    )


def iter_periods(start: DateLike, end: DateLike, period: str) -> Iterator[tuple[_dt.date, _dt.date]]:
    """Each ``(first, last)`` period overlapping ``start`` → ``end``, oldest first.

    The first and last periods are whole periods even when the range is not
    aligned (they may reach outside it).
    """
    p = normalize_period(period)
    first, last = align_outward(start, end, p)
    while first <= last:
        nxt = _next_period_start(first, p)
        yield first, nxt - ONE_DAY
        first = nxt


# --------------------------------------------------------------------------- #
# Splitting
# --------------------------------------------------------------------------- #


def _check_limit(value: int | None, parameter: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigurationError(
            f"{parameter}={value!r} must be a whole number >= 1 (or None for no limit)",
            parameter=parameter, value=value, allowed="an int >= 1 or None",
        )


def split_range(
    start: DateLike,
    end: DateLike,
    *,
    period: str = "DAY",
    max_periods: int | None = None,
    max_days: int | None = None,
    newest_first: bool = False,
) -> list[tuple[_dt.date, _dt.date]]:
    """Split an aligned range into the fewest request windows.

    Each window holds whole ``period`` s, at most ``max_periods`` of them and
    at most ``max_days`` days; the windows are contiguous, never overlap and
    cover ``start`` → ``end`` exactly.

    Parameters
    ----------
    start, end : DateLike
        Absolute inclusive dates, aligned to ``period``.
    period : {"DAY", "WEEK", "MONTH", "QUARTER", "YEAR"}, default "DAY"
    max_periods, max_days : int, optional
        Limits per window; ``None`` means no limit (both ``None`` → one window).
    newest_first : bool, default False
        For backfills: windows are packed from ``end`` backwards (so only the
        oldest may be short) and returned newest first. Otherwise they are
        packed from ``start`` (only the newest may be short), oldest first.

    Returns
    -------
    list of (datetime.date, datetime.date)

    Raises
    ------
    ConfigurationError
        Start after end, a misaligned range (with the aligned alternative), a
        limit < 1, or ``max_days`` shorter than one period.

    Examples
    --------
    >>> split_range("2024-01-01", "2024-01-31", max_days=15)  # doctest: +NORMALIZE_WHITESPACE
    [(datetime.date(2024, 1, 1), datetime.date(2024, 1, 15)),
     (datetime.date(2024, 1, 16), datetime.date(2024, 1, 30)),
     (datetime.date(2024, 1, 31), datetime.date(2024, 1, 31))]
    """
    p = normalize_period(period)
    _check_limit(max_periods, "max_periods")
    _check_limit(max_days, "max_days")
    first, last = to_date(start, "start"), to_date(end, "end")
    check_aligned(first, last, p)
    if max_periods is None and max_days is None:
        return [(first, last)]
    if p == "DAY":  # arithmetic, no need to walk the days
        size = min(max_periods or max_days, max_days or max_periods)  # type: ignore[type-var]
        n = day_count(first, last)
        bounds = range(0, n, size)
        if newest_first:
            return [
                (max(first, last - _dt.timedelta(days=k + size - 1)), last - _dt.timedelta(days=k))
                for k in bounds
            ]
        return [(first + _dt.timedelta(days=k), min(last, first + _dt.timedelta(days=k + size - 1)))
                for k in bounds]
    periods = list(iter_periods(first, last, p))
    if newest_first:
        periods.reverse()
    windows: list[tuple[_dt.date, _dt.date]] = []
    i = 0
    while i < len(periods):
        # Greedy packing is optimal: any part of a valid window is itself valid.
        j, days = i, 0
        while j < len(periods) and (max_periods is None or j - i < max_periods):
            length = day_count(*periods[j])
            if max_days is not None and days + length > max_days:
                break
            days += length
            j += 1
        if j == i:
            ps, pe = periods[i]
            raise ConfigurationError(
                f"max_days={max_days} is shorter than the {p} {ps} → {pe} ({day_count(ps, pe)} days); "
                f"raise max_days or use max_periods",
                parameter="max_days", value=max_days, allowed=f">= {day_count(ps, pe)} for {p}",
            )
        chunk = periods[i:j]
        lo = min(chunk[0][0], chunk[-1][0])
        hi = max(chunk[0][1], chunk[-1][1])
        windows.append((lo, hi))
        i = j
    return windows


# --------------------------------------------------------------------------- #
# Day helpers for sync
# --------------------------------------------------------------------------- #


def iter_days(start: DateLike, end: DateLike, *, newest_first: bool = False) -> Iterator[_dt.date]:
    """Each date from ``start`` to ``end`` inclusive (oldest first unless ``newest_first``)."""
    first, last = to_date(start, "start"), to_date(end, "end")
    check_order(first, last, "start", "end")
    if newest_first:
        day = last
        while day >= first:
            yield day
            if day == _dt.date.min:
                return
            day -= ONE_DAY
    else:
        day = first
        while day <= last:
            yield day
            if day == _dt.date.max:
                return
            day += ONE_DAY


def day_count(start: DateLike, end: DateLike) -> int:
    """Number of days from ``start`` to ``end``, both included (0 if end < start)."""
    first, last = to_date(start, "start"), to_date(end, "end")
    return max(0, (last - first).days + 1)


def contiguous_ranges(days: Iterable[DateLike]) -> list[tuple[_dt.date, _dt.date]]:
    """Collapse dates into sorted, inclusive runs of consecutive days.

    Useful to turn the days a sync still lacks into request ranges.

    Examples
    --------
    >>> contiguous_ranges(["2024-03-03", "2024-03-01", "2024-03-02", "2024-03-09"])
    [(datetime.date(2024, 3, 1), datetime.date(2024, 3, 3)), (datetime.date(2024, 3, 9), datetime.date(2024, 3, 9))]
    """
    ordered = sorted({to_date(d, "days") for d in days})
    runs: list[tuple[_dt.date, _dt.date]] = []
    for day in ordered:
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def last_final_day(lag: _dt.timedelta, now: _dt.datetime) -> _dt.date:
    """The newest day whose data is final: its end plus ``lag`` is not after ``now``.

    Days are those of ``now``'s time zone (pass the marketplace's local time:
    Amazon counts a vendor report's publication lag from the end of the
    marketplace's day).

    Examples
    --------
    >>> import datetime as dt
    >>> last_final_day(dt.timedelta(hours=72), dt.datetime(2026, 11, 27, 9, 0))
    datetime.date(2026, 11, 23)
    """
    return (now - lag).date() - _dt.timedelta(days=1)
