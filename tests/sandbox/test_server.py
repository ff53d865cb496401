"""The sandbox server over plain HTTP: LWA, Reports, documents, Catalog, rate limits, faults, stats."""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from amzv_pandas import sandbox
from amzv_pandas.sandbox._http.lwa import CLIENT_ID

from .conftest import US, Api

REPORTS = "/reports/2021-06-30"
ITEMS = "/catalog/2022-04-01/items"


def _errors(resp: requests.Response) -> dict:
    body = resp.json()
    assert set(body) == {"errors"} and len(body["errors"]) == 1, body
    return body["errors"][0]


def _create(api: Api, report_type: str = "GET_MERCHANT_LISTINGS_ALL_DATA", **extra) -> str:
    resp = api.post(f"{REPORTS}/reports", json={"reportType": report_type, "marketplaceIds": [US], **extra})
    assert resp.status_code == 202, resp.text
    return resp.json()["reportId"]


def _wait(api: Api, report_id: str, timeout: float = 10.0) -> dict:
    """Poll getReport until a terminal status (the fast sandbox needs milliseconds)."""
    deadline = time.monotonic() + timeout
    while True:
        report = api.get(f"{REPORTS}/reports/{report_id}").json()
        if report["processingStatus"] in ("DONE", "FATAL", "CANCELLED") or time.monotonic() > deadline:
            return report
        time.sleep(0.01)


def _document_url(api: Api, doc_id: str, **params) -> str:
    resp = api.get(f"{REPORTS}/documents/{doc_id}", params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()["url"]


# -- Login with Amazon --------------------------------------------------------------------------


def _grant(sb: sandbox.Sandbox, **form) -> requests.Response:
    creds = sb.credentials
    body = {"client_id": creds.client_id, "client_secret": creds.client_secret, **form}
    return requests.post(sb.token_url, data={k: v for k, v in body.items() if v is not None}, timeout=10)


def test_refresh_grant_returns_bearer_token(sb):
    resp = _grant(sb, grant_type="refresh_token", refresh_token=sb.credentials.refresh_token)
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token"] == sb.credentials.refresh_token
    assert body["access_token"].startswith("Atza|")
    assert resp.headers["x-amzn-RequestId"]


def test_client_credentials_may_come_as_basic_auth(sb):
    creds = sb.credentials
    resp = requests.post(sb.token_url, auth=(creds.client_id, creds.client_secret), timeout=10,
                         data={"grant_type": "refresh_token", "refresh_token": creds.refresh_token})
    assert resp.status_code == 200 and "access_token" in resp.json()


@pytest.mark.parametrize("field", ["client_id", "client_secret"])
def test_bad_client_credentials_are_invalid_client(sb, field):
    resp = _grant(sb, grant_type="refresh_token", refresh_token=sb.credentials.refresh_token, **{field: "wrong"})
    assert resp.status_code == 401
    assert resp.json() == {"error": "invalid_client", "error_description": "Client authentication failed"}


def test_bad_refresh_token_is_invalid_grant(sb):
    resp = _grant(sb, grant_type="refresh_token", refresh_token="Atzr|nope")
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_grant",
                           "error_description": "The request has an invalid grant parameter : refresh_token"}


def test_unknown_grant_type_and_missing_parameters(sb):
    assert _grant(sb, grant_type="password").json()["error"] == "unsupported_grant_type"
    resp = _grant(sb, grant_type="refresh_token")
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request"


def test_client_id_is_fixed_and_secrets_are_random_per_server(sb):
    other = sandbox.serve()
    try:
        assert sb.credentials.client_id == other.credentials.client_id == CLIENT_ID
        assert sb.credentials.client_secret != other.credentials.client_secret
        assert sb.credentials.refresh_token != other.credentials.refresh_token
        # each server only knows its own refresh token
        assert _grant(sb, grant_type="refresh_token", refresh_token=other.credentials.refresh_token).status_code == 400
    finally:
        other.close()


def _consent(sb: sandbox.Sandbox, **params) -> requests.Response:
    return requests.get(sb.consent_url, params=params, allow_redirects=False, timeout=10)


def test_consent_redirects_with_code_and_code_is_single_use(sb):
    resp = _consent(sb, application_id="amzn1.sp.solution.x", state="xyz", redirect_uri="https://app.example/cb?k=1",
                    version="beta")
    assert resp.status_code == 302
    location = urlsplit(resp.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "app.example", "/cb")
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["k"] == "1" and query["state"] == "xyz"
    assert query["selling_partner_id"] == sb.data.sellers[0] == sb.selling_partner_id
    code = query["spapi_oauth_code"]

    first = _grant(sb, grant_type="authorization_code", code=code, redirect_uri="https://app.example/cb?k=1")
    assert first.status_code == 200
    new_refresh = first.json()["refresh_token"]
    assert new_refresh.startswith("Atzr|") and new_refresh != sb.credentials.refresh_token
    assert _grant(sb, grant_type="refresh_token", refresh_token=new_refresh).status_code == 200

    again = _grant(sb, grant_type="authorization_code", code=code, redirect_uri="https://app.example/cb?k=1")
    assert again.status_code == 400
    assert again.json()["error_description"] == "The request has an invalid grant parameter : code"


def test_consent_code_expires_after_five_minutes(sb):
    resp = _consent(sb, application_id="app", state="s", redirect_uri="http://localhost:9/cb")
    code = parse_qs(urlsplit(resp.headers["Location"]).query)["spapi_oauth_code"][0]
    sb.advance_clock(301)
    late = _grant(sb, grant_type="authorization_code", code=code, redirect_uri="http://localhost:9/cb")
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


def test_consent_without_redirect_uri_uses_the_sandbox_callback(sb):
    resp = _consent(sb, application_id="app", state="s1")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith(f"{sb.url}/_callback?")
    landing = requests.get(resp.headers["Location"], timeout=10)
    assert landing.status_code == 200 and "spapi_oauth_code" not in landing.text


def test_consent_requires_application_id_and_state(sb):
    assert _consent(sb, application_id="app").status_code == 400
    assert _consent(sb, state="s").status_code == 400


# -- SP-API authentication ----------------------------------------------------------------------


@pytest.mark.parametrize("token, details", [
    (None, "Access token is missing in the request header."),
    ("Atza|forged", "The access token you provided is revoked, malformed or invalid."),
])
def test_missing_or_invalid_access_token_is_403(api, token, details):
    resp = api.get(f"{REPORTS}/reports/1", token=token)
    assert resp.status_code == 403
    assert _errors(resp) == {"code": "Unauthorized", "message": "Access to requested resource is denied.",
                             "details": details}
    assert resp.headers["x-amzn-RequestId"]


def test_access_token_expires_after_its_lifetime(sb, api):
    sb.advance_clock(3601)
    resp = api.get("/sellers/v1/marketplaceParticipations")
    assert resp.status_code == 403
    assert _errors(resp)["details"] == "The access token you provided has expired."
    assert api.get("/sellers/v1/marketplaceParticipations", token=api.new_token()).status_code == 200


def test_request_ids_are_unique_and_unknown_paths_are_404(api):
    one, two = api.get("/nope"), api.get("/nope")
    assert one.status_code == 404 and _errors(one)["code"] == "NotFound"
    assert one.headers["x-amzn-RequestId"] != two.headers["x-amzn-RequestId"]
    # Catalog 2020-12-01 is answered in static mode only
    assert api.get("/catalog/2020-12-01/items", params={"keywords": "x", "marketplaceIds": US}).status_code == 404


# -- Reports: lifecycle and documents ------------------------------------------------------------


def test_report_lifecycle_queue_progress_done(slow_sb, slow_api):
    report_id = _create(slow_api)
    first = slow_api.get(f"{REPORTS}/reports/{report_id}").json()
    assert first["processingStatus"] == "IN_QUEUE"
    assert "processingStartTime" not in first and "reportDocumentId" not in first
    slow_sb.advance_clock(20)  # past the queue share (a quarter) of the 60 s
    assert slow_api.get(f"{REPORTS}/reports/{report_id}").json()["processingStatus"] == "IN_PROGRESS"
    slow_sb.advance_clock(41)
    done = _wait(slow_api, report_id)
    assert done["processingStatus"] == "DONE"
    assert {"processingStartTime", "processingEndTime", "reportDocumentId", "createdTime"} <= set(done)
    assert done["reportType"] == "GET_MERCHANT_LISTINGS_ALL_DATA" and done["marketplaceIds"] == [US]


def test_done_report_document_is_gzip_with_charset(sb, api):
    report = _wait(api, _create(api))
    assert report["processingStatus"] == "DONE"
    doc = api.get(f"{REPORTS}/documents/{report['reportDocumentId']}").json()
    assert doc["reportDocumentId"] == report["reportDocumentId"]
    assert doc["compressionAlgorithm"] == "GZIP"
    # the presigned link needs no token and no SP-API headers
    resp = requests.get(doc["url"], timeout=10)
    assert resp.status_code == 200
    assert "charset=" in resp.headers["Content-Type"].lower()
    assert "Content-Encoding" not in resp.headers
    assert resp.headers["Accept-Ranges"] == "bytes"
    text = gzip.decompress(resp.content)
    assert int(resp.headers["Content-Length"]) == len(resp.content)
    assert text.count(b"\n") >= 2  # a header plus rows


def test_content_encoding_url_header_flag(api):
    report = _wait(api, _create(api))
    plain_url = _document_url(api, report["reportDocumentId"])
    url = _document_url(api, report["reportDocumentId"], enableContentEncodingUrlHeader="true")
    resp = requests.get(url, timeout=10)
    assert resp.headers["Content-Encoding"] == "gzip"
    assert resp.content == gzip.decompress(requests.get(plain_url, timeout=10).content)  # requests decoded it
    bad = api.get(f"{REPORTS}/documents/{report['reportDocumentId']}", params={"enableContentEncodingUrlHeader": "yes"})
    assert bad.status_code == 400


def test_document_range_requests(api):
    report = _wait(api, _create(api))
    url = _document_url(api, report["reportDocumentId"])
    full = requests.get(url, timeout=10).content
    part = requests.get(url, headers={"Range": "bytes=10-19"}, timeout=10)
    assert part.status_code == 206
    assert part.content == full[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(full)}"
    tail = requests.get(url, headers={"Range": "bytes=-7"}, timeout=10)
    assert tail.status_code == 206 and tail.content == full[-7:]
    rest = requests.get(url, headers={"Range": "bytes=5-"}, timeout=10)
    assert rest.content == full[5:]
    beyond = requests.get(url, headers={"Range": f"bytes={len(full)}-"}, timeout=10)
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(full)}"
    head = requests.head(url, timeout=10)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(full) and not head.content


def test_large_documents_are_served_from_disk(sb, api, monkeypatch):
    from amzv_pandas.sandbox._http import documents

    monkeypatch.setattr(documents, "MEMORY_LIMIT", 0)  # store even this small document on disk
    report = _wait(api, _create(api))
    stored = sb._server.documents.get(report["reportDocumentId"])
    assert stored.path is not None and stored.data is None
    url = _document_url(api, report["reportDocumentId"])
    full = requests.get(url, timeout=10).content
    assert len(full) == stored.size and gzip.decompress(full)
    part = requests.get(url, headers={"Range": "bytes=3-40"}, timeout=10)
    assert part.status_code == 206 and part.content == full[3:41]


def test_document_link_signature_and_expiry(sb, api):
    report = _wait(api, _create(api))
    url = _document_url(api, report["reportDocumentId"])
    sig = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    forged = url.replace(sig, "0" * len(sig))
    resp = requests.get(forged, timeout=10)
    assert resp.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in resp.text
    longer = url.replace("X-Amz-Expires=300", "X-Amz-Expires=3000")
    assert requests.get(longer, timeout=10).status_code == 403
    unsigned = url.split("&X-Amz-Signature=")[0]
    assert requests.get(unsigned, timeout=10).status_code == 403

    sb.advance_clock(301)
    expired = requests.get(url, timeout=10)
    assert expired.status_code == 403
    assert "<Message>Request has expired</Message>" in expired.text
    assert expired.headers["Content-Type"] == "application/xml"
    # a fresh link works again
    assert requests.get(_document_url(api, report["reportDocumentId"]), timeout=10).status_code == 200


def test_get_report_document_unknown_is_404(api):
    resp = api.get(f"{REPORTS}/documents/amzn1.spdoc.nope")
    assert resp.status_code == 404 and _errors(resp)["code"] == "NotFound"


def test_fatal_report_has_error_document(sb, api):
    sb.inject("report_outcome", status="FATAL", error_details="needs reportPeriod")
    report = _wait(api, _create(api))
    assert report["processingStatus"] == "FATAL"
    resp = requests.get(_document_url(api, report["reportDocumentId"]), timeout=10)
    assert json.loads(gzip.decompress(resp.content)) == {"errorDetails": "needs reportPeriod"}


def test_cancelled_outcome_has_no_document(sb, api):
    sb.inject("report_outcome", status="CANCELLED")
    report = _wait(api, _create(api))
    assert report["processingStatus"] == "CANCELLED"
    assert "reportDocumentId" not in report


def test_report_outcome_fault_can_target_a_report_type(sb, api):
    sb.inject("report_outcome", status="FATAL", error_details="boom", report_type="GET_FLAT_FILE_OPEN_LISTINGS_DATA")
    assert _wait(api, _create(api))["processingStatus"] == "DONE"
    assert _wait(api, _create(api, "GET_FLAT_FILE_OPEN_LISTINGS_DATA"))["processingStatus"] == "FATAL"


def test_cancel_report_only_while_queued(slow_sb, slow_api):
    report_id = _create(slow_api)
    resp = slow_api.delete(f"{REPORTS}/reports/{report_id}")
    assert resp.status_code == 200 and resp.content == b""
    report = slow_api.get(f"{REPORTS}/reports/{report_id}").json()
    assert report["processingStatus"] == "CANCELLED" and "processingStartTime" not in report
    assert slow_api.delete(f"{REPORTS}/reports/{report_id}").status_code == 400
    assert slow_api.delete(f"{REPORTS}/reports/999").status_code == 404


def test_get_report_unknown_is_404(api):
    resp = api.get(f"{REPORTS}/reports/424242")
    assert resp.status_code == 404
    assert _errors(resp) == {"code": "NotFound",
                             "message": "One or more of the provided ReportRequestIds could not be found."}


# -- Reports: getReports -------------------------------------------------------------------------


def test_get_reports_pages_with_next_token_alone(api):
    rtype = "GET_SANDBOX_PAGING_TEST"
    created = [_create(api, rtype) for _ in range(7)]
    seen, pages = [], 0
    resp = api.get(f"{REPORTS}/reports", params={"reportTypes": rtype, "pageSize": 3})
    while True:
        assert resp.status_code == 200, resp.text
        body = resp.json()
        pages += 1
        seen += [r["reportId"] for r in body["reports"]]
        assert len(body["reports"]) == (3 if "nextToken" in body else 1)
        if "nextToken" not in body:
            break
        resp = api.get(f"{REPORTS}/reports", params={"nextToken": body["nextToken"]})
    assert pages == 3
    assert seen == created[::-1]  # newest first, each once


def test_get_reports_filters(api):
    rtype = "GET_SANDBOX_FILTER_TEST"
    report_id = _create(api, rtype)
    _wait(api, report_id)

    def ids(**params):
        resp = api.get(f"{REPORTS}/reports", params={"reportTypes": rtype, **params})
        assert resp.status_code == 200, resp.text
        return [r["reportId"] for r in resp.json()["reports"]]

    assert ids() == [report_id]
    assert ids(processingStatuses="DONE,FATAL") == [report_id]
    assert ids(processingStatuses="IN_QUEUE") == []
    assert ids(marketplaceIds="A1PA6795UKMFR9") == []
    assert ids(marketplaceIds=f"A1PA6795UKMFR9,{US}") == [report_id]
    assert ids(createdSince="2100-01-01T00:00:00Z", createdUntil="2100-01-02T00:00:00Z") == []
    # repeated parameters work like comma-separated ones
    assert ids(processingStatuses=["DONE", "FATAL"]) == [report_id]


@pytest.mark.parametrize("params", [
    {},
    {"reportTypes": ",".join(f"T{i}" for i in range(11))},
    {"reportTypes": "X", "processingStatuses": "DONE,BAD_VALUE"},
    {"reportTypes": "X", "marketplaceIds": ",".join([US] * 11)},
    {"reportTypes": "X", "pageSize": "0"},
    {"reportTypes": "X", "pageSize": "101"},
    {"reportTypes": "X", "pageSize": "ten"},
    {"reportTypes": "X", "createdSince": "yesterday"},
    {"reportTypes": "X", "nextToken": "abc"},
    {"nextToken": "not-a-token"},
])
def test_get_reports_validation(api, params):
    resp = api.get(f"{REPORTS}/reports", params=params)
    assert resp.status_code == 400
    error = _errors(resp)
    assert error["code"] == "InvalidInput" and error["message"]


def test_next_token_with_any_other_parameter_fails(api):
    rtype = "GET_SANDBOX_TOKEN_TEST"
    for _ in range(2):
        _create(api, rtype)
    token = api.get(f"{REPORTS}/reports", params={"reportTypes": rtype, "pageSize": 1}).json()["nextToken"]
    resp = api.get(f"{REPORTS}/reports", params={"nextToken": token, "pageSize": 1})
    assert resp.status_code == 400 and "nextToken" in _errors(resp)["message"]
    # parameters the model does not define are ignored
    assert api.get(f"{REPORTS}/reports", params={"nextToken": token, "MarketplaceId": US}).status_code == 200


# -- Reports: createReport validation -------------------------------------------------------------


@pytest.mark.parametrize("body", [
    {"marketplaceIds": [US]},
    {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA"},
    {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": []},
    {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US] * 26},
    {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": ["XXXXXXXX"]},
    {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US], "reportOptions": {"a": 1}},
    {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US], "dataStartTime": "2999-01-01T00:00:00Z"},
    {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US], "dataStartTime": "2024-02-01T00:00:00Z",
     "dataEndTime": "2024-01-01T00:00:00Z"},
    {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US], "dataStartTime": "last week"},
    ["not", "an", "object"],
])
def test_create_report_validation(api, body):
    resp = api.post(f"{REPORTS}/reports", json=body)
    assert resp.status_code == 400, body
    assert _errors(resp)["code"] == "InvalidInput"


def test_create_report_accepts_up_to_25_marketplaces_and_echoes_dates(api):
    from amzv_pandas._specs.marketplaces import MARKETPLACES

    mps = [m.marketplace_id for m in MARKETPLACES][:23]
    report_id = _create(api, marketplaceIds=mps, dataStartTime="2024-03-10T20:11:24.000Z",
                        dataEndTime="2024-03-11T00:00:00Z")
    report = api.get(f"{REPORTS}/reports/{report_id}").json()
    assert report["marketplaceIds"] == mps
    assert report["dataStartTime"].startswith("2024-03-10T20:11:24")


def test_create_report_body_format_errors(api):
    raw = api.post(f"{REPORTS}/reports", data=b"{not json", headers={"Content-Type": "application/json"})
    assert raw.status_code == 400
    text = api.post(f"{REPORTS}/reports", data=b"reportType=X", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415


# -- Reports: schedules --------------------------------------------------------------------------


def test_seeded_vendor_schedules(api):
    resp = api.get(f"{REPORTS}/schedules",
                   params={"reportTypes": "GET_VENDOR_TRAFFIC_REPORT,GET_VENDOR_INVENTORY_REPORT"})
    schedules = resp.json()["reportSchedules"]
    assert {s["reportType"] for s in schedules} == {"GET_VENDOR_TRAFFIC_REPORT", "GET_VENDOR_INVENTORY_REPORT"}
    assert all({"reportScheduleId", "period", "nextReportCreationTime"} <= set(s) for s in schedules)


def test_schedule_create_get_replace_cancel(api):
    spec = {"reportType": "GET_SANDBOX_SCHEDULED", "marketplaceIds": [US], "period": "P1D",
            "reportOptions": {"reportPeriod": "DAY"}}
    created = api.post(f"{REPORTS}/schedules", json=spec)
    assert created.status_code == 201
    first = created.json()["reportScheduleId"]
    got = api.get(f"{REPORTS}/schedules/{first}").json()
    assert got["period"] == "P1D" and got["reportOptions"] == {"reportPeriod": "DAY"}

    second = api.post(f"{REPORTS}/schedules", json={**spec, "period": "P7D"}).json()["reportScheduleId"]
    assert second != first
    assert api.get(f"{REPORTS}/schedules/{first}").status_code == 404  # replaced
    listed = api.get(f"{REPORTS}/schedules", params={"reportTypes": "GET_SANDBOX_SCHEDULED"}).json()
    assert [s["reportScheduleId"] for s in listed["reportSchedules"]] == [second]

    assert api.delete(f"{REPORTS}/schedules/{second}").status_code == 200
    assert api.get(f"{REPORTS}/schedules/{second}").status_code == 404
    assert api.delete(f"{REPORTS}/schedules/{second}").status_code == 404


@pytest.mark.parametrize("body", [
    {"reportType": "X", "marketplaceIds": [US], "period": "P2W"},
    {"reportType": "X", "marketplaceIds": [US]},
    {"reportType": "X", "period": "P1D"},
])
def test_schedule_validation(api, body):
    assert api.post(f"{REPORTS}/schedules", json=body).status_code == 400


def test_get_report_schedules_requires_report_types(api):
    assert api.get(f"{REPORTS}/schedules").status_code == 400


# -- Catalog -------------------------------------------------------------------------------------


def _search(api: Api, **params) -> requests.Response:
    return api.get(ITEMS, params={"marketplaceIds": US, **params})


def _keyword_with_results(sb, minimum: int) -> tuple[str, list[str]]:
    """A keyword the data layer matches at least ``minimum`` times, and its ASINs (the oracle)."""
    for asin in sb.data.asins[:50]:
        summary = sb.data.catalog_item(asin, US, ["summaries"])["summaries"][0]
        for word in [summary.get("brand", "")] + summary.get("itemName", "").split():
            if len(word) < 3:
                continue
            asins, _ = sb.data.search_catalog(US, keywords=[word])
            if len(asins) >= minimum:
                return word, asins
    pytest.fail("the data layer has no keyword with enough results")


def test_search_by_keywords_pages_forward_and_back(sb, api):
    word, expected = _keyword_with_results(sb, 12)
    first = _search(api, keywords=word, pageSize=5)
    assert first.status_code == 200
    body = first.json()
    assert body["numberOfResults"] == len(expected)
    assert [i["asin"] for i in body["items"]] == expected[:5]
    assert set(body["refinements"]) == {"brands", "classifications"}
    assert "previousToken" not in body["pagination"]
    second = _search(api, keywords=word, pageSize=5, pageToken=body["pagination"]["nextToken"]).json()
    assert [i["asin"] for i in second["items"]] == expected[5:10]
    back = _search(api, keywords=word, pageSize=5, pageToken=second["pagination"]["previousToken"]).json()
    assert [i["asin"] for i in back["items"]] == expected[:5]
    assert "summaries" in body["items"][0]  # the default includedData


def test_search_default_page_size_and_last_page(sb, api):
    word, expected = _keyword_with_results(sb, 11)
    body = _search(api, keywords=word).json()
    assert len(body["items"]) == 10
    asins, token = [], None
    while True:
        page = _search(api, keywords=word, pageSize=20, **({"pageToken": token} if token else {})).json()
        asins += [i["asin"] for i in page["items"]]
        token = page.get("pagination", {}).get("nextToken")
        if not token:
            break
    assert asins == expected[:1000]


def test_search_pages_stop_at_1000_results(sb, api, monkeypatch):
    many = [f"B{i:09d}" for i in range(1500)]
    monkeypatch.setattr(sb.data, "search_catalog", lambda *a, **k: (many, {"brands": [], "classifications": []}))
    monkeypatch.setattr(sb.data, "catalog_item", lambda asin, *a, **k: {"asin": asin})
    token, seen, pages = None, [], 0
    while True:
        body = _search(api, keywords="anything", pageSize=20, **({"pageToken": token} if token else {})).json()
        pages += 1
        assert body["numberOfResults"] == 1500
        seen += [i["asin"] for i in body["items"]]
        token = body.get("pagination", {}).get("nextToken")
        if not token:
            break
    assert pages == 50 and seen == many[:1000]


def test_search_by_asin_identifiers(sb, api):
    wanted = sb.data.asins[:3]
    body = _search(api, identifiers=",".join(wanted), identifiersType="ASIN",
                   includedData="summaries,identifiers").json()
    assert body["numberOfResults"] == 3
    assert sorted(i["asin"] for i in body["items"]) == sorted(wanted)
    assert all({"summaries", "identifiers"} <= set(i) for i in body["items"]), body["items"][0]


def test_search_by_sku(sb, api):
    seller = sb.data.sellers[0]
    skus = sb.data.seller_skus(seller)
    sku, asin = next(iter(skus.items()))
    body = _search(api, identifiers=sku, identifiersType="SKU", sellerId=seller).json()
    assert [i["asin"] for i in body["items"]] == [asin]


def test_one_invalid_sku_fails_the_whole_request_without_naming_it(sb, api, monkeypatch):
    from amzv_pandas.sandbox import data as data_module

    def search(*args, identifiers=None, **kwargs):
        raise data_module.InvalidSKUs(["bad sku"])

    monkeypatch.setattr(sb.data, "search_catalog", search)
    resp = _search(api, identifiers="good,bad sku", identifiersType="SKU", sellerId=sb.data.sellers[0])
    assert resp.status_code == 400
    error = _errors(resp)
    assert (error["code"], error["message"]) == ("InvalidInput", "Invalid Input")
    assert "bad sku" not in resp.text


def test_sku_containing_commas_is_found_whole(sb, api):
    seller = sb.data.sellers[0]
    sku, asin = next((s, a) for s, a in sb.data.seller_skus(seller).items() if "," in s)
    body = _search(api, identifiers=sku, identifiersType="SKU", sellerId=seller).json()
    assert [i["asin"] for i in body["items"]] == [asin]


def test_invalid_sku_from_the_data_layer_is_400(sb, api):
    seller = sb.data.sellers[0]
    good = next(iter(sb.data.seller_skus(seller)))
    resp = _search(api, identifiers=f"{good},INVALID-1", identifiersType="SKU", sellerId=seller)
    assert resp.status_code == 400 and "INVALID-1" not in resp.text
    unknown = _search(api, identifiers=f"{good},NOSUCHSKU-1", identifiersType="SKU", sellerId=seller).json()
    assert unknown["numberOfResults"] == 1  # unknown-but-valid SKUs are simply absent


@pytest.mark.parametrize("params, message", [
    ({"identifiers": ",".join(f"B{i:09d}" for i in range(21)), "identifiersType": "ASIN"},
     "Too many 'identifiers' provided."),
    ({"keywords": ",".join(f"k{i}" for i in range(21))}, "Too many 'keywords' provided."),
    ({"identifiers": "B000000001", "identifiersType": "ASIN", "keywords": "tv"},
     "Invalid combination of 'identifiers' and 'keywords' provided."),
    ({}, "Missing required 'identifiers' or 'keywords'."),
    ({"identifiers": "B000000001"}, "Missing required 'identifiersType'."),
    ({"identifiers": "B000000001", "identifiersType": "ISIN"}, "Invalid 'identifiersType' provided."),
    ({"identifiers": "SKU1", "identifiersType": "SKU"}, "Missing required 'sellerId'."),
    ({"identifiers": "B000000001", "identifiersType": "ASIN", "brandNames": "Acme"},
     "Invalid combination of 'identifiers' and 'brandNames' provided."),
    ({"keywords": "tv", "marketplaceIds": f"{US},A2EUQ1WTGCTBG2"}, "Too many 'marketplaceIds' provided."),
    ({"keywords": "tv", "marketplaceIds": ""}, "Missing required 'marketplaceIds'."),
    ({"keywords": "tv", "marketplaceIds": "NOPE"}, "Invalid 'marketplaceIds' provided."),
    ({"keywords": "tv", "includedData": "summaries,prices"}, "Invalid 'includedData' provided."),
    ({"keywords": "tv", "pageSize": "21"}, "Invalid 'pageSize' provided."),
    ({"keywords": "tv", "pageToken": "forged"}, "Invalid 'pageToken' provided."),
])
def test_search_validation(api, params, message):
    resp = api.get(ITEMS, params={"marketplaceIds": US, **params})
    assert resp.status_code == 400
    error = _errors(resp)
    assert error["code"] == "InvalidInput" and error["message"] == message


def test_page_token_belongs_to_its_query(sb, api):
    word, _ = _keyword_with_results(sb, 3)
    token = _search(api, keywords=word, pageSize=1).json()["pagination"]["nextToken"]
    assert _search(api, keywords=word + "x", pageSize=1, pageToken=token).status_code == 400


def test_vendor_details_for_vendors_only(sb, api):
    assert _search(api, identifiers=sb.data.asins[0], identifiersType="ASIN",
                   includedData="vendorDetails").status_code == 200
    with sandbox.serve(account_type="seller") as seller_sb:
        seller = Api(seller_sb)
        resp = seller.get(ITEMS, params={"marketplaceIds": US, "keywords": "tv", "includedData": "vendorDetails"})
        assert resp.status_code == 400
        assert _errors(resp)["message"] == "FORBIDDEN"
        assert seller.get("/sellers/v1/account").status_code == 200
        seller.close()


def test_get_catalog_item(sb, api):
    asin = sb.data.asins[1]
    resp = api.get(f"{ITEMS}/{asin}", params={"marketplaceIds": US, "includedData": "summaries,productTypes"})
    assert resp.status_code == 200
    item = resp.json()
    assert item["asin"] == asin
    assert item == sb.data.catalog_item(asin, US, ["summaries", "productTypes"])
    both = api.get(f"{ITEMS}/{asin}", params={"marketplaceIds": f"{US},A2EUQ1WTGCTBG2"}).json()
    assert {s["marketplaceId"] for s in both["summaries"]} == {US, "A2EUQ1WTGCTBG2"}


def test_get_catalog_item_unknown_asin(api):
    resp = api.get(f"{ITEMS}/B0NOTREAL0", params={"marketplaceIds": US})
    assert resp.status_code == 404
    assert _errors(resp) == {"code": "NOT_FOUND",
                             "message": f"Requested item, B0NOTREAL0, not found in marketplace(s) {US}."}
    assert api.get(f"{ITEMS}/B0NOTREAL0").status_code == 400  # marketplaceIds is required


def test_marketplace_participations(api):
    resp = api.get("/sellers/v1/marketplaceParticipations")
    payload = resp.json()["payload"]
    us = next(p for p in payload if p["marketplace"]["id"] == US)
    assert us["marketplace"]["countryCode"] == "US" and us["marketplace"]["domainName"] == "www.amazon.com"
    assert us["participation"] == {"isParticipating": True, "hasSuspendedListings": False}
    assert api.get("/sellers/v1/account").status_code == 403  # vendor account


# -- rate limits ---------------------------------------------------------------------------------


def test_burst_then_429_with_model_rate_header(slow_sb, slow_api):
    slow_sb.advance_clock(1000)  # refill getReports' bucket (0.0222/s)
    slow_sb.reset_stats()
    answers = [slow_api.get(f"{REPORTS}/reports", params={"reportTypes": "X"}) for _ in range(11)]
    assert [r.status_code for r in answers] == [200] * 10 + [429]
    assert all(r.headers["x-amzn-RateLimit-Limit"] == "0.0222" for r in answers[:10])
    assert _errors(answers[-1]) == {"code": "QuotaExceeded",
                                    "message": "You exceeded your quota for the requested resource."}
    # the models declare none on 429, but the live service sends the rate on any response
    assert float(answers[-1].headers["x-amzn-RateLimit-Limit"]) == float(answers[0].headers["x-amzn-RateLimit-Limit"])
    assert slow_sb.stats()["throttled"] == {"getReports": 1}
    assert slow_sb.stats()["calls"]["getReports"] == 11


def test_rate_limit_override_and_speed(sb, api, slow_sb, slow_api):
    slow_sb.advance_clock(100)  # a full bucket
    answers = [slow_api.get(f"{REPORTS}/schedules/1") for _ in range(3)]
    assert [r.status_code for r in answers] == [404, 404, 429]
    assert answers[0].headers["x-amzn-RateLimit-Limit"] == "0.1"
    # the fast sandbox runs at speed 1000: searchCatalogItems' model rate of 2/s becomes 2000/s
    assert _search(api, identifiers=sb.data.asins[0], identifiersType="ASIN").headers[
        "x-amzn-RateLimit-Limit"] == "2000.0"


# -- faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, code", [("429", "QuotaExceeded"), ("500", "InternalFailure"),
                                        ("503", "ServiceUnavailable")])
def test_status_faults(sb, api, kind, code):
    sb.reset_stats()
    sb.inject(kind, operation="getReport", count=2)
    answers = [api.get(f"{REPORTS}/reports/1") for _ in range(3)]
    assert [r.status_code for r in answers] == [int(kind), int(kind), 404]
    assert _errors(answers[0])["code"] == code
    assert sb.stats()["throttled"].get("getReport", 0) == (2 if kind == "429" else 0)


def test_faults_without_operation_hit_any_sp_api_call_but_not_the_token_endpoint(sb, api):
    sb.inject("500")
    token = api.new_token()  # LWA is not an SP-API operation
    assert api.get("/sellers/v1/marketplaceParticipations", token=token).status_code == 500
    assert api.get("/sellers/v1/marketplaceParticipations", token=token).status_code == 200


def test_token_endpoint_fault(sb, api):
    sb.inject("503", operation="token")
    with pytest.raises(requests.HTTPError):
        api.new_token()
    assert api.new_token()


def test_drop_closes_without_answer(sb, api):
    sb.inject("drop", operation="getReportSchedules")
    with pytest.raises(requests.ConnectionError):
        api.get(f"{REPORTS}/schedules", params={"reportTypes": "X"})
    assert api.get(f"{REPORTS}/schedules", params={"reportTypes": "X"}).status_code == 200


def test_truncated_download(sb, api):
    report = _wait(api, _create(api))
    url = _document_url(api, report["reportDocumentId"])
    before = sb.stats()["documents_served"]
    sb.inject("truncate")
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        requests.get(url, timeout=10).content
    assert sb.stats()["documents_served"] == before
    assert gzip.decompress(requests.get(url, timeout=10).content)


def test_delay_fault_causes_client_timeout(sb, api):
    sb.inject("delay", operation="getReportSchedules", seconds=0.5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get(f"{REPORTS}/schedules", params={"reportTypes": "X"}, timeout=0.1)
    assert api.get(f"{REPORTS}/schedules", params={"reportTypes": "X"}).status_code == 200


def test_expire_tokens(sb, api):
    assert api.get("/sellers/v1/marketplaceParticipations").status_code == 200
    sb.inject("expire_tokens")
    resp = api.get("/sellers/v1/marketplaceParticipations")
    assert resp.status_code == 403 and _errors(resp)["details"] == "The access token you provided has expired."
    assert api.get("/sellers/v1/marketplaceParticipations", token=api.new_token()).status_code == 200


def test_not_found_after_create(sb, api):
    report_id = _create(api)
    sb.inject("not_found_after_create", count=2)
    codes = [api.get(f"{REPORTS}/reports/{report_id}").status_code for _ in range(3)]
    assert codes == [404, 404, 200]


def test_inject_rejects_bad_arguments(sb):
    with pytest.raises(ValueError):
        sb.inject("teapot")
    with pytest.raises(ValueError):
        sb.inject("500", operation="noSuchOperation")
    with pytest.raises(TypeError):
        sb.inject("500", seconds=3)
    with pytest.raises(ValueError):
        sb.inject("report_outcome", status="DONE")
    with pytest.raises(ValueError):
        sb.inject("429", count=0)


# -- stats, logging, secrets ---------------------------------------------------------------------


def test_stats_count_calls_downloads_and_reset(sb, api):
    report = _wait(api, _create(api))
    url = _document_url(api, report["reportDocumentId"])
    sb.reset_stats()
    assert sb.stats() == {"calls": {}, "throttled": {}, "documents_served": 0, "bytes_served": 0}
    api.new_token()
    api.get(f"{REPORTS}/reports/{report['reportId']}")
    body = requests.get(url, timeout=10).content
    stats = sb.stats()
    assert stats["calls"] == {"token": 1, "getReport": 1, "downloadDocument": 1}
    assert stats["documents_served"] == 1 and stats["bytes_served"] == len(body)


def test_logs_redact_signatures_and_nothing_reaches_stderr(sb, api, caplog, capfd):
    report = _wait(api, _create(api))
    url = _document_url(api, report["reportDocumentId"])
    signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    with caplog.at_level(logging.DEBUG, logger="amzv_pandas.sandbox"):
        requests.get(url, timeout=10)
        api.new_token()
        api.get("/sellers/v1/marketplaceParticipations")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "/_documents/" in text and "X-Amz-Signature=REDACTED" in text
    assert signature not in text and api.token not in text
    assert sb.credentials.client_secret not in text and sb.credentials.refresh_token not in text
    assert capfd.readouterr().err == ""


def test_reprs_hide_secrets(sb):
    creds = sb.credentials
    for obj in (sb, sb._server, sb._server.lwa, creds):
        text = repr(obj)
        assert creds.client_secret not in text and creds.refresh_token not in text


def test_server_binds_loopback_only(sb):
    assert sb.url.startswith("http://127.0.0.1:")
    assert sb._server._httpd.server_address[0] == "127.0.0.1"


def test_sandbox_client_uses_the_sandbox(sb):
    client = sb.client()
    try:
        body = client.request("GET", "/sellers/v1/marketplaceParticipations")
        assert any(p["marketplace"]["id"] == US for p in body["payload"])
        assert client.endpoint == sb.url
    finally:
        client.close()


def test_importing_the_library_does_not_import_the_sandbox():
    code = "import sys, amzv_pandas; sys.exit('amzv_pandas.sandbox' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_main_prints_url_and_environment_then_stops_on_ctrl_c():
    import signal

    code = "from amzv_pandas.sandbox import main; raise SystemExit(main(['--port', '0', '--speed', '5']))"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not any(line.startswith("Press Ctrl-C") for line in lines):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line.strip())
        env = dict(line.split(" ", 1)[1].split("=", 1) for line in lines if line.startswith("export "))
        assert set(env) == {"AMZV_ENDPOINT", "AMZV_TOKEN_URL", "LWA_APP_ID", "LWA_CLIENT_SECRET",
                            "SP_API_REFRESH_TOKEN"}
        assert env["AMZV_ENDPOINT"].startswith("http://127.0.0.1:")
        refresh = env["SP_API_REFRESH_TOKEN"].strip("'")
        resp = requests.post(env["AMZV_TOKEN_URL"], timeout=10, data={
            "grant_type": "refresh_token", "refresh_token": refresh,
            "client_id": env["LWA_APP_ID"], "client_secret": env["LWA_CLIENT_SECRET"]})
        assert resp.status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
