"""Date ranges: :class:`DateRange` (as given, relative forms kept) and :class:`ResolvedRange`.

:meth:`DateRange.parse` reads the pane's range forms (see :mod:`amzv_pandas._specs.dates`);
:meth:`DateRange.resolve` fixes "today" and returns the absolute, inclusive
:class:`ResolvedRange`. Also the range checks (:func:`check_lookback`, :func:`check_not_future`).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Iterator


from ..exceptions import ConfigurationError
from .date_grammar import (
    DAYS_BACK_FORMS,
    DateLike,
    DateSpec,
    RelativeDate,
    as_zone,
    check_order,
    parse_days_back,
    parse_spec,
    resolve_today,
    spec_date,
    spec_str,
    to_date,
    zone_label,
)
from .periods import align_outward, check_aligned, day_count, is_aligned, iter_days, split_range

__all__ = ["DateRange", "ResolvedRange", "check_lookback", "check_not_future"]

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
        object.__setattr__(self, "start", to_date(self.start, "start"))
        object.__setattr__(self, "end", to_date(self.end, "end"))
        check_order(self.start, self.end, "start", "end")

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
        object.__setattr__(self, "start", parse_spec(self.start, "start"))
        object.__setattr__(self, "end", parse_spec(self.end, "end"))
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
            day = parse_spec(single_date, "single_date")
            return cls(day, day)
        if forms["days_back"]:
            day = RelativeDate(parse_days_back(days_back, parameter="days_back"))
            return cls(day, day)
        if forms["date_from"]:
            first = parse_spec(date_from, "date_from")
            return cls(first, RelativeDate(0))
        if forms["days_back_to_start_from/days_back_to_end_at"]:
            if days_back_to_start_from is None:
                raise ConfigurationError(
                    f"days_back_to_end_at={days_back_to_end_at!r} needs days_back_to_start_from "
                    "(the farthest day back of the range)",
                    parameter="days_back_to_start_from", value=None, allowed=DAYS_BACK_FORMS,
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
        first = parse_spec(start if start is not None else end, "start" if start is not None else "end")
        last = first if end is None or start is None else parse_spec(end, "end")
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
        zone = as_zone(tz)
        day0 = resolve_today(today, zone)
        first = spec_date(self.start, day0, zone)
        last = spec_date(self.end, day0, zone)
        check_order(first, last, "start", "end", self.start, self.end)
        _check_not_future(first, last, day0, "start", zone_label(zone) if today is None else None)
        return ResolvedRange(first, last)

    def __repr__(self) -> str:
        return f"DateRange(start={spec_str(self.start)!r}, end={spec_str(self.end)!r})"


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
        check_order(start, end, parameter, end_parameter)


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
        to_date(start, parameter), to_date(end, "end"), to_date(today, "today"), parameter, None
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
    first, day0 = to_date(start, parameter), to_date(today, "today")
    earliest = day0 - _dt.timedelta(days=lookback_days)
    if first < earliest:
        raise ConfigurationError(
            f"{parameter}={first} is more than {lookback_days} days before today ({day0}); "
            f"the earliest date available is {earliest}",
            parameter=parameter, value=first, allowed=f"a date on or after {earliest}",
        )
