"""The date grammar: one date as the Details pane accepts it, relative forms, "today".

Forms accepted for one date (:data:`DateLike`): ``"today"`` (or ``0``), ``"yesterday"``
(or ``1``), ``"today-N"`` (or ``N``); an ISO date or date-time, a :class:`datetime.date`,
:class:`datetime.datetime`, :class:`pandas.Timestamp` or :class:`numpy.datetime64`. The
"today" rule and the reading of aware date-times are described in
:mod:`amzv_pandas._specs.dates`, the face of the date modules.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from ..exceptions import ConfigurationError
from .._util.time import utc_now

__all__ = ["DateLike", "DateSpec", "Period", "PERIODS", "ACCEPTED_FORMS", "MAX_DAYS_BACK", "RelativeDate",
           "parse_date_spec", "parse_days_back", "resolve_today",
           # shared with the range and period modules
           "DAYS_BACK_FORMS", "WEEKDAYS", "ONE_DAY", "as_zone", "zone_label", "to_date", "parse_spec",
           "spec_date", "spec_str", "check_order"]

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
DAYS_BACK_FORMS = "'today' (or 0), 'yesterday' (or 1), 'today-N' (or N, e.g. 'today-7' or 7), N >= 0"

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ONE_DAY = _dt.timedelta(days=1)

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
            f"and must be >= 0. Accepted: {DAYS_BACK_FORMS}",
            parameter=parameter, value=value, allowed=DAYS_BACK_FORMS,
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


def parse_spec(value: object, parameter: str) -> DateSpec:
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
    return parse_spec(parsed, parameter)


def as_zone(tz: object, parameter: str = "tz") -> _dt.tzinfo:
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


def zone_label(zone: _dt.tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone)


def to_date(value: object, parameter: str, zone: _dt.tzinfo = _dt.timezone.utc) -> _dt.date:
    """An absolute date from an absolute DateLike; relative forms are refused."""
    spec = parse_spec(value, parameter)
    if isinstance(spec, RelativeDate):
        raise ConfigurationError(
            f"{parameter}={value!r} is relative; an absolute date is needed here "
            "(an ISO 'YYYY-MM-DD', a datetime.date, a pandas Timestamp...)",
            parameter=parameter, value=value, allowed="an absolute date",
        )
    return spec_date(spec, None, zone)


def spec_date(spec: DateSpec, today: _dt.date | None, zone: _dt.tzinfo) -> _dt.date:
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
    zone = as_zone(tz)
    if today is not None:
        return to_date(today, "today", zone)
    return _now_utc().astimezone(zone).date()


def _now_utc() -> _dt.datetime:
    """The current instant (a seam so tests can fix the clock)."""
    return utc_now()


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
    spec = parse_spec(value, parameter)
    if isinstance(spec, RelativeDate):
        return spec
    return spec_date(spec, None, as_zone(tz))


def parse_days_back(value: int | str, *, parameter: str = "days_back") -> int:
    """Parse a pane "Days Back" value (``"today"``, ``"yesterday"``, ``"today-N"``, ``N``) to N.

    Raises
    ------
    ConfigurationError
        For a negative number, a malformed string, or an absolute date.
    """
    spec = parse_spec(value, parameter)
    if not isinstance(spec, RelativeDate):
        raise ConfigurationError(
            f"{parameter}={value!r} is a date, not a number of days back. Accepted: {DAYS_BACK_FORMS}",
            parameter=parameter, value=value, allowed=DAYS_BACK_FORMS,
        )
    return spec.days_back


def spec_str(spec: DateSpec) -> str:
    if isinstance(spec, RelativeDate):
        return str(spec)
    return spec.isoformat()


def _describe(value: _dt.date, spec: DateSpec | None) -> str:
    if spec is None or (isinstance(spec, _dt.date) and not isinstance(spec, _dt.datetime)):
        return str(value)
    return f"{spec_str(spec)!r} ({value})"


def check_order(
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
