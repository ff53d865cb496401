"""Issue 10, transport side: hostile servers on 127.0.0.1 against the client's bounds and rules.

Each test runs a small ``http.server`` of its own (a daemon thread, stopped at the end, every
loop in it bounded) that misbehaves in one way: redirects, oversized or malformed answers,
dripping or silent bodies, error bodies echoing the credentials. Token expiry during a
rate-limit wait runs against the built-in sandbox.
"""

from __future__ import annotations

import gzip
import http.server
import json
import threading
import time
from typing import Any, Callable, Iterator
from urllib.parse import quote, quote_plus

import pytest
import requests

import amzv_pandas as amzv
from amzv_pandas._transport.http import MAX_DOWNLOAD_REDIRECTS, MAX_TOKEN_REFRESHES, Download
from amzv_pandas._util.redact import redact_secrets
from amzv_pandas.exceptions import (
    AmzvError,
    AuthError,
    ConfigurationError,
    DownloadStalledError,
    Forbidden,
    InsecureEndpointError,
    ParseError,
    ResponseTooLargeError,
    ServerError,
    SPAPIError,
    TransportError,
)

PARTICIPATIONS = "/sellers/v1/marketplaceParticipations"
SEARCH = "/catalog/2022-04-01/items"
# Secrets of no recognisable shape: only the client's own list of them can catch these.
SECRET = "hostile-client-secret-0123456789"
REFRESH = "refresh-token-ABCDEFGHIJ/+=&"
ACCESS = "access-token-9f8e7d6c5b4a3210"
CREDS = {"client_id": "amzn1.application-oa2-client.test", "client_secret": SECRET, "refresh_token": REFRESH}


# -- a hostile server ---------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.log.append({"method": self.command, "path": self.path,  # type: ignore[attr-defined]
                                "headers": dict(self.headers), "body": body})
        self.close_connection = True
        try:
            self.server.app(self, body)  # type: ignore[attr-defined]
        except (BrokenPipeError, ConnectionResetError):  # the client hung up, as it should
            pass

    do_GET = do_POST = _handle


class Hostile:
    """A local server answering with ``app(handler, body)``; ``log`` lists what it received."""

    def __init__(self, app: Callable[[Any, bytes], None]) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.app = app  # type: ignore[attr-defined]
        self.server.log = []  # type: ignore[attr-defined]
        self.stop = threading.Event()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def log(self) -> list[dict[str, Any]]:
        return self.server.log  # type: ignore[attr-defined]

    def __enter__(self) -> "Hostile":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def send(handler: Any, status: int, body: bytes = b"", *, headers: dict[str, str] | None = None,
         length: bool = True) -> None:
    handler.send_response(status)
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Connection", "close")
    handler.end_headers()
    if body:
        handler.wfile.write(body)


def send_json(handler: Any, status: int, data: Any, **kwargs: Any) -> None:
    send(handler, status, json.dumps(data).encode(), headers={"Content-Type": "application/json"}, **kwargs)


def token_answer(handler: Any, token: str = ACCESS) -> None:
    send_json(handler, 200, {"access_token": token, "token_type": "bearer", "expires_in": 3600})


def api(route: Callable[[Any, bytes], None]) -> Callable[[Any, bytes], None]:
    """An app that mints tokens at /token and hands every other request to ``route``."""

    def app(handler: Any, body: bytes) -> None:
        if handler.path.startswith("/token"):
            token_answer(handler)
        else:
            route(handler, body)

    return app


def client_for(server: Hostile, **kwargs: Any) -> amzv.Client:
    options: dict[str, Any] = {"max_retries": 0, "timeout": 5.0}
    options.update(kwargs)
    return amzv.Client(credentials=CREDS, endpoint=server.url, token_url=server.url + "/token",
                       marketplace="US", **options)


def api_calls(server: Hostile) -> list[dict[str, Any]]:
    return [r for r in server.log if not r["path"].startswith("/token")]


# -- 8: the token is fetched after the rate-limit wait, and each retry may refresh it ------

@pytest.fixture
def sb(make_fresh_sandbox: Any) -> Any:
    """A sandbox of its own per test (the e2e ``sb`` is shared by a module)."""
    return make_fresh_sandbox(speed=50, processing_seconds=0.2)


def _search(client: amzv.Client, sb: Any) -> dict[str, Any]:
    return client.request("GET", SEARCH, params={"marketplaceIds": ["ATVPDKIKX0DER"],
                                                 "identifiers": sb.data.asins[:2], "identifiersType": "ASIN"})


def test_token_that_expires_during_the_rate_limit_wait_is_not_sent(sb):
    """Every wait for a quota slot outlasts the token (on Amazon's side and ours): each attempt,
    including the retry of a 503, must go out with a token fetched after its wait."""
    with sb.client(marketplace="US", backoff_factor=0.01) as client:
        now = [0.0]
        client.tokens._clock = lambda: now[0]
        acquire = client.limiter.acquire

        def slow_acquire(operation: str) -> float:
            waited = acquire(operation)
            now[0] += 4000  # the wait ran past the token's hour...
            sb.inject("expire_tokens")  # ...and Amazon agrees it expired
            return waited

        client.limiter.acquire = slow_acquire  # type: ignore[method-assign]
        _search(client, sb)
        sb.reset_stats()
        sb.inject("503", operation="searchCatalogItems")
        assert len(_search(client, sb)["items"]) == 2
    stats = sb.stats()
    assert stats["calls"]["searchCatalogItems"] == 2  # 503, then ok: no 403 for a stale token
    assert stats["calls"]["token"] == 2  # a fresh token for each attempt


def _expire_before_sp_api_sends(client: amzv.Client, sb: Any, times: int | None) -> list[str]:
    """Make Amazon find every token expired on arrival (the first ``times`` sends, or all)."""
    sent: list[str] = []
    request = client.session.request

    def expiring(method: str, url: str, **kwargs: Any) -> Any:
        if "/token" not in url:
            sent.append(url)
            if times is None or len(sent) <= times:
                sb.inject("expire_tokens")
        return request(method, url, **kwargs)

    client.session.request = expiring  # type: ignore[method-assign]
    return sent


def test_each_retry_may_refresh_an_expired_token(sb):
    with sb.client(marketplace="US") as client:
        sent = _expire_before_sp_api_sends(client, sb, times=2)
        assert len(_search(client, sb)["items"]) == 2  # the old code gave up after one refresh
    assert len(sent) == 3


def test_a_server_that_always_says_expired_ends_in_forbidden(sb):
    with sb.client(marketplace="US") as client:
        sent = _expire_before_sp_api_sends(client, sb, times=None)
        with pytest.raises(Forbidden, match="expired"):
            _search(client, sb)
        assert len(sent) == 1 + MAX_TOKEN_REFRESHES
        assert client.tokens.refreshes == 1 + MAX_TOKEN_REFRESHES


# -- 6: API answers are bounded and always parse into an AmzvError ------------------------

def _flood(total: int, *, announce: bool) -> Callable[[Any, bytes], None]:
    def route(handler: Any, body: bytes) -> None:
        send(handler, 200, headers={"Content-Type": "text/plain",
                                    **({"Content-Length": str(total)} if announce else {})}, length=False)
        block = b"x" * 65536
        sent = 0
        while sent < total and not server_stop.is_set():
            handler.wfile.write(block)
            sent += len(block)

    server_stop = threading.Event()
    route.stop = server_stop  # type: ignore[attr-defined]
    return route


@pytest.mark.parametrize("announce", [False, True], ids=["close-delimited", "content-length"])
def test_oversized_api_body_is_refused_not_read_whole(announce):
    route = _flood(50_000_000, announce=announce)
    with Hostile(api(route)) as server, client_for(server, max_response_bytes=1_000_000) as client:
        try:
            with pytest.raises(ResponseTooLargeError) as info:
                client.request("GET", PARTICIPATIONS)
        finally:
            route.stop.set()  # type: ignore[attr-defined]
    text = str(info.value)
    assert "getMarketplaceParticipations" in text and "max_response_bytes=1000000" in text
    assert isinstance(info.value, TransportError)


def test_oversized_token_answer_is_refused():
    route = _flood(50_000_000, announce=False)

    def app(handler: Any, body: bytes) -> None:
        route(handler, body)

    with Hostile(app) as server, client_for(server, max_response_bytes=1_000_000) as client:
        try:
            with pytest.raises(ResponseTooLargeError, match="token"):
                client.request("GET", PARTICIPATIONS)
        finally:
            route.stop.set()  # type: ignore[attr-defined]


@pytest.mark.parametrize(("body", "error"), [
    (b"<html>a captive portal</html>", TransportError),
    (b"[1, 2, 3]", ParseError),
    (b"null", ParseError),
    (b"[" * 100_000 + b"]" * 100_000, ParseError),  # json's RecursionError
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, ParseError),
], ids=["html", "list", "null", "deep-list", "deep-object"])
def test_a_2xx_body_that_is_not_a_json_object_is_an_amzv_error(body, error):
    with Hostile(api(lambda h, b: send(h, 200, body))) as server, client_for(server) as client:
        with pytest.raises(error) as info:
            client.request("GET", PARTICIPATIONS)
    assert "getMarketplaceParticipations" in str(info.value)


def test_a_deeply_nested_error_body_is_still_an_spapi_error():
    deep = b"[" * 100_000 + b"]" * 100_000
    with Hostile(api(lambda h, b: send(h, 400, deep))) as server, client_for(server) as client:
        with pytest.raises(SPAPIError) as info:
            client.request("GET", PARTICIPATIONS)
    assert info.value.status_code == 400


@pytest.mark.parametrize("answer", [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"access_token": "a", "token_type": "bearer", "expires_in": "soon"}',
    b'{"access_token": "a", "token_type": "bearer", "expires_in": -5}',
], ids=["deep", "expires_in-text", "expires_in-negative"])
def test_a_malformed_token_answer_is_an_auth_error(answer):
    def app(handler: Any, body: bytes) -> None:
        send(handler, 200, answer, headers={"Content-Type": "application/json"})

    with Hostile(app) as server, client_for(server) as client:
        with pytest.raises(AuthError):
            client.request("GET", PARTICIPATIONS)
    assert not api_calls(server)


# -- 10: no automatic redirects for SP-API and token calls; checked hops for documents ----

@pytest.fixture
def evil() -> Iterator[Hostile]:
    """Another origin that would love to receive a token."""
    with Hostile(lambda h, b: send_json(h, 200, {"payload": []})) as server:
        yield server


def test_an_sp_api_redirect_is_not_followed(evil):
    target = evil.url + "/steal?X-Amz-Signature=abcdef123456&keep=1"

    def route(handler: Any, body: bytes) -> None:
        send(handler, 302, headers={"Location": target})

    with Hostile(api(route)) as server, client_for(server) as client:
        with pytest.raises(SPAPIError) as info:
            client.request("GET", PARTICIPATIONS)
    err = info.value
    assert err.status_code == 302 and err.operation == "getMarketplaceParticipations"
    assert evil.url + "/steal?REDACTED" in str(err) and "abcdef123456" not in str(err)
    assert evil.log == []  # the token never left the endpoint


@pytest.mark.parametrize("status", [307, 308])
def test_a_token_redirect_is_not_followed(evil, status):
    def app(handler: Any, body: bytes) -> None:
        send(handler, status, headers={"Location": evil.url + "/token"})

    with Hostile(app) as server, client_for(server) as client:
        with pytest.raises(AuthError, match=f"HTTP {status} redirecting to"):
            client.request("GET", PARTICIPATIONS)
    assert evil.log == []  # the form with the client secret went nowhere else


def test_a_document_redirect_to_plain_http_elsewhere_is_refused():
    with Hostile(lambda h, b: send(h, 302, headers={"Location": "http://example.invalid/doc?sig=s3cr3t"})) as srv:
        with client_for(srv) as client:
            with pytest.raises(InsecureEndpointError) as info:
                client.download(srv.url + "/doc?X-Amz-Signature=abc")
    assert "example.invalid" in str(info.value) and "s3cr3t" not in str(info.value)
    assert info.value.parameter == "url"


def test_document_redirects_are_followed_a_few_times_without_sp_api_headers():
    with Hostile(lambda h, b: send(h, 200, b"document-bytes")) as final, \
            Hostile(lambda h, b: send(h, 307, headers={"Location": final.url + "/doc?X-Amz-Signature=2"})) as hop2, \
            Hostile(lambda h, b: send(h, 302, headers={"Location": hop2.url + "/doc"})) as first:
        with client_for(first) as client:
            with client.download(first.url + "/doc?X-Amz-Signature=1",
                                 headers={"x-amz-access-token": "Atza|leak", "X-Extra": "1"}) as d:
                assert isinstance(d, Download) and d.status_code == 200
                assert b"".join(d.iter_raw(4)) == b"document-bytes"
                assert d.url.startswith(final.url)
    hops = first.log + hop2.log + final.log
    assert len(hops) == 3
    for hop in hops:
        assert not any(k.lower() in ("x-amz-access-token", "authorization") for k in hop["headers"])


def test_a_document_redirect_loop_ends():
    def loop(handler: Any, body: bytes) -> None:
        send(handler, 302, headers={"Location": "/again"})

    with Hostile(loop) as server, client_for(server) as client:
        with pytest.raises(SPAPIError, match="redirect") as info:
            client.download(server.url + "/doc")
    assert info.value.status_code == 302
    assert len(server.log) == MAX_DOWNLOAD_REDIRECTS + 1


# -- 5: downloads have a deadline and a minimum rate, enforced on the socket --------------

def _drip(server_stop: threading.Event, *, total: int, step: bytes, every: float,
          encoding: str | None = None) -> Callable[[Any, bytes], None]:
    def route(handler: Any, body: bytes) -> None:
        headers = {"Content-Length": str(total)}
        if encoding:
            headers["Content-Encoding"] = encoding
        send(handler, 200, headers=headers, length=False)
        handler.wfile.flush()
        sent = 0
        started = time.monotonic()
        while sent < total and not server_stop.is_set() and time.monotonic() - started < 30:
            if step:
                handler.wfile.write(step)
                handler.wfile.flush()
                sent += len(step)
            server_stop.wait(every)

    return route


def _read_all(download: Download) -> bytes:
    return b"".join(download.iter_raw(1024))


def test_a_dripping_download_stalls_below_the_minimum_rate():
    stop = threading.Event()
    with Hostile(_drip(stop, total=1000, step=b"x", every=0.2)) as server:
        with client_for(server, min_download_rate=1000, download_rate_window=1) as client:
            try:
                with client.download(server.url + "/doc") as d, pytest.raises(DownloadStalledError) as info:
                    _read_all(d)
            finally:
                stop.set()
    assert "min_download_rate=1000" in str(info.value) and isinstance(info.value, TransportError)


def test_a_silent_download_stalls_on_the_socket():
    stop = threading.Event()
    with Hostile(_drip(stop, total=1000, step=b"", every=0.1)) as server:
        with client_for(server, min_download_rate=10, download_rate_window=1, timeout=60) as client:
            try:
                with client.download(server.url + "/doc") as d, pytest.raises(DownloadStalledError):
                    _read_all(d)
            finally:
                stop.set()


def test_a_download_past_its_deadline_stalls():
    stop = threading.Event()
    with Hostile(_drip(stop, total=10_000_000, step=b"x" * 4000, every=0.05)) as server:
        with client_for(server, download_deadline=1, min_download_rate=1000, download_rate_window=5) as client:
            try:
                with client.download(server.url + "/doc") as d, pytest.raises(DownloadStalledError) as info:
                    _read_all(d)
            finally:
                stop.set()
    assert "download_deadline=1" in str(info.value)


def test_closing_a_download_from_another_thread_ends_a_blocked_read():
    stop = threading.Event()
    outcome: list[BaseException | bytes] = []
    with Hostile(_drip(stop, total=1000, step=b"", every=0.1)) as server:
        with client_for(server, timeout=60) as client:  # default rate window (30 s): the read would block
            d = client.download(server.url + "/doc")

            def reader() -> None:
                try:
                    outcome.append(_read_all(d))
                except BaseException as exc:
                    outcome.append(exc)

            thread = threading.Thread(target=reader, daemon=True)
            thread.start()
            thread.join(0.5)
            assert thread.is_alive()  # blocked in the read
            d.close()
            thread.join(10)
            stop.set()
    assert not thread.is_alive(), "close() did not end the blocked read"
    assert len(outcome) == 1 and isinstance(outcome[0], TransportError)


def test_iter_raw_yields_the_body_as_sent():
    payload = gzip.compress(b"a\tb\n" * 10_000)
    stop = threading.Event()

    def route(handler: Any, body: bytes) -> None:
        send(handler, 200, payload, headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"})

    with Hostile(route) as server, client_for(server) as client:
        with client.download(server.url + "/doc?X-Amz-Signature=abc") as d:
            assert d.headers["content-encoding"] == "gzip" and d.raw is not None
            assert "abc" not in repr(d)
            assert b"".join(d.iter_raw(4096)) == payload  # not decoded
        assert d.closed
    stop.set()


def test_a_body_that_breaks_off_is_a_transport_error():
    def route(handler: Any, body: bytes) -> None:
        send(handler, 200, b"x" * 10, headers={"Content-Length": "1000"}, length=False)

    with Hostile(route) as server, client_for(server) as client:
        with client.download(server.url + "/doc") as d, pytest.raises(TransportError) as info:
            _read_all(d)
    assert not isinstance(info.value, DownloadStalledError)


# -- 12: error bodies echoing credentials are redacted ------------------------------------

def _assert_no_secret(err: BaseException, secrets: list[str]) -> None:
    texts = [str(err), repr(err.args), repr(getattr(err, "errors", None)), str(getattr(err, "error", None)),
             str(getattr(err, "message", None)), str(getattr(err, "details", None))]
    for secret in secrets:
        for variant in (secret, quote(secret, safe=""), quote_plus(secret)):
            assert not any(variant in t for t in texts), (secret, texts)


def test_an_lwa_401_echoing_the_form_keeps_no_secret():
    def app(handler: Any, body: bytes) -> None:
        send_json(handler, 401, {"error": "invalid_client",
                                 "error_description": f"Client authentication failed for {body.decode()}"})

    with Hostile(app) as server, client_for(server) as client:
        with pytest.raises(AuthError) as info:
            client.request("GET", PARTICIPATIONS)
    assert SECRET.encode() in server.log[0]["body"] or quote_plus(SECRET).encode() in server.log[0]["body"]
    assert info.value.error == "invalid_client" and info.value.part == "client_id/client_secret"
    _assert_no_secret(info.value, [SECRET, REFRESH])


def test_a_403_echoing_the_headers_keeps_no_access_token():
    def route(handler: Any, body: bytes) -> None:
        echoed = json.dumps(dict(handler.headers))
        send_json(handler, 403, {"errors": [{"code": "Unauthorized", "message": f"denied: {echoed}",
                                             "details": f"x-amz-access-token: {handler.headers['x-amz-access-token']}"}]})

    with Hostile(api(route)) as server, client_for(server) as client:
        with pytest.raises(Forbidden) as info:
            client.request("GET", PARTICIPATIONS)
    assert info.value.code == "Unauthorized" and "denied" in info.value.message
    _assert_no_secret(info.value, [ACCESS, SECRET, REFRESH])


def test_a_5xx_text_body_echoing_a_token_keeps_no_token():
    def route(handler: Any, body: bytes) -> None:
        send(handler, 500, f"boom for {handler.headers['x-amz-access-token']} and {ACCESS}".encode())

    with Hostile(api(route)) as server, client_for(server) as client:
        with pytest.raises(ServerError) as info:
            client.request("GET", PARTICIPATIONS)
    _assert_no_secret(info.value, [ACCESS])


def test_secret_shaped_values_are_redacted_from_every_exception():
    shaped = ["Atza|IwEBIA-access", "Atzr|IwEBIA-refresh", "Atzr%7CIwEBIA-encoded", "amzn1.oa2-cs.v1.abc123"]
    err = SPAPIError(403, [{"code": "Unauthorized", "message": " ".join(shaped), "details": shaped[0]}])
    plain = AmzvError(f"saw {shaped[1]}")
    auth = AuthError(f"echo {shaped[3]}", error=shaped[2])
    for exc in (err, plain, auth):
        _assert_no_secret(exc, shaped)
    assert redact_secrets("token tok-1234567890 here", known=["tok-1234567890"]) == "token REDACTED here"
    assert redact_secrets("a=b&c", known=["short"]) == "a=b&c"  # short 'secrets' would eat words


# -- 15: every Client keyword is checked up front -----------------------------------------

@pytest.mark.parametrize(("keyword", "value"), [
    ("backoff_factor", -1), ("backoff_factor", "fast"), ("backoff_factor", True), ("backoff_factor", float("nan")),
    ("max_retries", -1), ("max_retries", True), ("max_retries", 2.0), ("max_retries", "3"),
    ("timeout", 0), ("timeout", (1, -1)), ("timeout", True), ("timeout", "10"),
    ("user_agent", 42), ("user_agent", "a\r\nX-Injected: 1"),
    ("session", object()), ("sandbox", "yes"), ("sandbox", 1),
    ("credentials", ["a", "b", "c"]), ("profile", 7), ("profile", ""), ("cache_dir", 3.5),
    ("endpoint", 5), ("token_url", b"https://x"), ("region", 1), ("marketplace", 12),
    ("max_response_bytes", 0), ("max_response_bytes", 1.5), ("max_response_bytes", True),
    ("download_deadline", 0), ("download_deadline", -3), ("min_download_rate", "fast"),
    ("min_download_rate", 0), ("download_rate_window", -1), ("download_rate_window", float("inf")),
])
def test_bad_client_keywords_are_refused_naming_the_parameter(keyword, value):
    kwargs: dict[str, Any] = {"credentials": CREDS, keyword: value}
    with pytest.raises(ConfigurationError) as info:
        amzv.Client(**kwargs)
    assert info.value.parameter == keyword and info.value.allowed
    assert SECRET not in str(info.value)


def test_good_client_keywords_are_kept():
    session = requests.Session()
    with amzv.Client(credentials=CREDS, backoff_factor=0, max_retries=0, timeout=(1, 2), session=session,
                     user_agent="me/1", max_response_bytes=10, download_deadline=1.5, min_download_rate=1,
                     download_rate_window=0.5) as client:
        assert client.session is session and client.timeout == (1.0, 2.0) and client.max_response_bytes == 10
        assert client.backoff.delay(3) == 0.0
    session.close()



def test_authorize_does_not_follow_a_token_redirect(evil):
    def app(handler: Any, body: bytes) -> None:
        send(handler, 307, headers={"Location": evil.url + "/token"})

    with Hostile(app) as server:
        with pytest.raises(AuthError):
            amzv.authorize("amzn1.sp.solution.x", CREDS["client_id"], SECRET, marketplace="US",
                           redirect_uri="https://example.com/cb", save=False, token_url=server.url + "/token",
                           redirect_response=lambda url: "https://example.com/cb?state="
                           + url.split("state=")[1].split("&")[0] + "&spapi_oauth_code=c0de-c0de-c0de")
    assert len(server.log) == 1 and evil.log == []
