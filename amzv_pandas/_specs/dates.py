"""Dates for reports: relative dates, ranges, period alignment and window splitting.

Pure functions and frozen values, no I/O. Used by ``read_report`` (request
windows), ``sync`` (backfill) and the ipywidgets form.

Forms accepted for one date (:data:`DateLike`), mirroring the connector's
Details pane:

* relative: ``"today"`` (or ``0``), ``"yesterday"`` (or ``1``), ``"today-N"``
  (or ``N``, or ``"N"``) = N days before today;
* specific: an ISO date ``"2024-03-01"`` or date-time ``"2024-03-01T10:00:00Z"``,
  a :class:`datetime.date`, :class:`datetime.datetime`, :class:`pandas.Timestamp`
  or :class:`numpy.datetime64`.

Ranges (:meth:`DateRange.parse`) are **inclusive** of both ends and come in
these forms (exactly one per call):

==========================================  =====================================
pane field(s)                               call
==========================================  =====================================
Duration = Single Date                      ``single_date=X`` (start == end == X)
Days Back                                   ``days_back=N`` (the single day N days ago)
Date From                                   ``date_from=X`` (X up to and including today)
Start Date + End Date                       ``start=X, end=Y``
Start Date (or End Date) alone              ``start=X``: the single day X
Days Back to Start From / to End At         ``days_back_to_start_from=10, days_back_to_end_at=5``
Days Back to Start From alone               ends today (``days_back_to_end_at=0``)
==========================================  =====================================

The "today" rule (the same everywhere in this module):

1. an explicit ``today=`` wins;
2. else the current date in ``tz`` — an IANA zone name, a ``tzinfo``, or a
   :class:`~amzv_pandas._specs.marketplaces.Marketplace` (its ``.timezone``);
3. else the current date in UTC — never the machine's local time.

A time-zone-aware date-time is an instant; the calendar day it falls on is read
in that same zone (``tz``, else UTC). A naive date-time is taken as is (its
date part). Helpers that take absolute dates only (alignment, splitting, checks)
read aware date-times in UTC.

Vendor retail-analytics reports read ``dataStartTime``/``dataEndTime`` as dates
and, for ``reportPeriod`` WEEK/MONTH/QUARTER/YEAR, require the start on the
first day and the end on the last day of a period (WEEK = Sunday–Saturday).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from ..exceptions import ConfigurationError

__all__ = [
    "DateLike",
    "DateSpec",
    "Period",
    "PERIODS",
    "ACCEPTED_FORMS",
    "RelativeDate",
    "DateRange",
    "ResolvedRange",
    "parse_date_spec",
    "parse_days_back",
    "resolve_today",
    "last_final_day",
    "normalize_period",
    "period_start",
    "period_end",
    "is_aligned",
    "check_aligned",
    "align_outward",
    "iter_periods",
    "split_range",
    "iter_days",
    "day_count",
    "contiguous_ranges",
    "check_lookback",
    "check_not_future",
]

#: The reportPeriod values of the vendor analytics reports.
Period = Literal["DAY", "WEEK", "MONTH", "QUARTER", "YEAR"]
PERIODS: tuple[str, ...] = ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR")

#: The largest days-back value accepted (about 100 years); it catches a compact
#: date such as ``20240301`` mistaken for a number of days.
MAX_DAYS_BACK = 36_600

#: Human-readable list of the accepted forms, used in error messages.
ACCEPTED_FORMS = (
    "'today' (or 0), 'yesterday' (or 1), 'today-N' (or N, e.g. 'today-7' or 7), "
    "an ISO date 'YYYY-MM-DD' or date-time 'YYYY-MM-DDTHH:MM:SSZ', "
    "a datetime.date/datetime, a pandas Timestamp or a numpy datetime64"
)
_DAYS_BACK_FORMS = "'today' (or 0), 'yesterday' (or 1), 'today-N' (or N, e.g. 'today-7' or 7), N >= 0"

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ONE_DAY = _dt.timedelta(days=1)

_TODAY_RE = re.compile(r"^today(?:\s*-\s*(\d+))?$")
_INT_RE = re.compile(r"^\+?(\d+)$")
_NEGATIVE_RE = re.compile(r"^(?:today\s*\+\s*\d+|-\s*\d+)$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --------------------------------------------------------------------------- #
# Single dates
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, repr=False)
class RelativeDate:
    """A date counted back from "today": 0 = today, 1 = yesterday, N = N days ago.

    Examples
    --------
    >>> import datetime
    >>> RelativeDate(7)
    RelativeDate('today-7')
    >>> RelativeDate(1).resolve(datetime.date(2024, 3, 10))
    datetime.date(2024, 3, 9)
    """

    days_back: int

    def __post_init__(self) -> None:
        _check_days_back(self.days_back, "days_back", self.days_back)

    def resolve(self, today: _dt.date) -> _dt.date:
        """The absolute date, ``today`` minus :attr:`days_back` days."""
        return today - _dt.timedelta(days=self.days_back)

    def __str__(self) -> str:
        if self.days_back == 0:
            return "today"
        if self.days_back == 1:
            return "yesterday"
        return f"today-{self.days_back}"

    def __repr__(self) -> str:
        return f"RelativeDate({str(self)!r})"


#: Anything accepted as one date (see the module docstring for the forms).
DateLike = Union[str, int, _dt.date, _dt.datetime, pd.Timestamp, np.datetime64, RelativeDate]

#: A parsed, unresolved date: relative, a calendar date, or an aware instant
#: (kept as an aware ``datetime`` until the zone is known).
DateSpec = Union[RelativeDate, _dt.date, _dt.datetime]


def _check_days_back(n: int, parameter: str, value: object) -> int:
    if n < 0:
        raise ConfigurationError(
            f"{parameter}={value!r} is negative; days back count back from today "
            f"and must be >= 0. Accepted: {_DAYS_BACK_FORMS}",
            parameter=parameter, value=value, allowed=_DAYS_BACK_FORMS,
        )
    if n > MAX_DAYS_BACK:
        hint = ""
        if len(str(n)) == 8:
            hint = f" (for a date write it as ISO, e.g. '{str(n)[:4]}-{str(n)[4:6]}-{str(n)[6:]}')"
        raise ConfigurationError(
            f"{parameter}={value!r} is more than {MAX_DAYS_BACK} days back{hint}. "
            f"Accepted: {ACCEPTED_FORMS}",
            parameter=parameter, value=value, allowed=ACCEPTED_FORMS,
        )
    return n


def _malformed(value: object, parameter: str, why: str = "is not a date") -> ConfigurationError:
    return ConfigurationError(
        f"{parameter}={value!r} {why}. Accepted: {ACCEPTED_FORMS}",
        parameter=parameter, value=value, allowed=ACCEPTED_FORMS,
    )


def _parse_spec(value: object, parameter: str) -> DateSpec:
    """Parse one date without resolving it; aware instants stay aware datetimes."""
    if isinstance(value, RelativeDate):
        return value
    if isinstance(value, bool):  # bool is an int; True is not "1 day back"
        raise _malformed(value, parameter)
    if isinstance(value, (int, np.integer)):
        return RelativeDate(_check_days_back(int(value), parameter, value))
    if value is pd.NaT:
        raise _malformed(value, parameter, "is NaT (missing)")
    if isinstance(value, _dt.datetime):  # includes pandas.Timestamp
        if value.tzinfo is not None and value.utcoffset() is not None:
            # Keep the instant (and its offset, for a readable repr) until the zone is known.
            return value.to_pydatetime(warn=False) if isinstance(value, pd.Timestamp) else value
        return _dt.date(value.year, value.month, value.day)
    if isinstance(value, _dt.date):
        return _dt.date(value.year, value.month, value.day)
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise _malformed(value, parameter, "is NaT (missing)")
        day = value.astype("datetime64[D]").astype(object)
        if not isinstance(day, _dt.date):  # outside datetime.date's years 1-9999
            raise _malformed(value, parameter, "is outside the years 1-9999")
        return day
    if isinstance(value, str):
        return _parse_string(value, parameter)
    raise ConfigurationError(
        f"{parameter}={value!r} has unsupported type {type(value).__name__}. Accepted: {ACCEPTED_FORMS}",
        parameter=parameter, value=value, allowed=ACCEPTED_FORMS,
    )


def _parse_string(value: str, parameter: str) -> DateSpec:
    text = value.strip().lower()
    if text == "yesterday":
        return RelativeDate(1)
    if m := _TODAY_RE.match(text):
        return RelativeDate(_check_days_back(int(m.group(1) or 0), parameter, value))
    if m := _INT_RE.match(text):
        return RelativeDate(_check_days_back(int(m.group(1)), parameter, value))
    if _NEGATIVE_RE.match(text):
        raise ConfigurationError(
            f"{parameter}={value!r} points into the future; days back must be >= 0. "
            f"Accepted: {ACCEPTED_FORMS}",
            parameter=parameter, value=value, allowed=ACCEPTED_FORMS,
        )
    raw = value.strip()
    try:
        if _ISO_DATE_RE.match(raw):
            return _dt.date.fromisoformat(raw)
        # Python 3.10's fromisoformat does not know the "Z" suffix.
        parsed = _dt.datetime.fromisoformat(re.sub(r"[zZ]$", "+00:00", raw))
    except ValueError:
        raise _malformed(value, parameter) from None
    return _parse_spec(parsed, parameter)


def _zone(tz: object, parameter: str = "tz") -> _dt.tzinfo:
    """The tzinfo for ``tz``: None → UTC, IANA name, tzinfo, or a Marketplace."""
    if tz is None:
        return _dt.timezone.utc
    if isinstance(tz, _dt.tzinfo):
        return tz
    name = getattr(tz, "timezone", tz)  # a Marketplace carries its zone name
    if isinstance(name, str):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "US" is a tzdata folder
            pass
    allowed = "an IANA zone name such as 'America/Los_Angeles', a tzinfo, a Marketplace, or None (UTC)"
    raise ConfigurationError(
        f"{parameter}={tz!r} is not a time zone; accepted: {allowed}",
        parameter=parameter, value=tz, allowed=allowed,
    )


def _zone_label(zone: _dt.tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone)


def _to_date(value: object, parameter: str, zone: _dt.tzinfo = _dt.timezone.utc) -> _dt.date:
    """An absolute date from an absolute DateLike; relative forms are refused."""
    spec = _parse_spec(value, parameter)
    if isinstance(spec, RelativeDate):
        raise ConfigurationError(
            f"{parameter}={value!r} is relative; an absolute date is needed here "
            "(an ISO 'YYYY-MM-DD', a datetime.date, a pandas Timestamp...)",
            parameter=parameter, value=value, allowed="an absolute date",
        )
    return _spec_date(spec, None, zone)


def _spec_date(spec: DateSpec, today: _dt.date | None, zone: _dt.tzinfo) -> _dt.date:
    if isinstance(spec, RelativeDate):
        assert today is not None
        try:
            return spec.resolve(today)
        except OverflowError:
            raise ConfigurationError(
                f"{spec} is before the year 1", parameter="start", value=str(spec)
            ) from None
    if isinstance(spec, _dt.datetime):  # an aware instant: its day in `zone`
        return spec.astimezone(zone).date()
    return spec


def resolve_today(today: DateLike | None = None, tz: object = None) -> _dt.date:
    """The date "today" means, by the module's rule.

    Parameters
    ----------
    today : DateLike, optional
        An explicit date; wins over everything (absolute forms only).
    tz : str, tzinfo or Marketplace, optional
        Zone whose current calendar day is today; UTC when omitted.

    Returns
    -------
    datetime.date
    """
    zone = _zone(tz)
    if today is not None:
        return _to_date(today, "today", zone)
    return _now_utc().astimezone(zone).date()


def _now_utc() -> _dt.datetime:
    """The current instant (a seam so tests can fix the clock)."""
    return _dt.datetime.now(_dt.timezone.utc)


def parse_date_spec(
    value: DateLike, *, parameter: str = "start", tz: object = None
) -> RelativeDate | _dt.date:
    """Parse one date as the pane accepts it, without resolving relative forms.

    Parameters
    ----------
    value : DateLike
        ``"today"``/``0``, ``"yesterday"``/``1``, ``"today-N"``/``N``/``"N"``,
        an ISO date or date-time string, ``date``, ``datetime``, ``Timestamp``
        or ``datetime64``.
    parameter : str, default "start"
        Name used in error messages.
    tz : str, tzinfo or Marketplace, optional
        Zone in which an aware date-time's calendar day is read (default UTC).

    Returns
    -------
    RelativeDate or datetime.date

    Raises
    ------
    ConfigurationError
        Malformed strings (the message lists the accepted forms), negative
        days back, unsupported types, NaT.

    Examples
    --------
    >>> parse_date_spec("today-7")
    RelativeDate('today-7')
    >>> parse_date_spec("2024-03-01T23:30:00-08:00")
    datetime.date(2024, 3, 2)
    """
    spec = _parse_spec(value, parameter)
    if isinstance(spec, RelativeDate):
        return spec
    return _spec_date(spec, None, _zone(tz))


def parse_days_back(value: int | str, *, parameter: str = "days_back") -> int:
    """Parse a pane "Days Back" value (``"today"``, ``"yesterday"``, ``"today-N"``, ``N``) to N.

    Raises
    ------
    ConfigurationError
        For a negative number, a malformed string, or an absolute date.
    """
    spec = _parse_spec(value, parameter)
    if not isinstance(spec, RelativeDate):
        raise ConfigurationError(
            f"{parameter}={value!r} is a date, not a number of days back. Accepted: {_DAYS_BACK_FORMS}",
            parameter=parameter, value=value, allowed=_DAYS_BACK_FORMS,
        )
    return spec.days_back


def _spec_str(spec: DateSpec) -> str:
    if isinstance(spec, RelativeDate):
        return str(spec)
    return spec.isoformat()


# --------------------------------------------------------------------------- #
# Ranges
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, repr=False)
class ResolvedRange:
    """An absolute, inclusive range of calendar dates.

    Examples
    --------
    >>> import datetime
    >>> r = ResolvedRange(datetime.date(2026, 11, 20), datetime.date(2026, 11, 26))
    >>> r
    ResolvedRange(2026-11-20 → 2026-11-26, 7 days)
    >>> r.api_times()
    ('2026-11-20T00:00:00Z', '2026-11-26T23:59:59Z')
    """

    start: _dt.date
    end: _dt.date

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _to_date(self.start, "start"))
        object.__setattr__(self, "end", _to_date(self.end, "end"))
        _check_order(self.start, self.end, "start", "end")

    @property
    def days(self) -> int:
        """Number of days in the range, both ends included."""
        return day_count(self.start, self.end)

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, _dt.date):
            return False
        d = day.date() if isinstance(day, _dt.datetime) else day
        return self.start <= d <= self.end

    def __repr__(self) -> str:
        unit = "day" if self.days == 1 else "days"
        return f"ResolvedRange({self.start} → {self.end}, {self.days} {unit})"

    def as_tuple(self) -> tuple[_dt.date, _dt.date]:
        """``(start, end)``."""
        return (self.start, self.end)

    def api_times(self) -> tuple[str, str]:
        """``(dataStartTime, dataEndTime)`` for a day-granular report.

        The start is midnight of the first day and the end the last second of
        the last day, both in UTC (``Z``): the vendor reports read only the dates.
        """
        return (f"{self.start.isoformat()}T00:00:00Z", f"{self.end.isoformat()}T23:59:59Z")

    def iter_days(self) -> Iterator[_dt.date]:
        """Each date from start to end, oldest first."""
        return iter_days(self.start, self.end)

    def is_aligned(self, period: str) -> bool:
        """Whether the range starts and ends on ``period`` boundaries."""
        return is_aligned(self.start, self.end, period)

    def check_aligned(self, period: str, *, parameter: str = "start", end_parameter: str = "end") -> None:
        """Raise :class:`ConfigurationError` unless aligned to ``period`` (see :func:`check_aligned`)."""
        check_aligned(self.start, self.end, period, parameter=parameter, end_parameter=end_parameter)

    def align_outward(self, period: str) -> "ResolvedRange":
        """The smallest ``period``-aligned range containing this one."""
        return ResolvedRange(*align_outward(self.start, self.end, period))

    def split(
        self,
        *,
        period: str = "DAY",
        max_periods: int | None = None,
        max_days: int | None = None,
        newest_first: bool = False,
    ) -> list["ResolvedRange"]:
        """Split into the fewest aligned windows (see :func:`split_range`)."""
        windows = split_range(
            self.start, self.end, period=period, max_periods=max_periods,
            max_days=max_days, newest_first=newest_first,
        )
        return [ResolvedRange(s, e) for s, e in windows]


@dataclass(frozen=True, repr=False)
class DateRange:
    """An inclusive range whose ends may be relative ("today-7") or absolute.

    Build it with :meth:`parse` (every pane form) or directly with
    ``DateRange(start, end)``; turn it into dates with :meth:`resolve`.

    Examples
    --------
    >>> rng = DateRange.parse("today-7", "yesterday")
    >>> rng
    DateRange(start='today-7', end='yesterday')
    >>> rng.resolve(today="2026-11-27")
    ResolvedRange(2026-11-20 → 2026-11-26, 7 days)
    """

    start: DateSpec
    end: DateSpec

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _parse_spec(self.start, "start"))
        object.__setattr__(self, "end", _parse_spec(self.end, "end"))
        _check_spec_order(self.start, self.end, "start", "end")

    @classmethod
    def parse(
        cls,
        start: DateLike | "DateRange" | ResolvedRange | None = None,
        end: DateLike | None = None,
        *,
        single_date: DateLike | None = None,
        days_back: int | str | None = None,
        date_from: DateLike | None = None,
        days_back_to_start_from: int | str | None = None,
        days_back_to_end_at: int | str | None = None,
    ) -> "DateRange":
        """Build a range from any one of the connector pane's forms.

        Parameters
        ----------
        start, end : DateLike, optional
            Start Date / End Date, each specific or relative. Only one given →
            that single day (start == end). A ``DateRange`` (or
            ``ResolvedRange``) as ``start`` is returned as a ``DateRange``.
        single_date : DateLike, optional
            Duration = Single Date: the one day.
        days_back : int or str, optional
            Days Back: the single day N days ago (``"today"``/0, ``"yesterday"``/1,
            ``"today-N"``/N).
        date_from : DateLike, optional
            Date From: from this date up to and including today.
        days_back_to_start_from, days_back_to_end_at : int or str, optional
            From N days ago up to M days ago (N >= M). ``days_back_to_end_at``
            defaults to 0 (today); it cannot be given alone.

        Returns
        -------
        DateRange

        Raises
        ------
        ConfigurationError
            No form or several forms given, malformed or negative values, or a
            start after the end when both are known without resolving.
        """
        forms = {
            "start/end": start is not None or end is not None,
            "single_date": single_date is not None,
            "days_back": days_back is not None,
            "date_from": date_from is not None,
            "days_back_to_start_from/days_back_to_end_at": (
                days_back_to_start_from is not None or days_back_to_end_at is not None
            ),
        }
        used = [name for name, on in forms.items() if on]
        allowed = ", ".join(forms)
        if not used:
            raise ConfigurationError(
                f"no date given; give one of: {allowed}", parameter="start", value=None, allowed=allowed,
            )
        if len(used) > 1:
            raise ConfigurationError(
                f"conflicting date forms given: {' and '.join(used)}; give exactly one of: {allowed}",
                parameter=used[1].split("/")[0], value=None, allowed=allowed,
            )
        if isinstance(start, (DateRange, ResolvedRange)):
            if end is not None:
                raise ConfigurationError(
                    f"start is already a range ({start!r}); do not also give end={end!r}",
                    parameter="end", value=end, allowed="None when start is a range",
                )
            return start if isinstance(start, DateRange) else cls(start.start, start.end)
        if forms["single_date"]:
            day = _parse_spec(single_date, "single_date")
            return cls(day, day)
        if forms["days_back"]:
            day = RelativeDate(parse_days_back(days_back, parameter="days_back"))
            return cls(day, day)
        if forms["date_from"]:
            first = _parse_spec(date_from, "date_from")
            return cls(first, RelativeDate(0))
        if forms["days_back_to_start_from/days_back_to_end_at"]:
            if days_back_to_start_from is None:
                raise ConfigurationError(
                    f"days_back_to_end_at={days_back_to_end_at!r} needs days_back_to_start_from "
                    "(the farthest day back of the range)",
                    parameter="days_back_to_start_from", value=None, allowed=_DAYS_BACK_FORMS,
                )
            n = parse_days_back(days_back_to_start_from, parameter="days_back_to_start_from")
            m = 0 if days_back_to_end_at is None else parse_days_back(
                days_back_to_end_at, parameter="days_back_to_end_at"
            )
            if n < m:
                raise ConfigurationError(
                    f"days_back_to_start_from={days_back_to_start_from!r} is more recent than "
                    f"days_back_to_end_at={days_back_to_end_at!r}: the start must be the farther "
                    "day back (e.g. 10 and 5 = from 10 days ago up to 5 days ago)",
                    parameter="days_back_to_start_from", value=days_back_to_start_from,
                    allowed=f">= days_back_to_end_at ({m})",
                )
            return cls(RelativeDate(n), RelativeDate(m))
        first = _parse_spec(start if start is not None else end, "start" if start is not None else "end")
        last = first if end is None or start is None else _parse_spec(end, "end")
        return cls(first, last)

    @property
    def is_relative(self) -> bool:
        """Whether either end depends on today (so resolving depends on the clock)."""
        return isinstance(self.start, RelativeDate) or isinstance(self.end, RelativeDate)

    def resolve(self, today: DateLike | None = None, tz: object = None) -> ResolvedRange:
        """Absolute inclusive dates, by the module's "today" rule.

        Parameters
        ----------
        today : DateLike, optional
            The date "today" means; wins over ``tz``.
        tz : str, tzinfo or Marketplace, optional
            Zone for today's date and for aware date-times; UTC when omitted.

        Raises
        ------
        ConfigurationError
            The start is after the end, or the whole range lies after today.
        """
        zone = _zone(tz)
        day0 = resolve_today(today, zone)
        first = _spec_date(self.start, day0, zone)
        last = _spec_date(self.end, day0, zone)
        _check_order(first, last, "start", "end", self.start, self.end)
        _check_not_future(first, last, day0, "start", _zone_label(zone) if today is None else None)
        return ResolvedRange(first, last)

    def __repr__(self) -> str:
        return f"DateRange(start={_spec_str(self.start)!r}, end={_spec_str(self.end)!r})"


def _describe(value: _dt.date, spec: DateSpec | None) -> str:
    if spec is None or (isinstance(spec, _dt.date) and not isinstance(spec, _dt.datetime)):
        return str(value)
    return f"{_spec_str(spec)!r} ({value})"


def _check_order(
    start: _dt.date, end: _dt.date, parameter: str, end_parameter: str,
    start_spec: DateSpec | None = None, end_spec: DateSpec | None = None,
) -> None:
    if start > end:
        raise ConfigurationError(
            f"{parameter}={_describe(start, start_spec)} is after {end_parameter}={_describe(end, end_spec)}: "
            f"{parameter} is the first (oldest) day of the range and {end_parameter} the last",
            parameter=parameter, value=start_spec if start_spec is not None else start,
            allowed=f"a date on or before {end_parameter}={end}",
        )


def _check_spec_order(start: DateSpec, end: DateSpec, parameter: str, end_parameter: str) -> None:
    # Decidable without today only when both ends are of the same kind.
    if isinstance(start, RelativeDate) and isinstance(end, RelativeDate):
        if start.days_back < end.days_back:
            raise ConfigurationError(
                f"{parameter}={str(start)!r} is after {end_parameter}={str(end)!r}: "
                f"{parameter} is the first (oldest) day of the range and {end_parameter} the last",
                parameter=parameter, value=str(start), allowed=f"a date on or before {end_parameter}={end}",
            )
    elif type(start) is _dt.date and type(end) is _dt.date:
        _check_order(start, end, parameter, end_parameter)


# --------------------------------------------------------------------------- #
# Checks
# --------------------------------------------------------------------------- #


def _check_not_future(
    start: _dt.date, end: _dt.date, today: _dt.date, parameter: str, zone_label: str | None
) -> None:
    if start > today:
        where = f", {zone_label}" if zone_label else ""
        raise ConfigurationError(
            f"the whole range {start} → {end} is in the future: {parameter}={start} is after "
            f"today ({today}{where}); reports hold no data for future dates",
            parameter=parameter, value=start, allowed=f"a date on or before {today}",
        )


def check_not_future(
    start: DateLike, end: DateLike, today: DateLike, *, parameter: str = "start"
) -> None:
    """Raise :class:`ConfigurationError` if the whole range lies after ``today``.

    A range that merely ends in the future is accepted (the caller may clip it).
    """
    _check_not_future(
        _to_date(start, parameter), _to_date(end, "end"), _to_date(today, "today"), parameter, None
    )


def check_lookback(
    start: DateLike, today: DateLike, lookback_days: int, *, parameter: str = "start"
) -> None:
    """Raise :class:`ConfigurationError` if ``start`` is more than ``lookback_days`` before ``today``.

    Parameters
    ----------
    start, today : DateLike
        Absolute dates.
    lookback_days : int
        How far back the report type keeps data (e.g. 1460 for DAY sales).
    parameter : str, default "start"
        Name used in the message.
    """
    first, day0 = _to_date(start, parameter), _to_date(today, "today")
    earliest = day0 - _dt.timedelta(days=lookback_days)
    if first < earliest:
        raise ConfigurationError(
            f"{parameter}={first} is more than {lookback_days} days before today ({day0}); "
            f"the earliest date available is {earliest}",
            parameter=parameter, value=first, allowed=f"a date on or after {earliest}",
        )


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
    day = _to_date(d, "date")
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
        return first + _ONE_DAY
    if p == "WEEK":
        return first + _dt.timedelta(days=7)
    step = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}[p]
    return _from_month_index(_month_index(first) + step)


def period_end(d: DateLike, period: str) -> _dt.date:
    """Last day of the ``period`` containing ``d`` (WEEK ends on Saturday)."""
    p = normalize_period(period)
    return _next_period_start(period_start(d, p), p) - _ONE_DAY


def is_aligned(start: DateLike, end: DateLike, period: str) -> bool:
    """Whether ``start`` is the first day and ``end`` the last day of a ``period``."""
    first, last = _to_date(start, "start"), _to_date(end, "end")
    return period_start(first, period) == first and period_end(last, period) == last


def align_outward(start: DateLike, end: DateLike, period: str) -> tuple[_dt.date, _dt.date]:
    """The smallest ``period``-aligned range containing ``start`` → ``end``."""
    first, last = _to_date(start, "start"), _to_date(end, "end")
    _check_order(first, last, "start", "end")
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
    first, last = _to_date(start, parameter), _to_date(end, end_parameter)
    _check_order(first, last, parameter, end_parameter)
    lo, hi = period_start(first, p), period_end(last, p)
    if lo == first and hi == last:
        return
    problems = []
    inner_start, inner_end = first, last
    if lo != first:
        what = f"a {_WEEKDAYS[first.weekday()]}" if p == "WEEK" else f"not the first day of a {p.lower()}"
        problems.append(f"{parameter}={first} is {what}")
        inner_start = period_end(first, p) + _ONE_DAY
    if hi != last:
        what = f"a {_WEEKDAYS[last.weekday()]}" if p == "WEEK" else f"not the last day of a {p.lower()}"
        problems.append(f"{end_parameter}={last} is {what}")
        inner_end = period_start(last, p) - _ONE_DAY
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
        yield first, nxt - _ONE_DAY
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
    first, last = _to_date(start, "start"), _to_date(end, "end")
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
    first, last = _to_date(start, "start"), _to_date(end, "end")
    _check_order(first, last, "start", "end")
    if newest_first:
        day = last
        while day >= first:
            yield day
            if day == _dt.date.min:
                return
            day -= _ONE_DAY
    else:
        day = first
        while day <= last:
            yield day
            if day == _dt.date.max:
                return
            day += _ONE_DAY


def day_count(start: DateLike, end: DateLike) -> int:
    """Number of days from ``start`` to ``end``, both included (0 if end < start)."""
    first, last = _to_date(start, "start"), _to_date(end, "end")
    return max(0, (last - first).days + 1)


def contiguous_ranges(days: Iterable[DateLike]) -> list[tuple[_dt.date, _dt.date]]:
    """Collapse dates into sorted, inclusive runs of consecutive days.

    Useful to turn the days a sync still lacks into request ranges.

    Examples
    --------
    >>> contiguous_ranges(["2024-03-03", "2024-03-01", "2024-03-02", "2024-03-09"])
    [(datetime.date(2024, 3, 1), datetime.date(2024, 3, 3)), (datetime.date(2024, 3, 9), datetime.date(2024, 3, 9))]
    """
    ordered = sorted({_to_date(d, "days") for d in days})
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
