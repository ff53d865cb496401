"""Planning a report read: argument checks and the request windows (no API call).

Validates what :func:`amzv_pandas._reports.api.read_report` and its siblings are given
(cache mode, quoting, section, poll interval, marketplaces, the date range) and cuts the
range into the fewest createReport windows a report type allows (:func:`make_plan`, which
asks the registry's :meth:`ReportType.request_windows`).
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping
from zoneinfo import ZoneInfo

from .._cache.store import CacheKey
from .._specs.marketplaces import Marketplace, get_marketplace
from .._specs.registry import ReportType
from .._util.checks import check_choice, check_mapping_of_str, check_number
from .._util.time import utc_now
from ..exceptions import ConfigurationError

if TYPE_CHECKING:
    from .._transport.http import Transport

__all__ = ["check_one_region", "DEFAULT_POLL_INTERVAL", "MAX_MARKETPLACES", "MAX_LIST_FILTER", "Window", "Plan", "make_plan",
           "check_positive", "resolve_poll_interval", "check_cache_mode", "check_quotechar", "check_section",
           "resolve_marketplaces"]

DEFAULT_POLL_INTERVAL = 5.0
MAX_MARKETPLACES = 25
MAX_LIST_FILTER = 10

def check_positive(value: Any, parameter: str, *, allow_none: bool = True) -> float | None:
    return check_number(value, parameter, min=0, exclusive_min=True, allow_none=allow_none,
                        what="a positive number of seconds")


def resolve_poll_interval(value: Any) -> float:
    if value is not None:
        return check_positive(value, "poll_interval", allow_none=False)  # type: ignore[return-value]
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


def check_cache_mode(cache: Any) -> bool | str:
    return check_choice(cache, "cache", [True, False, "always"])


def check_quotechar(quotechar: Any, rt: ReportType) -> str | None:
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


def check_section(section: Any, rt: ReportType) -> str | None:
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


def check_one_region(markets: Any, *, parameter: str = "marketplace", account: str | None = None) -> str | None:
    """The one region of ``markets``; several are refused, naming each marketplace's region
    (an account lives in one region's endpoint)."""
    regions = sorted({m.region for m in markets})
    if len(regions) <= 1:
        return regions[0] if regions else None
    listed = ", ".join(f"{m.country_code} ({m.region})" for m in markets)
    whose = f" for account {account!r}" if account else ""
    msg = (f"{parameter}= mixes regions{whose}: {listed}; an account lives in one region's endpoint "
           f"({', '.join(regions)} differ). Read each region with its own account, e.g. "
           "accounts=[{'name': 'acme-na', 'profile': ..., 'marketplace': ['US', 'CA']}, "
           "{'name': 'acme-eu', 'profile': ..., 'marketplace': ['DE', 'FR']}]")
    raise ConfigurationError(msg, parameter=parameter, value=[m.country_code for m in markets],
                             allowed=f"marketplaces of one region ({' or '.join(regions)})")


def resolve_marketplaces(client: "Transport", marketplace: Any) -> list[Marketplace]:
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
        found = get_marketplace(m)
        if found not in out:
            out.append(found)
    check_one_region(out)
    return [client.resolve_marketplace(m) for m in out]


# --------------------------------------------------------------------------------------------
# planning: the request windows


@dataclass
class Window:
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
class Plan:
    rt: ReportType
    marketplaces: list[Marketplace]
    options: dict[str, str]
    section: str | None
    quotechar: str | None
    windows: list[Window]
    data_start: str | None
    data_end: str | None


def make_plan(
    client: "Transport",
    rt: ReportType,
    start: Any,
    end: Any,
    markets: list[Marketplace],
    report_options: Mapping[str, Any] | None,
    section: str | None,
    quotechar: str | None,
    cache: bool | str,
) -> Plan:
    """Validate the range and options and cut the request into windows (no API call).

    The report type's rules (date forms, window sizes, lookback, publication lag) are the
    registry's: :meth:`~amzv_pandas._specs.report_type.ReportType.request_windows`.
    """
    now = utc_now()
    given = check_mapping_of_str(report_options, "report_options", allowed_keys=rt.option_names)
    rt.check_marketplaces([m.country_code for m in markets])
    cut = rt.request_windows(start, end, given, now=now, zone=ZoneInfo(markets[0].timezone))
    options = cut.options
    ids = [m.marketplace_id for m in markets]
    windows = []
    for i, span in enumerate(cut.spans):
        key = CacheKey.make(region=client.region, account=client.account_key, report_type=rt.name,
                            marketplace_ids=ids, start=span.label_start, end=span.label_end, options=options)
        cacheable = cache == "always" or (cache is True and span.final_at is not None and now >= span.final_at)
        windows.append(Window(i, span.label_start, span.label_end, span.api_start, span.api_end, dict(options), key,
                              span.final_at, cacheable))
    return Plan(rt, markets, options, section, quotechar, windows, windows[0].label_start, windows[-1].label_end)
