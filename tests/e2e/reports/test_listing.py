"""list_reports (paging, filters, types), list_report_schedules, get_report(report_type=...)."""

from __future__ import annotations

import pandas as pd
import pytest

import amzv_pandas._reports.api as reports
from amzv_pandas.exceptions import ReportNotGeneratedError
from amzv_pandas._specs.registry import REPORT_TYPES

TRAFFIC = "GET_VENDOR_TRAFFIC_REPORT"
N_REPORTS = 230  # pageSize is 100: three pages


@pytest.fixture(scope="module")
def server(make_sandbox):
    # createReport's quota opened up so the module can fill three pages quickly.
    sb = make_sandbox(speed=1000, processing_seconds=1.0,
                      rate_limits={"createReport": (1000.0, 1000), "getReports": (1000.0, 1000)})
    client = sb.client()
    for i in range(N_REPORTS):
        day = (pd.Timestamp("2025-01-01") + pd.Timedelta(days=i % 300)).date().isoformat()
        client.request("POST", "/reports/2021-06-30/reports", json={
            "reportType": TRAFFIC, "marketplaceIds": ["ATVPDKIKX0DER"],
            "dataStartTime": f"{day}T00:00:00Z", "dataEndTime": f"{day}T23:59:59Z",
            "reportOptions": {"reportPeriod": "DAY"}})
    client.close()
    return sb


def test_all_pages_are_read(sb, client):
    df = reports.list_reports(TRAFFIC, client=client)
    assert len(df) == N_REPORTS
    assert df["reportId"].is_unique
    assert sb.stats()["calls"]["getReports"] == 3  # nextToken sent alone: the sandbox refuses anything else
    assert df.attrs["amzv"]["pages"] == 3
    assert df["createdTime"].is_monotonic_decreasing  # newest first
    assert str(df["createdTime"].dtype) == "datetime64[us, UTC]"
    for col in ("dataStartTime", "dataEndTime", "processingStartTime", "processingEndTime"):
        assert str(df[col].dtype) == "datetime64[us, UTC]"
    assert set(df["reportType"]) == {TRAFFIC}
    assert set(df["marketplaceIds"]) == {"ATVPDKIKX0DER"}
    assert str(df["reportId"].dtype) == "str"


def test_max_results_stops_early(sb, client):
    df = reports.list_reports([TRAFFIC], max_results=150, client=client)
    assert len(df) == 150
    assert sb.stats()["calls"]["getReports"] == 2


def test_filters(sb, client):
    done = reports.list_reports(TRAFFIC, statuses="done", client=client)
    assert set(done["processingStatus"]) <= {"DONE"}
    none = reports.list_reports(TRAFFIC, statuses=["FATAL", "CANCELLED"], client=client)
    assert none.empty and list(none.columns) == list(done.columns)
    future_only = reports.list_reports(TRAFFIC, created_until="2020-01-01", created_since="2019-12-01",
                                       client=client)
    assert future_only.empty
    other_market = reports.list_reports(TRAFFIC, marketplace="CA", client=client)
    assert other_market.empty


def test_default_types_are_the_registry(sb, client):
    df = reports.list_reports(client=client)
    assert len(df) == N_REPORTS
    assert sb.stats()["calls"]["getReports"] >= -(-len(REPORT_TYPES) // 10)


def test_schedules_of_every_type(sb, client):
    df = reports.list_report_schedules(client=client)
    assert sb.stats()["calls"]["getReportSchedules"] == -(-len(REPORT_TYPES) // 10)
    assert list(df.columns) == ["reportScheduleId", "reportType", "marketplaceIds", "period",
                                "nextReportCreationTime", "reportOptions"]
    assert len(df) >= 1 and df["reportScheduleId"].is_unique
    assert set(df["reportType"]) <= set(REPORT_TYPES)
    assert str(df["nextReportCreationTime"].dtype) == "datetime64[us, UTC]"
    assert (df["nextReportCreationTime"] > pd.Timestamp.now(tz="UTC")).all()
    assert all(isinstance(o, dict) for o in df["reportOptions"])


def test_schedules_filtered(sb, client):
    df = reports.list_report_schedules("GET_VENDOR_INVENTORY_REPORT", client=client)
    assert set(df["reportType"]) <= {"GET_VENDOR_INVENTORY_REPORT"}
    assert sb.stats()["calls"]["getReportSchedules"] == 1
    assert reports.list_report_schedules(TRAFFIC, marketplace="CA", client=client).empty


def test_get_report_picks_the_newest_done(sb, client):
    newest = reports.list_reports(TRAFFIC, statuses="DONE", max_results=1, client=client)
    df = reports.get_report(report_type=TRAFFIC, client=client, progress_bar_type=None)
    assert df.attrs["amzv"]["report_ids"] == [newest.loc[0, "reportId"]]
    assert "glanceViews" in df.columns


def test_get_report_none_generated(sb, client):
    with pytest.raises(ReportNotGeneratedError) as err:
        reports.get_report(report_type="GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT", client=client)
    assert err.value.report_type == "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT"
    text = str(err.value)
    assert "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT" in text and "Vendor Central" in text
    assert "schedule" in text and "read_report" in text
