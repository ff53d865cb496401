"""The sandbox's hostile fault modes (issue 10): they misbehave as documented and stay bounded."""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib

import pytest
import requests

from amzv_pandas import sandbox

from .conftest import ROOMY_LIMITS, US, Api

REPORTS = "/reports/2021-06-30"
SALES_BODY = {"reportType": "GET_VENDOR_SALES_REPORT", "marketplaceIds": [US],
              "dataStartTime": "2025-01-05T00:00:00Z", "dataEndTime": "2025-01-11T23:59:59Z",
              "reportOptions": {"reportPeriod": "DAY", "distributorView": "SOURCING", "sellingProgram": "RETAIL"}}


def _create(api: Api, report_type: str = "GET_MERCHANT_LISTINGS_ALL_DATA", **extra) -> str:
    resp = api.post(f"{REPORTS}/reports", json={"reportType": report_type, "marketplaceIds": [US], **extra})
    assert resp.status_code == 202, resp.text
    return resp.json()["reportId"]


def _done(api: Api, report_id: str) -> dict:
    deadline = time.monotonic() + 10
    while True:
        report = api.get(f"{REPORTS}/reports/{report_id}").json()
        if report["processingStatus"] in ("DONE", "FATAL", "CANCELLED") or time.monotonic() > deadline:
            assert report["processingStatus"] == "DONE", report
            return report
        time.sleep(0.01)


def _url(api: Api, report_type: str = "GET_MERCHANT_LISTINGS_ALL_DATA", **extra) -> str:
    report = _done(api, _create(api, report_type, **extra))
    return api.get(f"{REPORTS}/documents/{report['reportDocumentId']}").json()["url"]


def _listed(api: Api, report_type: str) -> list[dict]:
    return api.get(f"{REPORTS}/reports", params={"reportTypes": report_type, "pageSize": 100}).json()["reports"]


def _request_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if "process_request" in t.name}


# -- fail_after_create ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_fail_after_create_creates_the_report_then_answers_5xx(sb, api, status):
    before = {r["reportId"] for r in _listed(api, "GET_VENDOR_SALES_REPORT")}
    sb.inject("fail_after_create", status=status)
    resp = api.post(f"{REPORTS}/reports", json=SALES_BODY)
    assert resp.status_code == status and "errors" in resp.json()
    new = [r for r in _listed(api, "GET_VENDOR_SALES_REPORT") if r["reportId"] not in before]
    assert len(new) == 1  # created, though the caller was told it failed
    assert api.post(f"{REPORTS}/reports", json=SALES_BODY).status_code == 202  # used once


def test_fail_after_create_can_drop_the_connection(sb, api):
    before = len(_listed(api, "GET_VENDOR_SALES_REPORT"))
    sb.inject("fail_after_create", drop=True)
    with pytest.raises(requests.ConnectionError):
        api.post(f"{REPORTS}/reports", json=SALES_BODY)
    assert len(_listed(api, "GET_VENDOR_SALES_REPORT")) == before + 1


def test_fail_after_create_waits_for_a_create_that_succeeds(sb, api):
    sb.inject("fail_after_create")
    bad = api.post(f"{REPORTS}/reports", json={"reportType": "x", "marketplaceIds": [US]})
    assert bad.status_code == 400  # nothing created: the fault stays for the next real creation
    assert api.post(f"{REPORTS}/reports", json=SALES_BODY).status_code == 500


# -- redirect ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [302, 307])
def test_redirect_sp_api_operation(sb, api, status):
    sb.inject("redirect", operation="getMarketplaceParticipations", status=status)
    resp = api.get("/sellers/v1/marketplaceParticipations", allow_redirects=False)
    assert resp.status_code == status
    assert resp.headers["Location"] == "http://127.0.0.2:9/elsewhere"
    assert api.get("/sellers/v1/marketplaceParticipations").status_code == 200


def test_redirect_document_download_and_token(sb, api):
    url = _url(api)
    sb.inject("redirect", operation="downloadDocument", location="http://example.invalid/doc")
    resp = requests.get(url, allow_redirects=False, timeout=10)
    assert resp.status_code == 302 and resp.headers["Location"] == "http://example.invalid/doc"
    sb.inject("redirect", operation="token", status=307, location="http://127.0.0.2:9/token")
    creds = sb.credentials
    resp = requests.post(sb.token_url, data={"grant_type": "refresh_token", "refresh_token": creds.refresh_token,
                                             "client_id": creds.client_id, "client_secret": creds.client_secret},
                         allow_redirects=False, timeout=10)
    assert resp.status_code == 307 and resp.headers["Location"] == "http://127.0.0.2:9/token"


# -- body ------------------------------------------------------------------------------------------


def test_body_null_and_deep_documents_are_gzip(sb, api):
    url = _url(api)
    sb.inject("body", operation="downloadDocument", document="null")
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200 and gzip.decompress(resp.content) == b"null"
    assert int(resp.headers["Content-Length"]) == len(resp.content)
    sb.inject("body", operation="downloadDocument", document="deep", depth=5000)
    text = gzip.decompress(requests.get(url, timeout=10).content)
    assert text == b'{"d":' * 5000 + b"null" + b"}" * 5000
    assert gzip.decompress(requests.get(url, timeout=10).content).count(b"\n") > 2  # the real one again


def test_body_replaces_an_sp_api_answer(sb, api):
    report_id = _create(api)
    sb.inject("body", operation="getReport", document="null")
    resp = api.get(f"{REPORTS}/reports/{report_id}")
    assert resp.status_code == 200 and resp.content == b"null"
    sb.inject("body", operation="getReport", document="deep")  # default depth: 100000
    resp = api.get(f"{REPORTS}/reports/{report_id}")
    assert resp.content.count(b'{"d":') == 100_000 and resp.headers["Content-Type"] == "application/json"
    sb.inject("body", operation="getReport", data=b"\xff\xfenot json", status=500, content_type="text/plain")
    resp = api.get(f"{REPORTS}/reports/{report_id}")
    assert (resp.status_code, resp.content, resp.headers["Content-Type"]) == (500, b"\xff\xfenot json", "text/plain")


def test_body_oversized_is_streamed_with_its_length(sb, api):
    sb.inject("body", operation="getReportSchedules", document="oversized", size=50 << 20)
    resp = api.get(f"{REPORTS}/schedules", params={"reportTypes": "X"}, stream=True)
    assert resp.status_code == 200 and int(resp.headers["Content-Length"]) == 50 << 20
    assert resp.headers["Content-Type"].startswith("text/html")
    received = sum(len(block) for block in resp.iter_content(1 << 20))
    assert received == 50 << 20


def test_body_oversized_default_is_a_gibibyte_and_not_held_in_memory(sb, api):
    sb.inject("body", operation="getReportSchedules", document="oversized")
    resp = api.get(f"{REPORTS}/schedules", params={"reportTypes": "X"}, stream=True)
    assert int(resp.headers["Content-Length"]) == 1 << 30
    assert next(resp.iter_content(1 << 16)).startswith(b"<html>")
    resp.close()  # the server notices the closed connection and stops


def test_bomb_expands_to_exactly_what_it_promises(sb, api):
    url = _url(api, "GET_VENDOR_TRAFFIC_REPORT", reportOptions={"reportPeriod": "DAY"},  # a JSON document
               dataStartTime="2025-01-05T00:00:00Z", dataEndTime="2025-01-05T23:59:59Z")
    sb.inject("body", operation="downloadDocument", document="bomb", expanded_bytes=8 << 20)
    raw = requests.get(url, timeout=30).content
    assert len(raw) < (8 << 20) // 500  # a high ratio: that is the point
    text = gzip.decompress(raw)  # CRC and length trailer are right
    assert abs(len(text) - (8 << 20)) < 4
    assert len(json.loads(text)["data"]) > 4_000_000
    flat_url = _url(api)
    sb.inject("body", operation="downloadDocument", document="bomb", expanded_bytes=1 << 20, fill=b"x\ty\n")
    assert gzip.decompress(requests.get(flat_url, timeout=10).content) == b"x\ty\n" * (1 << 18)


def test_default_bomb_is_four_gib_in_a_few_megabytes(sb, api):
    url = _url(api)
    sb.inject("body", operation="downloadDocument", document="bomb")
    resp = requests.get(url, stream=True, timeout=30)
    length = int(resp.headers["Content-Length"])
    assert length < 8 << 20
    inflater = zlib.decompressobj(31)
    expanded = 0
    for block in resp.iter_content(1 << 16):  # decompress a bounded prefix only
        expanded += len(inflater.decompress(block, 64 << 20))
        if expanded > 256 << 20:
            break
    resp.close()
    assert expanded > 256 << 20  # well past what a 64 KiB block could hold uncompressed


# -- drip ------------------------------------------------------------------------------------------


def test_drip_sends_slowly_and_gives_up_after_max_seconds(sb, api):
    url = _url(api)
    full = requests.get(url, timeout=10).content
    sb.inject("drip", operation="downloadDocument", bytes_per_second=4, max_seconds=1.5)
    resp = requests.get(url, stream=True, timeout=30)
    assert int(resp.headers["Content-Length"]) == len(full)
    got = b""
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        for block in resp.iter_content(1):
            got += block
    assert 0 < len(got) < len(full) and full.startswith(got)


def test_drip_delivers_an_api_answer_intact(sb, api):
    plain = api.get(f"{REPORTS}/schedules", params={"reportTypes": "GET_VENDOR_TRAFFIC_REPORT"}).json()
    sb.inject("drip", operation="getReportSchedules", bytes_per_second=100_000)
    resp = api.get(f"{REPORTS}/schedules", params={"reportTypes": "GET_VENDOR_TRAFFIC_REPORT"})
    assert resp.json()["reportSchedules"][0]["reportScheduleId"] == plain["reportSchedules"][0]["reportScheduleId"]


@pytest.mark.parametrize("fault", [dict(kind="drip"), dict(kind="body", document="bomb")])
def test_close_returns_promptly_while_a_drip_or_bomb_is_being_sent(fault):
    before = _request_threads()
    sb = sandbox.serve(speed=1000, rate_limits=ROOMY_LIMITS)
    try:
        api = Api(sb)
        url = _url(api)
        api.close()
        sb.inject(fault.pop("kind"), operation="downloadDocument", **fault)
        resp = requests.get(url, stream=True, timeout=30)
        next(resp.iter_content(1))  # the server is in the middle of the body (or blocked writing it)
    finally:
        started = time.monotonic()
        sb.close()
        closed_in = time.monotonic() - started
    resp.close()
    assert closed_in < 10, f"close() took {closed_in:.1f} s"
    leftover = [t for t in _request_threads() - before if t.is_alive()]
    assert not leftover


def test_delay_does_not_hold_close():
    sb = sandbox.serve(speed=1000)
    sb.inject("delay", operation="token", seconds=600)
    caller = threading.Thread(target=lambda: pytest.raises(requests.RequestException, Api, sb), daemon=True)
    caller.start()
    time.sleep(0.2)
    started = time.monotonic()
    sb.close()
    assert time.monotonic() - started < 10
    caller.join(10)
    assert not caller.is_alive()


# -- missing_status, echo_credentials ------------------------------------------------------------


def test_missing_status_and_other_fields(sb, api):
    report_id = _create(api)
    sb.inject("missing_status")
    answer = api.get(f"{REPORTS}/reports/{report_id}").json()
    assert "processingStatus" not in answer and answer["reportId"] == report_id
    _done(api, report_id)
    sb.inject("missing_status", field="reportDocumentId")
    answer = api.get(f"{REPORTS}/reports/{report_id}").json()
    assert answer["processingStatus"] == "DONE" and "reportDocumentId" not in answer


def test_echo_credentials_token_endpoint_repeats_the_form(sb):
    creds = sb.credentials
    sb.inject("echo_credentials", operation="token")
    resp = requests.post(sb.token_url, data={"grant_type": "refresh_token", "refresh_token": creds.refresh_token,
                                             "client_id": creds.client_id, "client_secret": creds.client_secret},
                         timeout=10)
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
    described = resp.json()["error_description"]
    # form-encoded, as posted: the secret's characters are URL-safe, the refresh token's "|" is %7C
    assert creds.client_secret in described and creds.refresh_token.replace("|", "%7C") in described


def test_echo_credentials_sp_api_repeats_the_access_token(sb, api):
    sb.inject("echo_credentials", operation="getMarketplaceParticipations")
    resp = api.get("/sellers/v1/marketplaceParticipations")
    assert resp.status_code == 403
    assert api.token in resp.json()["errors"][0]["message"]


# -- not_found_after_create(seconds=) ------------------------------------------------------------


def test_not_found_after_create_for_a_duration():
    with sandbox.serve(speed=1000, rate_limits=ROOMY_LIMITS) as sb:
        api = Api(sb)
        sb.inject("not_found_after_create", seconds=30)
        first = _create(api)
        assert [api.get(f"{REPORTS}/reports/{first}").status_code for _ in range(8)] == [404] * 8
        other = _create(api)
        assert api.get(f"{REPORTS}/reports/{other}").status_code == 200  # count=1: one report
        sb.advance_clock(31)
        assert api.get(f"{REPORTS}/reports/{first}").status_code == 200
        assert api.get(f"{REPORTS}/reports/{_create(api)}").status_code == 200  # spent
        api.close()


def test_not_found_after_create_for_a_duration_leaves_old_reports_alone():
    with sandbox.serve(speed=1000, rate_limits=ROOMY_LIMITS) as sb:
        api = Api(sb)
        old = _create(api)
        sb.advance_clock(10)
        sb.inject("not_found_after_create", seconds=5, count=2)
        assert api.get(f"{REPORTS}/reports/{old}").status_code == 200
        young = [_create(api) for _ in range(3)]
        codes = [api.get(f"{REPORTS}/reports/{rid}").status_code for rid in young]
        assert codes == [404, 404, 200]
        api.close()


# -- random faults -------------------------------------------------------------------------------


def _statuses(seed: int, n: int = 60, *, other_calls: int = 0) -> list[int]:
    with sandbox.serve(speed=1000, rate_limits=ROOMY_LIMITS, fault_rates={"500": 0.3}, fault_seed=seed) as sb:
        api = Api(sb)  # the token endpoint is not an SP-API operation: never faulted
        codes = []
        for i in range(n):
            for _ in range(other_calls if i % 7 == 0 else 0):  # e.g. more polls in one run than another
                api.get(f"{REPORTS}/schedules", params={"reportTypes": "X"})
            codes.append(api.get("/sellers/v1/marketplaceParticipations").status_code)
        api.close()
    return codes


def test_fault_rates_are_random_but_seeded():
    first, again, other = _statuses(0), _statuses(0), _statuses(1)
    assert first == again
    assert first != other
    assert set(first) == {200, 500}
    assert 5 <= first.count(500) <= 35  # about 30% of 60
    assert _statuses(0, other_calls=3) == first  # draws are per operation: other calls do not shift them


def test_fault_rates_accept_options_and_operations():
    rates = {"truncate": 1.0, "500": {"probability": 1.0, "operation": "getReportSchedules"}}
    with sandbox.serve(speed=1000, rate_limits=ROOMY_LIMITS, fault_rates=rates) as sb:
        api = Api(sb)
        assert api.get(f"{REPORTS}/schedules", params={"reportTypes": "X"}).status_code == 500
        assert api.get(f"{REPORTS}/schedules", params={"reportTypes": "X"}).status_code == 500  # no count limit
        url = _url(api)
        with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
            requests.get(url, timeout=10).content
        api.close()
    with pytest.raises(ValueError, match="probability"):
        sandbox.serve(fault_rates={"500": 1.5})
    with pytest.raises(ValueError, match="operation"):
        sandbox.serve(fault_rates={"500": {"probability": 0.1, "operation": "nope"}})


def test_inject_with_probability_and_count(sb, api):
    sb.inject("503", operation="getMarketplaceParticipations", probability=0.5, count=3)
    codes = [api.get("/sellers/v1/marketplaceParticipations").status_code for _ in range(40)]
    assert codes.count(503) == 3


# -- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "options", "error"), [
    ("fail_after_create", {"status": 502}, ValueError),
    ("fail_after_create", {"drop": "yes"}, TypeError),
    ("redirect", {"status": 200}, ValueError),
    ("redirect", {"location": ""}, ValueError),
    ("body", {}, ValueError),
    ("body", {"document": "null", "data": b"x"}, ValueError),
    ("body", {"document": "huge"}, ValueError),
    ("body", {"data": "text"}, TypeError),
    ("body", {"document": "deep", "depth": 0}, ValueError),
    ("body", {"document": "bomb", "operation": "getReport"}, ValueError),
    ("body", {"document": "null", "status": 99}, ValueError),
    ("drip", {"bytes_per_second": 0}, ValueError),
    ("drip", {"max_seconds": -1}, ValueError),
    ("missing_status", {"field": ""}, ValueError),
    ("echo_credentials", {"operation": "downloadDocument"}, ValueError),
    ("not_found_after_create", {"seconds": 0}, ValueError),
    ("500", {"probability": 0}, ValueError),
    ("500", {"count": None, "probability": True}, ValueError),
    ("expire_tokens", {"probability": 0.5}, TypeError),
    ("missing_status", {"seconds": 1}, TypeError),
])
def test_inject_validates_the_new_kinds(sb, kind, options, error):
    with pytest.raises(error):
        sb.inject(kind, **options)
