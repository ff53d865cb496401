"""read_report when Amazon misbehaves: FATAL, CANCELLED, truncated bodies, expired links, 404s, 5xx."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import amzv_pandas._reports.api as reports
from amzv_pandas import sandbox
from amzv_pandas.exceptions import NoDataWarning, ReportCancelledError, ReportFatalError
from amzv_pandas._specs.registry import get_report_type

POLL = 0.02
SALES = "GET_VENDOR_SALES_REPORT"
WEEK1 = ("2025-01-05", "2025-01-11")


@pytest.fixture(scope="module")
def sandbox_options():
    return {"speed": 1000, "processing_seconds": 2.0, "flat_rows": 200}


@pytest.fixture
def client(client):
    client._sleep = lambda s: None  # transport back-off: not what these tests are about
    return client


def calls(sb) -> dict:
    return {k: v for k, v in sb.stats()["calls"].items() if v}


def read(client, report_type=SALES, *args, **kwargs):
    kwargs.setdefault("poll_interval", POLL)
    kwargs.setdefault("progress_bar_type", None)
    if not args and report_type == SALES:
        args = WEEK1
    return reports.read_report(report_type, *args, client=client, **kwargs)


# --------------------------------------------------------------------------------------------
# FATAL, explained


FATAL_CASES = [
    ("This report type requires the reportPeriod, distributorView, sellingProgram reportOption to be specified. "
     "Please review the document for this report type on GitHub, provide a value for this reportOption in "
     "your request, and try again.", "options", "reportPeriod"),
    ("The requested data is not yet available. Please try again later.", "not_available", "72 hours"),
    ("Access denied: your account does not have the Brand Analytics role required for this report.",
     "permission", "role"),
    ("The marketplaceId provided is not a valid marketplace for this vendor account.", "marketplace",
     "marketplace"),
]


@pytest.mark.parametrize(("details", "category", "in_fix"), FATAL_CASES, ids=[c[1] for c in FATAL_CASES])
def test_fatal_carries_amazons_reason_and_fix(sb, client, details, category, in_fix):
    sb.inject("report_outcome", status="FATAL", error_details=details)
    with pytest.raises(ReportFatalError) as err:
        read(client)
    exc = err.value
    assert exc.reason == details
    assert exc.category == category
    assert in_fix in exc.fix
    assert exc.report_type == SALES and exc.processing_status == "FATAL"
    assert len(exc.report_ids) == 1 and exc.report_ids[0] in str(exc)
    assert details in str(exc) and exc.fix in str(exc)
    assert calls(sb)["getReportDocument"] == 1  # the error document was read


def test_fatal_report_is_not_resumed(sb, client):
    sb.inject("report_outcome", status="FATAL", error_details="The requested data is not yet available.")
    with pytest.raises(ReportFatalError):
        read(client)
    df = read(client)  # tried again: a new report, not the dead one
    assert calls(sb)["createReport"] == 2
    assert len(df) > 0


def test_fatal_in_one_window_fails_the_read(sb, client):
    sb.inject("report_outcome", status="FATAL", error_details="The requested data is not yet available.")
    with pytest.raises(ReportFatalError, match="not yet available"):
        read(client, SALES, "2025-01-01", "2025-01-30")


# --------------------------------------------------------------------------------------------
# CANCELLED = no data


def test_cancelled_gives_empty_frame_with_columns(sb, client):
    sb.inject("report_outcome", status="CANCELLED")
    with pytest.warns(NoDataWarning, match="CANCELLED"):
        df = read(client)
    expected = get_report_type(SALES).section_columns("salesByAsin")
    assert df.empty
    assert list(df.columns) == list(expected)
    assert all(df[c].dtype == d for c, d in expected.items())
    assert df.attrs["amzv"]["windows"][0]["status"] == "CANCELLED"


def test_cancelled_raise_and_ignore(sb, client):
    sb.inject("report_outcome", status="CANCELLED")
    with pytest.raises(ReportCancelledError) as err:
        read(client, on_cancelled="raise")
    assert err.value.report_type == SALES and err.value.report_ids
    sb.inject("report_outcome", status="CANCELLED")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = read(client, on_cancelled="ignore")
    assert df.empty and "asin" in df.columns


def test_cancelled_window_among_others(sb, client):
    sb.inject("report_outcome", status="CANCELLED")
    with pytest.warns(NoDataWarning):
        df = read(client, SALES, "2025-01-01", "2025-01-30")
    statuses = sorted(w["status"] for w in df.attrs["amzv"]["windows"])
    assert statuses == ["CANCELLED", "DONE"]
    assert len(df) > 0


# --------------------------------------------------------------------------------------------
# downloads


def test_truncated_download_is_retried(sb, client):
    reference = read(client, "GET_MERCHANT_LISTINGS_ALL_DATA", cache=False)
    sb.reset_stats()
    sb.inject("truncate", fraction=0.5)
    df = read(client, "GET_MERCHANT_LISTINGS_ALL_DATA", cache="always", refresh=True)
    assert calls(sb)["downloadDocument"] == 2
    assert sb.stats()["documents_served"] == 1  # only one complete body, and that one was parsed
    pd.testing.assert_frame_equal(df, reference)


def test_truncated_download_never_reaches_the_cache(sb, client):
    sb.inject("truncate", fraction=0.9)
    read(client)
    sb.reset_stats()
    read(client)
    assert calls(sb) == {}  # what was cached is the complete document, verified


def test_expired_document_url_is_renewed():
    with sandbox.serve(speed=1000, processing_seconds=2.0, document_ttl=1.0) as sb:
        client = sb.client()
        # The link is older than its 1 s lifetime when the download reaches the server.
        sb.inject("delay", operation="downloadDocument", seconds=2.2)
        df = read(client)
        stats = sb.stats()["calls"]
        assert stats["getReportDocument"] == 2
        assert stats["downloadDocument"] == 2
        assert len(df) > 0


def test_get_report_404_right_after_create_is_tolerated(sb, client):
    sb.inject("not_found_after_create", count=2)
    df = read(client)
    assert len(df) > 0
    assert calls(sb)["getReport"] >= 3
    assert calls(sb)["createReport"] == 1


# --------------------------------------------------------------------------------------------
# createReport failures must not create duplicates


@pytest.mark.parametrize(("fault", "week"), [("500", ("2025-02-02", "2025-02-08")),
                                             ("503", ("2025-02-09", "2025-02-15")),
                                             ("drop", ("2025-02-16", "2025-02-22"))])
def test_create_retried_after_server_error(sb, client, fault, week):
    sb.inject(fault, operation="createReport")
    df = read(client, SALES, *week)
    assert len(df) > 0
    assert calls(sb)["createReport"] == 2
    assert calls(sb)["getReports"] == 1  # looked for a just-created report first
    listed = reports.list_reports(SALES, client=client)
    same = listed[listed["dataStartTime"] == pd.Timestamp(week[0], tz="UTC")]
    assert len(same) == 1  # exactly one report of that week exists


def test_create_throttled_is_retried(sb, client):
    sb.inject("429", operation="createReport")
    df = read(client)
    assert len(df) > 0
    assert calls(sb)["createReport"] == 2
    assert "getReports" not in calls(sb)  # a 429 created nothing: no need to look
