"""Transport unit tests replayed from vcrpy cassettes recorded against the built-in sandbox.

The cassettes in ``tests/cassettes/`` are replayed without any server. A
missing cassette is recorded once against a fresh sandbox (``AMZV_RECORD=all``
re-records every one). Secrets are filtered before anything is written: the
access-token header, the ``client_secret``/``refresh_token`` form fields, the
tokens in LWA's answers, and presigned-URL signatures.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import Iterator

import pytest
import vcr

import amzv_pandas as amzv
from amzv_pandas._util.redact import redact_url
from amzv_pandas.exceptions import Forbidden, NotFound

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"  # tests/cassettes
SEARCH = "/catalog/2022-04-01/items"
REPLAY_ENDPOINT = "http://127.0.0.1:9"  # nothing listens there: replay never touches the network


def _scrub_response(response: dict) -> dict:
    body = response["body"].get("string")
    if isinstance(body, bytes) and b"access_token" in body:
        data = json.loads(body)
        for key in ("access_token", "refresh_token"):
            if key in data:
                data[key] = "REDACTED"
        response["body"]["string"] = json.dumps(data).encode()
    if isinstance(body, bytes) and b"X-Amz-Signature" in body:
        response["body"]["string"] = redact_url(body.decode()).encode()
    return response


def _scrub_request(request):
    request.uri = redact_url(request.uri)
    return request


def _vcr(record_mode: str) -> vcr.VCR:
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode=record_mode,
        match_on=["method", "path", "query"],  # not host/port: the sandbox port differs per run
        filter_headers=["x-amz-access-token", "authorization"],
        filter_post_data_parameters=["client_secret", "refresh_token", "code"],
        before_record_request=_scrub_request,
        before_record_response=_scrub_response,
        decode_compressed_response=True,
    )


@contextlib.contextmanager
def cassette(name: str, **sandbox_options) -> Iterator[tuple[amzv.Client, object]]:
    """Yield (client, sandbox-or-None): replaying when the cassette exists, else recording."""
    path = CASSETTES / f"{name}.yaml"
    record = os.environ.get("AMZV_RECORD") == "all" or not path.exists()
    if record:
        from amzv_pandas import sandbox

        if path.exists():
            path.unlink()
        with sandbox.serve(**sandbox_options) as sb:
            with _vcr("all").use_cassette(path.name):
                with sb.client(marketplace="US", backoff_factor=0.01) as client:
                    yield client, sb
    else:
        creds = amzv.Credentials("amzn1.application-oa2-client.sandbox", "replayed-secret", "replayed-token")
        with _vcr("none").use_cassette(path.name):
            with amzv.Client(credentials=creds, endpoint=REPLAY_ENDPOINT, token_url=REPLAY_ENDPOINT + "/auth/o2/token",
                             marketplace="US", backoff_factor=0.01) as client:
                yield client, None


ASINS_PARAMS = {"marketplaceIds": "ATVPDKIKX0DER", "identifiersType": "ASIN", "includedData": "summaries"}


def _asins() -> str:
    # the sandbox's catalog is deterministic (seed 0): the same ASINs when recording and replaying
    from amzv_pandas.sandbox.data import SandboxData

    return ",".join(SandboxData(seed=0).asins[:2])


def test_token_reused_across_calls():
    with cassette("token_reuse", speed=50) as (client, sb):
        asins = _asins()
        for _ in range(3):
            body = client.request("GET", SEARCH, params={**ASINS_PARAMS, "identifiers": asins})
            assert body["numberOfResults"] == 2
            assert {i["asin"] for i in body["items"]} == set(asins.split(","))
        assert client.calls["token"] == 1
        assert client.calls["searchCatalogItems"] == 3


def test_not_found_maps_to_exception_with_request_id():
    with cassette("not_found", speed=50) as (client, _):
        with pytest.raises(NotFound) as info:
            client.request("GET", "/catalog/2022-04-01/items/B000000000", params={"marketplaceIds": "ATVPDKIKX0DER"})
        assert info.value.code == "NOT_FOUND" and info.value.request_id
        assert "B000000000" in info.value.message or "not found" in info.value.message


def test_expired_token_refresh_and_retry():
    with cassette("expired_token", speed=50) as (client, sb):
        asins = _asins()
        client.request("GET", SEARCH, params={**ASINS_PARAMS, "identifiers": asins})
        if sb is not None:
            sb.inject("expire_tokens")
        body = client.request("GET", SEARCH, params={**ASINS_PARAMS, "identifiers": asins})
        assert body["numberOfResults"] == 2
        assert client.calls["token"] == 2 and client.calls["searchCatalogItems"] == 3


def test_throttled_then_ok():
    with cassette("throttled", speed=50) as (client, sb):
        asins = _asins()
        if sb is not None:
            sb.inject("429", operation="searchCatalogItems")
        body = client.request("GET", SEARCH, params={**ASINS_PARAMS, "identifiers": asins})
        assert body["numberOfResults"] == 2
        assert client.calls["searchCatalogItems"] == 2


def test_report_document_download_with_presigned_url():
    import gzip
    import time

    with cassette("document_download", speed=50, processing_seconds=0.2) as (client, sb):
        rid = client.request("POST", "/reports/2021-06-30/reports", json={
            "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": ["ATVPDKIKX0DER"]})["reportId"]
        while True:
            report = client.request("GET", f"/reports/2021-06-30/reports/{rid}")
            if report["processingStatus"] == "DONE":
                break
            if sb is not None:
                time.sleep(0.05)
        doc = client.request("GET", f"/reports/2021-06-30/documents/{report['reportDocumentId']}")
        assert doc["compressionAlgorithm"] == "GZIP" and "X-Amz-Signature=" in doc["url"]
        with client.download(doc["url"]) as response:
            text = gzip.decompress(response.raw.read()).decode("cp1252")
        header = text.split("\n", 1)[0].split("\t")
        assert "seller-sku" in header and "asin1" in header
        assert client.calls["downloadDocument"] == 1


# last: every cassette above has been recorded by now
def test_cassettes_hold_no_secrets():
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) >= 5
    for path in files:
        text = path.read_text()
        for pattern in (r"client_secret=(?!&|$|\s)[^&\s']+", r"refresh_token=(?!&|$|\s)[^&\s']+",
                        r"X-Amz-Signature=(?!REDACTED)[0-9a-f]+", r'"access_token": "(?!REDACTED)'):
            assert not re.search(pattern, text), (path.name, pattern)
        assert "x-amz-access-token" not in text.lower()
