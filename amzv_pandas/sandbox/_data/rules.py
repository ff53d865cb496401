"""Report outcome rules: when a report ends DONE, FATAL (with errorDetails) or CANCELLED.

Every rule of a report type — its options (names, required ones, allowed values), how
its range is given (``date_range``), the longest request, period alignment and week
start, how far back data goes, the publication lag and whether it takes one
marketplace — is read from the package's registry
(:data:`amzv_pandas._specs.registry.REPORT_TYPES`), so the sandbox enforces exactly
what the client plans by. This module adds only what the registry does not say: which
marketplaces the built-in account has, the FATAL texts (in the style of Amazon's
``errorDetails`` documents, README §5) and the emulation knobs marked below. Types the
registry does not list end DONE (a generic TSV).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple, Sequence
from zoneinfo import ZoneInfo

from ..._specs.marketplaces import MARKETPLACES, Marketplace
from ..._specs.registry import REPORT_TYPES, ReportType
from .util import as_utc, marketplace_or_none, marketplace_or_us, period_bounds

__all__ = ["Outcome", "Limits", "DONE", "CANCELLED", "KINDS", "ORDERS", "ACCOUNT_MARKETPLACES", "limits",
           "registry_problem", "option_window", "parse_option_time", "analytics_today", "latest_available_day"]


class Outcome(NamedTuple):
    """How a report ends: ``status`` is ``"DONE"``, ``"FATAL"`` or ``"CANCELLED"``."""

    status: str
    error_details: str | None


DONE = Outcome("DONE", None)
CANCELLED = Outcome("CANCELLED", None)


def fatal(details: str) -> Outcome:
    return Outcome("FATAL", details)


# -- which generator builds a type's document (an emulation choice, not a rule) ------------------

ANALYTICS = ("GET_VENDOR_SALES_REPORT", "GET_VENDOR_INVENTORY_REPORT", "GET_VENDOR_TRAFFIC_REPORT",
             "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT")
REAL_TIME = ("GET_VENDOR_REAL_TIME_SALES_REPORT", "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT",
             "GET_VENDOR_REAL_TIME_INVENTORY_REPORT")
PROMOS = ("GET_COUPON_PERFORMANCE_REPORT", "GET_PROMOTION_PERFORMANCE_REPORT")
ORDERS = ("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL")
FLAT = ("GET_MERCHANT_LISTINGS_ALL_DATA", "GET_MERCHANT_LISTINGS_DATA", "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA",
        "GET_AFN_INVENTORY_DATA") + ORDERS

#: report type -> document generator: analytics | forecast | realtime | promo | flat.
KINDS: dict[str, str] = {
    **{t: "analytics" for t in ANALYTICS},
    "GET_VENDOR_FORECASTING_REPORT": "forecast",
    **{t: "realtime" for t in REAL_TIME},
    **{t: "promo" for t in PROMOS},
    **{t: "flat" for t in FLAT},
}

#: Marketplaces of the built-in vendor account: every one with a Vendor Central (an account fact).
ACCOUNT_MARKETPLACES: tuple[str, ...] = tuple(m.marketplace_id for m in MARKETPLACES if m.vendor_central)

_REVIEW = "Please review the document for this report type on GitHub"
_NOUN = {"HOUR": "hour", "DAY": "day", "WEEK": "week", "MONTH": "month", "QUARTER": "quarter", "YEAR": "year"}
_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


class Limits(NamedTuple):
    """The rules the sandbox enforces for one report type (and ``reportPeriod``), as it reads them."""

    date_form: str                      # "day", "datetime", "options" or "none"
    max_window: tuple[int, str] | None  # (count, unit) or no limit
    aligned: bool                       # WEEK..YEAR ranges start/end on period bounds
    week_start: str                     # first day of a WEEK
    lookback_days: int | None           # how far back a range may start
    lag_hours: int                      # publication lag
    lag_fatal: bool                     # a range ending inside the lag ends FATAL
    single_marketplace: bool            # exactly one marketplace
    options: tuple[str, ...]            # accepted reportOptions
    required: tuple[str, ...]           # required reportOptions
    range_options: tuple[str, str] | None


def limits(report_type: str, report_period: str | None = None) -> Limits | None:
    """The rules of ``report_type`` (None for a type the registry does not know)."""
    rt = REPORT_TYPES.get(report_type)
    if rt is None:
        return None
    return Limits(
        date_form=rt.date_range, max_window=rt.max_window(report_period), aligned=rt.aligned,
        week_start=rt.week_start, lookback_days=rt.lookback_days, lag_hours=rt.publication_lag_hours,
        lag_fatal=_lag_fatal(rt),
        single_marketplace=rt.single_marketplace, options=rt.option_names,
        required=tuple(o.name for o in rt.options if o.required), range_options=rt.range_options)


def _lag_fatal(rt: ReportType) -> bool:
    """Whether a range ending inside the publication lag ends FATAL (else it is only not final yet)."""
    return rt.publication_lag_hours > 0 and rt.publication_lag_fatal


def parse_option_time(value: str) -> datetime | None:
    """An ISO 8601 date-time report option (naive means UTC), or None when malformed."""
    try:
        return as_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except (AttributeError, ValueError):
        return None


def analytics_today(m: Marketplace, now: datetime) -> date:
    """Today's date in the marketplace (the vendor's reporting day)."""
    return as_utc(now).astimezone(ZoneInfo(m.timezone)).date()


def latest_available_day(report_type: str, m: Marketplace, now: datetime) -> date:
    """The last day whose data is published: the day must have ended ``lag`` hours ago."""
    lag = REPORT_TYPES[report_type].publication_lag
    local = as_utc(now).astimezone(ZoneInfo(m.timezone))
    return (local - lag).date() - timedelta(days=1)


# -- the checks, in the order Amazon reports them ----------------------------------------------


def registry_problem(report_type: str, marketplace_ids: Sequence[str], data_start: datetime | None,
                     data_end: datetime | None, options: dict[str, str], now: datetime) -> Outcome | None:
    """The FATAL outcome the registry's rules give a request, or None when it passes them.

    Missing ``data_start``/``data_end`` mean ``now``. ``day`` ranges are read as written
    (the time part, and so the offset, is ignored); ``datetime`` ranges as instants.
    """
    rt = REPORT_TYPES.get(report_type)
    if rt is None:
        return None
    problem = _marketplace_problem(rt, marketplace_ids) or _option_problem(rt, options)
    if problem:
        return problem
    if rt.date_range == "day":
        return _day_problem(rt, marketplace_ids, data_start or now, data_end or now, options, now)
    if rt.date_range == "datetime":
        start, end = as_utc(data_start or now), as_utc(data_end or now)
        return _datetime_problem(rt, start, end, as_utc(now))
    if rt.date_range == "options":
        window = option_window(report_type, options, now)
        return window if isinstance(window, Outcome) else None
    return None


def _marketplace_problem(rt: ReportType, marketplace_ids: Sequence[str]) -> Outcome | None:
    if rt.family != "vendor":
        # A seller may sell in any marketplace (also those without a Vendor Central),
        # so only ids that are no marketplace at all fail.
        bad = [mid for mid in marketplace_ids if marketplace_or_none(mid) is None]
        if not marketplace_ids or bad:
            return fatal(f"Invalid marketplaceIds: {', '.join(bad) or '(none)'}. The selling partner account "
                         "does not participate in these marketplaces.")
        return None
    if rt.single_marketplace and len(marketplace_ids) != 1:
        return fatal(f"This report type requires exactly one marketplaceId (the marketplace of the vendor "
                     f"account), but {len(marketplace_ids)} were provided. {_REVIEW}, provide a single "
                     "marketplaceId in your request, and try again.")
    for mid in marketplace_ids or ["(none)"]:
        if mid not in ACCOUNT_MARKETPLACES:
            return fatal(f"The marketplaceId {mid} is not valid for this selling partner account. Each vendor "
                         "account belongs to one marketplace; provide that marketplaceId in your request, and "
                         "try again.")
    return None


def _option_problem(rt: ReportType, options: dict[str, str]) -> Outcome | None:
    """Unknown options, then missing required ones (all named, in Amazon's order), then a bad value."""
    extra = [k for k in options if k not in rt.option_names]
    if extra:
        return fatal(f"This report type does not support the {', '.join(extra)} reportOption. {_REVIEW}, "
                     "remove this reportOption from your request, and try again.")
    missing = [o.name for o in rt.options if o.required and not options.get(o.name)]
    if missing:
        return fatal(f"This report type requires the {', '.join(missing)} reportOption to be specified. "
                     f"{_REVIEW}, provide a value for this reportOption in your request, and try again.")
    for opt in rt.options:
        value = options.get(opt.name)
        allowed = opt.allowed or (("true", "false") if opt.kind == "boolean" else None)
        if value is not None and allowed is not None and value not in allowed:
            return fatal(f"The value {value!r} is not valid for the {opt.name} reportOption. Valid values "
                         f"are: {', '.join(allowed)}. {_REVIEW}, provide a valid value for this reportOption "
                         "in your request, and try again.")
    return None


def _day_problem(rt: ReportType, marketplace_ids: Sequence[str], start: datetime, end: datetime,
                 options: dict[str, str], now: datetime) -> Outcome | None:
    m = marketplace_or_us(marketplace_ids[0] if marketplace_ids else None)
    period = options.get("reportPeriod") if "reportPeriod" in rt.option_names else None
    d0, d1 = start.date(), end.date()  # the time part is ignored
    if d0 > d1:
        return fatal(f"The dataStartTime {d0} is after the dataEndTime {d1}. Provide a dataStartTime on or "
                     "before the dataEndTime, and try again.")
    if rt.aligned and period not in (None, "DAY"):
        for name, value, ok, need in (("dataStartTime", d0, *_period_start(d0, period, rt.week_start)),
                                      ("dataEndTime", d1, *_period_last(d1, period, rt.week_start))):
            if not ok:
                noun = _NOUN[period]
                return fatal(f"The {name} {value} ({value:%A}) does not align with reportPeriod={period}: the "
                             f"dataStartTime must be the first day of a {noun} and the dataEndTime the last day "
                             f"of a {noun}, so the {name} must be {need}. Adjust the date range, and try again.")
    window = rt.max_window(period)
    if window is not None:
        most, unit = window
        count = len(period_bounds(d0, d1, unit))
        if count > most:
            where = f" for reportPeriod={period}" if period else ""
            return fatal(f"The requested date range spans {count} {_NOUN[unit]}s, more than the maximum of "
                         f"{most} {_NOUN[unit]}s{where}. Split the request into smaller date ranges, and try again.")
    if rt.lookback_days:
        earliest = analytics_today(m, now) - timedelta(days=rt.lookback_days)
        if d0 < earliest:
            return fatal(f"The dataStartTime {d0} is outside the maximum lookback of {rt.lookback_days} days for "
                         f"this report type; the earliest available date is {earliest}. Adjust the dataStartTime, "
                         "and try again.")
    if _lag_fatal(rt):
        available = latest_available_day(rt.name, m, now)
        if d1 > available:
            return fatal(f"The requested data is not yet available. Data for this report type is published "
                         f"{rt.publication_lag_hours} hours after the end of each day; the latest available date "
                         f"is {available}, but the dataEndTime is {d1}. Request a dataEndTime on or before "
                         f"{available}, or try again later.")
    return None


def _period_start(d: date, period: str, week_start: str) -> tuple[bool, str]:
    """Whether ``d`` starts a ``period``, and what it must be."""
    if period == "WEEK":
        return d.weekday() == _WEEKDAYS.index(week_start), f"a {week_start.capitalize()}"
    if period == "MONTH":
        return d.day == 1, "the first day of a month"
    if period == "QUARTER":
        return d.day == 1 and d.month in (1, 4, 7, 10), "the first day of a quarter"
    return (d.month, d.day) == (1, 1), "January 1"


def _period_last(d: date, period: str, week_start: str) -> tuple[bool, str]:
    """Whether ``d`` ends a ``period``, and what it must be."""
    if period == "WEEK":
        last = _WEEKDAYS[_WEEKDAYS.index(week_start) - 1]
        return d.weekday() == _WEEKDAYS.index(last), f"a {last.capitalize()}"
    ok, _ = _period_start(d + timedelta(days=1), period, week_start)
    need = {"MONTH": "the last day of a month", "QUARTER": "the last day of a quarter", "YEAR": "December 31"}
    return ok, need[period]


def _datetime_problem(rt: ReportType, start: datetime, end: datetime, now: datetime) -> Outcome | None:
    if start > end:
        return fatal(f"The dataStartTime {start:%Y-%m-%dT%H:%M:%SZ} must be earlier than the dataEndTime "
                     f"{end:%Y-%m-%dT%H:%M:%SZ}. Adjust the date range, and try again.")
    if _lag_fatal(rt) and end > now - rt.publication_lag:
        return fatal(f"The dataEndTime must be at least {rt.publication_lag_hours * 60} minutes earlier than the "
                     "time of the request. Adjust the dataEndTime, and try again.")
    if rt.lookback_days and start < now - timedelta(days=rt.lookback_days):
        return fatal(f"The dataStartTime can be at most {rt.lookback_days * 24} hours before the time of the "
                     "request. Adjust the dataStartTime, and try again.")
    window = rt.max_window(None)
    if window is not None:
        most, unit = window
        if end - start > (timedelta(hours=most) if unit == "HOUR" else timedelta(days=most)):
            return fatal(f"The dataEndTime must not be more than {most} {_NOUN[unit]}s after the dataStartTime. "
                         "Split the request into smaller date ranges, and try again.")
    return None


def option_window(report_type: str, options: dict[str, str], now: datetime) -> tuple[datetime, datetime] | Outcome:
    """The range a type gives through two options (``range_options``), or its FATAL outcome.

    The options' presence is checked by the option rules; a missing one here is a FATAL too.
    """
    rt = REPORT_TYPES[report_type]
    assert rt.range_options is not None
    names = rt.range_options
    missing = [n for n in names if not options.get(n)]
    if missing:
        return fatal(f"This report type requires the {', '.join(missing)} reportOption to be specified. "
                     f"{_REVIEW}, provide a value for this reportOption in your request, and try again.")
    lo, hi = parse_option_time(options[names[0]]), parse_option_time(options[names[1]])
    for name, value in zip(names, (lo, hi)):
        if value is None:
            return fatal(f"The value {options[name]!r} is not valid for the {name} reportOption: expected an "
                         "ISO 8601 date-time such as 2021-11-01T15:33:26Z. Provide a valid value, and try again.")
    assert lo is not None and hi is not None
    if lo > hi:
        return fatal(f"The {names[0]} must not be later than the {names[1]}. Adjust the range, and try again.")
    if rt.lookback_days and lo < as_utc(now) - timedelta(days=rt.lookback_days):
        years = {365: " (one year)", 730: " (two years)", 1095: " (three years)"}.get(rt.lookback_days, "")
        return fatal(f"This report supports start dates up to {rt.lookback_days} days{years} before the current "
                     f"date; the {names[0]} {options[names[0]]} is earlier. Adjust the range, and try again.")
    return lo, hi
