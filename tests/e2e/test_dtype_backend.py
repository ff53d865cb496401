"""``dtype_backend`` on every frame-returning function, as pandas' own readers take it (issue 15, point 2).

``"numpy_nullable"`` (and ``None``, the default) is the library's typing; ``"pyarrow"`` gives
``pd.ArrowDtype`` columns with the same values; anything else is refused before any request,
naming ``dtype_backend`` and the two allowed values.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import amzv_pandas as amzv
from amzv_pandas._specs.dates import resolve_today
from amzv_pandas._specs.marketplaces import get_marketplace
from amzv_pandas.exceptions import ConfigurationError

SALES = "GET_VENDOR_SALES_REPORT"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
WEEK1 = ("2025-01-05", "2025-01-11")


@pytest.fixture(scope="module")
def sandbox_options():
    return {"speed": 1000, "processing_seconds": 0.5, "flat_rows": 400}


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch):
    monkeypatch.setenv("AMZV_POLL_INTERVAL", "0.02")


def _calls(sb):
    return {k: v for k, v in sb.stats()["calls"].items() if v}


def _same_values(arrow: pd.DataFrame, default: pd.DataFrame) -> None:
    """Same columns, rows and values; every column Arrow can hold is pd.ArrowDtype."""
    assert list(arrow.columns) == list(default.columns) and len(arrow) == len(default)
    for name in default.columns:
        if default[name].dtype == object:
            assert arrow[name].dtype == object, name  # dicts/lists stay Python objects
            continue
        assert isinstance(arrow[name].dtype, pd.ArrowDtype), (name, arrow[name].dtype)
        left = [None if pd.isna(v) else v for v in arrow[name].tolist()]
        right = [None if pd.isna(v) else v for v in default[name].tolist()]
        assert left == right, name
    assert arrow.attrs == default.attrs or set(arrow.attrs) == set(default.attrs)


@pytest.mark.parametrize("report_type", [SALES, LISTINGS])
def test_read_report_cold_and_warm(sb, tmp_path, report_type):
    client = sb.client(cache_dir=tmp_path)
    dates = WEEK1 if report_type == SALES else (None, None)
    default = amzv.read_report(report_type, *dates, client=client, progress_bar_type=None)
    explicit = amzv.read_report(report_type, *dates, client=client, progress_bar_type=None,
                                dtype_backend="numpy_nullable")
    pd.testing.assert_frame_equal(explicit, default)
    assert not any(isinstance(t, pd.ArrowDtype) for t in default.dtypes)
    cold = amzv.read_report(report_type, *dates, client=client, progress_bar_type=None, cache=False,
                            dtype_backend="pyarrow")
    _same_values(cold, default)
    sb.reset_stats()
    warm = client.read_report(report_type, *dates, progress_bar_type=None, dtype_backend="pyarrow")
    if report_type == SALES:
        assert _calls(sb) == {}  # served from the cache
        assert warm.attrs["amzv"]["from_cache"] is True
    _same_values(warm, default)


def test_get_report_and_listings(sb, tmp_path):
    client = sb.client(cache_dir=tmp_path)
    first = amzv.read_report(SALES, *WEEK1, client=client, progress_bar_type=None)
    rid = first.attrs["amzv"]["report_ids"][0]
    got = amzv.get_report(rid, client=client, progress_bar_type=None, dtype_backend="pyarrow")
    _same_values(got, first)
    listed = amzv.list_reports(SALES, client=client, dtype_backend="pyarrow")
    _same_values(listed, amzv.list_reports(SALES, client=client))
    schedules = amzv.list_report_schedules(client=client, dtype_backend="pyarrow")
    _same_values(schedules, amzv.list_report_schedules(client=client))


def test_catalog(sb, client):
    items = amzv.search_catalog_items("coffee", max_results=25, client=client, progress_bar_type=None,
                                      dtype_backend="pyarrow")
    _same_values(items, amzv.search_catalog_items("coffee", max_results=25, client=client, progress_bar_type=None))
    asins = items["asin"].tolist()[:5]
    got = amzv.get_catalog_items(asins, client=client, progress_bar_type=None, dtype_backend="pyarrow")
    _same_values(got, amzv.get_catalog_items(asins, client=client, progress_bar_type=None))


def test_read_synced(make_fresh_sandbox, tmp_path):
    sb = make_fresh_sandbox(speed=500, processing_seconds=0.2)
    today = resolve_today(None, tz=get_marketplace("US"))
    start, end = today - dt.timedelta(days=40), today - dt.timedelta(days=34)
    amzv.sync("GET_VENDOR_TRAFFIC_REPORT", tmp_path / "ds", start=start, end=end, today=today, marketplace="US",
              client=sb.client(marketplace="US"), progress_bar_type=None)
    default = amzv.read_synced(tmp_path / "ds")
    assert len(default)
    _same_values(amzv.read_synced(tmp_path / "ds", dtype_backend="pyarrow"), default)


DK_QUERY = ('query { analytics_vendorAnalytics_2024_09_30 { manufacturingView(startDate: "2026-09-01", '
            'endDate: "2026-09-02", aggregateBy: DAY) { startDate marketplaceId metrics { groupByKey { asin } '
            'metrics { traffic { glanceViews } costs { netPPM } } } } } }')


def test_data_kiosk_cold_and_warm(sb, tmp_path):
    client = sb.client(cache_dir=tmp_path)
    kw = dict(metrics=["orders.netOrderedGMS", "traffic", "forecasting"], aggregate_by="WEEK", client=client,
              progress_bar_type=None, poll_interval=0.02)
    default = amzv.read_vendor_analytics("2026-09-06", "2026-09-12", **kw)
    assert len(default) and not any(isinstance(t, pd.ArrowDtype) for t in default.dtypes)
    cold = amzv.read_vendor_analytics("2026-09-06", "2026-09-12", cache=False, dtype_backend="pyarrow", **kw)
    _same_values(cold, default)
    sb.reset_stats()
    warm = amzv.read_vendor_analytics("2026-09-06", "2026-09-12", dtype_backend="pyarrow", **kw)
    assert _calls(sb) == {} and warm.attrs["amzv"]["from_cache"] is True
    _same_values(warm, default)
    raw = amzv.query_data_kiosk(DK_QUERY, client=client, progress_bar_type=None, poll_interval=0.02)
    _same_values(amzv.query_data_kiosk(DK_QUERY, client=client, progress_bar_type=None, dtype_backend="pyarrow"),
                 raw)


@pytest.mark.parametrize("call", [
    lambda c, b: amzv.read_report(SALES, *WEEK1, client=c, dtype_backend=b),
    lambda c, b: amzv.read_vendor_analytics("2026-09-01", client=c, dtype_backend=b),
    lambda c, b: amzv.query_data_kiosk(DK_QUERY, client=c, dtype_backend=b),
    lambda c, b: amzv.get_report("123", client=c, dtype_backend=b),
    lambda c, b: amzv.list_reports(client=c, dtype_backend=b),
    lambda c, b: amzv.list_report_schedules(client=c, dtype_backend=b),
    lambda c, b: amzv.get_catalog_items(["B000000001"], client=c, dtype_backend=b),
    lambda c, b: amzv.search_catalog_items("coffee", client=c, dtype_backend=b),
    lambda c, b: c.read_report(SALES, *WEEK1, dtype_backend=b),
], ids=["read_report", "read_vendor_analytics", "query_data_kiosk", "get_report", "list_reports",
        "list_report_schedules", "get_catalog_items", "search_catalog_items", "Client.read_report"])
@pytest.mark.parametrize("bad", ["pyarow", "numpy", "arrow", 1, ""])
def test_bad_value_refused_before_any_request(sb, client, call, bad):
    with pytest.raises(ConfigurationError) as err:
        call(client, bad)
    text = str(err.value)
    assert "dtype_backend" in text and "'numpy_nullable'" in text and "'pyarrow'" in text and repr(bad) in text
    assert err.value.parameter == "dtype_backend"
    if bad == "pyarow":
        assert "did you mean 'pyarrow'" in text
    assert _calls(sb) == {}


def test_read_synced_bad_value(tmp_path):
    (tmp_path / "ds").mkdir()
    with pytest.raises(ConfigurationError, match="dtype_backend"):
        amzv.read_synced(tmp_path / "ds", dtype_backend="Pyarrow")
