"""Report outcome rules: when a report ends DONE, FATAL (with errorDetails) or CANCELLED.

The rules follow Amazon's documentation and the behaviour reported from the
live service (``/work/shared/spapi/README.md`` §5, "Service behaviour seen in
the wild"); where Amazon is silent the sandbox picks a documented rule.  The
FATAL texts copy the style of Amazon's ``errorDetails`` documents.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple, Sequence
from zoneinfo import ZoneInfo

from ..marketplaces import MARKETPLACES, Marketplace
from ._data_util import PERIODS, as_utc, marketplace_or_none, period_bounds, period_end

__all__ = ["Outcome", "KINDS", "ANALYTICS_RULES", "ACCOUNT_MARKETPLACES", "LOOKBACK_DAYS", "MAX_SPAN",
           "parse_option_time", "analytics_today", "latest_available_day"]


class Outcome(NamedTuple):
    """How a report ends: ``status`` is ``"DONE"``, ``"FATAL"`` or ``"CANCELLED"``."""

    status: str
    error_details: str | None


DONE = Outcome("DONE", None)
CANCELLED = Outcome("CANCELLED", None)


def fatal(details: str) -> Outcome:
    return Outcome("FATAL", details)


class AnalyticsRule(NamedTuple):
    options: dict[str, tuple[str, ...]]   # required option -> allowed values (in Amazon's order)
    lag_hours: int                        # a day's data is published this long after the day ends


_VIEWS = ("MANUFACTURING", "SOURCING")
ANALYTICS_RULES: dict[str, AnalyticsRule] = {
    "GET_VENDOR_SALES_REPORT": AnalyticsRule(
        {"reportPeriod": PERIODS, "distributorView": _VIEWS, "sellingProgram": ("RETAIL", "BUSINESS", "FRESH")}, 72),
    "GET_VENDOR_INVENTORY_REPORT": AnalyticsRule(
        {"reportPeriod": PERIODS, "distributorView": _VIEWS, "sellingProgram": ("RETAIL", "FRESH")}, 72),
    "GET_VENDOR_TRAFFIC_REPORT": AnalyticsRule({"reportPeriod": PERIODS}, 72),
    # Amazon's report-type reference: a day's NPPM data is available 168 hours later.
    "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT": AnalyticsRule({"reportPeriod": PERIODS}, 168),
}
#: Retail analytics history: dataStartTime at most this many days back.
LOOKBACK_DAYS = 1460
#: Most periods one retail analytics request may span (Amazon's report-type reference).
MAX_SPAN = {"DAY": 15, "WEEK": 7, "MONTH": 15, "QUARTER": 4, "YEAR": 2}
_PERIOD_NOUN = {"DAY": "day", "WEEK": "week", "MONTH": "month", "QUARTER": "quarter", "YEAR": "year"}
_FIRST_DAY = {"WEEK": "a Sunday", "MONTH": "the first day of a month", "QUARTER": "the first day of a quarter",
              "YEAR": "January 1"}
_LAST_DAY = {"WEEK": "a Saturday", "MONTH": "the last day of a month", "QUARTER": "the last day of a quarter",
             "YEAR": "December 31"}

REAL_TIME = ("GET_VENDOR_REAL_TIME_SALES_REPORT", "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT",
             "GET_VENDOR_REAL_TIME_INVENTORY_REPORT")
PROMO_OPTIONS = {"GET_COUPON_PERFORMANCE_REPORT": ("campaignStartDateFrom", "campaignStartDateTo"),
                 "GET_PROMOTION_PERFORMANCE_REPORT": ("promotionStartDateFrom", "promotionStartDateTo")}
#: Coupon and promotion reports support start dates up to two years back.
PROMO_LOOKBACK_DAYS = 730
ORDERS = ("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL")
FLAT = ("GET_MERCHANT_LISTINGS_ALL_DATA", "GET_MERCHANT_LISTINGS_DATA", "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA",
        "GET_AFN_INVENTORY_DATA") + ORDERS

#: report type -> family: analytics | forecast | realtime | promo | flat.
KINDS: dict[str, str] = {
    **{t: "analytics" for t in ANALYTICS_RULES},
    "GET_VENDOR_FORECASTING_REPORT": "forecast",
    **{t: "realtime" for t in REAL_TIME},
    **{t: "promo" for t in PROMO_OPTIONS},
    **{t: "flat" for t in FLAT},
}

#: Marketplaces of the built-in vendor account: every one with a Vendor Central.
ACCOUNT_MARKETPLACES: tuple[str, ...] = tuple(m.marketplace_id for m in MARKETPLACES if m.vendor_central)

_REVIEW = "Please review the document for this report type on GitHub"


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
    lag = timedelta(hours=ANALYTICS_RULES[report_type].lag_hours)
    local = as_utc(now).astimezone(ZoneInfo(m.timezone))
    return (local - lag).date() - timedelta(days=1)


def check_vendor_marketplaces(marketplace_ids: Sequence[str]) -> Outcome | None:
    if len(marketplace_ids) != 1:
        return fatal(f"This report type requires exactly one marketplaceId (the marketplace of the vendor "
                     f"account), but {len(marketplace_ids)} were provided. {_REVIEW}, provide a single "
                     "marketplaceId in your request, and try again.")
    mid = marketplace_ids[0]
    if mid not in ACCOUNT_MARKETPLACES:
        return fatal(f"The marketplaceId {mid} is not valid for this selling partner account. Each vendor "
                     "account belongs to one marketplace; provide that marketplaceId in your request, and try again.")
    return None


def check_flat_marketplaces(marketplace_ids: Sequence[str]) -> Outcome | None:
    # Seller flat files: a seller account may sell in any marketplace (also those
    # without a Vendor Central), so only ids that are no marketplace at all fail.
    bad = [mid for mid in marketplace_ids if marketplace_or_none(mid) is None]
    if not marketplace_ids or bad:
        return fatal(f"Invalid marketplaceIds: {', '.join(bad) or '(none)'}. The selling partner account does not "
                     "participate in these marketplaces.")
    return None


def unsupported_options(options: dict[str, str], allowed: Sequence[str]) -> Outcome | None:
    extra = [k for k in options if k not in allowed]
    if extra:
        return fatal(f"This report type does not support the {', '.join(extra)} reportOption. {_REVIEW}, "
                     "remove this reportOption from your request, and try again.")
    return None


def check_options(options: dict[str, str], rule: dict[str, tuple[str, ...]]) -> Outcome | None:
    """Missing required options first (all named, in Amazon's order), then a bad value."""
    missing = [k for k in rule if not options.get(k)]
    if missing:
        return fatal(f"This report type requires the {', '.join(missing)} reportOption to be specified. "
                     f"{_REVIEW}, provide a value for this reportOption in your request, and try again.")
    for name, allowed in rule.items():
        if options[name] not in allowed:
            return fatal(f"The value {options[name]!r} is not valid for the {name} reportOption. Valid values "
                         f"are: {', '.join(allowed)}. {_REVIEW}, provide a valid value for this reportOption "
                         "in your request, and try again.")
    return None


def analytics_outcome(report_type: str, marketplace_ids: Sequence[str], start: datetime, end: datetime,
                      options: dict[str, str], now: datetime) -> Outcome:
    rule = ANALYTICS_RULES[report_type]
    problem = (check_vendor_marketplaces(marketplace_ids) or unsupported_options(options, list(rule.options))
               or check_options(options, rule.options))
    if problem:
        return problem
    m = marketplace_or_none(marketplace_ids[0])
    assert m is not None
    period = options["reportPeriod"]
    d0, d1 = start.date(), end.date()  # the time part is ignored
    if d0 > d1:
        return fatal(f"The dataStartTime {d0} is after the dataEndTime {d1}. Provide a dataStartTime on or "
                     "before the dataEndTime, and try again.")
    if period != "DAY":
        for name, value, ok, need in (("dataStartTime", d0, _is_period_start(d0, period), _FIRST_DAY[period]),
                                      ("dataEndTime", d1, period_end(d1, period) == d1, _LAST_DAY[period])):
            if not ok:
                noun = _PERIOD_NOUN[period]
                return fatal(f"The {name} {value} ({value:%A}) does not align with reportPeriod={period}: the "
                             f"dataStartTime must be the first day of a {noun} and the dataEndTime the last day of "
                             f"a {noun}, so the {name} must be {need}. Adjust the date range, and try again.")
    count = len(period_bounds(d0, d1, period))
    if count > MAX_SPAN[period]:
        return fatal(f"The requested date range spans {count} {_PERIOD_NOUN[period]}s, more than the maximum of "
                     f"{MAX_SPAN[period]} {_PERIOD_NOUN[period]}s for reportPeriod={period}. Split the request into "
                     "smaller date ranges, and try again.")
    today = analytics_today(m, now)
    earliest = today - timedelta(days=LOOKBACK_DAYS)
    if d0 < earliest:
        return fatal(f"The dataStartTime {d0} is outside the maximum lookback of {LOOKBACK_DAYS} days for this "
                     f"report type; the earliest available date is {earliest}. Adjust the dataStartTime, and try again.")
    available = latest_available_day(report_type, m, now)
    if d1 > available:
        return fatal(f"The requested data is not yet available. Data for this report type is published "
                     f"{rule.lag_hours} hours after the end of each day; the latest available date is {available}, "
                     f"but the dataEndTime is {d1}. Request a dataEndTime on or before {available}, or try again later.")
    return DONE


def _is_period_start(d: date, period: str) -> bool:
    if period == "WEEK":
        return d.weekday() == 6  # Sunday
    if period == "MONTH":
        return d.day == 1
    if period == "QUARTER":
        return d.day == 1 and d.month in (1, 4, 7, 10)
    if period == "YEAR":
        return d.month == 1 and d.day == 1
    return True


def forecast_outcome(marketplace_ids: Sequence[str], options: dict[str, str]) -> Outcome:
    rule = {"sellingProgram": ("RETAIL", "FRESH")}
    return (check_vendor_marketplaces(marketplace_ids) or unsupported_options(options, list(rule))
            or check_options(options, rule) or DONE)


def realtime_problem(report_type: str, marketplace_ids: Sequence[str], start: datetime, end: datetime,
                     now: datetime) -> Outcome | None:
    """FATAL rules of the hourly reports (README §5.1); None when the request is fine."""
    problem = check_vendor_marketplaces(marketplace_ids)
    if problem:
        return problem
    start, end, now = as_utc(start), as_utc(end), as_utc(now)
    if start >= end:
        return fatal(f"The dataStartTime {start:%Y-%m-%dT%H:%M:%SZ} must be earlier than the dataEndTime "
                     f"{end:%Y-%m-%dT%H:%M:%SZ}. Adjust the date range, and try again.")
    if report_type == "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT" and end > now - timedelta(minutes=60):
        return fatal("The dataEndTime must be at least 60 minutes earlier than the time of the request. "
                     "Adjust the dataEndTime, and try again.")
    if report_type == "GET_VENDOR_REAL_TIME_INVENTORY_REPORT":
        if start < now - timedelta(hours=168):
            return fatal("The dataStartTime can be at most 168 hours before the time of the request. "
                         "Adjust the dataStartTime, and try again.")
        if end - start > timedelta(hours=24):
            return fatal("The dataEndTime must not be more than 24 hours after the dataStartTime. "
                         "Split the request into smaller date ranges, and try again.")
    return None


def promo_window(report_type: str, marketplace_ids: Sequence[str], options: dict[str, str],
                 now: datetime) -> tuple[datetime, datetime] | Outcome:
    """The option range of a coupon/promotion request, or its FATAL outcome."""
    names = PROMO_OPTIONS[report_type]
    problem = check_vendor_marketplaces(marketplace_ids) or unsupported_options(options, names)
    if problem:
        return problem
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
    if lo < as_utc(now) - timedelta(days=PROMO_LOOKBACK_DAYS):
        return fatal(f"This report supports start dates up to two years before the current date; the {names[0]} "
                     f"{options[names[0]]} is earlier. Adjust the range, and try again.")
    return lo, hi
