"""read_report / get_report end to end against the sandbox: families, windows, cache, reuse."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import amzv_pandas._reports.drive as _report_drive
import amzv_pandas._reports.api as reports
from amzv_pandas._cache.store import ReportCache, cache_info, clear_cache
from amzv_pandas.exceptions import ParseError, ReportTimeout, StaleCacheWarning
from amzv_pandas._specs.registry import get_report_type

POLL = 0.02
SALES = "GET_VENDOR_SALES_REPORT"
WEEK1 = ("2025-01-05", "2025-01-11")  # a Sunday-Saturday week, long final


@pytest.fixture(scope="module")
def sandbox_options():
    return {"speed": 1000, "processing_seconds": 2.0, "flat_rows": 300}


def calls(sb) -> dict:
    return {k: v for k, v in sb.stats()["calls"].items() if v}


def created(sb, resent, resent_before: int = 0) -> int:
    """createReport requests made: the sandbox's count less the client's re-sends (a 429 or a
    timeout under load) logged since the last ``sb.reset_stats()`` (``resent_before`` then)."""
    return calls(sb).get("createReport", 0) - (resent("createReport") - resent_before)


def read(client, report_type, *args, **kwargs):
    kwargs.setdefault("poll_interval", POLL)
    kwargs.setdefault("progress_bar_type", None)
    return reports.read_report(report_type, *args, client=client, **kwargs)


def _check_against_registry(df, report_type, section=None):
    rt = get_report_type(report_type)
    expected = rt.section_columns(section)
    missing = [c for c in expected if c not in df.columns]
    assert not missing, f"{report_type}: missing columns {missing}"
    for name, dtype in expected.items():
        assert df[name].dtype == dtype, f"{report_type}.{name}: {df[name].dtype} != {dtype}"


# --------------------------------------------------------------------------------------------
# every family end to end

NOW = pd.Timestamp.now(tz="UTC").floor("h")

FAMILIES = [
    (SALES, dict(start=WEEK1[0], end=WEEK1[1]), "asin"),
    ("GET_VENDOR_INVENTORY_REPORT", dict(start=WEEK1[0], end=WEEK1[1]), "sellableOnHandInventoryUnits"),
    ("GET_VENDOR_TRAFFIC_REPORT", dict(start=WEEK1[0], end=WEEK1[1]), "glanceViews"),
    ("GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT", dict(start=WEEK1[0], end=WEEK1[1]), "netPureProductMargin"),
    ("GET_VENDOR_FORECASTING_REPORT", dict(), "p90ForecastUnits"),
    ("GET_VENDOR_REAL_TIME_SALES_REPORT", dict(start=NOW - pd.Timedelta(hours=30), end=NOW - pd.Timedelta(hours=2)),
     "orderedUnits"),
    ("GET_VENDOR_REAL_TIME_TRAFFIC_REPORT", dict(start=NOW - pd.Timedelta(hours=20), end=NOW - pd.Timedelta(hours=2)),
     "glanceViews"),
    ("GET_VENDOR_REAL_TIME_INVENTORY_REPORT", dict(start=NOW - pd.Timedelta(hours=20), end=NOW - pd.Timedelta(hours=1)),
     "highlyAvailableInventory"),
    ("GET_COUPON_PERFORMANCE_REPORT", dict(start="2025-01-01", end="2025-03-31"), "campaignId"),
    ("GET_PROMOTION_PERFORMANCE_REPORT", dict(start="2025-01-01", end="2025-03-31"), "promotionId"),
    ("GET_MERCHANT_LISTINGS_ALL_DATA", dict(), "seller-sku"),
    ("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", dict(start="2025-01-02", end="2025-01-03"),
     "amazon-order-id"),
    ("GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", dict(), "fnsku"),
]


@pytest.mark.parametrize(("report_type", "kwargs", "column"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_family_end_to_end(sb, client, report_type, kwargs, column):
    df = read(client, report_type, **kwargs)
    assert len(df) > 0
    assert column in df.columns
    assert isinstance(df.index, pd.RangeIndex)
    if get_report_type(report_type).format == "json":
        _check_against_registry(df, report_type)
    meta = df.attrs["amzv"]
    assert meta["report_type"] == report_type
    assert meta["marketplace_ids"] == ["ATVPDKIKX0DER"]
    assert meta["from_cache"] is False
    assert len(meta["report_ids"]) == len(meta["windows"]) == calls(sb)["createReport"]
    assert all(meta["document_ids"])


def test_real_time_range_is_split_into_24h_windows(sb, client, resent):
    df = read(client, "GET_VENDOR_REAL_TIME_SALES_REPORT", NOW - pd.Timedelta(hours=30),
              NOW - pd.Timedelta(hours=2))
    windows = df.attrs["amzv"]["windows"]
    assert created(sb, resent) == len(windows) == 2
    assert windows[0]["end"] == windows[1]["start"]  # contiguous, no hour lost or doubled
    assert df["startTime"].is_monotonic_increasing
    assert str(df["startTime"].dtype) == "datetime64[us, UTC]"


def test_query_date_type_picks_the_variant(sb, client):
    by_update = read(client, "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", "2025-01-02", "2025-01-03",
                     query_date_type="last_updated")
    assert by_update.attrs["amzv"]["report_type"] == "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"


def test_section_choice(client):
    agg = read(client, SALES, *WEEK1, section="salesAggregate")
    _check_against_registry(agg, SALES, "salesAggregate")
    assert "asin" not in agg.columns
    assert agg.attrs["amzv"]["section"] == "salesAggregate"


# --------------------------------------------------------------------------------------------
# windows


def test_long_day_range_is_split_into_fewest_windows(sb, client, resent):
    df = read(client, SALES, "2025-01-01", "2025-03-01")  # 60 days, DAY windows hold 15
    meta = df.attrs["amzv"]
    assert created(sb, resent) == 4
    assert [(w["start"], w["end"]) for w in meta["windows"]] == [
        ("2025-01-01", "2025-01-15"), ("2025-01-16", "2025-01-30"), ("2025-01-31", "2025-02-14"),
        ("2025-02-15", "2025-03-01")]
    assert len(set(meta["report_ids"])) == 4
    assert isinstance(df.index, pd.RangeIndex) and df.index.is_unique
    assert df["startDate"].is_monotonic_increasing
    assert df["startDate"].min() >= pd.Timestamp("2025-01-01") and df["endDate"].max() <= pd.Timestamp("2025-03-01")
    assert (meta["data_start"], meta["data_end"]) == ("2025-01-01", "2025-03-01")


def test_week_range_split_by_seven_weeks(sb, client, resent):
    df = read(client, "GET_VENDOR_TRAFFIC_REPORT", "2024-12-01", "2025-02-22", report_options={"reportPeriod": "WEEK"})
    assert created(sb, resent) == 2  # 12 weeks, 7 per request
    assert [(w["start"], w["end"]) for w in df.attrs["amzv"]["windows"]] == [
        ("2024-12-01", "2025-01-18"), ("2025-01-19", "2025-02-22")]


# --------------------------------------------------------------------------------------------
# cache


def test_cache_hit_makes_zero_calls(sb, client, resent):
    first = read(client, SALES, *WEEK1)
    assert created(sb, resent) == 1
    sb.reset_stats()
    fresh = sb.client()  # no token yet: a hit must not even fetch one
    again = read(fresh, SALES, *WEEK1)
    assert calls(sb) == {}
    assert dict(fresh.calls) == {}
    assert again.attrs["amzv"]["from_cache"] is True
    assert again.attrs["amzv"]["report_ids"] == first.attrs["amzv"]["report_ids"]
    pd.testing.assert_frame_equal(again, first)
    info = cache_info(client=client)
    assert len(info) == 1
    assert info.loc[0, "report_type"] == SALES and info.loc[0, "start"] == WEEK1[0]
    assert info.loc[0, "size"] > 0


def test_other_section_of_a_cached_document_needs_no_call(sb, client):
    read(client, SALES, *WEEK1)
    sb.reset_stats()
    agg = read(client, SALES, *WEEK1, section="salesAggregate")
    assert calls(sb) == {}
    assert "asin" not in agg.columns


def test_refresh_bypasses_the_cache(sb, client, resent):
    first = read(client, SALES, *WEEK1)
    sb.reset_stats()
    before = resent("createReport")
    second = read(client, SALES, *WEEK1, refresh=True)
    assert created(sb, resent, before) == 1
    assert second.attrs["amzv"]["report_ids"] != first.attrs["amzv"]["report_ids"]
    assert second.attrs["amzv"]["from_cache"] is False


def test_cache_false_neither_reads_nor_writes(sb, client):
    read(client, SALES, *WEEK1, cache=False)
    assert cache_info(client=client).empty


def test_recent_range_is_not_cached_unless_always(sb, client):
    # Real-time sales are published an hour late: a range ending 30 minutes ago is not final.
    start, end = NOW - pd.Timedelta(hours=3), pd.Timestamp.now(tz="UTC").floor("min") - pd.Timedelta(minutes=30)
    read(client, "GET_VENDOR_REAL_TIME_SALES_REPORT", start, end)
    assert cache_info(client=client).empty
    read(client, "GET_VENDOR_REAL_TIME_SALES_REPORT", start, end, cache="always")
    assert len(cache_info(client=client)) == 1
    sb.reset_stats()
    read(client, "GET_VENDOR_REAL_TIME_SALES_REPORT", start, end, cache="always")
    assert calls(sb) == {}


def test_snapshot_reports_are_cached_only_with_always(sb, client):
    read(client, "GET_MERCHANT_LISTINGS_ALL_DATA")
    assert cache_info(client=client).empty


def test_corrupted_cache_entry_is_refetched(sb, client):
    read(client, SALES, *WEEK1)
    reference = read(client, SALES, *WEEK1, section="salesAggregate", cache=False)
    entry = next(ReportCache.for_client(client).entries())
    raw = bytearray(entry.document_path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    entry.document_path.write_bytes(bytes(raw))
    sb.reset_stats()
    # Another section must be parsed from the stored document: its sha256 no longer matches.
    with pytest.warns(StaleCacheWarning, match="deleted"):
        again = read(client, SALES, *WEEK1, section="salesAggregate")
    assert calls(sb).get("downloadDocument") == 1  # fetched again (the DONE report is reused)
    assert again.attrs["amzv"]["from_cache"] is False
    pd.testing.assert_frame_equal(again, reference)
    sb.reset_stats()
    read(client, SALES, *WEEK1, section="salesAggregate")  # and cached again
    assert calls(sb) == {}


def test_damaged_frame_is_rebuilt_without_calls(sb, client):
    first = read(client, SALES, *WEEK1)
    entry = next(ReportCache.for_client(client).entries())
    (frame_file,) = entry.path.glob("frame-*")
    frame_file.write_bytes(frame_file.read_bytes()[:-100])
    sb.reset_stats()
    with pytest.warns(StaleCacheWarning, match="rebuilt"):
        again = read(client, SALES, *WEEK1)
    assert calls(sb) == {}  # re-parsed from the (verified) cached document
    pd.testing.assert_frame_equal(again, first)


def test_clear_cache(client):
    read(client, SALES, *WEEK1)
    read(client, "GET_VENDOR_TRAFFIC_REPORT", *WEEK1)
    assert clear_cache(report_type=SALES, client=client) == 1
    assert list(cache_info(client=client)["report_type"]) == ["GET_VENDOR_TRAFFIC_REPORT"]
    assert clear_cache(older_than="1h", client=client) == 0
    assert clear_cache(client=client) == 1


# --------------------------------------------------------------------------------------------
# reuse and resume


@pytest.fixture
def slow(make_fresh_sandbox):
    """Reports take ~3 s to finish: long enough to time out or interrupt."""
    return make_fresh_sandbox(speed=1000, processing_seconds=3000.0)


def test_timeout_then_resume_after_restart(slow, tmp_path):
    first = slow.client(cache_dir=tmp_path)
    with pytest.raises(ReportTimeout) as err:
        read(first, SALES, *WEEK1, timeout=1.0)
    ids = err.value.report_ids
    assert len(ids) == 1 and ids[0] in str(err.value)
    assert "get_report" in str(err.value)
    inflight = json.loads((tmp_path / "reports" / "inflight.json").read_text())
    assert [r["report_id"] for r in inflight["reports"].values()] == ids
    first.close()
    # A new kernel: new client, same cache dir -> polls the same report, creates nothing.
    second = slow.client(cache_dir=tmp_path)
    df = read(second, SALES, *WEEK1)
    assert slow.stats()["calls"]["createReport"] == 1
    assert df.attrs["amzv"]["report_ids"] == ids
    assert len(df) > 0


def test_timeout_ids_work_with_get_report(slow):
    client = slow.client()
    with pytest.raises(ReportTimeout) as err:
        read(client, "GET_VENDOR_TRAFFIC_REPORT", *WEEK1, timeout=1.0)
    (rid,) = err.value.report_ids
    df = reports.get_report(rid, client=client, progress_bar_type=None)
    assert df.attrs["amzv"]["report_ids"] == [rid]
    assert "glanceViews" in df.columns and len(df) > 0


def test_ctrl_c_keeps_the_report_id(slow, tmp_path, monkeypatch):
    client = slow.client(cache_dir=tmp_path)
    index = tmp_path / "reports" / "inflight.json"
    real_wait = _report_drive.cf.wait

    def interrupting_wait(*args, **kwargs):  # the user presses Ctrl-C once the report exists
        out = real_wait(*args, **kwargs)
        if index.exists():
            raise KeyboardInterrupt
        return out

    monkeypatch.setattr(_report_drive.cf, "wait", interrupting_wait)
    with pytest.raises(KeyboardInterrupt, match="resume"):
        read(client, SALES, *WEEK1)
    monkeypatch.undo()
    (record,) = json.loads(index.read_text())["reports"].values()
    df = read(slow.client(cache_dir=tmp_path), SALES, *WEEK1)
    assert df.attrs["amzv"]["report_ids"] == [record["report_id"]]
    assert slow.stats()["calls"]["createReport"] == 1


def test_done_report_without_options_is_reused(sb, client):
    first = read(client, "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", cache=False)
    sb.reset_stats()
    other = sb.client(cache_dir=client.cache_dir / "elsewhere")  # no in-flight record: getReports finds it
    again = read(other, "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", cache=False)
    assert "createReport" not in calls(sb)
    assert calls(sb)["getReports"] == 1
    assert again.attrs["amzv"]["report_ids"] == first.attrs["amzv"]["report_ids"]


def test_done_report_with_options_is_not_reused_from_get_reports(sb, client, tmp_path, resent):
    read(client, SALES, *WEEK1, cache=False)
    sb.reset_stats()
    before = resent("createReport")
    other = sb.client(cache_dir=tmp_path / "elsewhere")  # getReports cannot prove the options
    read(other, SALES, *WEEK1, cache=False)
    assert created(sb, resent, before) == 1


# --------------------------------------------------------------------------------------------
# flat files: quoting and codecs


def test_quote_character_both_ways(sb, client):
    plain = read(client, "GET_MERCHANT_LISTINGS_ALL_DATA", quotechar=None)
    assert len(plain) == 300
    with_quotes = plain["item-name"].str.contains('"', regex=False) | plain["item-description"].str.contains(
        '"', regex=False)
    assert with_quotes.any()  # the document has stray quotes: quoting off keeps them as data
    assert plain.equals(read(client, "GET_MERCHANT_LISTINGS_ALL_DATA", quotechar="\0"))
    try:
        quoted = read(client, "GET_MERCHANT_LISTINGS_ALL_DATA", quotechar='"')
    except ParseError as exc:
        assert "quotechar=None" in str(exc)
    else:  # quoting swallowed the stray quotes: the rows differ
        assert not quoted.equals(plain)


def test_japanese_cp932_listings(server, tmp_path):
    with server.client(marketplace="JP", cache_dir=tmp_path) as jp:
        df = read(jp, "GET_MERCHANT_LISTINGS_ALL_DATA")
    names = df["item-name"].dropna()
    assert len(df) == 300
    assert names.str.contains(r"[\u3040-\u30ff\u4e00-\u9fff]").any()  # kana/kanji decoded
    assert not names.str.contains("\ufffd|ã|Ã", regex=True).any()  # no mojibake
    assert df.attrs["amzv"]["marketplace_ids"] == ["A1VC38T7YXB528"]


# --------------------------------------------------------------------------------------------
# progress


class Bar:
    def __init__(self):
        self.descriptions: list[str] = []
        self.total = 0.0
        self.closed = False

    def update(self, n=1):
        self.total += n

    def set_description_str(self, text, refresh=True):
        self.descriptions.append(text)

    def close(self):
        self.closed = True


def test_progress_bar_shows_status_then_windows(sb, client):
    bar = Bar()
    read(client, SALES, "2025-01-01", "2025-01-30", progress_bar_type=bar)
    assert bar.closed
    assert bar.total == 2  # one step per window
    assert any(SALES in d and "s)" in d for d in bar.descriptions)
    assert any(s in " ".join(bar.descriptions) for s in ("IN_QUEUE", "IN_PROGRESS", "DOWNLOADING", "CREATING"))


def test_cache_hit_shows_no_bar(sb, client):
    read(client, SALES, *WEEK1)
    bar = Bar()
    read(client, SALES, *WEEK1, progress_bar_type=bar)
    assert bar.descriptions == [] and bar.total == 0


# --------------------------------------------------------------------------------------------
# get_report


def test_get_report_by_id_and_by_type(sb, client):
    first = read(client, "GET_VENDOR_TRAFFIC_REPORT", *WEEK1, cache=False)
    (rid,) = first.attrs["amzv"]["report_ids"]
    by_id = reports.get_report(rid, client=client, progress_bar_type=None)
    pd.testing.assert_frame_equal(by_id.reset_index(drop=True), first, check_like=True)
    sb.reset_stats()
    by_type = reports.get_report(report_type="GET_VENDOR_TRAFFIC_REPORT", client=client, progress_bar_type=None)
    assert by_type.attrs["amzv"]["report_ids"] == [rid]
    assert calls(sb) == {"getReports": 1}  # the document came from get_report's own cache entry
    sb.reset_stats()
    again = reports.get_report(rid, client=client, progress_bar_type=None)
    assert calls(sb) == {} and again.attrs["amzv"]["from_cache"] is True
