"""The sandbox's Data Kiosk API over plain HTTP: lifecycle, documents, paging, validation, limits, faults."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator

import pytest
import requests

from amzv_pandas import sandbox

from .conftest import US, Api

DK = "/dataKiosk/2023-11-15"
CA = "A2EUQ1WTGCTBG2"
DOMAIN = "analytics_vendorAnalytics_2024_09_30"
ROOMY = {name: (1000.0, 1000) for name in ("createQuery", "getQuery", "getQueries", "cancelQuery", "getDocument")}


def _today() -> date:
    return datetime.now(timezone.utc).date()


def _query(start: date | str, end: date | str, *, view: str = "manufacturingView", aggregate_by: str = "DAY",
           body: str | None = None, extra_args: str = "") -> str:
    body = body or ("startDate endDate marketplaceId totals { shippedOrders { shippedUnitsWithRevenue { units "
                    "value { amount currencyCode } } } traffic { glanceViews } } metrics { groupByKey { asin } "
                    "metrics { shippedOrders { shippedUnitsWithRevenue { units value { amount currencyCode } } } "
                    "traffic { glanceViews } } }")
    return (f'query {{ {DOMAIN} {{ {view}(aggregateBy: {aggregate_by}, startDate: "{start}", endDate: "{end}"'
            f'{extra_args}) {{ {body} }} }} }}')


@pytest.fixture(scope="module")
def dk_sb(make_sandbox: Any) -> sandbox.Sandbox:
    """Fast queries (6 ms), roomy limits, pages of 4 lines, US + CA."""
    return make_sandbox(speed=1000, rate_limits=ROOMY, datakiosk_page_size=4, datakiosk_max_queries=50)


@pytest.fixture
def dk(dk_sb: sandbox.Sandbox) -> Iterator[Api]:
    caller = Api(dk_sb)
    yield caller
    caller.close()
    dk_sb.clear_faults()


def _create(api: Api, query: str, **extra: Any) -> str:
    resp = api.post(f"{DK}/queries", json={"query": query, **extra})
    assert resp.status_code == 202, resp.text
    return resp.json()["queryId"]


def _wait(api: Api, query_id: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        query = api.get(f"{DK}/queries/{query_id}").json()
        if query["processingStatus"] in ("DONE", "FATAL", "CANCELLED"):
            return query
        assert time.monotonic() < deadline, query
        time.sleep(0.01)


def _download(api: Api, doc_id: str) -> requests.Response:
    resp = api.get(f"{DK}/documents/{doc_id}")
    assert resp.status_code == 200, resp.text
    assert set(resp.json()) == {"documentId", "documentUrl"} and resp.json()["documentId"] == doc_id
    return requests.get(resp.json()["documentUrl"], timeout=10)  # no SP-API headers, like S3


def _lines(api: Api, doc_id: str) -> list[dict]:
    return [json.loads(line) for line in _download(api, doc_id).text.splitlines()]


def _run(api: Api, query: str, **extra: Any) -> dict:
    return _wait(api, _create(api, query, **extra))


def _all_lines(api: Api, query: str) -> list[dict]:
    """Every line of a query's result, page after page."""
    lines: list[dict] = []
    token = None
    while True:
        done = _run(api, query, **({"paginationToken": token} if token else {}))
        lines += _lines(api, done["dataDocumentId"])
        token = done.get("pagination", {}).get("nextToken")
        if token is None:
            return lines


def _error(resp: requests.Response) -> dict:
    body = resp.json()
    assert set(body) == {"errors"} and len(body["errors"]) == 1, body
    return body["errors"][0]


# -- lifecycle and documents ---------------------------------------------------------------------


def test_query_moves_in_queue_in_progress_done(make_fresh_sandbox):
    sb = make_fresh_sandbox(speed=1.0, processing_seconds=60, rate_limits=ROOMY)
    api = Api(sb)
    end = _today() - timedelta(days=10)
    query_id = _create(api, _query(end, end))
    first = api.get(f"{DK}/queries/{query_id}")
    assert first.status_code == 200 and first.headers["x-amzn-RateLimit-Limit"]
    assert first.json()["processingStatus"] == "IN_QUEUE" and "processingStartTime" not in first.json()
    sb.advance_clock(20)
    assert api.get(f"{DK}/queries/{query_id}").json()["processingStatus"] == "IN_PROGRESS"
    sb.advance_clock(45)
    api.token = api.new_token()
    done = _wait(api, query_id)
    assert done["processingStatus"] == "DONE" and done["query"] == _query(end, end)
    assert {"queryId", "createdTime", "processingStartTime", "processingEndTime", "dataDocumentId"} <= set(done)
    assert "errorDocumentId" not in done and "pagination" not in done
    api.close()


def test_document_is_jsonl_of_the_selected_fields_gzip_encoded(dk):
    end = _today() - timedelta(days=10)
    start = end - timedelta(days=1)
    done = _run(dk, _query(start, end))
    raw = _download(dk, done["dataDocumentId"])
    assert raw.headers["Content-Encoding"] == "gzip"  # requests decoded it, as most HTTP clients do
    wire = requests.get(raw.url, stream=True, timeout=10)
    assert wire.raw.read(2, decode_content=False) == b"\x1f\x8b"  # gzip on the wire
    lines = [json.loads(line) for line in raw.text.splitlines()]
    # one line per period and marketplace of the account
    assert [(x["startDate"], x["marketplaceId"]) for x in lines] == [
        (str(start), US), (str(start), CA), (str(end), US), (str(end), CA)]
    first = lines[0]
    assert set(first) == {"startDate", "endDate", "marketplaceId", "totals", "metrics"}
    assert set(first["totals"]) == {"shippedOrders", "traffic"}
    assert set(first["metrics"][0]) == {"groupByKey", "metrics"} and set(first["metrics"][0]["groupByKey"]) == {"asin"}
    assert len(first["metrics"]) == len(dk.sb.data.vendor_asins)
    value = first["metrics"][0]["metrics"]["shippedOrders"]["shippedUnitsWithRevenue"]["value"]
    assert value["currencyCode"] == "USD" and isinstance(value["amount"], float)


def test_plain_documents_without_content_encoding(make_fresh_sandbox):
    sb = make_fresh_sandbox(speed=1000, rate_limits=ROOMY, datakiosk_gzip=False)
    api = Api(sb)
    end = _today() - timedelta(days=10)
    done = _run(api, _query(end, end))
    raw = _download(api, done["dataDocumentId"])
    assert "Content-Encoding" not in raw.headers
    assert json.loads(raw.content.splitlines()[0])["startDate"] == str(end)
    api.close()


def test_totals_equal_the_sum_over_groups_and_groupings_agree(dk):
    end = _today() - timedelta(days=12)
    start = end - timedelta(days=6)
    by_asin = _all_lines(dk, _query(start, end, aggregate_by="DAY"))
    body = ("startDate marketplaceId totals { traffic { glanceViews } } metrics { groupByKey { brand } metrics { "
            "traffic { glanceViews } shippedOrders { shippedUnitsWithRevenue { units } } } }")
    by_brand = _all_lines(dk, _query(start, end, body=body))
    assert len(by_asin) == len(by_brand) == 14
    for asin_line, brand_line in zip(by_asin, by_brand):
        groups = asin_line["metrics"]
        units = sum(g["metrics"]["shippedOrders"]["shippedUnitsWithRevenue"]["units"] for g in groups)
        cents = sum(round(g["metrics"]["shippedOrders"]["shippedUnitsWithRevenue"]["value"]["amount"] * 100)
                    for g in groups)
        total = asin_line["totals"]["shippedOrders"]["shippedUnitsWithRevenue"]
        assert units == total["units"] and cents == round(total["value"]["amount"] * 100)
        gv = sum(g["metrics"]["traffic"]["glanceViews"] for g in groups)
        assert gv == asin_line["totals"]["traffic"]["glanceViews"] == brand_line["totals"]["traffic"]["glanceViews"]
        assert gv == sum(g["metrics"]["traffic"]["glanceViews"] for g in brand_line["metrics"])
        assert 1 < len(brand_line["metrics"]) < len(groups)
    # a WEEK line is the sum of its DAY lines (flows)
    sunday = end - timedelta(days=(end.weekday() + 1) % 7 + 7)
    week = _all_lines(dk, _query(sunday, sunday + timedelta(days=6), aggregate_by="WEEK"))
    days = _all_lines(dk, _query(sunday, sunday + timedelta(days=6)))
    assert len(week) == 2 and len(days) == 14
    assert week[0]["totals"]["traffic"]["glanceViews"] == sum(
        d["totals"]["traffic"]["glanceViews"] for d in days if d["marketplaceId"] == US)


def test_numbers_agree_with_the_vendor_sales_report(dk):
    day = _today() - timedelta(days=15)
    lines = _lines(dk, _run(dk, _query(day, day))["dataDocumentId"])
    us = next(x for x in lines if x["marketplaceId"] == US)
    at = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    sales = dk.sb.data.daily_values("GET_VENDOR_SALES_REPORT", US, at, at, {"distributorView": "MANUFACTURING"})
    traffic = dk.sb.data.daily_values("GET_VENDOR_TRAFFIC_REPORT", US, at, at, {})
    by_asin = {g["groupByKey"]["asin"]: g["metrics"] for g in us["metrics"]}
    for i, asin in enumerate(dk.sb.data.vendor_asins):
        shipped = by_asin[asin]["shippedOrders"]["shippedUnitsWithRevenue"]
        assert shipped["units"] == sales["shippedUnits"][i, 0]
        assert round(shipped["value"]["amount"] * 100) == sales["shippedRevenue"][i, 0]
        assert by_asin[asin]["traffic"]["glanceViews"] == traffic["glanceViews"][i, 0]


def test_every_metric_group_of_both_views_with_currency(dk):
    end = _today() - timedelta(days=40)
    month_start = end.replace(day=1) - timedelta(days=1)
    month_start = month_start.replace(day=1)
    month_end = end.replace(day=1) - timedelta(days=1)
    body = ("startDate endDate totals { costs { netPPM shippedCogs { amount currencyCode } } orders { netOrderedGMS "
            "{ amount currencyCode } unfilledOrderedUnits } productAvailability { sellableOnHandInventory { units } "
            "unhealthyInventory { units } sellThroughRate } sourcing { netReceived { units } receivedFillRate } "
            "customerSatisfaction { customerReturns } forecasting { weekNumber startDate endDate demand { mean p90 } } }"
            " metrics { groupByKey { asin brand } metrics { customerSatisfaction { customerReturnTopics { "
            "browseNodeReturnTopics } } } }")
    lines = _lines(dk, _run(dk, _query(month_start, month_end, aggregate_by="MONTH", body=body,
                                       extra_args=', currencyCode: "EUR"'))["dataDocumentId"])
    totals = lines[0]["totals"]
    assert lines[0]["startDate"] == str(month_start) and lines[0]["endDate"] == str(month_end)
    assert totals["costs"]["shippedCogs"]["currencyCode"] == "EUR" and 0 < totals["costs"]["netPPM"] < 1
    assert isinstance(totals["productAvailability"]["unhealthyInventory"]["units"], int)
    assert [w["weekNumber"] for w in totals["forecasting"]] == [1, 2, 3, 4]
    assert totals["forecasting"][0]["demand"]["p90"] >= totals["forecasting"][0]["demand"]["mean"]
    topics = lines[0]["metrics"][0]["metrics"]["customerSatisfaction"]["customerReturnTopics"]
    assert isinstance(topics["browseNodeReturnTopics"], str)
    sourcing = _lines(dk, _run(dk, _query(month_start, month_end, view="sourcingView", aggregate_by="MONTH",
                                          body="startDate totals { sourcing { confirmedUnits } }"))["dataDocumentId"])
    assert sourcing[0]["totals"]["sourcing"]["confirmedUnits"] >= 0


def test_week_and_month_ranges_are_clipped_to_whole_periods(dk):
    ref = _today() - timedelta(days=60)
    wednesday = ref - timedelta(days=(ref.weekday() - 2) % 7)
    body = "startDate endDate marketplaceId"
    weeks = _lines(dk, _run(dk, _query(wednesday, wednesday + timedelta(days=21), aggregate_by="WEEK",
                                       body=body))["dataDocumentId"])
    us = [(x["startDate"], x["endDate"]) for x in weeks if x["marketplaceId"] == US]
    sunday = wednesday + timedelta(days=4)
    assert us == [(str(sunday + timedelta(days=7 * k)), str(sunday + timedelta(days=7 * k + 6))) for k in range(2)]
    month_end = ref.replace(day=1) - timedelta(days=1)  # the one whole month inside the range
    month_start = month_end.replace(day=1)
    start = (month_start - timedelta(days=1)).replace(day=15)
    months = _lines(dk, _run(dk, _query(start, ref.replace(day=20), aggregate_by="MONTH",
                                        body=body))["dataDocumentId"])
    assert {(x["startDate"], x["endDate"]) for x in months} == {(str(month_start), str(month_end))}


# -- pagination ------------------------------------------------------------------------------------


def test_pages_via_next_token_and_a_new_create_query(dk):
    end = _today() - timedelta(days=10)
    start = end - timedelta(days=4)  # 5 days x 2 marketplaces = 10 lines, pages of 4
    query = _query(start, end, body="startDate marketplaceId totals { traffic { glanceViews } }")
    pages, token = [], None
    for _ in range(5):
        done = _run(dk, query, **({"paginationToken": token} if token else {}))
        pages.append(_lines(dk, done["dataDocumentId"]))
        token = done.get("pagination", {}).get("nextToken")
        if token is None:
            break
    assert [len(p) for p in pages] == [4, 4, 2]
    seen = [(x["startDate"], x["marketplaceId"]) for p in pages for x in p]
    assert len(set(seen)) == 10
    # the token belongs to that query
    other = _query(start, end, body="startDate marketplaceId")
    first = _run(dk, query)
    bad = dk.post(f"{DK}/queries", json={"query": other, "paginationToken": first["pagination"]["nextToken"]})
    assert bad.status_code == 400 and _error(bad)["code"] == "InvalidInput" and "paginationToken" in _error(bad)["message"]
    forged = dk.post(f"{DK}/queries", json={"query": query, "paginationToken": "abc"})
    assert forged.status_code == 400


def test_get_queries_filters_and_pages(dk):
    end = _today() - timedelta(days=10)
    ids = [_create(dk, _query(end, end, body="startDate")) for _ in range(3)]
    for qid in ids:
        _wait(dk, qid)
    resp = dk.get(f"{DK}/queries", params={"processingStatuses": "DONE", "pageSize": 2})
    assert resp.status_code == 200 and resp.headers["x-amzn-RateLimit-Limit"]
    body = resp.json()
    assert len(body["queries"]) == 2 and body["queries"][0]["queryId"] == ids[-1]  # newest first
    nxt = dk.get(f"{DK}/queries", params={"paginationToken": body["pagination"]["nextToken"], "pageSize": 1}).json()
    assert nxt["queries"][0]["queryId"] == ids[0]
    assert dk.get(f"{DK}/queries", params={"processingStatuses": "IN_QUEUE"}).json()["queries"] == []
    bad = dk.get(f"{DK}/queries", params={"processingStatuses": "BAD"})
    assert bad.status_code == 400 and "'processingStatuses'" in _error(bad)["message"]
    assert dk.get(f"{DK}/queries", params={"pageSize": 101}).status_code == 400


# -- validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize("query, expected", [
    (_query("2026-01-01", "2026-01-02", body="startDate foo"),
     "Validation error (FieldUndefined@[analytics_vendorAnalytics_2024_09_30/manufacturingView/foo]) : "
     "Field 'foo' in type 'ManufacturingView' is undefined"),
    (f'{{ {DOMAIN} {{ manufacturingView(aggregateBy: DAY, startDate: "2026-01-01") {{ startDate }} }} }}',
     "Validation error (MissingFieldArgument@[analytics_vendorAnalytics_2024_09_30/manufacturingView]) : "
     "Missing field argument 'endDate'"),
    (_query("2026-01-01", "2026-01-02", aggregate_by="DAYS", body="startDate"),
     "Validation error (WrongType@[analytics_vendorAnalytics_2024_09_30/manufacturingView]) : argument value "
     "'EnumValue{name='DAYS'}' is not a valid 'DateGranularity'"),
    ("{ analytics_vendorAnalytics_2024_09_30 { ", "Invalid Syntax : "),
    (f'{{ {DOMAIN} {{ a: manufacturingView(aggregateBy: DAY, startDate: "2026-01-01", endDate: "2026-01-01") '
     f'{{ startDate }} sourcingView(aggregateBy: DAY, startDate: "2026-01-01", endDate: "2026-01-01") '
     '{ startDate } } }', "Versioned domain cannot select multiple query fields"),
    ("{ __schema { types { name } } }", "Introspection queries are not allowed."),
    (_query("2026-01-01", "2026-01-02", body="startDate metrics"), "SubselectionRequired"),
    (_query("2026-13-01", "2026-01-02", body="startDate"), "is not a valid 'Date'"),
])
def test_invalid_queries_are_refused_with_graphql_java_wording(dk, query, expected):
    before = len(dk.get(f"{DK}/queries", params={"pageSize": 100}).json()["queries"])
    resp = dk.post(f"{DK}/queries", json={"query": query})
    assert resp.status_code == 400, resp.text
    error = _error(resp)
    assert error["code"] == "InvalidInput" and expected in error["details"]
    assert len(dk.get(f"{DK}/queries", params={"pageSize": 100}).json()["queries"]) == before  # nothing created


def test_query_length_and_two_year_rules(dk):
    long_body = "startDate " + " ".join(f"a{i}: endDate" for i in range(800))
    resp = dk.post(f"{DK}/queries", json={"query": _query("2026-01-01", "2026-01-01", body=long_body)})
    assert resp.status_code == 400 and "8000 characters" in _error(resp)["details"]
    # whitespace does not count
    padded = _query("2026-11-01", "2026-11-01", body="startDate" + " " * 9000)
    assert dk.post(f"{DK}/queries", json={"query": padded}).status_code == 202
    today = _today()
    old = today.replace(year=today.year - 2) - timedelta(days=1)
    resp = dk.post(f"{DK}/queries", json={"query": _query(old, today - timedelta(days=5), body="startDate")})
    assert resp.status_code == 400 and "no more than two years ago" in _error(resp)["details"]
    resp = dk.post(f"{DK}/queries", json={"query": _query("2026-02-02", "2026-02-01", body="startDate")})
    assert resp.status_code == 400 and "must not be before startDate" in _error(resp)["details"]
    assert dk.post(f"{DK}/queries", json={}).status_code == 400
    assert dk.post(f"{DK}/queries", data="{", headers={"Content-Type": "application/json"}).status_code == 400


# -- outcomes ----------------------------------------------------------------------------------------


def test_no_published_data_is_done_without_documents(dk):
    today = _today()
    done = _run(dk, _query(today - timedelta(days=1), today, body="startDate"))
    assert done["processingStatus"] == "DONE"
    assert "dataDocumentId" not in done and "errorDocumentId" not in done
    # a WEEK range holding no whole week
    wednesday = today - timedelta(days=30 + (today.weekday() - 2) % 7)
    done = _run(dk, _query(wednesday, wednesday + timedelta(days=3), aggregate_by="WEEK", body="startDate"))
    assert done["processingStatus"] == "DONE" and "dataDocumentId" not in done


def test_product_availability_by_day_needs_one_day(dk):
    end = _today() - timedelta(days=10)
    body = "startDate totals { productAvailability { sellableOnHandInventory { units } } }"
    fatal = _run(dk, _query(end - timedelta(days=1), end, body=body))
    assert fatal["processingStatus"] == "FATAL" and "dataDocumentId" not in fatal
    errors = json.loads(_download(dk, fatal["errorDocumentId"]).content)
    assert isinstance(errors, list) and errors[0]["message"] == (
        "Exception while fetching data (/analytics_vendorAnalytics_2024_09_30/manufacturingView) : "
        "The same start and end dates must be requested for Daily Inventory metrics.")
    assert errors[0]["path"] == [DOMAIN, "manufacturingView"] and errors[0]["locations"]
    assert "GraphQLPublicFatalException" in errors[0]["extensions"]
    one_day = _run(dk, _query(end, end, body=body))
    assert one_day["processingStatus"] == "DONE"
    assert _lines(dk, one_day["dataDocumentId"])[0]["totals"]["productAvailability"]["sellableOnHandInventory"]


def test_unsupported_currency_is_fatal(dk):
    end = _today() - timedelta(days=10)
    done = _run(dk, _query(end, end, body="startDate", extra_args=', currencyCode: "XYZ"'))
    assert done["processingStatus"] == "FATAL"
    assert "XYZ" in json.loads(_download(dk, done["errorDocumentId"]).content)[0]["message"]


@pytest.mark.parametrize("options, status", [
    ({"message": "Data unavailable."}, "FATAL"),
    ({"message": "Data unavailable.", "error_shape": "message"}, "FATAL"),
    ({"status": "NO_DATA"}, "DONE"),
    ({"status": "CANCELLED"}, "CANCELLED"),
])
def test_query_outcome_faults(dk, options, status):
    dk.sb.inject("query_outcome", **options)
    end = _today() - timedelta(days=10)
    done = _run(dk, _query(end, end, body="startDate"))
    assert done["processingStatus"] == status
    assert "dataDocumentId" not in done
    if status == "FATAL":
        doc = json.loads(_download(dk, done["errorDocumentId"]).content)
        message = doc["errorMessage"] if options.get("error_shape") == "message" else doc[0]["message"]
        assert message.endswith("Data unavailable.")
    else:
        assert "errorDocumentId" not in done
    assert _run(dk, _query(end, end, body="startDate"))["processingStatus"] == "DONE"  # used once


def test_faults_apply_to_data_kiosk_operations(dk):
    dk.sb.inject("500", operation="getQuery")
    end = _today() - timedelta(days=10)
    qid = _create(dk, _query(end, end, body="startDate"))
    assert dk.get(f"{DK}/queries/{qid}").status_code == 500
    assert _wait(dk, qid)["processingStatus"] == "DONE"
    with pytest.raises(ValueError):
        dk.sb.inject("query_outcome", status="DONE")


# -- cancel, documents, retention --------------------------------------------------------------------


def test_cancel_query(make_fresh_sandbox):
    sb = make_fresh_sandbox(speed=1.0, processing_seconds=60, rate_limits=ROOMY)
    api = Api(sb)
    end = _today() - timedelta(days=10)
    qid = _create(api, _query(end, end, body="startDate"))
    resp = api.delete(f"{DK}/queries/{qid}")
    assert resp.status_code == 204 and resp.content == b""
    assert api.delete(f"{DK}/queries/{qid}").status_code == 204  # cancelling a cancelled query no-ops
    got = api.get(f"{DK}/queries/{qid}").json()
    assert got["processingStatus"] == "CANCELLED" and "dataDocumentId" not in got
    assert api.get(f"{DK}/queries", params={"processingStatuses": "CANCELLED"}).json()["queries"][0]["queryId"] == qid
    assert _error(api.delete(f"{DK}/queries/nope"))["code"] == "NotFound"
    sb.advance_clock(61)
    api.token = api.new_token()
    assert api.get(f"{DK}/queries/{qid}").json()["processingStatus"] == "CANCELLED"  # stays cancelled
    api.close()


def test_done_query_cannot_be_cancelled_and_documents_expire(dk):
    end = _today() - timedelta(days=10)
    done = _run(dk, _query(end, end, body="startDate"))
    resp = dk.delete(f"{DK}/queries/{done['queryId']}")
    assert resp.status_code == 400 and "non-terminal" in _error(resp)["message"]
    assert _error(dk.get(f"{DK}/documents/unknown-doc"))["code"] == "NotFound"
    url = dk.get(f"{DK}/documents/{done['dataDocumentId']}").json()["documentUrl"]
    assert "X-Amz-Signature=" in url
    dk.sb.advance_clock(301)
    assert requests.get(url, timeout=10).status_code == 403  # presigned links last 5 minutes
    dk.token = dk.new_token()


def test_queries_are_kept_for_their_retention(make_fresh_sandbox):
    sb = make_fresh_sandbox(speed=1000, rate_limits=ROOMY)
    api = Api(sb)
    end = _today() - timedelta(days=10)
    done = _run(api, _query(end, end, body="startDate"))
    sb.advance_clock(31 * 86400)
    api.token = api.new_token()
    assert api.get(f"{DK}/queries/{done['queryId']}").status_code == 404
    assert api.get(f"{DK}/documents/{done['dataDocumentId']}").status_code == 404
    assert api.get(f"{DK}/queries").json()["queries"] == []
    api.close()


# -- limits ----------------------------------------------------------------------------------------


def test_usage_plans_rate_limit_header_and_429(make_fresh_sandbox):
    sb = make_fresh_sandbox(speed=1.0)
    api = Api(sb)
    answers = [api.post(f"{DK}/queries", json={"query": "{"}) for _ in range(16)]
    assert [r.status_code for r in answers] == [400] * 15 + [429]  # burst 15
    assert answers[0].headers["x-amzn-RateLimit-Limit"] == "0.0167"
    assert _error(answers[-1])["code"] == "QuotaExceeded"
    assert api.get(f"{DK}/queries/x").headers["x-amzn-RateLimit-Limit"] == "2.0"
    assert api.get(f"{DK}/queries").headers["x-amzn-RateLimit-Limit"] == "0.0222"
    assert api.delete(f"{DK}/queries/x").headers["x-amzn-RateLimit-Limit"] == "0.0222"
    assert api.get(f"{DK}/documents/x").headers["x-amzn-RateLimit-Limit"] == "0.0167"
    assert sb.stats()["throttled"]["createQuery"] == 1
    api.close()


def test_concurrent_non_terminal_query_limit(make_fresh_sandbox):
    sb = make_fresh_sandbox(speed=1.0, processing_seconds=60, rate_limits=ROOMY, datakiosk_max_queries=2)
    api = Api(sb)
    end = _today() - timedelta(days=10)
    query = _query(end, end, body="startDate")
    first = _create(api, query)
    _create(api, query)
    refused = api.post(f"{DK}/queries", json={"query": query})
    assert refused.status_code == 429
    error = _error(refused)
    assert error["code"] == "QuotaExceeded" and "2 concurrent non-terminal queries" in error["details"]
    assert len(api.get(f"{DK}/queries").json()["queries"]) == 2  # nothing created
    assert api.delete(f"{DK}/queries/{first}").status_code == 204  # a terminal query frees a slot
    third = _create(api, query)
    sb.advance_clock(61)
    api.token = api.new_token()
    assert _wait(api, third)["processingStatus"] == "DONE"
    assert _create(api, query)  # all terminal again
    api.close()


def test_query_limit_fault(dk):
    dk.sb.inject("query_limit")
    end = _today() - timedelta(days=10)
    resp = dk.post(f"{DK}/queries", json={"query": _query(end, end, body="startDate")})
    assert resp.status_code == 429 and _error(resp)["code"] == "QuotaExceeded"
    assert _create(dk, _query(end, end, body="startDate"))


def test_static_mode_answers_the_models_data_kiosk_examples(make_fresh_sandbox):
    sb = make_fresh_sandbox(static=True)
    api = Api(sb)
    resp = api.get(f"{DK}/queries/QueryId1")
    assert resp.status_code == 200 and resp.json()["dataDocumentId"] == "DocumentId1"
    assert api.get(f"{DK}/documents/NotFoundDocumentId1").status_code == 404
    api.close()


def test_dynamic_errors_are_worded_like_the_models_examples(dk):
    assert _error(dk.get(f"{DK}/queries/NotFoundQueryId1"))["message"] == "The provided queryId was not found."
    assert _error(dk.get(f"{DK}/documents/NotFoundDocumentId1"))["message"] == "The provided documentId was not found."
    error = _error(dk.get(f"{DK}/queries", params={"processingStatuses": "INVALID_STATUS"}))
    assert error["message"].startswith("1 validation error detected: Value '[INVALID_STATUS]' at 'processingStatuses'")


def test_generate_document_matches_the_served_document(dk):
    from amzv_pandas.sandbox._data.vendor_analytics import generate_document

    day = _today() - timedelta(days=20)
    text = b"".join(generate_document(day, day, asins=len(dk.sb.data.vendor_asins), groups=["traffic"],
                                      vendor_code=dk.sb.selling_partner_id))
    generated = json.loads(text.splitlines()[0])
    body = ("startDate endDate marketplaceId totals { traffic { glanceViews lostFeaturedOffer } } metrics { "
            "groupByKey { asin } metrics { traffic { glanceViews lostFeaturedOffer } } }")
    served = next(x for x in _lines(dk, _run(dk, _query(day, day, body=body))["dataDocumentId"])
                  if x["marketplaceId"] == US)
    assert generated == served
