"""Data Kiosk end to end against the sandbox: polling, paging, FATAL, no data, the concurrency limit,
cache hits with zero calls, resume after a restart, and the public functions."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import logging
import re
from typing import Any

import pytest

import amzv_pandas as amzv
from amzv_pandas._datakiosk import queue
from amzv_pandas.exceptions import ConfigurationError, NoDataWarning, QueryFatalError, ReportTimeout

FAST = {"progress_bar_type": None, "poll_interval": 0.05}
START, END = "2026-09-01", "2026-09-06"


@pytest.fixture(scope="module")
def sandbox_options() -> dict[str, Any]:
    return {"speed": 1000, "processing_seconds": 1.0, "datakiosk_page_size": 2, "datakiosk_max_queries": 1}


@pytest.fixture
def client_options(tmp_path) -> dict[str, Any]:
    return {"marketplace": "US", "cache_dir": tmp_path / "cache"}


def dk_calls(client) -> int:
    return sum(n for op, n in client.calls.items() if "dataKiosk" in op or op in (
        "createQuery", "getQuery", "getDocument", "downloadDocument"))


def test_paging_polling_and_types(client):
    df = amzv.read_vendor_analytics(START, END, metrics=["orders", "traffic.glanceViews", "costs.netPPM"],
                                    client=client, **FAST)
    meta = df.attrs["amzv"]
    # 6 days x 2 marketplaces = 12 lines, 2 per page
    assert meta["pages"] == 6 and len(meta["query_ids"]) == 6 and len(set(meta["document_ids"])) == 6
    assert sorted(df["startDate"].dt.strftime("%Y-%m-%d").unique()) == [f"2026-09-0{d}" for d in range(1, 7)]
    assert df["orders_orderedUnitsWithRevenue_units"].dtype == "Int64"
    assert df["orders_netOrderedGMS_amount"].dtype == "Float64" and (df["orders_netOrderedGMS_currency"] == "USD").all()
    assert df["costs_netPPM"].dtype == "Float64" and df["asin"].dtype == "str"
    assert df.groupby(["startDate", "marketplaceId", "asin"]).size().max() == 1


def test_totals_equal_the_sum_over_asins(client):
    kw = dict(aggregate_by="WEEK", metrics="shippedOrders.shippedUnitsWithRevenue", client=client, **FAST)
    tot = amzv.read_vendor_analytics("2026-08-30", "2026-09-19", totals=True, **kw)
    rows = amzv.read_vendor_analytics("2026-08-30", "2026-09-19", **kw)
    col = "shippedOrders_shippedUnitsWithRevenue_units"
    summed = rows.groupby(["startDate", "marketplaceId"])[col].sum().sort_index()
    assert tot.set_index(["startDate", "marketplaceId"])[col].sort_index().tolist() == summed.tolist()
    assert len(tot) == 3 * 2  # three whole weeks x two marketplaces


def test_repeat_is_a_cache_hit_with_zero_calls(client):
    first = amzv.read_vendor_analytics(START, START, metrics="traffic", client=client, **FAST)
    before = dk_calls(client)
    again = amzv.read_vendor_analytics(START, START, metrics="traffic", client=client, **FAST)
    assert dk_calls(client) == before and again.attrs["amzv"]["from_cache"] is True
    assert again.equals(first)


def test_fatal_carries_amazons_message(sb, client):
    q = ('query { analytics_vendorAnalytics_2024_09_30 { manufacturingView(startDate: "2026-09-01", '
         'endDate: "2026-09-03", aggregateBy: DAY) { startDate metrics { groupByKey { asin } '
         'metrics { productAvailability { sellableInTransitInventory } } } } } }')
    with pytest.raises(QueryFatalError, match="The same start and end dates must be requested") as info:
        amzv.query_data_kiosk(q, client=client, **FAST)
    assert info.value.query_id
    sb.inject("query_outcome", status="FATAL", message="Access denied to the view", error_shape="message")
    with pytest.raises(QueryFatalError, match="Access denied to the view"):
        amzv.read_vendor_analytics(START, START, metrics="traffic", client=client, cache=False, **FAST)


@pytest.mark.parametrize("status, words", [("NO_DATA", "no data"), ("CANCELLED", "CANCELLED")])
def test_no_data_and_cancelled_are_empty_frames(sb, client, status, words):
    sb.inject("query_outcome", status=status)
    with pytest.warns(NoDataWarning, match=words):
        df = amzv.read_vendor_analytics(START, START, metrics="traffic", client=client, cache=False, **FAST)
    assert df.empty and list(df.columns) == ["startDate", "endDate", "marketplaceId", "asin",
                                             "traffic_glanceViews", "traffic_lostFeaturedOffer"]


def test_unpublished_days_are_done_without_a_document(client):
    day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    with pytest.warns(NoDataWarning, match="no data"):
        df = amzv.read_vendor_analytics(day, day, metrics="traffic", client=client, **FAST)
    assert df.empty


def test_concurrent_calls_all_complete_despite_the_service_limit(sb, client, monkeypatch):
    # The library would allow 3 at once; the service takes 1: its 429s are waited out and retried.
    monkeypatch.setattr(queue, "MAX_NON_TERMINAL", 3)
    days = [f"2026-08-{d:02d}" for d in range(1, 6)]
    with cf.ThreadPoolExecutor(5) as pool:
        frames = list(pool.map(lambda d: amzv.read_vendor_analytics(d, d, metrics="traffic", client=client,
                                                                     timeout=60, **FAST), days))
    assert all(len(f) > 0 for f in frames)
    stats = sb.stats()
    assert stats["calls"].get("createQuery", 0) > len(days), stats  # some were refused (429) and retried


def test_forced_limit_refusal_is_retried(sb, client):
    sb.inject("query_limit")
    df = amzv.read_vendor_analytics("2026-08-10", "2026-08-10", metrics="traffic", client=client, **FAST)
    assert len(df) > 0


def test_a_restarted_kernel_resumes_polling(make_fresh_sandbox, tmp_path):
    sb = make_fresh_sandbox(speed=1, processing_seconds=3.0)
    cache = tmp_path / "resume"
    with sb.client(marketplace="US", cache_dir=cache) as c1:
        with pytest.raises(ReportTimeout) as info:
            amzv.read_vendor_analytics(START, START, metrics="traffic", client=c1, timeout=0.3, **FAST)
        qid = info.value.report_ids[0]
    with sb.client(marketplace="US", cache_dir=cache) as c2:  # a new process would see the same files
        df = amzv.read_vendor_analytics(START, START, metrics="traffic", client=c2, timeout=60, **FAST)
        assert not any("POST" in op and "queries" in op or op == "createQuery" for op in c2.calls)
    assert df.attrs["amzv"]["query_ids"] == [qid]


def test_a_new_process_resumes_the_query_a_killed_one_created(make_fresh_sandbox, tmp_path):
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    sb = make_fresh_sandbox(speed=1, processing_seconds=3.0)
    cache = tmp_path / "resume"
    child_code = (
        "import json, os, amzv_pandas as amzv\n"
        "cfg = json.loads(os.environ['DK_CFG'])\n"
        "c = amzv.Client(credentials=cfg['credentials'], endpoint=cfg['url'], token_url=cfg['token_url'],\n"
        "                marketplace='US', cache_dir=cfg['cache'])\n"
        "amzv.read_vendor_analytics('2026-09-01', metrics='traffic', client=c, progress_bar_type=None,\n"
        "                           poll_interval=0.05)\n")
    creds = sb.credentials
    cfg = {"credentials": {"client_id": creds.client_id, "client_secret": creds.client_secret,
                           "refresh_token": creds.refresh_token}, "url": sb.url, "token_url": sb.token_url,
           "cache": str(cache)}
    child = subprocess.Popen([sys.executable, "-c", child_code], env={**os.environ, "DK_CFG": json.dumps(cfg)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not sb.stats()["calls"].get("getQuery"):  # created, its in-flight record written, polling
        assert child.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert sb.stats()["calls"]["createQuery"] == 1
    with sb.client(marketplace="US", cache_dir=cache) as c:
        df = amzv.read_vendor_analytics("2026-09-01", metrics="traffic", client=c, timeout=60, **FAST)
    assert len(df) > 0 and sb.stats()["calls"]["createQuery"] == 1  # polled again, not created again


def test_weekly_forecasts_come_back_long(client):
    df = amzv.read_vendor_analytics("2026-09-06", "2026-09-12", aggregate_by="WEEK", metrics=["forecasting"],
                                    client=client, **FAST)
    weeks = df.groupby(["startDate", "marketplaceId", "asin"])["forecasting_weekNumber"]
    assert weeks.size().min() > 1 and weeks.nunique().eq(weeks.size()).all()  # one row per forecast week
    assert df["forecasting_weekNumber"].dtype == "Int64"
    assert not any(isinstance(v, (list, dict)) for col in df.columns for v in df[col].head(20))


def test_query_data_kiosk_and_bad_input(client):
    q = ('query { analytics_vendorAnalytics_2024_09_30 { sourcingView(startDate: "2026-09-01", '
         'endDate: "2026-09-01", aggregateBy: DAY, currencyCode: "EUR") { startDate marketplaceId '
         'totals { costs { shippedCogs { amount currencyCode } } } } } }')
    df = amzv.query_data_kiosk(q, client=client, **FAST)
    assert (df["costs_shippedCogs_currency"] == "EUR").all() and df["costs_shippedCogs_amount"].dtype == "Float64"
    before = dk_calls(client)
    for bad in (dict(metrics="ordrs"), dict(start="2020-01-01"), dict(aggregate_by="HOUR")):
        args = {"start": START, **bad}
        with pytest.raises(ConfigurationError):
            amzv.read_vendor_analytics(args.pop("start"), client=client, **args, **FAST)
    with pytest.raises(ConfigurationError, match="line 1, column"):
        amzv.query_data_kiosk("query { analytics_vendorAnalytics_2024_09_30 { manufacturingView { x } } }",
                              client=client)
    assert dk_calls(client) == before


def test_client_methods_and_catalogue(client):
    assert "traffic.glanceViews" in set(amzv.vendor_analytics_metrics("manufacturing")["path"])
    df = client.read_vendor_analytics(START, START, metrics="traffic", marketplace="CA", **FAST)
    assert set(df["marketplaceId"]) == {"A2EUQ1WTGCTBG2"}


def test_secrets_stay_out_of_logs_and_attrs(client, caplog):
    caplog.set_level(logging.DEBUG)
    df = amzv.read_vendor_analytics("2026-08-20", "2026-08-20", metrics="traffic", client=client, cache=False,
                                    **FAST)
    secrets = [client.credentials.client_secret, client.credentials.refresh_token, client.tokens._token]
    text = caplog.text + repr(df.attrs)
    assert not any(s and s in text for s in secrets)
    assert not re.search(r"X-Amz-Signature=(?!REDACTED)", text)


def test_plain_documents_too(make_fresh_sandbox, tmp_path):
    sb = make_fresh_sandbox(speed=1000, processing_seconds=1.0, datakiosk_gzip=False)
    with sb.client(marketplace="US", cache_dir=tmp_path / "plain") as c:
        df = amzv.read_vendor_analytics(START, START, metrics="traffic", client=c, **FAST)
    assert len(df) > 0 and df["traffic_glanceViews"].dtype == "Int64"
