"""read_report / get_report / list_reports refuse bad arguments before any API call."""

from __future__ import annotations

import datetime as dt

import pytest

import amzv_pandas._reports.api as reports
from amzv_pandas.exceptions import ConfigurationError


# The server and client are the e2e defaults (tests/e2e/conftest.py), checked after each test.
@pytest.fixture
def sb(sb):
    yield sb
    # The point of every test here: nothing reached the server, not even the token endpoint.
    assert sb.stats()["calls"] == {}


@pytest.fixture
def client(client):
    yield client
    assert dict(client.calls) == {}


SALES = "GET_VENDOR_SALES_REPORT"
TODAY = dt.date.today()


def _error(call, **kwargs) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as err:
        call(**kwargs)
    return err.value


@pytest.mark.parametrize(
    ("kwargs", "parameter", "text"),
    [
        (dict(report_options={"bogus": "1"}), "bogus", "does not accept reportOption 'bogus'"),
        (dict(report_options={"reportPeriod": "HOUR"}), "reportPeriod", "'HOUR' is not accepted"),
        (dict(report_options={"sellingProgram": ["RETAIL"]}), "sellingProgram", "not a single value"),
        (dict(end="2025-01-01", start="2025-02-01"), "start", "is after end"),
        (dict(start="2099-01-01", end="2099-01-31"), "start", "in the future"),
        (dict(start="2025-01-01", end=TODAY + dt.timedelta(days=40)), "end", "in the future"),
        (dict(start="2025-01-01", end="2025-01-10", report_options={"reportPeriod": "WEEK"}), "start",
         "use 2024-12-29 → 2025-01-11"),
        (dict(start="2025-01-01", end="2025-02-15", report_options={"reportPeriod": "MONTH"}), "end",
         "use 2025-01-01 → 2025-02-28"),
        (dict(start=None, end=None), "start", "needs start="),
        (dict(start="not a date"), "start", "is not a date"),
        (dict(start="2015-01-01"), "start", "more than 1460 days"),
        (dict(marketplace=["US", "CA"] * 13), "marketplace", "at most 25"),
        (dict(marketplace="ZZ"), "marketplace", "ZZ"),
        (dict(section="nope"), "section", "salesAggregate, salesByAsin"),
        (dict(quotechar="''"), "quotechar", "double quote"),
        (dict(query_date_type="created"), "query_date_type", "no query date type variants"),
        (dict(cache="sometimes"), "cache", "'always'"),
        (dict(on_cancelled="shout"), "on_cancelled", "'warn', 'raise', 'ignore'"),
        (dict(poll_interval=0), "poll_interval", "positive"),
        (dict(timeout=-1), "timeout", "positive"),
        (dict(progress_bar_type="fancy"), "progress_bar_type", "fancy"),
    ],
)
def test_read_report_validation(client, kwargs, parameter, text):
    args = {"start": "2025-01-05", "end": "2025-01-11", "progress_bar_type": None, **kwargs}
    err = _error(reports.read_report, report_type=SALES, client=client, **args)
    assert err.parameter == parameter
    assert text in str(err)


def test_missing_required_option_without_default(client):
    err = _error(reports.read_report, report_type="GET_PROMOTION_PERFORMANCE_REPORT", client=client,
                 report_options={"promotionStartDateFrom": "2025-01-01T00:00:00Z"}, progress_bar_type=None)
    assert err.parameter == "promotionStartDateTo"
    assert "requires reportOption(s) promotionStartDateTo" in str(err)


def test_range_given_twice_for_option_ranged_report(client):
    err = _error(reports.read_report, report_type="GET_COUPON_PERFORMANCE_REPORT", start="2025-01-01",
                 end="2025-01-31", report_options={"campaignStartDateFrom": "2025-01-01"}, client=client,
                 progress_bar_type=None)
    assert err.parameter == "campaignStartDateFrom" and "not both" in str(err)


def test_snapshot_report_takes_no_range(client):
    err = _error(reports.read_report, report_type="GET_MERCHANT_LISTINGS_ALL_DATA", start="2025-01-01",
                 client=client, progress_bar_type=None)
    assert err.parameter == "start" and "snapshot" in str(err)


def test_query_date_type_unknown_variant(client):
    err = _error(reports.read_report, report_type="GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
                 start="today-3", query_date_type="shipped", client=client, progress_bar_type=None)
    assert err.parameter == "query_date_type" and "created, last_updated" in str(err)


def test_real_time_lookback(client):
    err = _error(reports.read_report, report_type="GET_VENDOR_REAL_TIME_INVENTORY_REPORT", start="today-30",
                 client=client, progress_bar_type=None)
    assert err.parameter == "start" and "more than 7 days ago" in str(err)


def test_section_on_flat_file(client):
    err = _error(reports.read_report, report_type="GET_MERCHANT_LISTINGS_ALL_DATA", section="rows", client=client,
                 progress_bar_type=None)
    assert err.parameter == "section" and "flat file" in str(err)


@pytest.mark.parametrize(
    ("kwargs", "parameter", "text"),
    [
        (dict(report_types=[f"GET_T{i}" for i in range(11)]), "report_types", "at most 10"),
        (dict(statuses=["DONE", "FINISHED"]), "statuses", "'FINISHED' is not a processing status"),
        (dict(statuses=[]), "statuses", "non-empty"),
        (dict(max_results=0), "max_results", ">= 1"),
        (dict(created_since="2025-02-01", created_until="2025-01-01"), "created_since", "is after"),
        (dict(created_since="2099-01-01"), "created_since", "in the future"),
        (dict(marketplace="ZZ"), "marketplace", "ZZ"),
    ],
)
def test_list_reports_validation(client, kwargs, parameter, text):
    err = _error(reports.list_reports, client=client, **{"report_types": SALES, **kwargs})
    assert err.parameter == parameter
    assert text in str(err)


def test_get_report_needs_exactly_one_target(client):
    err = _error(reports.get_report, client=client)
    assert err.parameter == "report_id" and "exactly one" in str(err)
    err = _error(reports.get_report, report_id="1", report_type=SALES, client=client)
    assert err.parameter == "report_id"
    err = _error(reports.get_report, report_type=SALES, section="nope", client=client)
    assert err.parameter == "section"


def test_a_range_of_unpublished_days_is_refused_before_any_call(client):
    # vendor sales are published 72 h after a day ends: yesterday and the day before never are
    err = _error(reports.read_report, report_type=SALES, start="today-2", end="yesterday", client=client)
    assert err.parameter == "start" and "published 72 h after a day ends" in str(err)
    assert "end='today-4'" in str(err)


def test_a_range_reaching_into_unpublished_days_is_trimmed_with_a_warning(server):
    """The README's headline call: it returns the published days and says what it left out."""
    from amzv_pandas.exceptions import NoDataWarning

    server.reset_stats()
    with server.client() as c:
        with pytest.warns(NoDataWarning, match="not published yet") as caught:
            df = reports.read_report(SALES, start="today-7", end="yesterday", client=c, progress_bar_type=None,
                                     poll_interval=0.02)
    attrs = df.attrs["amzv"]
    last = dt.date.fromisoformat(attrs["data_end"])
    assert str(last) in str(caught[0].message)
    assert df["endDate"].max().date() == last
    assert server.stats()["calls"]["createReport"] == 1
    server.reset_stats()  # the module's fixture asserts nothing else reached the server
