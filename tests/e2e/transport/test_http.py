"""The transport against the built-in sandbox: tokens, pacing, retries, errors, secrets."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest
import requests

import amzv_pandas as amzv
from amzv_pandas.exceptions import AuthError, BadRequest, Forbidden, NotFound, ServerError, TransportError

SEARCH = "/catalog/2022-04-01/items"


@pytest.fixture(scope="module")
def sandbox_options():
    return {"speed": 20, "processing_seconds": 0.5}


@pytest.fixture
def client_options():
    return {"marketplace": "US", "backoff_factor": 0.05}


def _asins(sb, n=2):
    return sb.data.asins[:n]


def _search(client, sb):
    return client.request("GET", SEARCH, params={"marketplaceIds": ["ATVPDKIKX0DER"],
                                                 "identifiers": _asins(sb), "identifiersType": "ASIN"})


def test_token_is_fetched_once_and_reused(client, sb):
    for _ in range(3):
        assert len(_search(client, sb)["items"]) == 2
    stats = sb.stats()
    assert stats["calls"]["token"] == 1
    assert stats["calls"]["searchCatalogItems"] == 3
    assert client.calls["token"] == 1 and client.tokens.refreshes == 1


def test_token_refreshed_before_expiry(client, sb):
    now = [0.0]
    client.tokens._clock = lambda: now[0]
    _search(client, sb)
    now[0] = 3600 - 61  # still valid with the 60 s margin
    _search(client, sb)
    assert sb.stats()["calls"]["token"] == 1
    now[0] = 3600 - 59  # inside the margin: refreshed before Amazon would refuse it
    _search(client, sb)
    assert sb.stats()["calls"]["token"] == 2


def test_expired_token_403_refreshes_once_and_retries(client, sb):
    _search(client, sb)
    sb.inject("expire_tokens")
    assert len(_search(client, sb)["items"]) == 2
    stats = sb.stats()
    assert stats["calls"]["token"] == 2
    # ok, 403, retried ok (a 429 from the module's shared sandbox bucket may come on top)
    assert stats["calls"]["searchCatalogItems"] - stats["throttled"].get("searchCatalogItems", 0) == 3


def test_persistent_expiry_is_not_retried_forever(client, sb, monkeypatch):
    _search(client, sb)
    sb.inject("expire_tokens")
    # every token the sandbox mints from now on is already expired
    monkeypatch.setattr(client.tokens, "_refresh", lambda: (setattr(client.tokens, "_token", "stale"),
                                                             setattr(client.tokens, "_expires_at", 1e12)))
    with pytest.raises(Forbidden) as info:
        _search(client, sb)
    assert info.value.code == "Unauthorized" and info.value.status_code == 403
    assert info.value.request_id


def test_bad_client_secret(sb):
    creds = amzv.Credentials(sb.credentials.client_id, "wrong-secret-123", sb.credentials.refresh_token)
    with amzv.Client(credentials=creds, endpoint=sb.url, token_url=sb.token_url, marketplace="US") as c:
        with pytest.raises(AuthError) as info:
            c.request("GET", SEARCH, params={"marketplaceIds": "ATVPDKIKX0DER", "keywords": "x"})
    err = info.value
    assert err.error == "invalid_client" and err.part == "client_id/client_secret" and err.status_code == 401
    assert "wrong-secret-123" not in str(err) and sb.credentials.refresh_token not in str(err)


def test_bad_refresh_token(sb):
    creds = amzv.Credentials(sb.credentials.client_id, sb.credentials.client_secret, "Atzr|not-the-token")
    with amzv.Client(credentials=creds, endpoint=sb.url, token_url=sb.token_url, marketplace="US") as c:
        with pytest.raises(AuthError) as info:
            c.request("GET", SEARCH, params={"marketplaceIds": "ATVPDKIKX0DER", "keywords": "x"})
    assert info.value.error == "invalid_grant" and info.value.part == "refresh_token"
    assert "not-the-token" not in str(info.value) and "SP_API_REFRESH_TOKEN" in str(info.value)


def test_burst_of_40_paced_with_at_most_one_429(sb):
    sb.reset_stats()
    with sb.client(marketplace="US") as c:
        started = time.monotonic()
        for _ in range(40):
            _search(c, sb)
        elapsed = time.monotonic() - started
        rate = c.limiter.bucket("searchCatalogItems").rate
    stats = sb.stats()
    assert rate == pytest.approx(2.0 * 20)  # learned from x-amzn-RateLimit-Limit (speed 20)
    assert stats["throttled"].get("searchCatalogItems", 0) <= 1
    # never faster than the advertised rate: burst 2, then one call per 1/rate seconds
    assert elapsed >= (40 - 2) / rate


def test_503_and_500_are_retried(client, sb):
    sb.inject("503", operation="searchCatalogItems", count=2)
    assert len(_search(client, sb)["items"]) == 2
    assert sb.stats()["calls"]["searchCatalogItems"] == 3
    sb.inject("500", operation="searchCatalogItems", count=10)
    with pytest.raises(ServerError) as info:
        _search(client, sb)
    assert info.value.status_code == 500 and info.value.code == "InternalFailure"


def test_dropped_connection_is_retried(client, sb):
    sb.inject("drop", operation="searchCatalogItems")
    assert len(_search(client, sb)["items"]) == 2


def test_token_call_is_retried(sb):
    sb.reset_stats()
    sb.inject("503", operation="token")
    with sb.client(marketplace="US", backoff_factor=0.05) as c:
        assert len(_search(c, sb)["items"]) == 2
    assert sb.stats()["calls"]["token"] == 2


def test_timeout(sb):
    sb.inject("delay", operation="searchCatalogItems", seconds=1.5)
    with sb.client(marketplace="US", timeout=0.3, max_retries=0) as c:
        c.tokens.get_token()
        with pytest.raises(TransportError, match="timed out") as info:
            _search(c, sb)
    assert isinstance(info.value, ConnectionError)


def test_error_body_becomes_exception(client, sb):
    with pytest.raises(NotFound) as info:
        client.request("GET", "/catalog/2022-04-01/items/B000000000", params={"marketplaceIds": "ATVPDKIKX0DER"})
    err = info.value
    assert err.code == "NOT_FOUND" and "not found" in err.message and err.request_id
    assert err.operation == "getCatalogItem" and err.request_id in str(err)
    with pytest.raises(BadRequest) as info:
        client.request("GET", SEARCH, params={"marketplaceIds": "ATVPDKIKX0DER"})
    assert info.value.code == "InvalidInput"


def test_escape_hatch_any_operation(client):
    body = client.request("GET", "/sellers/v1/marketplaceParticipations")
    assert any(p["marketplace"]["id"] == "ATVPDKIKX0DER" for p in body["payload"])
    assert client.calls["getMarketplaceParticipations"] == 1


def test_user_agent_and_no_auth_on_documents(sb, client):
    seen = {}

    def hook(response, *args, **kwargs):
        seen[response.request.url.split("?")[0]] = dict(response.request.headers)

    client.session.hooks["response"].append(hook)
    _search(client, sb)
    headers = next(h for u, h in seen.items() if u.endswith(SEARCH))
    assert headers["User-Agent"].startswith("amzv_pandas/")
    assert "x-amz-access-token" in headers


def test_authorize_end_to_end(sb):
    from amzv_pandas._transport import profiles as config

    def browser(consent):
        assert consent.startswith(sb.consent_url.split("/apps/")[0])
        assert "application_id=amzn1.sp.solution.test" in consent
        answer = requests.get(consent + "&redirect_uri=https://example.com/cb", allow_redirects=False, timeout=5)
        assert answer.status_code == 302
        return answer.headers["Location"]

    creds = amzv.authorize("amzn1.sp.solution.test", sb.credentials.client_id, sb.credentials.client_secret,
                           marketplace="US", redirect_uri="https://example.com/cb", profile="sandbox-test",
                           redirect_response=browser, consent_base_url=sb.consent_url.split("/apps/")[0],
                           token_url=sb.token_url)
    assert creds.refresh_token
    saved = config.load_profile("sandbox-test")
    assert saved["marketplace"] == "US" and saved["selling_partner_id"]
    with amzv.Client(profile="sandbox-test", endpoint=sb.url) as c:
        assert c.token_url == sb.token_url
        assert c.marketplace_participations().shape[0] >= 1


def test_authorize_rejects_wrong_state(sb):
    with pytest.raises(AuthError, match="state"):
        amzv.authorize("app", sb.credentials.client_id, sb.credentials.client_secret, marketplace="US",
                       redirect_uri="https://example.com/cb", save=False,
                       redirect_response="https://example.com/cb?state=forged&spapi_oauth_code=x",
                       token_url=sb.token_url)


def test_no_secret_in_logs_reprs_or_errors(sb, caplog):
    """A whole session at DEBUG: nothing secret may reach a log record, a repr or an error."""
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with sb.client(marketplace="US", backoff_factor=0.01) as c:
        _search(c, sb)
        sb.inject("expire_tokens")
        _search(c, sb)
        sb.inject("503", operation="searchCatalogItems")
        _search(c, sb)
        try:
            c.request("GET", "/catalog/2022-04-01/items/B000000000", params={"marketplaceIds": "ATVPDKIKX0DER"})
        except NotFound as exc:
            texts.append(str(exc))
        # a report document: its presigned URL carries a signature
        rid = c.request("POST", "/reports/2021-06-30/reports", json={
            "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": ["ATVPDKIKX0DER"]})["reportId"]
        for _ in range(200):
            rep = c.request("GET", f"/reports/2021-06-30/reports/{rid}")
            if rep["processingStatus"] == "DONE":
                break
            time.sleep(0.05)
        doc = c.request("GET", f"/reports/2021-06-30/documents/{rep['reportDocumentId']}")
        signature = [p.split("=", 1)[1] for p in doc["url"].split("?", 1)[1].split("&")
                     if p.lower().startswith("x-amz-signature=")][0]
        with c.download(doc["url"]) as resp:
            assert resp.raw.read()
        sb.inject("drop", operation="downloadDocument", count=10)
        try:
            c.download(doc["url"])
        except TransportError as exc:
            texts.append(str(exc))
        access_token = c.tokens._token
        texts += [repr(c), str(c), repr(c.tokens), repr(c.credentials), repr(sb)]
    secrets = [sb.credentials.client_secret, sb.credentials.refresh_token, access_token, signature]
    assert all(secrets)
    texts += [r.getMessage() for r in caplog.records]
    assert any("HTTP" in t or "GET" in t or "->" in t for t in texts)  # the log did capture traffic
    for secret in secrets:
        for text in texts:
            assert secret not in text


def test_concurrent_calls_share_one_refresh(sb):
    """Eight threads start at once with no token: one LWA call serves them all."""
    import threading

    sb.reset_stats()
    with sb.client(marketplace="US") as c:
        barrier = threading.Barrier(8)
        tokens: list[str] = []

        def worker():
            barrier.wait()
            tokens.append(c.tokens.get_token())

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(tokens) == 8 and len(set(tokens)) == 1
    assert sb.stats()["calls"]["token"] == 1


def test_no_secret_in_logs_through_authorize_reports_and_catalog(sb, caplog, tmp_path):
    """authorize(), a report, a catalog lookup and the Data Kiosk calls (read_vendor_analytics,
    query_data_kiosk, sync_vendor_analytics) at DEBUG: requests-oauthlib and urllib3 log bodies,
    answers and URLs there; none of the secrets may survive into a record, a repr or a file."""
    import amzv_pandas as amzv

    caplog.set_level(logging.DEBUG)
    seen: dict[str, str] = {}

    def browser(consent):
        answer = requests.get(consent + "&redirect_uri=https://example.com/cb", allow_redirects=False, timeout=5)
        location = answer.headers["Location"]
        seen["code"] = location.split("spapi_oauth_code=")[1].split("&")[0]
        return location

    creds = amzv.authorize("amzn1.sp.solution.test", sb.credentials.client_id, sb.credentials.client_secret,
                           marketplace="US", redirect_uri="https://example.com/cb", profile="leak-test",
                           redirect_response=browser, consent_base_url=sb.consent_url.split("/apps/")[0],
                           token_url=sb.token_url)
    dataset = tmp_path / "va"
    with amzv.Client(profile="leak-test", endpoint=sb.url) as c:
        amzv.read_report("GET_MERCHANT_LISTINGS_ALL_DATA", client=c, progress_bar_type=None, poll_interval=0.02)
        amzv.get_catalog_items(sb.data.asins[:3], client=c, progress_bar_type=None)
        va = amzv.read_vendor_analytics("2026-09-01", "2026-09-01", metrics="traffic", client=c,
                                        progress_bar_type=None, poll_interval=0.02)
        raw = amzv.query_data_kiosk(va.attrs["amzv"]["query"].replace("glanceViews", "glanceViews\n"), client=c,
                                    cache=False, progress_bar_type=None, poll_interval=0.02)
        import importlib

        importlib.import_module("amzv_pandas._sync.vendor_analytics")._poll_interval = 0.02
        try:
            synced = amzv.sync_vendor_analytics(dataset, start="today-40", end="today-35", metrics="traffic",
                                                client=c, progress_bar_type=None)
        finally:
            importlib.import_module("amzv_pandas._sync.vendor_analytics")._poll_interval = None
        access_token = c.tokens._token
        cache_dir = c.cache_dir
    assert len(raw) and synced.status == "complete" and synced.rows_added
    secrets = {"client secret": sb.credentials.client_secret, "refresh token": creds.refresh_token,
               "authorization code": seen["code"], "access token": access_token}
    messages = [r.getMessage() for r in caplog.records]
    assert any("oauth" in r.name for r in caplog.records)  # requests-oauthlib did log the exchange
    assert any("X-Amz-Signature=REDACTED" in m for m in messages)  # and urllib3 the document URL
    # the Data Kiosk calls were logged too, their document URLs redacted
    assert any("dataKiosk" in m for m in messages)
    assert any("amzn1.tortuga" in m and "X-Amz-Signature=REDACTED" in m for m in messages)
    assert not any(re.search(r"X-Amz-Signature=(?!REDACTED)", m) for m in messages)
    texts = messages + [repr(va.attrs), repr(raw.attrs), repr(synced), repr(amzv.sync_history(dataset).to_dict())]
    for what, secret in secrets.items():
        assert secret and not any(secret in m for m in texts), what
    # nor in what the calls left on disk: the caches, the in-flight records, the dataset and its state
    for root in (Path(cache_dir), dataset):
        for f in (p for p in root.rglob("*") if p.is_file()):
            data = f.read_bytes()
            for what, secret in secrets.items():
                assert secret.encode() not in data, (what, f)
            assert b"X-Amz-Signature" not in data, f
