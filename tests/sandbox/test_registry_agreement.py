"""The sandbox enforces exactly the registry's report-type rules (issue 11: one home for every rule).

For every type in :data:`amzv_pandas._specs.registry.REPORT_TYPES`: the rules the sandbox
reads (``rules.limits``) are the record's, and a request just inside each limit (longest
window, history, publication lag, options, one marketplace) passes while one just outside
ends FATAL. A few createReports against a live sandbox check the same through HTTP.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

import pytest

from amzv_pandas._specs.registry import REPORT_TYPES, ReportType
from amzv_pandas.sandbox._data import rules
from amzv_pandas.sandbox._data.util import marketplace_or_us, period_end
from amzv_pandas.sandbox.data import SandboxData

from .conftest import US

UTC = timezone.utc
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
CA = "A2EUQ1WTGCTBG2"
TYPES = sorted(REPORT_TYPES)
US_MARKET = marketplace_or_us(US)


@pytest.fixture(scope="module")
def sd() -> SandboxData:
    return SandboxData(0, n_asins=120, flat_rows=40, vendor_asins=10)


def _periods(rt: ReportType) -> list[str | None]:
    return [p for p, _, _ in rt.max_windows if p] or [None]


# -- the rules the sandbox reads are the registry's ------------------------------------------------


@pytest.mark.parametrize("name", TYPES)
def test_limits_are_the_registry_record(name):
    rt = REPORT_TYPES[name]
    for period in _periods(rt):
        got = rules.limits(name, period)
        assert got is not None
        assert got.date_form == rt.date_range
        assert got.max_window == rt.max_window(period)
        assert (got.aligned, got.week_start) == (rt.aligned, rt.week_start)
        assert got.lookback_days == rt.lookback_days
        assert got.lag_hours == rt.publication_lag_hours
        # inside the lag a request fails only where the registry says so (real-time sales: not final yet)
        assert got.lag_fatal == (rt.publication_lag_hours > 0 and rt.publication_lag_fatal)
        assert got.single_marketplace == rt.single_marketplace
        assert got.options == rt.option_names
        assert got.required == tuple(o.name for o in rt.options if o.required)
        assert got.range_options == rt.range_options


@pytest.mark.parametrize("name", [n for n in TYPES if REPORT_TYPES[n].aligned])
def test_sandbox_weeks_start_where_the_registry_says(name):
    # The vendor documents aggregate weeks with util.period_end: a week must end the day before week_start.
    rt = REPORT_TYPES[name]
    names = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
    first = date(2025, 6, 2) + timedelta(days=names.index(rt.week_start))  # 2025-06-02 is a Monday
    assert period_end(first - timedelta(days=1), "WEEK") == first - timedelta(days=1)
    assert period_end(first, "WEEK") == first + timedelta(days=6)


def test_types_the_registry_does_not_know_have_no_rules(sd):
    assert rules.limits("GET_SOMETHING_NEW") is None
    assert sd.report_outcome("GET_SOMETHING_NEW", [US], None, None, {"any": "thing"}, NOW).status == "DONE"


# -- just inside passes, just outside ends FATAL ----------------------------------------------------


def _available(rt: ReportType) -> date:
    if rt.publication_lag_hours:
        return rules.latest_available_day(rt.name, US_MARKET, NOW)
    return rules.analytics_today(US_MARKET, NOW) - timedelta(days=1)


def _options(rt: ReportType, **given: str) -> dict[str, str]:
    out = {o.name: o.allowed[0] for o in rt.options if o.required and o.allowed}
    if rt.range_options:
        lo, hi = rt.range_options
        out[lo], out[hi] = "2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z"
    out.update(given)
    return out


def _base(rt: ReportType, period: str | None = None) -> tuple[datetime | None, datetime | None]:
    """A request range that passes every rule of ``rt``."""
    if rt.date_range == "day":
        day = _available(rt)
        if period not in (None, "DAY"):
            return tuple(_dt(d) for d in _aligned(period, 1, day))  # type: ignore[return-value]
        return _dt(day), _dt(day)
    if rt.date_range == "datetime":
        end = NOW - rt.publication_lag - timedelta(hours=1)
        return end - timedelta(hours=2), end
    return None, None


def _dt(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _period_start(d: date, period: str) -> date:
    while period_end(d - timedelta(days=1), period) != d - timedelta(days=1):
        d -= timedelta(days=1)
    return d


def _aligned(period: str, n: int, last: date) -> tuple[date, date]:
    """``n`` whole periods ending on or before ``last``."""
    end = last
    while period_end(end, period) != end:
        end -= timedelta(days=1)
    start = end
    for i in range(n):
        start = _period_start(start, period)
        if i < n - 1:
            start -= timedelta(days=1)
    return start, end


def _status(sd, rt: ReportType, start, end, options, mids=(US,)) -> str:
    outcome = sd.report_outcome(rt.name, list(mids), start, end, options, NOW)
    return outcome.status


@pytest.mark.parametrize("name", TYPES)
def test_a_request_inside_every_rule_passes(sd, name):
    rt = REPORT_TYPES[name]
    for period in _periods(rt):
        options = _options(rt, **({"reportPeriod": period} if period else {}))
        assert _status(sd, rt, *_base(rt, period), options) != "FATAL", (name, period)


@pytest.mark.parametrize("name", [n for n in TYPES if REPORT_TYPES[n].max_windows])
def test_longest_window(sd, name):
    rt = REPORT_TYPES[name]
    for period, count, unit in rt.max_windows:
        options = _options(rt, **({"reportPeriod": period} if period else {}))
        if rt.date_range == "day":
            inside = _aligned(unit, count, _available(rt))
            outside = _aligned(unit, count + 1, _available(rt))
            assert _status(sd, rt, *map(_dt, inside), options) != "FATAL", (name, period, inside)
            assert _status(sd, rt, *map(_dt, outside), options) == "FATAL", (name, period, outside)
        else:
            span = timedelta(hours=count) if unit == "HOUR" else timedelta(days=count)
            end = NOW - rt.publication_lag - timedelta(hours=1)
            assert _status(sd, rt, end - span, end, options) != "FATAL", name
            assert _status(sd, rt, end - span - timedelta(seconds=1), end, options) == "FATAL", name


@pytest.mark.parametrize("name", [n for n in TYPES if REPORT_TYPES[n].lookback_days])
def test_history_limit(sd, name):
    rt = REPORT_TYPES[name]
    days = timedelta(days=rt.lookback_days)
    if rt.date_range == "day":
        options = _options(rt, **({"reportPeriod": "DAY"} if "reportPeriod" in rt.option_names else {}))
        earliest = rules.analytics_today(US_MARKET, NOW) - days
        assert _status(sd, rt, _dt(earliest), _dt(earliest), options) != "FATAL", name
        before = earliest - timedelta(days=1)
        assert _status(sd, rt, _dt(before), _dt(before), options) == "FATAL", name
    elif rt.date_range == "datetime":
        for start, status in ((NOW - days + timedelta(minutes=1), "ok"), (NOW - days - timedelta(minutes=1), "FATAL")):
            got = _status(sd, rt, start, start + timedelta(hours=1), _options(rt))
            assert (got == "FATAL") == (status == "FATAL"), (name, start, got)
    else:
        lo, hi = rt.range_options
        for start, status in ((NOW - days + timedelta(days=1), "ok"), (NOW - days - timedelta(days=1), "FATAL")):
            options = _options(rt, **{lo: f"{start:%Y-%m-%dT%H:%M:%SZ}",
                                      hi: f"{start + timedelta(days=5):%Y-%m-%dT%H:%M:%SZ}"})
            got = _status(sd, rt, None, None, options)
            assert (got == "FATAL") == (status == "FATAL"), (name, start, got)


@pytest.mark.parametrize("name", [n for n in TYPES if REPORT_TYPES[n].publication_lag_hours])
def test_publication_lag(sd, name):
    rt = REPORT_TYPES[name]
    fatal_inside_lag = rules.limits(name).lag_fatal
    if rt.date_range == "day":
        options = _options(rt, reportPeriod="DAY")
        last = _available(rt)
        assert _status(sd, rt, _dt(last), _dt(last), options) != "FATAL", name
        early = last + timedelta(days=1)
        assert (_status(sd, rt, _dt(early), _dt(early), options) == "FATAL") == fatal_inside_lag, name
    else:
        published = NOW - rt.publication_lag
        ok_end, early_end = published - timedelta(minutes=1), published + timedelta(minutes=1)
        assert _status(sd, rt, ok_end - timedelta(hours=2), ok_end, _options(rt)) != "FATAL", name
        got = _status(sd, rt, early_end - timedelta(hours=2), early_end, _options(rt))
        assert (got == "FATAL") == fatal_inside_lag, (name, got)


@pytest.mark.parametrize("name", [n for n in TYPES if REPORT_TYPES[n].options])
def test_options(sd, name):
    rt = REPORT_TYPES[name]
    period = _periods(rt)[0]
    start, end = _base(rt, period)
    options = _options(rt, **({"reportPeriod": period} if period else {}))
    assert _status(sd, rt, start, end, {**options, "notAnOption": "x"}) == "FATAL"
    for opt in rt.options:
        if opt.required:
            missing = {k: v for k, v in options.items() if k != opt.name}
            assert _status(sd, rt, start, end, missing) == "FATAL", (name, opt.name)
        elif opt.name not in options:
            assert _status(sd, rt, start, end, options) != "FATAL", (name, opt.name)  # optional: may be left out
        if opt.allowed:
            assert _status(sd, rt, start, end, {**options, opt.name: "NOT_A_VALUE"}) == "FATAL", (name, opt.name)
            for value in opt.allowed:
                ok = {**options, opt.name: value}
                if opt.name == "reportPeriod":
                    ok_start, ok_end = _base(rt, value)
                    assert _status(sd, rt, ok_start, ok_end, ok) != "FATAL", (name, value)
                else:
                    assert _status(sd, rt, start, end, ok) != "FATAL", (name, opt.name, value)


@pytest.mark.parametrize("name", [n for n in TYPES if REPORT_TYPES[n].family == "vendor"])
def test_one_marketplace(sd, name):
    rt = REPORT_TYPES[name]
    period = _periods(rt)[0]
    options = _options(rt, **({"reportPeriod": period} if period else {}))
    got = _status(sd, rt, *_base(rt, period), options, mids=(US, CA))
    assert (got == "FATAL") == rt.single_marketplace, (name, got)


@pytest.mark.parametrize("name", [n for n in TYPES if REPORT_TYPES[n].aligned])
def test_alignment(sd, name):
    rt = REPORT_TYPES[name]
    for period in _periods(rt):
        if period == "DAY":
            continue
        options = _options(rt, reportPeriod=period)
        start, end = _aligned(period, 1, _available(rt))
        assert _status(sd, rt, _dt(start), _dt(end), options) != "FATAL"
        assert _status(sd, rt, _dt(start + timedelta(days=1)), _dt(end), options) == "FATAL", (name, period)
        assert _status(sd, rt, _dt(start), _dt(end - timedelta(days=1)), options) == "FATAL", (name, period)


# -- the same through HTTP ---------------------------------------------------------------------------

REPORTS = "/reports/2021-06-30"


def _create_and_wait(api, body: dict) -> dict:
    resp = api.post(f"{REPORTS}/reports", json={"marketplaceIds": [US], **body})
    assert resp.status_code == 202, resp.text
    report_id = resp.json()["reportId"]
    deadline = time.monotonic() + 10
    while True:
        report = api.get(f"{REPORTS}/reports/{report_id}").json()
        if report["processingStatus"] in ("DONE", "FATAL", "CANCELLED") or time.monotonic() > deadline:
            return report
        time.sleep(0.01)


def test_live_sales_window_is_the_registry_one(api):
    rt = REPORT_TYPES["GET_VENDOR_SALES_REPORT"]
    count, _ = rt.max_window("DAY")
    last = rules.latest_available_day(rt.name, US_MARKET, datetime.now(UTC))
    options = {"reportPeriod": "DAY", "distributorView": "MANUFACTURING", "sellingProgram": "RETAIL"}
    for days, status in ((count, "DONE"), (count + 1, "FATAL")):
        first = last - timedelta(days=days - 1)
        report = _create_and_wait(api, {"reportType": rt.name, "reportOptions": options,
                                        "dataStartTime": f"{first}T00:00:00Z", "dataEndTime": f"{last}T00:00:00Z"})
        assert report["processingStatus"] == status, (days, report)


def test_live_real_time_inventory_limits_are_the_registry_ones(api):
    rt = REPORT_TYPES["GET_VENDOR_REAL_TIME_INVENTORY_REPORT"]
    count, unit = rt.max_window(None)
    assert unit == "HOUR"
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    for span, status in ((timedelta(hours=count), "DONE"), (timedelta(hours=count, seconds=1), "FATAL")):
        report = _create_and_wait(api, {"reportType": rt.name, "dataStartTime": f"{end - span:%Y-%m-%dT%H:%M:%SZ}",
                                        "dataEndTime": f"{end:%Y-%m-%dT%H:%M:%SZ}"})
        assert report["processingStatus"] == status, (span, report)
    lookback = timedelta(days=rt.lookback_days)
    start = datetime.now(UTC).replace(microsecond=0) - lookback - timedelta(minutes=5)
    report = _create_and_wait(api, {"reportType": rt.name, "dataStartTime": f"{start:%Y-%m-%dT%H:%M:%SZ}",
                                    "dataEndTime": f"{start + timedelta(hours=2):%Y-%m-%dT%H:%M:%SZ}"})
    assert report["processingStatus"] == "FATAL"


def test_live_orders_window_is_the_registry_one(api):
    name = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
    count, unit = REPORT_TYPES[name].max_window(None)
    assert unit == "DAY"
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    for span, fatal in ((timedelta(days=count), False), (timedelta(days=count, seconds=1), True)):
        report = _create_and_wait(api, {"reportType": name, "dataStartTime": f"{end - span:%Y-%m-%dT%H:%M:%SZ}",
                                        "dataEndTime": f"{end:%Y-%m-%dT%H:%M:%SZ}"})
        assert (report["processingStatus"] == "FATAL") == fatal, (span, report)
