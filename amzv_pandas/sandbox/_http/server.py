"""The sandbox HTTP server: a local, SP-API-compatible endpoint on 127.0.0.1.

One :class:`SandboxServer` owns the state (LWA tokens, reports, schedules,
stored documents, rate-limit buckets, injected faults, call statistics) and a
stdlib ``ThreadingHTTPServer`` that turns requests into calls on it:

* ``POST /auth/o2/token`` and ``GET /apps/authorize/consent`` — Login with Amazon;
* the operations of the Reports 2021-06-30, Catalog Items 2022-04-01 and Sellers
  models and the Data Kiosk 2023-11-15 operations (all five models, Catalog
  2020-12-01 included, in static mode);
* ``GET /_documents/<id>?X-Amz-...`` — presigned document downloads (no token).

Request lines go to the ``amzv_pandas.sandbox`` logger at DEBUG with presigned
signatures and tokens redacted; nothing is written to stderr.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections import Counter
from typing import Any, Callable, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from .._data.api_models import Operation, load_operations, match_operation
from .._services.catalog import CatalogService
from .._services.common import Clock, TokenCodec
from .._services.datakiosk import DataKioskService
from .._services.reports import ReportsService
from .._services.schedules import SchedulesService
from .._services.request import ApiError, QueryArgs, Request, Response
from .accounts import SandboxAccount
from .documents import DocumentStore, s3_request_id
from .fault_answers import DROP, SP_API_ERRORS, fault_answer
from .fault_bodies import FaultBody
from .faults import ANSWER_KINDS, FaultQueue
from .handler import Handler, HTTPServer, logger
from .lwa import LWA, basic_auth
from .static import StaticResponder
from .sending import Sending
from .throttle import TokenBucket

__all__ = ["SandboxServer", "STATIC_RATE", "STATIC_BURST"]

#: Amazon's sandbox hosts allow 5 requests/s with a burst of 15 for every operation.
STATIC_RATE, STATIC_BURST = 5.0, 15
#: Models served in dynamic mode (Catalog 2020-12-01 only has static examples here).
_DYNAMIC_MODELS = ("reports_2021-06-30", "catalogItems_2022-04-01", "sellers", "dataKiosk_2023-11-15")
_MAX_BODY = 10 << 20
#: How long close() waits for request threads (a drip or a bomb notices within a tick).
_CLOSE_JOIN_SECONDS = 3.0
_INVALID_TOKEN = "The access token you provided is revoked, malformed or invalid."

class SandboxServer(Sending):
    """A running (after :meth:`start`) local SP-API stand-in.

    ``data`` is the :class:`~amzv_pandas.sandbox.data.SandboxData` behind it; every
    other parameter is the one of :func:`amzv_pandas.sandbox.serve` of the same name
    (documented there, once), ``seed`` making report and schedule ids reproducible;
    ``datakiosk`` holds serve's ``datakiosk_*`` options without the prefix. With ``accounts``
    > 1, ``account_data(k)`` gives account ``k``'s data (``data`` is account 0's); see
    :mod:`~amzv_pandas.sandbox._http.accounts`.
    """

    def __init__(self, data: Any, *, port: int = 0, speed: float = 1.0, static: bool = False,
                 token_lifetime: float = 3600, processing_seconds: float = 6.0, document_ttl: float = 300.0,
                 rate_limits: Mapping[str, tuple[float, int]] | None = None, account_type: str = "vendor",
                 seed: int = 0, fault_rates: Mapping[str, Any] | None = None, fault_seed: int = 0,
                 datakiosk: Mapping[str, Any] | None = None,
                 account_data: Callable[[int], Any] | None = None, accounts: int = 1) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed!r}")
        if account_type not in ("vendor", "seller"):
            raise ValueError(f"account_type must be 'vendor' or 'seller', got {account_type!r}")
        if isinstance(accounts, bool) or not isinstance(accounts, int) or accounts < 1:
            raise ValueError(f"accounts must be an int >= 1, got {accounts!r}")
        if accounts > 1 and account_data is None:
            raise ValueError("accounts > 1 needs account_data (each account's own data)")
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
        self.faults = FaultQueue(seed=fault_seed)
        self._stopping = threading.Event()
        self._stats_lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()
        self._documents_served = 0
        self._bytes_served = 0
        codec = TokenCodec(os.urandom(32))
        self.lwa = LWA(self.clock, token_lifetime=token_lifetime, selling_partner_id=str(data.sellers[0]),
                       accounts=accounts)
        self.documents = DocumentStore(self.clock, ttl=document_ttl)

        def account(k: int, data_k: Any) -> SandboxAccount:
            # Report, schedule and query ids come from per-account seeds: accounts never share an id.
            seed_k = seed if k == 0 else f"{seed}-account-{k}"
            return SandboxAccount(
                k, data_k,
                reports=ReportsService(data_k, self.documents, self.clock, processing_seconds=processing_seconds / self.speed,
                                       seed=seed_k, codec=codec, take_outcome_fault=self._take_outcome_fault),
                schedules=SchedulesService(self.clock, seed=seed_k, account_type=account_type),
                catalog=CatalogService(data_k, account_type=account_type, codec=codec),
                datakiosk=DataKioskService(data_k, self.documents, self.clock,
                                           processing_seconds=processing_seconds / self.speed, seed=seed_k,
                                           codec=codec, take_fault=self._take_query_fault, **dict(datakiosk or {})),
                make_bucket=self._new_bucket, get_report=self._get_report)

        self.accounts = [account(k, data if k == 0 else account_data(k))  # type: ignore[misc]
                         for k in range(accounts)]
        # Account 0 is "the" account of a one-account server (and of sb.client()).
        first = self.accounts[0]
        self.reports, self.schedules, self.catalog, self.datakiosk = (first.reports, first.schedules, first.catalog,
                                                                     first.datakiosk)
        self.static_responder = StaticResponder(self.operations) if static else None
        self._handlers = first.handlers
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._conn_lock = threading.Lock()
        if fault_rates:
            for kind, spec in fault_rates.items():  # validated like inject(), operation names included
                options = dict(spec) if isinstance(spec, Mapping) else {"probability": spec}
                if "probability" not in options:
                    raise ValueError(f"fault_rates[{kind!r}] needs a probability")
                options.setdefault("count", None)
                self.inject(kind, **options)
        self._httpd = HTTPServer(("127.0.0.1", port), Handler, bind_and_activate=True)
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
        self._stopping.set()  # delays and drips stop waiting
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()
        with self._conn_lock:
            conns = dict(self._connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        # Every request thread ends: reads and writes fail on the shut sockets, waits see _stopping.
        deadline = time.monotonic() + _CLOSE_JOIN_SECONDS
        for thread in conns.values():
            if thread is not threading.current_thread():
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
        for acct in self.accounts:
            acct.close()
        self.documents.close()

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._conn_lock:
            if add:
                self._connections[conn] = threading.current_thread()
            else:
                self._connections.pop(conn, None)

    # -- statistics ---------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Calls and 429s per operationId, documents and bytes served."""
        with self._stats_lock:
            return {"calls": dict(self._calls), "throttled": dict(self._throttled),
                    "documents_served": self._documents_served, "bytes_served": self._bytes_served}

    def account_stats(self) -> list[dict[str, Any]]:
        """Each account's SP-API calls and 429s per operationId (account 0 first)."""
        return [acct.stats() for acct in self.accounts]

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._calls.clear()
            self._throttled.clear()
            self._documents_served = 0
            self._bytes_served = 0
        for acct in self.accounts:
            acct.reset_stats()

    def _count(self, name: str, *, throttled: bool = False) -> None:
        with self._stats_lock:
            (self._throttled if throttled else self._calls)[name] += 1

    # -- rate limits --------------------------------------------------------------------------

    def bucket(self, op: Operation, account: int = 0) -> TokenBucket:
        """``account``'s token bucket of ``op`` (created on first use; each account has its own)."""
        return self.accounts[account].bucket(op)

    def _new_bucket(self, op: Operation) -> TokenBucket:
        if op.operation_id in self._rate_overrides:
            rate, burst = self._rate_overrides[op.operation_id]
        elif self.static:
            rate, burst = STATIC_RATE, STATIC_BURST
        else:
            rate, burst = op.rate, op.burst
        return TokenBucket(float(rate) * self.speed, int(burst), self.clock.monotonic)

    # -- faults -------------------------------------------------------------------------------

    def inject(self, kind: str, *, operation: str | None = None, count: int | None = 1,
               probability: float | None = None, **options: Any) -> None:
        """Queue a fault; see :meth:`amzv_pandas.sandbox.Sandbox.inject`."""
        if kind == "expire_tokens":
            if options or probability is not None:
                extra = sorted(options) + (["probability"] if probability is not None else [])
                raise TypeError(f"fault 'expire_tokens' takes no option(s) {', '.join(extra)}")
            self.lwa.expire_all()
            return
        names = {op.operation_id for op in load_operations()} | {"token", "downloadDocument", "consent"}
        if operation is not None and operation not in names:
            raise ValueError(f"unknown operation {operation!r}; use an operationId, 'token' or 'downloadDocument'")
        self.faults.add(kind, operation=operation, count=count, probability=probability, **options)

    def _take_outcome_fault(self, report_type: str) -> tuple[str, str | None] | None:
        fault = self.faults.take({"report_outcome"}, "createReport", sp_api=True, report_type=report_type)
        if fault is None:
            return None
        return fault.options["status"], fault.options["error_details"]

    def _take_query_fault(self, kinds: set[str]) -> Any:
        return self.faults.take(kinds, "createQuery", sp_api=True)

    def _wait(self, seconds: float) -> bool:
        """Sleep unless the server is closing; True when it is."""
        return self._stopping.wait(max(0.0, seconds))

    def _apply_faults(self, name: str, *, sp_api: bool, handler: Handler | None = None,
                      body: bytes = b"") -> Response | FaultBody | None:
        """Sleep for a delay fault; return a canned answer or body, or drop the connection (a sentinel)."""
        delay = self.faults.take({"delay"}, name, sp_api=sp_api)
        if delay is not None and self._wait(float(delay.options["seconds"])):
            return DROP
        kinds = ANSWER_KINDS if name == "downloadDocument" else ANSWER_KINDS | {"body"}
        fault = self.faults.take(kinds, name, sp_api=sp_api)
        if fault is None:
            return None
        return fault_answer(fault, name, handler.headers if handler is not None else {}, body)

    # -- request handling ---------------------------------------------------------------------

    def dispatch(self, handler: Handler) -> None:
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

    def _token(self, handler: Handler, body: bytes, request_id: str) -> None:
        self._count("token")
        answer = self._apply_faults("token", sp_api=False, handler=handler, body=body)
        if answer is DROP:
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
            answer = self.lwa.grant(form, basic_auth(handler.headers.get("Authorization")))
        self._send(handler, answer, request_id, name="token")

    def _consent(self, handler: Handler, query: dict[str, list[str]], request_id: str) -> None:
        self._count("consent")
        answer = self._apply_faults("consent", sp_api=False)
        if answer is DROP:
            return self._drop(handler)
        if answer is None:
            answer = self.lwa.consent({k: v[-1] for k, v in query.items()}, f"{self.url}/_callback")
        self._send(handler, answer, request_id)

    def _sp_api(self, handler: Handler, method: str, path: str, query: dict[str, list[str]], body: bytes,
                request_id: str) -> None:
        op, path_params, path_known = match_operation(method, path, self.operations)
        if op is None or (not self.static and op.key not in self._handlers):
            what = "method" if path_known else "resource"
            raise ApiError(404, "NotFound", f"Resource not found: {method} {path}",
                           f"The sandbox has no such {what}; it serves the Reports 2021-06-30, "
                           "Catalog Items 2022-04-01, Sellers v1 and Data Kiosk 2023-11-15 operations.")
        name = op.operation_id
        self._count(name)
        index = self.lwa.account_of(handler.headers.get("x-amz-access-token"))
        acct = self.accounts[index] if index is not None else None
        if acct is not None:
            acct.count(name)
        answer = self._apply_faults(name, sp_api=True, handler=handler, body=body)
        if answer is DROP:
            return self._drop(handler)
        if answer is None:
            answer = self._operation(handler, op, path_params, QueryArgs(query), body, path, acct)
            if name == "createReport" and answer.status == 202:
                # The report exists now; the caller just does not hear about it.
                failed = self.faults.take({"fail_after_create"}, name, sp_api=True)
                if failed is not None:
                    if failed.options["drop"]:
                        return self._drop(handler)
                    status = int(failed.options["status"])
                    answer = Response(status, SP_API_ERRORS[status].body())
        if isinstance(answer, Response) and answer.status == 429:
            self._count(name, throttled=True)
            if acct is not None:
                acct.count(name, throttled=True)
        self._send(handler, answer, request_id, op=op, name=name)

    def _operation(self, handler: Handler, op: Operation, path_params: dict[str, str], query: QueryArgs,
                   body: bytes, path: str, acct: SandboxAccount | None = None) -> Response:
        details = self.lwa.check(handler.headers.get("x-amz-access-token"))
        if details is not None or acct is None:
            return Response(403, ApiError(403, "Unauthorized", "Access to requested resource is denied.",
                                          details or _INVALID_TOKEN).body())
        if not acct.bucket(op).take():
            return Response(429, SP_API_ERRORS[429].body())
        try:
            if self.static_responder is not None:
                return self.static_responder.respond(op, path_params, query, body)
            req = Request(handler.command, path, query, handler.headers, body, path_params, self.url, op)
            return acct.handlers[op.key](req)
        except ApiError as exc:
            return Response(exc.status, exc.body())
        except Exception:
            logger.exception("sandbox: %s failed", op.operation_id)
            return Response(500, SP_API_ERRORS[500].body())

    def _get_report(self, acct: SandboxAccount, req: Request) -> Response:
        # Amazon can answer 404 for a moment right after createReport (selling-partner-api-models#2419).
        report_id = req.path_params["reportId"]
        created = acct.reports.created_at(report_id)
        age = None if created is None else self.clock.time() - created
        if self.faults.take_not_found(report_id, age):
            raise ApiError(404, "NotFound", "One or more of the provided ReportRequestIds could not be found.")
        answer = acct.reports.get_report(req)
        missing = self.faults.take({"missing_status"}, "getReport", sp_api=True)
        if missing is not None and isinstance(answer.body, dict):
            answer.body.pop(missing.options["field"], None)
        return answer

    # -- documents ----------------------------------------------------------------------------

    def _download(self, handler: Handler, doc_id: str, query: dict[str, list[str]], request_id: str) -> None:
        self._count("downloadDocument")
        answer = self._apply_faults("downloadDocument", sp_api=False)
        if answer is DROP:
            return self._drop(handler)
        if answer is None:
            answer = self.documents.verify(doc_id, {k: v[-1] for k, v in query.items()})
        if answer is not None:
            assert isinstance(answer, Response)
            answer.headers.setdefault("x-amz-request-id", s3_request_id(request_id))
            return self._send(handler, answer, request_id, name="downloadDocument")
        doc = self.documents.get(doc_id)
        assert doc is not None  # verify() checked
        self._send_document(handler, doc, query, request_id)
