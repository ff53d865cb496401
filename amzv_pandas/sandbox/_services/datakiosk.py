"""Data Kiosk API 2023-11-15: createQuery, getQueries, getQuery, cancelQuery and getDocument.

A query moves IN_QUEUE -> IN_PROGRESS -> DONE/FATAL over ``processing_seconds`` (already
divided by the sandbox speed), like a report; it is executed in a background thread with
graphql-core against the Vendor Analytics resolvers (:mod:`.._data.datakiosk_graphql`).

Behaviour a client can rely on:

* createQuery validates the query against the SDL before accepting it: a 400 ``InvalidInput``
  whose ``details`` are worded like graphql-java (``Validation error (FieldUndefined@[...]) :
  ...``, ``Invalid Syntax : ...``); one view of one versioned domain; no introspection; at most
  8,000 characters after unnecessary whitespace is removed; ``startDate`` at most two years back.
* **Concurrent non-terminal queries**: when the account already has ``max_queries``
  (``serve(datakiosk_max_queries=)``, default 5) queries IN_QUEUE or IN_PROGRESS, createQuery
  answers **429** with code ``QuotaExceeded`` (message "You exceeded your quota for the
  requested resource.", ``details`` naming the limit) and creates nothing: the same answer as
  a rate-limit throttle, so a client that waits and retries 429s handles both. The fault
  ``query_limit`` forces that answer once.
* DONE with a ``dataDocumentId`` (JSONL, one line per element of the view), DONE with neither
  document id when the range holds no published data (vendor data appear about three days
  after the day; WEEK/MONTH ranges are clipped to whole periods), FATAL with an
  ``errorDocumentId`` (a JSON array of GraphQL errors, e.g. ``productAvailability`` by DAY with
  start != end). When the result has more than ``page_size`` lines
  (``serve(datakiosk_page_size=)``), getQuery shows ``pagination.nextToken``; the next page is a
  new createQuery with the same ``query`` and that ``paginationToken``.
* getDocument answers a presigned ``documentUrl`` (valid ``document_ttl`` seconds) whose download
  carries ``Content-Encoding: gzip``, or plain bytes with ``serve(datakiosk_gzip=False)``.
* Queries and documents are kept for their retention (30 days, the SDL's ``@resultRetention``):
  older ones are 404 and absent from getQueries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .._data.datakiosk_graphql import CheckedQuery, QueryRefused, check_query, execute
from .._data.rules import latest_available_day
from .._data.util import marketplace_or_us
from .._data.vendor_analytics import AnalyticsModel, clip_periods
from .common import Clock, TokenCodec, format_time, int_param, parse_time, utc_datetime
from .reports import DocumentStore
from .request import ApiError, Request, Response, invalid_input

__all__ = ["DataKioskService", "QUERY_STATUSES", "RETENTION_SECONDS"]

logger = logging.getLogger("amzv_pandas.sandbox")

QUERY_STATUSES = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")
RETENTION_SECONDS = 30 * 86400.0
_QUEUE_SHARE = 0.25
_NOT_FOUND = "The provided queryId was not found."  # the model's static 404 example
_QUOTA = "You exceeded your quota for the requested resource."


@dataclass
class _Query:
    query_id: str
    text: str
    checked: CheckedQuery
    offset: int
    created: float
    started: float
    due: float
    forced: tuple[str, str | None, str] | None = None  # (status, message, error shape) from a fault
    outcome: str = "DONE"
    data_doc: str | None = None
    error_doc: str | None = None
    next_token: str | None = None
    cancelled: float | None = None
    finished: float | None = None
    ready: threading.Event = field(default_factory=threading.Event)

    def status(self, now: float) -> str:
        if self.cancelled is not None:
            return "CANCELLED"
        if now < self.started:
            return "IN_QUEUE"
        if now < self.due or not self.ready.is_set():
            return "IN_PROGRESS"
        return self.outcome

    def to_json(self, now: float) -> dict[str, Any]:
        status = self.status(now)
        out: dict[str, Any] = {"queryId": self.query_id, "query": self.text, "createdTime": format_time(self.created),
                               "processingStatus": status}
        if status != "IN_QUEUE" and not (status == "CANCELLED" and self.cancelled is not None
                                         and self.cancelled < self.started):
            out["processingStartTime"] = format_time(self.started)
        if status in ("DONE", "FATAL", "CANCELLED"):
            end = self.cancelled if self.cancelled is not None else max(self.due, self.finished or self.due)
            out["processingEndTime"] = format_time(end)
        if status == "DONE":
            if self.data_doc:
                out["dataDocumentId"] = self.data_doc
            if self.next_token:
                out["pagination"] = {"nextToken": self.next_token}
        if status == "FATAL" and self.error_doc:
            out["errorDocumentId"] = self.error_doc
        return out


class DataKioskService:
    """State and handlers of the Data Kiosk API.

    Parameters
    ----------
    data : SandboxData
        The vendor's numbers (``data._vendor_model``) and vendor code (``data.sellers[0]``).
    documents : DocumentStore
        Where data and error documents are kept and presigned.
    clock : Clock
    processing_seconds : float
        createQuery to a terminal status (already divided by speed).
    seed : int
        Makes query and document ids reproducible.
    codec : TokenCodec
        Signs pagination tokens.
    max_queries, page_size : int
        Concurrent non-terminal query limit; lines per data document.
    gzip : bool
        Serve documents with ``Content-Encoding: gzip`` (else plain).
    marketplaces : sequence of str
        Marketplace ids of the account: every period has one line per marketplace.
    take_fault : callable
        ``(kinds) -> Fault | None`` for createQuery's faults (``query_outcome``, ``query_limit``).
    """

    def __init__(self, data: Any, documents: DocumentStore, clock: Clock, *, processing_seconds: float, seed: int,
                 codec: TokenCodec, max_queries: int = 5, page_size: int = 1000, gzip: bool = True,
                 marketplaces: Sequence[str] = ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"),
                 take_fault: Callable[[set[str]], Any] = lambda kinds: None) -> None:
        if max_queries < 1 or page_size < 1:
            raise ValueError("datakiosk_max_queries and datakiosk_page_size must be >= 1")
        self.data = data
        self.documents = documents
        self.clock = clock
        self.processing_seconds = float(processing_seconds)
        self.codec = codec
        self.max_queries = int(max_queries)
        self.page_size = int(page_size)
        self.gzip = bool(gzip)
        self.marketplaces = tuple(marketplaces)
        self._take_fault = take_fault
        self._rng = random.Random(f"amzv-sandbox-datakiosk-{seed}")
        self._queries: dict[str, _Query] = {}
        self._doc_ids: dict[str, float] = {}  # document id -> creation time
        self._results: dict[tuple[str, str], list[bytes]] = {}  # (query text, day) -> JSONL lines
        self._lock = threading.Lock()
        self._model: AnalyticsModel | None = None
        self._threads: list[threading.Thread] = []
        self._closing = threading.Event()

    def close(self) -> None:
        """Wait briefly for running executions."""
        self._closing.set()
        deadline = time.monotonic() + 5.0
        for thread in list(self._threads):
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    @property
    def model(self) -> AnalyticsModel:
        with self._lock:
            if self._model is None:
                self._model = AnalyticsModel(self.data._vendor_model, str(self.data.sellers[0]))
            return self._model

    def _new_id(self, prefix: str = "") -> str:
        with self._lock:
            return prefix + str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    # -- createQuery ----------------------------------------------------------------------------

    def create_query(self, req: Request) -> Response:
        """createQuery: check the query, respect the concurrency limit, answer 202 ``{"queryId"}``."""
        body = req.json_body()
        if not isinstance(body, dict):
            raise invalid_input("Invalid input", "The request body must be a CreateQuerySpecification object.")
        now = self.clock.time()
        try:
            checked = check_query(body.get("query"), utc_datetime(now).date())
        except QueryRefused as exc:
            raise invalid_input(exc.message, exc.details) from None
        offset = 0
        token = body.get("paginationToken")
        if token is not None:
            state = self.codec.decode(token) if isinstance(token, str) else None
            if not state or state.get("op") != "createQuery" or state.get("q") != _digest(checked.text):
                raise invalid_input("Invalid 'paginationToken' provided.",
                                    "The paginationToken must be a pagination.nextToken of a query with the "
                                    "same 'query'.")
            offset = int(state["offset"])
        with self._lock:
            active = sum(1 for q in self._queries.values() if q.status(now) in ("IN_QUEUE", "IN_PROGRESS"))
        if active >= self.max_queries or self._take_fault({"query_limit"}) is not None:
            raise ApiError(429, "QuotaExceeded", _QUOTA,
                           f"The account has reached the limit of {self.max_queries} concurrent non-terminal "
                           "queries (IN_QUEUE or IN_PROGRESS); retry when one of them has finished.")
        fault = self._take_fault({"query_outcome"})
        forced = None if fault is None else (fault.options["status"], fault.options["message"],
                                             fault.options["error_shape"])
        query = _Query(query_id=self._new_id(), text=checked.text, checked=checked, offset=offset, created=now,
                       started=now + _QUEUE_SHARE * self.processing_seconds, due=now + self.processing_seconds,
                       forced=forced)
        with self._lock:
            self._queries[query.query_id] = query
        thread = threading.Thread(target=self._run, args=(query,), daemon=True,
                                  name=f"amzv-sandbox-query-{query.query_id[:8]}")
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()
        return Response(202, {"queryId": query.query_id})

    def _run(self, query: _Query) -> None:
        try:
            self._execute(query)
        except Exception:
            if self._closing.is_set():
                return  # the document store went away under us during shutdown
            logger.exception("sandbox: Data Kiosk query %s failed", query.query_id)
            query.outcome = "FATAL"
            self._error_document(query, [{"message": "An internal error occurred while processing the query."}])
        query.finished = self.clock.time()
        query.ready.set()

    def _execute(self, query: _Query) -> None:
        if query.forced is not None:
            status, message, shape = query.forced
            if status == "NO_DATA":
                query.outcome = "DONE"
            elif status == "CANCELLED":
                query.cancelled = query.due
                query.outcome = "CANCELLED"
            else:
                query.outcome = "FATAL"
                why = message or "The query could not be processed."
                self._error_document(query, _graphql_errors(query.checked, why) if shape == "graphql"
                                     else {"errorMessage": why})
            return
        lines, errors = self._lines(query)
        if errors is not None:
            query.outcome = "FATAL"
            self._error_document(query, errors)
            return
        page = lines[query.offset:query.offset + self.page_size]
        if not page:
            return  # DONE without documents: no data for the range
        if query.offset + self.page_size < len(lines):
            query.next_token = self.codec.encode({"op": "createQuery", "q": _digest(query.text),
                                                  "offset": query.offset + self.page_size})
        doc_id = self._new_id("amzn1.tortuga.4.na.")
        self.documents.put(doc_id, "application/x-ndjson", [b"".join(page)], compress=self.gzip)
        with self._lock:
            self._doc_ids[doc_id] = self.clock.time()
        query.data_doc = doc_id

    def _lines(self, query: _Query) -> tuple[list[bytes], list[dict[str, Any]] | None]:
        """Every JSONL line of the query's result (cached per query text and day, for paging)."""
        checked = query.checked
        created = utc_datetime(query.created)
        m = marketplace_or_us(self.marketplaces[0])
        latest = latest_available_day("GET_VENDOR_SALES_REPORT", m, created)
        key = (checked.text, latest.isoformat())
        with self._lock:
            cached = self._results.get(key)
        if cached is not None:
            return cached, None
        periods = [p for p in clip_periods(checked.start, checked.end, checked.aggregate_by) if p.end <= latest]
        lines, errors = execute(checked, self.model, periods, self.marketplaces)
        if errors is not None:
            return [], errors
        encoded = [json.dumps(line, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"
                   for line in lines]
        with self._lock:
            if len(self._results) > 32:
                self._results.clear()
            self._results[key] = encoded
        return encoded, None

    def _error_document(self, query: _Query, payload: Any) -> None:
        doc_id = self._new_id("amzn1.tortuga.4.na.")
        self.documents.put(doc_id, "application/json", [json.dumps(payload).encode("utf-8")], compress=self.gzip)
        with self._lock:
            self._doc_ids[doc_id] = self.clock.time()
        query.error_doc = doc_id

    # -- getQueries / getQuery / cancelQuery ------------------------------------------------------

    def _find(self, query_id: str) -> _Query:
        with self._lock:
            query = self._queries.get(query_id)
        if query is None or self.clock.time() - query.created > RETENTION_SECONDS:
            raise ApiError(404, "NotFound", _NOT_FOUND, f"No query with id {query_id}.")
        return query

    def get_query(self, req: Request) -> Response:
        """getQuery: the ``Query`` object (status, document ids, ``pagination.nextToken``)."""
        return Response(200, self._find(req.path_params["queryId"]).to_json(self.clock.time()))

    def get_queries(self, req: Request) -> Response:
        """getQueries: the account's queries, newest first, filtered and paged (``paginationToken``)."""
        now = self.clock.time()
        size = int_param(req.query.one("pageSize"), "pageSize", 1, 100, default=10)
        token = req.query.one("paginationToken")
        if token is not None:
            state = self.codec.decode(token)
            if state is None or state.get("op") != "getQueries":
                raise invalid_input("Invalid 'paginationToken' provided.", "the paginationToken is not valid")
        else:
            statuses = req.query.array("processingStatuses")
            if statuses is not None:
                bad = [s for s in statuses if s not in QUERY_STATUSES]
                if bad or not statuses:  # worded as the model's static 400 example
                    raise invalid_input(f"1 validation error detected: Value '[{', '.join(statuses)}]' at "
                                        "'processingStatuses' failed to satisfy constraint: Member must satisfy "
                                        "constraint: [Member must satisfy enum value set: [DONE, FATAL, "
                                        "IN_PROGRESS, CANCELLED, IN_QUEUE]]", "")
            since_raw, until_raw = req.query.one("createdSince"), req.query.one("createdUntil")
            since = parse_time(since_raw, "createdSince") if since_raw else now - 90 * 86400.0
            until = parse_time(until_raw, "createdUntil") if until_raw else now
            if since > until:
                raise invalid_input("Invalid 'createdSince' provided.", "createdSince must not be after createdUntil")
            state = {"op": "getQueries", "statuses": statuses, "since": since, "until": until, "offset": 0}
        with self._lock:
            candidates = list(self._queries.values())
        matches = [q for q in candidates
                   if now - q.created <= RETENTION_SECONDS and state["since"] <= q.created <= state["until"]
                   and (state["statuses"] is None or q.status(now) in state["statuses"])]
        matches.sort(key=lambda q: (q.created, q.query_id), reverse=True)
        offset = int(state["offset"])
        body: dict[str, Any] = {"queries": [q.to_json(now) for q in matches[offset:offset + size]]}
        if offset + size < len(matches):
            body["pagination"] = {"nextToken": self.codec.encode({**state, "offset": offset + size})}
        return Response(200, body)

    def cancel_query(self, req: Request) -> Response:
        """cancelQuery: 204; a cancelled query no-ops, a DONE/FATAL one is a 400."""
        query = self._find(req.path_params["queryId"])
        with self._lock:
            now = self.clock.time()
            status = query.status(now)
            if status in ("DONE", "FATAL"):
                raise invalid_input("Only queries with a non-terminal processingStatus (IN_QUEUE, IN_PROGRESS) "
                                    "can be cancelled.", f"Query {query.query_id} is {status}.")
            if status != "CANCELLED":
                query.cancelled = now
        return Response(204, None)

    # -- getDocument ----------------------------------------------------------------------------

    def get_document(self, req: Request) -> Response:
        """getDocument: ``{"documentId", "documentUrl"}`` with a presigned, expiring URL."""
        doc_id = req.path_params["documentId"]
        with self._lock:
            created = self._doc_ids.get(doc_id)
        if created is None or self.documents.get(doc_id) is None or self.clock.time() - created > RETENTION_SECONDS:
            raise ApiError(404, "NotFound", "The provided documentId was not found.", f"No document with id {doc_id}.")
        url = self.documents.presign(doc_id, req.base_url, content_encoding=self.gzip)
        return Response(200, {"documentId": doc_id, "documentUrl": url})

    # -- used by the Sandbox facade -------------------------------------------------------------

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until every query's execution has finished."""
        with self._lock:
            queries = list(self._queries.values())
        return all(q.ready.wait(timeout) for q in queries)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _graphql_errors(checked: CheckedQuery, why: str) -> list[dict[str, Any]]:
    """The error document of a FATAL query as the live service writes it."""
    path = ["analytics_vendorAnalytics_2024_09_30", checked.view]
    return [{"message": f"Exception while fetching data (/{'/'.join(path)}) : {why}",
             "locations": [{"line": 1, "column": 1}], "path": path,
             "extensions": {"classification": "DataFetchingException", "GraphQLPublicFatalException": why}}]
