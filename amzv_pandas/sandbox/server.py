"""The sandbox HTTP server: a local, SP-API-compatible endpoint on 127.0.0.1.

One :class:`SandboxServer` owns the state (LWA tokens, reports, schedules,
stored documents, rate-limit buckets, injected faults, call statistics) and a
stdlib ``ThreadingHTTPServer`` that turns requests into calls on it:

* ``POST /auth/o2/token`` and ``GET /apps/authorize/consent`` — Login with Amazon;
* the operations of the Reports 2021-06-30, Catalog Items 2022-04-01 and Sellers
  models (all four models, Catalog 2020-12-01 included, in static mode);
* ``GET /_documents/<id>?X-Amz-...`` — presigned document downloads (no token).

Request lines go to the ``amzv_pandas.sandbox`` logger at DEBUG with presigned
signatures and tokens redacted; nothing is written to stderr.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from ._catalog import CatalogService
from ._common import ApiError, Clock, Response, TokenCodec, invalid_input
from ._documents import DocumentStore, StoredDocument, http_date, parse_range, s3_error
from ._faults import ANSWER_KINDS, FaultQueue
from ._lwa import LWA
from ._models import Operation, QueryArgs, load_operations, match_operation
from ._reports import ReportsService
from ._throttle import TokenBucket, format_rate
from .static import StaticResponder

__all__ = ["Request", "SandboxServer", "STATIC_RATE", "STATIC_BURST"]

logger = logging.getLogger("amzv_pandas.sandbox")

#: Amazon's sandbox hosts allow 5 requests/s with a burst of 15 for every operation.
STATIC_RATE, STATIC_BURST = 5.0, 15
#: Models served in dynamic mode (Catalog 2020-12-01 only has static examples here).
_DYNAMIC_MODELS = ("reports_2021-06-30", "catalogItems_2022-04-01", "sellers")
_MAX_BODY = 10 << 20

_REDACT = [
    (re.compile(r"(X-Amz-Signature=)[^&\s\"]+", re.I), r"\1REDACTED"),
    (re.compile(r"(Atz[ar]\|)[^&\s\"']+"), r"\1REDACTED"),
    (re.compile(r"((?:client_secret|refresh_token|access_token|spapi_oauth_code|code)=)[^&\s\"]+"), r"\1REDACTED"),
]


def redact(text: str) -> str:
    """Remove signatures and token-like values from a log line."""
    for pattern, repl in _REDACT:
        text = pattern.sub(repl, text)
    return text


@dataclass
class Request:
    """What an operation handler sees of a request."""

    method: str
    path: str
    query: QueryArgs
    headers: Mapping[str, str]
    body: bytes
    path_params: dict[str, str]
    base_url: str
    operation: Operation | None = None

    def json_body(self) -> Any:
        """The parsed JSON body; 415 for a non-JSON Content-Type, 400 when unparsable."""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype and ctype != "application/json":
            raise ApiError(415, "UnsupportedMediaType", "The request payload is in an unsupported format.",
                           f"Content-Type {ctype} is not supported; send application/json")
        if not self.body:
            raise invalid_input("Invalid input", "A JSON request body is required.")
        try:
            return json.loads(self.body)
        except ValueError:
            raise invalid_input("Invalid input", "The request body is not valid JSON.") from None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections as with Amazon
    timeout = 300  # idle keep-alive connections close after this

    server: "_HTTPServer"

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes; without NODELAY, Nagle plus the
        # client's delayed ACK adds ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.app._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.app._track(self.connection, add=False)

    def version_string(self) -> str:
        return "Server"  # what Amazon's front end sends

    def _dispatch(self) -> None:
        try:
            self.server.app.dispatch(self)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = _dispatch

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("sandbox %s %s", self.address_string(), redact(format % args))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    app: "SandboxServer"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The stdlib prints tracebacks to stderr; keep it quiet but inspectable.
        logger.debug("sandbox: connection error from %s", client_address, exc_info=True)


class SandboxServer:
    """A running (after :meth:`start`) local SP-API stand-in.

    Parameters
    ----------
    data : SandboxData
        The deterministic data layer.
    port : int
        0 picks a free port.
    speed : float
        Multiplies rate limits and divides ``processing_seconds``.
    static : bool
        Answer only the models' static examples, like Amazon's sandbox hosts.
    token_lifetime : float
        Seconds an LWA access token lives.
    processing_seconds : float
        Seconds from createReport to a terminal status at speed 1.
    document_ttl : float
        Seconds a presigned document URL stays valid.
    rate_limits : mapping, optional
        ``{operationId: (rate, burst)}`` replacing the model defaults (rates are
        still multiplied by ``speed``).
    account_type : {"vendor", "seller"}
        Vendors may request ``vendorDetails``; seeded schedules differ.
    seed : int
        Makes report and schedule ids reproducible.
    """

    def __init__(self, data: Any, *, port: int = 0, speed: float = 1.0, static: bool = False,
                 token_lifetime: float = 3600, processing_seconds: float = 6.0, document_ttl: float = 300.0,
                 rate_limits: Mapping[str, tuple[float, int]] | None = None, account_type: str = "vendor",
                 seed: int = 0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed!r}")
        if account_type not in ("vendor", "seller"):
            raise ValueError(f"account_type must be 'vendor' or 'seller', got {account_type!r}")
        self.data = data
        self.speed = float(speed)
        self.static = bool(static)
        self.account_type = account_type
        self.clock = Clock()
        all_ops = load_operations()
        self.operations = all_ops if static else tuple(op for op in all_ops if op.model in _DYNAMIC_MODELS)
        known_ids = {op.operation_id for op in all_ops}
        self._rate_overrides = dict(rate_limits or {})
        unknown = set(self._rate_overrides) - known_ids
        if unknown:
            raise ValueError(f"rate_limits: unknown operationId(s) {', '.join(sorted(unknown))}")
        self._buckets: dict[str, TokenBucket] = {}
        self._buckets_lock = threading.Lock()
        self.faults = FaultQueue()
        self._stats_lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()
        self._documents_served = 0
        self._bytes_served = 0
        codec = TokenCodec(os.urandom(32))
        self.lwa = LWA(self.clock, token_lifetime=token_lifetime, selling_partner_id=str(data.sellers[0]))
        self.documents = DocumentStore(self.clock, ttl=document_ttl)
        self.reports = ReportsService(data, self.documents, self.clock,
                                      processing_seconds=processing_seconds / self.speed, seed=seed,
                                      account_type=account_type, codec=codec,
                                      take_outcome_fault=self._take_outcome_fault)
        self.catalog = CatalogService(data, account_type=account_type, codec=codec)
        self.static_responder = StaticResponder(self.operations) if static else None
        self._handlers: dict[str, Callable[[Request], Response]] = {
            "reports_2021-06-30/getReports": self.reports.get_reports,
            "reports_2021-06-30/createReport": self.reports.create_report,
            "reports_2021-06-30/getReport": self._get_report,
            "reports_2021-06-30/cancelReport": self.reports.cancel_report,
            "reports_2021-06-30/getReportSchedules": self.reports.get_report_schedules,
            "reports_2021-06-30/createReportSchedule": self.reports.create_report_schedule,
            "reports_2021-06-30/getReportSchedule": self.reports.get_report_schedule,
            "reports_2021-06-30/cancelReportSchedule": self.reports.cancel_report_schedule,
            "reports_2021-06-30/getReportDocument": self.reports.get_report_document,
            "catalogItems_2022-04-01/searchCatalogItems": self.catalog.search,
            "catalogItems_2022-04-01/getCatalogItem": self.catalog.get_item,
            "sellers/getMarketplaceParticipations": self.catalog.participations,
            "sellers/getAccount": self.catalog.account,
        }
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self._httpd = _HTTPServer(("127.0.0.1", port), _Handler, bind_and_activate=True)
        self._httpd.app = self
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None
        self._closed = False

    def __repr__(self) -> str:
        mode = "static" if self.static else "dynamic"
        return f"<SandboxServer {self.url} {mode} speed={self.speed:g} account={self.account_type}>"

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> "SandboxServer":
        """Serve in a background daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                            daemon=True, name=f"amzv-sandbox-{self.port}")
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, drop open connections and remove stored documents."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.reports.close()
        self.documents.close()

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._conn_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # -- statistics ---------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Calls and 429s per operationId, documents and bytes served."""
        with self._stats_lock:
            return {"calls": dict(self._calls), "throttled": dict(self._throttled),
                    "documents_served": self._documents_served, "bytes_served": self._bytes_served}

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._calls.clear()
            self._throttled.clear()
            self._documents_served = 0
            self._bytes_served = 0

    def _count(self, name: str, *, throttled: bool = False) -> None:
        with self._stats_lock:
            (self._throttled if throttled else self._calls)[name] += 1

    # -- rate limits --------------------------------------------------------------------------

    def bucket(self, op: Operation) -> TokenBucket:
        """The token bucket of ``op`` (created on first use)."""
        with self._buckets_lock:
            bucket = self._buckets.get(op.operation_id)
            if bucket is None:
                if op.operation_id in self._rate_overrides:
                    rate, burst = self._rate_overrides[op.operation_id]
                elif self.static:
                    rate, burst = STATIC_RATE, STATIC_BURST
                else:
                    rate, burst = op.rate, op.burst
                bucket = TokenBucket(float(rate) * self.speed, int(burst), self.clock.monotonic)
                self._buckets[op.operation_id] = bucket
            return bucket

    # -- faults -------------------------------------------------------------------------------

    def inject(self, kind: str, *, operation: str | None = None, count: int = 1, **options: Any) -> None:
        """Queue a fault; see :meth:`amzv_pandas.sandbox.Sandbox.inject`."""
        if kind == "expire_tokens":
            if options:
                raise TypeError(f"fault 'expire_tokens' takes no option(s) {', '.join(sorted(options))}")
            self.lwa.expire_all()
            return
        names = {op.operation_id for op in load_operations()} | {"token", "downloadDocument", "consent"}
        if operation is not None and operation not in names:
            raise ValueError(f"unknown operation {operation!r}; use an operationId, 'token' or 'downloadDocument'")
        self.faults.add(kind, operation=operation, count=count, **options)

    def _take_outcome_fault(self, report_type: str) -> tuple[str, str | None] | None:
        fault = self.faults.take({"report_outcome"}, "createReport", sp_api=True, report_type=report_type)
        if fault is None:
            return None
        return fault.options["status"], fault.options["error_details"]

    def _apply_faults(self, name: str, *, sp_api: bool) -> Response | None:
        """Sleep for a delay fault; return a canned answer, or drop the connection (returns a sentinel)."""
        delay = self.faults.take({"delay"}, name, sp_api=sp_api)
        if delay is not None:
            time.sleep(float(delay.options["seconds"]))
        fault = self.faults.take(ANSWER_KINDS, name, sp_api=sp_api)
        if fault is None:
            return None
        if fault.kind == "drop":
            return _DROP
        status = int(fault.kind)
        if name == "downloadDocument":
            return {429: s3_error(429, "TooManyRequests", "Please reduce your request rate."),
                    500: s3_error(500, "InternalError", "We encountered an internal error. Please try again."),
                    503: s3_error(503, "SlowDown", "Please reduce your request rate.")}[status]
        if name in ("token", "consent"):
            error = {429: "slow_down", 500: "server_error", 503: "temporarily_unavailable"}[status]
            return Response(status, {"error_description": "The authorization server is unavailable.", "error": error})
        return Response(status, _FAULT_BODIES[status].body())

    # -- request handling ---------------------------------------------------------------------

    def dispatch(self, handler: _Handler) -> None:
        request_id = str(uuid.uuid4())
        split = urlsplit(handler.path)
        path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        length = handler.headers.get("Content-Length")
        try:
            size = int(length) if length else 0
        except ValueError:
            size = -1
        if size < 0 or size > _MAX_BODY:
            handler.close_connection = True
            self._send(handler, Response(413, ApiError(413, "RequestEntityTooLarge",
                                                       "The request size exceeded the maximum accepted size.").body()),
                       request_id)
            return
        body = handler.rfile.read(size) if size else b""
        method = handler.command
        try:
            if path == "/auth/o2/token" and method == "POST":
                self._token(handler, body, request_id)
            elif path == "/apps/authorize/consent" and method == "GET":
                self._consent(handler, query, request_id)
            elif path.startswith("/_documents/") and method in ("GET", "HEAD"):
                self._download(handler, unquote(path[len("/_documents/"):]), query, request_id)
            elif path == "/_callback" and method == "GET":
                text = b"amzv sandbox: consent complete. Copy this page's full URL back to the waiting program.\n"
                self._send(handler, Response(200, text, content_type="text/plain; charset=utf-8"), request_id)
            else:
                self._sp_api(handler, method, path, query, body, request_id)
        except ApiError as exc:
            self._send(handler, Response(exc.status, exc.body()), request_id)

    def _token(self, handler: _Handler, body: bytes, request_id: str) -> None:
        self._count("token")
        answer = self._apply_faults("token", sp_api=False)
        if answer is _DROP:
            return self._drop(handler)
        if answer is None:
            ctype = (handler.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            form: dict[str, str] = {}
            if ctype == "application/json":
                try:
                    parsed = json.loads(body or b"{}")
                    form = {str(k): str(v) for k, v in parsed.items()} if isinstance(parsed, dict) else {}
                except ValueError:
                    form = {}
            else:
                form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
            answer = self.lwa.grant(form, _basic_auth(handler.headers.get("Authorization")))
        self._send(handler, answer, request_id)

    def _consent(self, handler: _Handler, query: dict[str, list[str]], request_id: str) -> None:
        self._count("consent")
        answer = self._apply_faults("consent", sp_api=False)
        if answer is _DROP:
            return self._drop(handler)
        if answer is None:
            answer = self.lwa.consent({k: v[-1] for k, v in query.items()}, f"{self.url}/_callback")
        self._send(handler, answer, request_id)

    def _sp_api(self, handler: _Handler, method: str, path: str, query: dict[str, list[str]], body: bytes,
                request_id: str) -> None:
        op, path_params, path_known = match_operation(method, path, self.operations)
        if op is None or (not self.static and op.key not in self._handlers):
            what = "method" if path_known else "resource"
            raise ApiError(404, "NotFound", f"Resource not found: {method} {path}",
                           f"The sandbox has no such {what}; it serves the Reports 2021-06-30, "
                           "Catalog Items 2022-04-01 and Sellers v1 operations.")
        name = op.operation_id
        self._count(name)
        answer = self._apply_faults(name, sp_api=True)
        if answer is _DROP:
            return self._drop(handler)
        if answer is None:
            answer = self._operation(handler, op, path_params, QueryArgs(query), body, path)
        if answer.status == 429:
            self._count(name, throttled=True)
        self._send(handler, answer, request_id, op=op)

    def _operation(self, handler: _Handler, op: Operation, path_params: dict[str, str], query: QueryArgs,
                   body: bytes, path: str) -> Response:
        details = self.lwa.check(handler.headers.get("x-amz-access-token"))
        if details is not None:
            return Response(403, ApiError(403, "Unauthorized", "Access to requested resource is denied.",
                                          details).body())
        if not self.bucket(op).take():
            return Response(429, _FAULT_BODIES[429].body())
        try:
            if self.static_responder is not None:
                return self.static_responder.respond(op, path_params, query, body)
            req = Request(handler.command, path, query, handler.headers, body, path_params, self.url, op)
            return self._handlers[op.key](req)
        except ApiError as exc:
            return Response(exc.status, exc.body())
        except Exception:
            logger.exception("sandbox: %s failed", op.operation_id)
            return Response(500, _FAULT_BODIES[500].body())

    def _get_report(self, req: Request) -> Response:
        # Amazon can answer 404 for a moment right after createReport (selling-partner-api-models#2419).
        if self.faults.take({"not_found_after_create"}, "getReport", sp_api=True) is not None:
            raise ApiError(404, "NotFound", "One or more of the provided ReportRequestIds could not be found.")
        return self.reports.get_report(req)

    # -- documents ----------------------------------------------------------------------------

    def _download(self, handler: _Handler, doc_id: str, query: dict[str, list[str]], request_id: str) -> None:
        self._count("downloadDocument")
        answer = self._apply_faults("downloadDocument", sp_api=False)
        if answer is _DROP:
            return self._drop(handler)
        if answer is None:
            answer = self.documents.verify(doc_id, {k: v[-1] for k, v in query.items()})
        if answer is not None:
            answer.headers.setdefault("x-amz-request-id", _s3_request_id(request_id))
            return self._send(handler, answer, request_id)
        doc = self.documents.get(doc_id)
        assert doc is not None  # verify() checked
        self._send_document(handler, doc, query, request_id)

    def _send_document(self, handler: _Handler, doc: StoredDocument, query: dict[str, list[str]],
                       request_id: str) -> None:
        span = parse_range(handler.headers.get("Range"), doc.size)
        if span is False:
            resp = s3_error(416, "InvalidRange", "The requested range is not satisfiable")
            resp.headers["Content-Range"] = f"bytes */{doc.size}"
            return self._send(handler, resp, request_id)
        start, end = span if span else (0, doc.size - 1)
        length = max(0, end - start + 1)
        handler.send_response(206 if span else 200)
        headers = {
            "Content-Type": doc.content_type,
            "Content-Length": str(length),
            "Accept-Ranges": "bytes",
            "ETag": doc.etag,
            "Last-Modified": http_date(doc.created),
            "x-amz-request-id": _s3_request_id(request_id),
            "x-amzn-RequestId": request_id,
        }
        if span:
            headers["Content-Range"] = f"bytes {start}-{end}/{doc.size}"
        if query.get("response-content-encoding", [""])[-1] == "gzip":
            headers["Content-Encoding"] = "gzip"
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        if handler.command == "HEAD":
            return
        fault = self.faults.take({"truncate"}, "downloadDocument", sp_api=False)
        limit = int(length * float(fault.options["fraction"])) if fault else length
        # Counted before sending: a client that has read the whole body must see it counted.
        with self._stats_lock:
            self._bytes_served += limit
            if fault is None:
                self._documents_served += 1
        if doc.path is not None and fault is None:
            with open(doc.path, "rb") as fh:  # zero-copy from the stored gzip file
                if length:
                    handler.connection.sendfile(fh, offset=start, count=length)
        else:
            for block in doc.iter_bytes(start, start + limit - 1) if limit else ():
                handler.wfile.write(block)
        if fault is not None:
            self._drop(handler)  # Content-Length promised more; the client sees a short body

    # -- low-level output ---------------------------------------------------------------------

    def _send(self, handler: _Handler, resp: Response, request_id: str, *, op: Operation | None = None) -> None:
        payload = resp.payload()
        handler.send_response(resp.status)
        handler.send_header("Content-Type", resp.content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("x-amzn-RequestId", request_id)
        # The models declare the header on success/400/404 only, but the live service can
        # send it on any response (README, "Service behaviour seen in the wild"); a 429 is
        # where a client needs the rate most, so it gets it too.
        if op is not None and (resp.status in op.header_statuses or resp.status == 429):
            handler.send_header("x-amzn-RateLimit-Limit", format_rate(self.bucket(op).rate))
        for key, value in resp.headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        if payload and handler.command != "HEAD":
            handler.wfile.write(payload)

    @staticmethod
    def _drop(handler: _Handler) -> None:
        handler.close_connection = True
        try:
            handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


_DROP = Response(0)
_FAULT_BODIES = {
    429: ApiError(429, "QuotaExceeded", "You exceeded your quota for the requested resource."),
    500: ApiError(500, "InternalFailure", "We encountered an internal error. Please try again."),
    503: ApiError(503, "ServiceUnavailable", "Service temporarily unavailable. Please try again."),
}


def _s3_request_id(request_id: str) -> str:
    return request_id.replace("-", "")[:16].upper()


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    from urllib.parse import unquote_plus

    # RFC 6749 2.3.1: client credentials are form-encoded before Basic encoding.
    return unquote_plus(user), unquote_plus(password)
