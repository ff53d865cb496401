"""Dates for reports: relative dates, ranges, period alignment and window splitting.

The face of three modules, each with one job: :mod:`~amzv_pandas._specs.date_grammar` (one
date, relative forms, "today"), :mod:`~amzv_pandas._specs.date_range` (:class:`DateRange`,
:class:`ResolvedRange`, range checks) and :mod:`~amzv_pandas._specs.periods` (period
alignment, window splitting, the publication lag's last final day).

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

from .date_grammar import (
    ACCEPTED_FORMS,
    MAX_DAYS_BACK,
    PERIODS,
    DateLike,
    DateSpec,
    Period,
    RelativeDate,
    parse_date_spec,
    parse_days_back,
    resolve_today,
)
from .date_range import DateRange, ResolvedRange, check_lookback, check_not_future
from .periods import (
    align_outward,
    check_aligned,
    contiguous_ranges,
    day_count,
    is_aligned,
    iter_days,
    iter_periods,
    last_final_day,
    normalize_period,
    period_end,
    period_start,
    split_range,
)

__all__ = [
    "DateLike",
    "DateSpec",
    "Period",
    "PERIODS",
    "ACCEPTED_FORMS",
    "RelativeDate",
    "DateRange",
    "ResolvedRange",
    "MAX_DAYS_BACK",
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
