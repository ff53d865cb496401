"""Tests for amzv_pandas._specs.dates: every pane form, every error message, and properties of split."""

from __future__ import annotations

import datetime as dt
import doctest
import math
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amzv_pandas._specs import date_grammar, date_range, periods
from amzv_pandas._specs.dates import (
    PERIODS,
    DateRange,
    RelativeDate,
    ResolvedRange,
    align_outward,
    check_aligned,
    check_lookback,
    check_not_future,
    contiguous_ranges,
    day_count,
    is_aligned,
    iter_days,
    iter_periods,
    normalize_period,
    parse_date_spec,
    parse_days_back,
    period_end,
    period_start,
    resolve_today,
    split_range,
)
from amzv_pandas.exceptions import ConfigurationError
from amzv_pandas._specs.marketplaces import get_marketplace

D = dt.date
TODAY = D(2026, 11, 27)  # a Friday


def raises_config(parameter: str, *fragments: str):
    """Context manager: a ConfigurationError naming ``parameter`` whose text holds ``fragments``."""

    class _Check:
        def __enter__(self):
            self._ctx = pytest.raises(ConfigurationError)
            self.info = self._ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            suppressed = self._ctx.__exit__(*exc)
            if not suppressed:  # another exception type: let it propagate
                return False
            err = self.info.value
            assert err.parameter == parameter, (err.parameter, str(err))
            for fragment in fragments:
                assert fragment in str(err), (fragment, str(err))
            return suppressed

    return _Check()


# --------------------------------------------------------------------------- #
# parse_date_spec: every accepted form
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("value", "days_back"),
    [
        ("today", 0), (0, 0), ("0", 0), ("TODAY", 0), (" today ", 0), ("today-0", 0),
        ("yesterday", 1), (1, 1), ("1", 1), ("Yesterday", 1),
        ("today-7", 7), (7, 7), ("7", 7), ("today - 7", 7), ("+7", 7), (np.int64(7), 7),
        ("today-400", 400), (RelativeDate(3), 3),
    ],
)
def test_parse_relative_forms(value, days_back):
    spec = parse_date_spec(value)
    assert spec == RelativeDate(days_back)
    assert spec.resolve(TODAY) == TODAY - dt.timedelta(days=days_back)


@pytest.mark.parametrize(
    "value",
    [
        "2024-03-01",
        " 2024-03-01 ",
        "2024-03-01T10:00:00",
        "2024-03-01T10:00:00Z",
        "2024-03-01T23:59:59+00:00",
        D(2024, 3, 1),
        dt.datetime(2024, 3, 1, 23, 59),
        pd.Timestamp("2024-03-01 12:00"),
        pd.Timestamp("2024-03-01 12:00", tz="UTC"),
        np.datetime64("2024-03-01"),
        np.datetime64("2024-03-01T23:00:00"),
    ],
)
def test_parse_specific_forms(value):
    result = parse_date_spec(value)
    assert result == D(2024, 3, 1)
    assert type(result) is D  # never a datetime/Timestamp subclass


def test_aware_datetime_is_read_in_the_zone():
    late_la = "2024-03-01T23:30:00-08:00"  # 07:30 UTC on March 2
    assert parse_date_spec(late_la) == D(2024, 3, 2)  # default zone: UTC
    assert parse_date_spec(late_la, tz="America/Los_Angeles") == D(2024, 3, 1)
    ts = pd.Timestamp("2024-03-01 20:00", tz="UTC")
    assert parse_date_spec(ts, tz="Asia/Tokyo") == D(2024, 3, 2)
    assert parse_date_spec(ts, tz=get_marketplace("US")) == D(2024, 3, 1)
    # In a range, the zone given to resolve() decides the day.
    rng = DateRange.parse(late_la)
    assert rng.resolve(today=TODAY).start == D(2024, 3, 2)
    assert rng.resolve(today=TODAY, tz="America/Los_Angeles").start == D(2024, 3, 1)


def test_naive_datetime_is_taken_as_is():
    assert parse_date_spec(dt.datetime(2024, 3, 1, 23, 59), tz="Asia/Tokyo") == D(2024, 3, 1)


@pytest.mark.parametrize("value", ["tomorrow", "today-", "today-x", "2024-02-30", "03/01/2024", "", "last week", "1.5"])
def test_malformed_string_lists_accepted_forms(value):
    with raises_config("end", f"end={value!r}", "'today'", "'yesterday'", "'today-N'", "ISO date"):
        parse_date_spec(value, parameter="end")


@pytest.mark.parametrize("value", [-1, "-3", "today+3", np.int32(-2)])
def test_negative_days_back(value):
    with raises_config("start", f"start={value!r}"):
        parse_date_spec(value)


def test_unsupported_types_and_missing_values():
    for value in (True, 1.5, None, [2024, 3, 1], pd.NaT, np.datetime64("NaT")):
        with raises_config("start", "start="):
            parse_date_spec(value)


def test_compact_date_mistaken_for_days_back_gets_a_hint():
    with raises_config("start", "start=20240301", "'2024-03-01'"):
        parse_date_spec(20240301)


def test_parse_days_back():
    assert parse_days_back("today") == 0
    assert parse_days_back("yesterday") == 1
    assert parse_days_back("today-7") == 7
    assert parse_days_back("7") == 7
    assert parse_days_back(7) == 7
    with raises_config("days_back", "days_back='2024-01-01'", "not a number of days back"):
        parse_days_back("2024-01-01")
    with raises_config("days_back", "days_back=-2", "negative"):
        parse_days_back(-2)


def test_relative_date_str_and_repr():
    assert str(RelativeDate(0)) == "today"
    assert str(RelativeDate(1)) == "yesterday"
    assert repr(RelativeDate(7)) == "RelativeDate('today-7')"
    with raises_config("days_back", "days_back=-1"):
        RelativeDate(-1)


# --------------------------------------------------------------------------- #
# The "today" rule
# --------------------------------------------------------------------------- #


@pytest.fixture
def fixed_clock(monkeypatch):
    # 03:00 UTC on May 10 is still May 9 in Los Angeles and already May 10 in Tokyo;
    # a date far from the real one, so reading the machine clock would be caught.
    instant = dt.datetime(2031, 5, 10, 3, 0, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(date_grammar, "_now_utc", lambda: instant)
    return instant


def test_today_defaults_to_utc_not_local_time(fixed_clock, monkeypatch):
    monkeypatch.setenv("TZ", "America/Los_Angeles")  # the machine's zone must not matter
    assert resolve_today() == D(2031, 5, 10)
    assert DateRange.parse("today").resolve() == ResolvedRange(D(2031, 5, 10), D(2031, 5, 10))


def test_today_in_tz_and_marketplace(fixed_clock):
    assert resolve_today(tz="America/Los_Angeles") == D(2031, 5, 9)
    assert resolve_today(tz=get_marketplace("US")) == D(2031, 5, 9)
    assert resolve_today(tz=get_marketplace("JP")) == D(2031, 5, 10)
    assert resolve_today(tz=ZoneInfo("Asia/Tokyo")) == D(2031, 5, 10)
    assert DateRange.parse("yesterday").resolve(tz="America/Los_Angeles").start == D(2031, 5, 8)


def test_explicit_today_wins(fixed_clock):
    assert resolve_today("2024-03-10", tz="America/Los_Angeles") == D(2024, 3, 10)
    assert DateRange.parse("today-1").resolve(today=D(2024, 3, 10), tz="Asia/Tokyo").start == D(2024, 3, 9)


def test_real_clock_is_utc():
    before = dt.datetime.now(dt.timezone.utc).date()
    got = resolve_today()
    after = dt.datetime.now(dt.timezone.utc).date()
    assert got in {before, after}


def test_bad_tz_and_bad_today():
    with raises_config("tz", "tz='US'", "IANA"):
        resolve_today(tz="US")
    with raises_config("tz", "tz='Mars/Olympus'"):
        DateRange.parse("today").resolve(tz="Mars/Olympus")
    with raises_config("today", "today='today-1'", "relative"):
        resolve_today("today-1")


# --------------------------------------------------------------------------- #
# DateRange.parse: every pane form
# --------------------------------------------------------------------------- #


def resolved(rng: DateRange) -> tuple[dt.date, dt.date]:
    return rng.resolve(today=TODAY).as_tuple()


def test_single_date_forms():
    assert resolved(DateRange.parse(single_date="2024-03-01")) == (D(2024, 3, 1), D(2024, 3, 1))
    assert resolved(DateRange.parse(single_date="yesterday")) == (D(2026, 11, 26), D(2026, 11, 26))
    # start or end alone is a single day too
    assert resolved(DateRange.parse("today-3")) == (D(2026, 11, 24), D(2026, 11, 24))
    assert resolved(DateRange.parse(end="2024-03-05")) == (D(2024, 3, 5), D(2024, 3, 5))


@pytest.mark.parametrize(("value", "expected"), [("today", TODAY), (0, TODAY), ("yesterday", D(2026, 11, 26)),
                                                 (1, D(2026, 11, 26)), ("today-7", D(2026, 11, 20)),
                                                 (7, D(2026, 11, 20)), ("7", D(2026, 11, 20))])
def test_days_back_is_that_single_day(value, expected):
    assert resolved(DateRange.parse(days_back=value)) == (expected, expected)


def test_date_from_runs_to_today():
    assert resolved(DateRange.parse(date_from="today-7")) == (D(2026, 11, 20), TODAY)
    assert resolved(DateRange.parse(date_from="2026-11-01")) == (D(2026, 11, 1), TODAY)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-03-01", "2024-03-31", (D(2024, 3, 1), D(2024, 3, 31))),  # specific / specific
        ("today-7", "yesterday", (D(2026, 11, 20), D(2026, 11, 26))),  # relative / relative
        ("2026-11-01", "yesterday", (D(2026, 11, 1), D(2026, 11, 26))),  # specific / relative
        (30, "2026-11-20", (D(2026, 10, 28), D(2026, 11, 20))),  # relative / specific
    ],
)
def test_start_and_end_specific_or_relative(start, end, expected):
    assert resolved(DateRange.parse(start, end)) == expected


def test_days_back_to_start_from_and_end_at():
    # the pane's example: 10 and 5 → from 10 days ago up to 5 days ago
    rng = DateRange.parse(days_back_to_start_from=10, days_back_to_end_at=5)
    assert resolved(rng) == (D(2026, 11, 17), D(2026, 11, 22))
    assert repr(rng) == "DateRange(start='today-10', end='today-5')"
    rng = DateRange.parse(days_back_to_start_from="today-7", days_back_to_end_at="yesterday")
    assert resolved(rng) == (D(2026, 11, 20), D(2026, 11, 26))
    # alone, the start runs up to today
    assert resolved(DateRange.parse(days_back_to_start_from=3)) == (D(2026, 11, 24), TODAY)


def test_days_back_to_errors():
    with raises_config("days_back_to_start_from", "days_back_to_start_from=5", "days_back_to_end_at=10"):
        DateRange.parse(days_back_to_start_from=5, days_back_to_end_at=10)
    with raises_config("days_back_to_start_from", "days_back_to_end_at=3"):
        DateRange.parse(days_back_to_end_at=3)
    with raises_config("days_back_to_end_at", "days_back_to_end_at=-1"):
        DateRange.parse(days_back_to_start_from=3, days_back_to_end_at=-1)
    with raises_config("days_back_to_start_from", "days_back_to_start_from='2024-01-01'"):
        DateRange.parse(days_back_to_start_from="2024-01-01")


def test_parse_form_conflicts_and_missing():
    with raises_config("start", "no date given", "single_date", "days_back"):
        DateRange.parse()
    with raises_config("days_back", "start/end and days_back"):
        DateRange.parse("today", days_back=3)
    with raises_config("date_from", "single_date and date_from"):
        DateRange.parse(single_date="today", date_from="today-3")


def test_parse_passes_ranges_through():
    rng = DateRange.parse("today-7", "yesterday")
    assert DateRange.parse(rng) is rng
    concrete = ResolvedRange(D(2024, 3, 1), D(2024, 3, 2))
    assert DateRange.parse(concrete) == DateRange("2024-03-01", "2024-03-02")
    with raises_config("end", "end='today'"):
        DateRange.parse(rng, "today")


def test_reprs():
    assert repr(DateRange.parse("today-7", "yesterday")) == "DateRange(start='today-7', end='yesterday')"
    assert repr(DateRange.parse("2024-03-01", "today")) == "DateRange(start='2024-03-01', end='today')"
    assert repr(DateRange.parse("today-7", "yesterday").resolve(today=TODAY)) == (
        "ResolvedRange(2026-11-20 → 2026-11-26, 7 days)"
    )
    assert repr(ResolvedRange(TODAY, TODAY)) == "ResolvedRange(2026-11-27 → 2026-11-27, 1 day)"
    # the repr round-trips through the constructor
    rng = DateRange.parse("2024-03-01T23:30:00-08:00", "today")
    assert eval(repr(rng), {"DateRange": DateRange}) == rng


def test_date_range_is_frozen_and_hashable():
    rng = DateRange.parse("today-7", "yesterday")
    with pytest.raises(AttributeError):
        rng.start = RelativeDate(3)  # type: ignore[misc]
    assert hash(rng) == hash(DateRange("today-7", 1))
    assert rng.is_relative and not DateRange("2024-03-01", "2024-03-02").is_relative


# --------------------------------------------------------------------------- #
# Range errors
# --------------------------------------------------------------------------- #


def test_start_after_end_names_both():
    with raises_config("start", "start=2024-03-10 is after end=2024-03-01"):
        DateRange.parse("2024-03-10", "2024-03-01")
    with raises_config("start", "start='today-3' is after end='today-7'"):
        DateRange.parse("today-3", "today-7")
    # mixed forms are only known once resolved; the message shows both spec and date
    rng = DateRange.parse("2026-11-26", "today-5")
    with raises_config("start", "start=2026-11-26", "end='today-5' (2026-11-22)"):
        rng.resolve(today=TODAY)
    with raises_config("start", "start=2024-03-10 is after end=2024-03-01"):
        ResolvedRange(D(2024, 3, 10), D(2024, 3, 1))


def test_range_entirely_in_the_future():
    with raises_config("start", "start=2027-01-01", "future", "2026-11-27"):
        DateRange.parse("2027-01-01", "2027-01-31").resolve(today=TODAY)
    # partly in the future is allowed (the caller may clip)
    assert DateRange.parse("today", "2026-12-31").resolve(today=TODAY).end == D(2026, 12, 31)
    with raises_config("start", "start=2027-01-01", "2026-11-27"):
        check_not_future("2027-01-01", "2027-01-02", TODAY)
    check_not_future("2026-11-27", "2027-01-02", TODAY)  # today itself is not future


def test_future_message_names_the_zone(fixed_clock):
    with raises_config("start", "America/Los_Angeles", "today (2031-05-09"):
        DateRange.parse("2031-05-10").resolve(tz="America/Los_Angeles")


def test_check_lookback():
    with raises_config("start", "start=2019-01-01", "1460 days", "2020-03-11"):
        check_lookback("2019-01-01", "2024-03-10", 1460)
    with raises_config("date_from", "date_from=2019-01-01"):
        check_lookback(D(2019, 1, 1), D(2024, 3, 10), 1460, parameter="date_from")
    check_lookback("2020-03-11", "2024-03-10", 1460)  # exactly at the limit is fine


# --------------------------------------------------------------------------- #
# ResolvedRange
# --------------------------------------------------------------------------- #


def test_api_times():
    r = ResolvedRange(D(2026, 11, 20), D(2026, 11, 26))
    assert r.api_times() == ("2026-11-20T00:00:00Z", "2026-11-26T23:59:59Z")
    assert ResolvedRange("2024-03-01", "2024-03-01").api_times() == ("2024-03-01T00:00:00Z", "2024-03-01T23:59:59Z")


def test_resolved_range_helpers():
    r = ResolvedRange(D(2024, 3, 5), D(2024, 3, 14))
    assert r.days == 10
    assert D(2024, 3, 5) in r and D(2024, 3, 15) not in r and "x" not in r
    assert list(r.iter_days())[0] == D(2024, 3, 5) and len(list(r.iter_days())) == 10
    assert r.align_outward("WEEK") == ResolvedRange(D(2024, 3, 3), D(2024, 3, 16))
    assert not r.is_aligned("WEEK") and r.is_aligned("DAY")
    with raises_config("start", "start=2024-03-05 is a Tuesday"):
        r.check_aligned("WEEK")
    assert [w.as_tuple() for w in r.split(max_days=7)] == [(D(2024, 3, 5), D(2024, 3, 11)), (D(2024, 3, 12), D(2024, 3, 14))]


# --------------------------------------------------------------------------- #
# Periods and alignment
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("period", "day", "first", "last"),
    [
        ("DAY", D(2024, 3, 5), D(2024, 3, 5), D(2024, 3, 5)),
        ("WEEK", D(2024, 3, 5), D(2024, 3, 3), D(2024, 3, 9)),  # Tue → Sun..Sat
        ("WEEK", D(2024, 3, 3), D(2024, 3, 3), D(2024, 3, 9)),  # a Sunday starts its week
        ("WEEK", D(2024, 3, 9), D(2024, 3, 3), D(2024, 3, 9)),  # a Saturday ends it
        ("WEEK", D(2021, 1, 1), D(2020, 12, 27), D(2021, 1, 2)),  # across a year end
        ("MONTH", D(2024, 2, 10), D(2024, 2, 1), D(2024, 2, 29)),  # leap February
        ("MONTH", D(2023, 12, 31), D(2023, 12, 1), D(2023, 12, 31)),
        ("QUARTER", D(2024, 5, 15), D(2024, 4, 1), D(2024, 6, 30)),
        ("QUARTER", D(2024, 12, 1), D(2024, 10, 1), D(2024, 12, 31)),
        ("YEAR", D(2024, 7, 4), D(2024, 1, 1), D(2024, 12, 31)),
    ],
)
def test_period_bounds(period, day, first, last):
    assert period_start(day, period) == first
    assert period_end(day, period) == last
    assert is_aligned(first, last, period)


def test_schema_example_is_week_aligned():
    # 2021-06-06 is a Sunday and 2021-06-19 a Saturday (README §5.2)
    assert is_aligned("2021-06-06", "2021-06-19", "WEEK")
    check_aligned("2021-06-06", "2021-06-19", "week")


def test_normalize_period():
    assert normalize_period(" month ") == "MONTH"
    with raises_config("period", "period='FORTNIGHT'", "DAY, WEEK, MONTH, QUARTER, YEAR"):
        normalize_period("FORTNIGHT")
    with raises_config("period", "period='HOUR'"):
        period_start(TODAY, "HOUR")


def test_check_aligned_messages():
    with raises_config("start", "start=2024-03-05 is a Tuesday", "WEEK ranges run Sunday–Saturday",
                       "2024-03-03 → 2024-03-16", "2024-03-10 → 2024-03-16"):
        check_aligned("2024-03-05", "2024-03-16", "WEEK")
    with raises_config("end", "end=2024-03-14 is a Thursday", "2024-03-03 → 2024-03-16", "2024-03-03 → 2024-03-09"):
        check_aligned("2024-03-03", "2024-03-14", "WEEK")
    # both ends off inside one week: only the covering range can be offered
    with raises_config("start", "start=2024-03-05 is a Tuesday and end=2024-03-07 is a Thursday",
                       "use 2024-03-03 → 2024-03-09 (covers the range)") as info:
        check_aligned("2024-03-05", "2024-03-07", "WEEK")
    assert "within it" not in str(info.value)
    with raises_config("end", "end=2024-05-30 is not the last day of a month", "2024-03-01 → 2024-05-31"):
        check_aligned("2024-03-01", "2024-05-30", "MONTH")
    with raises_config("start", "start=2024-02-01 is not the first day of a quarter", "Jan 1, Apr 1"):
        check_aligned("2024-02-01", "2024-06-30", "QUARTER")
    with raises_config("date_from", "date_from=2024-02-01", "YEAR ranges run from Jan 1 to Dec 31"):
        check_aligned("2024-02-01", "2024-12-31", "YEAR", parameter="date_from")
    with raises_config("start", "start=2024-03-10 is after end=2024-03-01"):
        check_aligned("2024-03-10", "2024-03-01", "DAY")
    check_aligned("2024-03-05", "2024-03-07", "DAY")  # DAY has no alignment rule


def test_align_outward_and_iter_periods():
    assert align_outward("2024-03-05", "2024-05-02", "MONTH") == (D(2024, 3, 1), D(2024, 5, 31))
    assert list(iter_periods("2024-03-05", "2024-03-14", "WEEK")) == [
        (D(2024, 3, 3), D(2024, 3, 9)), (D(2024, 3, 10), D(2024, 3, 16))
    ]


# --------------------------------------------------------------------------- #
# split_range examples and errors
# --------------------------------------------------------------------------- #


def test_split_examples():
    assert split_range("2024-01-01", "2024-01-31", max_days=15) == [
        (D(2024, 1, 1), D(2024, 1, 15)), (D(2024, 1, 16), D(2024, 1, 30)), (D(2024, 1, 31), D(2024, 1, 31))
    ]
    assert split_range("2024-01-01", "2024-01-31", max_days=15, newest_first=True) == [
        (D(2024, 1, 17), D(2024, 1, 31)), (D(2024, 1, 2), D(2024, 1, 16)), (D(2024, 1, 1), D(2024, 1, 1))
    ]
    # WEEK limited to 7 weeks (the NPPM max span)
    weeks = split_range("2024-01-07", "2024-04-06", period="WEEK", max_periods=7)
    assert weeks == [(D(2024, 1, 7), D(2024, 2, 24)), (D(2024, 2, 25), D(2024, 4, 6))]
    # MONTH by days: a 31-day cap allows one month per window
    assert len(split_range("2024-01-01", "2024-12-31", period="MONTH", max_days=31)) == 12
    assert split_range("2024-01-01", "2024-12-31", period="MONTH") == [(D(2024, 1, 1), D(2024, 12, 31))]


def test_split_errors():
    with raises_config("start", "start=2024-01-02 is a Tuesday"):
        split_range("2024-01-02", "2024-01-31", period="WEEK", max_periods=2)
    with raises_config("max_days", "max_days=20", "MONTH 2024-01-01 → 2024-01-31 (31 days)"):
        split_range("2024-01-01", "2024-03-31", period="MONTH", max_days=20)
    for bad in (0, -1, 1.5, True):
        with raises_config("max_periods", f"max_periods={bad!r}"):
            split_range("2024-01-01", "2024-01-31", max_periods=bad)
    with raises_config("start", "start=2024-02-01 is after end=2024-01-31"):
        split_range("2024-02-01", "2024-01-31", max_days=3)
    with raises_config("start", "relative"):
        split_range("today-3", "today", max_days=3)


# --------------------------------------------------------------------------- #
# Day helpers
# --------------------------------------------------------------------------- #


def test_iter_days_and_day_count():
    days = list(iter_days("2024-02-27", "2024-03-01"))
    assert days == [D(2024, 2, 27), D(2024, 2, 28), D(2024, 2, 29), D(2024, 3, 1)]
    assert list(iter_days("2024-02-27", "2024-03-01", newest_first=True)) == days[::-1]
    assert day_count("2024-02-27", "2024-03-01") == 4
    assert day_count("2024-03-01", "2024-03-01") == 1
    assert day_count("2024-03-02", "2024-03-01") == 0
    assert list(iter_days(dt.date.max, dt.date.max)) == [dt.date.max]
    with raises_config("start", "start=2024-03-02 is after end=2024-03-01"):
        list(iter_days("2024-03-02", "2024-03-01"))


def test_contiguous_ranges():
    got = contiguous_ranges([D(2024, 3, 3), "2024-03-01", D(2024, 3, 2), D(2024, 3, 9), D(2024, 3, 3)])
    assert got == [(D(2024, 3, 1), D(2024, 3, 3)), (D(2024, 3, 9), D(2024, 3, 9))]
    assert contiguous_ranges([]) == []


def test_doctests():
    results = [doctest.testmod(m) for m in (date_grammar, date_range, periods)]
    assert sum(r.attempted for r in results) > 5 and not any(r.failed for r in results)


# --------------------------------------------------------------------------- #
# Properties
# --------------------------------------------------------------------------- #

day_st = st.dates(min_value=D(1990, 1, 1), max_value=D(2040, 12, 31))
period_st = st.sampled_from(PERIODS)
_SPAN = {"DAY": 400, "WEEK": 60 * 7, "MONTH": 40 * 31, "QUARTER": 20 * 92, "YEAR": 8 * 366}


@st.composite
def aligned_ranges(draw, period=None):
    p = period or draw(period_st)
    first = draw(day_st)
    last = first + dt.timedelta(days=draw(st.integers(0, _SPAN[p])))
    return p, period_start(first, p), period_end(last, p)


def fewest_windows(periods, max_periods, max_days):
    """Exact minimum by dynamic programming over period boundaries."""
    n = len(periods)
    best = [0] + [math.inf] * n
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            count = j - i
            days = (periods[j - 1][1] - periods[i][0]).days + 1
            if (max_periods is not None and count > max_periods) or (max_days is not None and days > max_days):
                break
            best[j] = min(best[j], best[i] + 1)
    return best[n]


def check_windows(windows, first, last, period, max_periods, max_days):
    assert windows[0][0] == first and windows[-1][1] == last
    for (a, b), (c, _) in zip(windows, windows[1:]):
        assert c == b + dt.timedelta(days=1)  # contiguous, no overlap, chronological
    for a, b in windows:
        assert a <= b
        assert is_aligned(a, b, period)
        n_periods = len(list(iter_periods(a, b, period)))
        if max_periods is not None:
            assert n_periods <= max_periods
        if max_days is not None:
            assert day_count(a, b) <= max_days


@settings(max_examples=150, deadline=None)
@given(aligned_ranges(), st.integers(1, 12), st.booleans())
def test_split_by_periods_properties(rng, max_periods, newest_first):
    period, first, last = rng
    windows = split_range(first, last, period=period, max_periods=max_periods, newest_first=newest_first)
    chronological = windows[::-1] if newest_first else windows
    check_windows(chronological, first, last, period, max_periods, None)
    n_periods = len(list(iter_periods(first, last, period)))
    assert len(windows) == math.ceil(n_periods / max_periods)
    # only the window packed last (newest, or oldest for a backfill) may be short
    full = chronological[1:] if newest_first else chronological[:-1]
    assert all(len(list(iter_periods(a, b, period))) == max_periods for a, b in full)


@settings(max_examples=150, deadline=None)
@given(aligned_ranges(), st.integers(1, 400), st.one_of(st.none(), st.integers(1, 12)), st.booleans())
def test_split_by_days_properties(rng, max_days, max_periods, newest_first):
    period, first, last = rng
    periods = list(iter_periods(first, last, period))
    longest = max(day_count(a, b) for a, b in periods)
    if max_days < longest:
        with raises_config("max_days", f"max_days={max_days}"):
            split_range(first, last, period=period, max_days=max_days, max_periods=max_periods)
        return
    windows = split_range(first, last, period=period, max_days=max_days, max_periods=max_periods,
                          newest_first=newest_first)
    chronological = windows[::-1] if newest_first else windows
    check_windows(chronological, first, last, period, max_periods, max_days)
    assert len(windows) == fewest_windows(periods, max_periods, max_days)
    if period == "DAY":
        limit = min(max_days, max_periods or max_days)
        assert len(windows) == math.ceil(day_count(first, last) / limit)


@settings(max_examples=100, deadline=None)
@given(day_st, day_st, period_st)
def test_align_outward_properties(a, b, period):
    first, last = min(a, b), max(a, b)
    lo, hi = align_outward(first, last, period)
    assert is_aligned(lo, hi, period)
    assert lo <= first and last <= hi
    # the smallest such range: one period less on either side no longer covers
    assert period_end(lo, period) >= first and period_start(hi, period) <= last
    if is_aligned(first, last, period):
        check_aligned(first, last, period)
    else:
        with pytest.raises(ConfigurationError, match=f"{lo} → {hi}"):
            check_aligned(first, last, period)


relative_st = st.integers(0, 5000).flatmap(
    lambda n: st.sampled_from([n, str(n), f"today-{n}", f"today - {n}", RelativeDate(n)])
)
specific_st = day_st.flatmap(
    lambda d: st.sampled_from([d, d.isoformat(), f"{d.isoformat()}T12:00:00Z", pd.Timestamp(d),
                               np.datetime64(d.isoformat()), dt.datetime(d.year, d.month, d.day, 8)])
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(relative_st, specific_st), st.one_of(relative_st, specific_st), day_st)
def test_parse_resolve_properties(start, end, today):
    a = date_grammar.spec_date(date_grammar.parse_spec(start, "start"), today, dt.timezone.utc)
    b = date_grammar.spec_date(date_grammar.parse_spec(end, "end"), today, dt.timezone.utc)
    try:
        rng = DateRange.parse(start, end)
        got = rng.resolve(today=today)
    except ConfigurationError as err:
        # the only reasons to refuse valid inputs: wrong order, or all in the future
        assert (a > b and err.parameter == "start" and "is after end=" in str(err)) or (
            a > today and "future" in str(err)
        )
        return
    assert (got.start, got.end) == (a, b)
    assert got.days == (b - a).days + 1 == len(list(got.iter_days()))
    assert DateRange.parse(repr(rng).split("'")[1], repr(rng).split("'")[3]) == rng  # repr round-trips
    s, e = got.api_times()
    assert s == f"{a.isoformat()}T00:00:00Z" and e == f"{b.isoformat()}T23:59:59Z"


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2000), st.integers(0, 2000), day_st)
def test_days_back_pair_properties(n, m, today):
    if n < m:
        with raises_config("days_back_to_start_from", f"days_back_to_start_from={n}"):
            DateRange.parse(days_back_to_start_from=n, days_back_to_end_at=m)
        return
    got = DateRange.parse(days_back_to_start_from=str(n), days_back_to_end_at=f"today-{m}").resolve(today=today)
    assert got.start == today - dt.timedelta(days=n) and got.end == today - dt.timedelta(days=m)
    assert got.days == n - m + 1
