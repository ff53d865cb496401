"""Reports API 2021-06-30: the five report operations over in-memory reports (schedules: :mod:`.schedules`).

A report moves IN_QUEUE -> IN_PROGRESS -> its outcome over ``processing_seconds``
(already divided by the sandbox speed). The outcome comes from
``SandboxData.report_outcome`` at creation; the document is generated once, in
a background thread, and the report stays IN_PROGRESS until it is stored.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Protocol

from .common import Clock, TokenCodec, format_time, int_param, parse_time, utc_datetime
from .report_params import body_marketplaces, body_options, body_report_type, json_body, query_array, string_time
from .request import ApiError, Request, Response, invalid_input

__all__ = ["PROCESSING_STATUSES", "ReportsService"]

logger = logging.getLogger("amzv_pandas.sandbox")

PROCESSING_STATUSES = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")
_GET_REPORTS_FILTERS = ("reportTypes", "processingStatuses", "marketplaceIds", "pageSize",
                        "createdSince", "createdUntil")
_NOT_FOUND = "One or more of the provided ReportRequestIds could not be found."
#: Share of the processing time a report spends IN_QUEUE.
_QUEUE_SHARE = 0.25
_RETENTION = 90 * 86400.0


class DocumentStore(Protocol):
    """Where report documents are kept (the HTTP layer's store, which also serves them)."""

    def put(self, doc_id: str, content_type: str, chunks: Iterable[bytes]) -> Any: ...

    def get(self, doc_id: str) -> Any | None: ...

    def presign(self, doc_id: str, base_url: str, *, content_encoding: bool = False) -> str: ...


@dataclass
class _Report:
    report_id: str
    report_type: str
    marketplace_ids: list[str]
    data_start: float
    data_end: float
    options: dict[str, str]
    created: float
    started: float
    due: float
    outcome: str
    error_details: str | None
    schedule_id: str | None = None
    document_id: str | None = None
    finished: float | None = None  # when the document (if any) was stored
    cancelled: float | None = None
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
        out: dict[str, Any] = {
            "reportId": self.report_id,
            "reportType": self.report_type,
            "marketplaceIds": list(self.marketplace_ids),
            "dataStartTime": format_time(self.data_start),
            "dataEndTime": format_time(self.data_end),
            "createdTime": format_time(self.created),
            "processingStatus": status,
        }
        if self.schedule_id:
            out["reportScheduleId"] = self.schedule_id
        if status == "CANCELLED" and self.cancelled is not None:
            return out
        if status != "IN_QUEUE":
            out["processingStartTime"] = format_time(self.started)
        if status in ("DONE", "FATAL", "CANCELLED"):
            out["processingEndTime"] = format_time(max(self.due, self.finished or self.due))
            if self.document_id:
                out["reportDocumentId"] = self.document_id
        return out


class ReportsService:
    """State and handlers of the Reports API.

    Parameters
    ----------
    data : SandboxData
        Outcomes and documents.
    documents : DocumentStore
        Where generated documents are kept.
    clock : Clock
    processing_seconds : float
        Time from createReport to a terminal status (already divided by speed).
    seed : int
        Makes ids reproducible.
    take_outcome_fault : callable
        ``(report_type) -> (status, error_details) | None``; a forced outcome.
    """

    def __init__(self, data: Any, documents: DocumentStore, clock: Clock, *, processing_seconds: float,
                 seed: int, codec: TokenCodec,
                 take_outcome_fault: Callable[[str], tuple[str, str | None] | None]) -> None:
        self.data = data
        self.documents = documents
        self.clock = clock
        self.processing_seconds = float(processing_seconds)
        self.codec = codec
        self._take_outcome_fault = take_outcome_fault
        self._rng = random.Random(f"amzv-sandbox-{seed}")
        self._next_report = self._rng.randrange(50_000_000_000, 59_000_000_000)
        self._reports: dict[str, _Report] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []

    def close(self) -> None:
        """Stop document generation (threads notice between chunks)."""
        self._closing.set()
        deadline = time.monotonic() + 5.0
        for thread in list(self._threads):
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    # -- ids ----------------------------------------------------------------------------------

    def _new_report_id(self) -> str:
        with self._lock:
            self._next_report += 1
            return str(self._next_report)

    def _new_document_id(self) -> str:
        with self._lock:
            raw = uuid.UUID(int=self._rng.getrandbits(128), version=4)
            suffix = self._rng.randrange(10**12, 10**13)
        return f"amzn1.spdoc.1.4.na.{raw}.T{suffix}"

    # -- reports ------------------------------------------------------------------------------

    def get_reports(self, req: Request) -> Response:
        now = self.clock.time()
        token = req.query.one("nextToken")
        if token is not None:
            others = [name for name in _GET_REPORTS_FILTERS if name in req.query]
            if others:
                raise invalid_input("nextToken cannot be combined with other parameters.",
                                    f"Send nextToken as the only parameter; also got {', '.join(others)}")
            state = self.codec.decode(token)
            if state is None or state.get("op") != "getReports":
                raise invalid_input("Invalid 'nextToken' provided.", "the nextToken is not valid")
        else:
            types = query_array(req, "reportTypes", max_items=10)
            if types is None:
                raise invalid_input("Missing required 'reportTypes' or 'nextToken'.",
                                    "Either reportTypes or nextToken is required")
            statuses = query_array(req, "processingStatuses", enum=PROCESSING_STATUSES)
            mps = query_array(req, "marketplaceIds", max_items=10)
            size = int_param(req.query.one("pageSize"), "pageSize", 1, 100, default=10)
            since_raw, until_raw = req.query.one("createdSince"), req.query.one("createdUntil")
            since = parse_time(since_raw, "createdSince") if since_raw else now - _RETENTION
            until = parse_time(until_raw, "createdUntil") if until_raw else now
            if since > until:
                raise invalid_input("Invalid 'createdSince' provided.", "createdSince must not be after createdUntil")
            state = {"op": "getReports", "types": types, "statuses": statuses, "mps": mps,
                     "size": size, "since": since, "until": until, "offset": 0}
        with self._lock:
            candidates = list(self._reports.values())
        matches = [
            r for r in candidates
            if r.report_type in state["types"]
            and (state["statuses"] is None or r.status(now) in state["statuses"])
            and (state["mps"] is None or set(r.marketplace_ids) & set(state["mps"]))
            and state["since"] <= r.created <= state["until"]
        ]
        matches.sort(key=lambda r: (r.created, r.report_id), reverse=True)  # newest first
        offset, size = int(state["offset"]), int(state["size"])
        body: dict[str, Any] = {"reports": [r.to_json(now) for r in matches[offset:offset + size]]}
        if offset + size < len(matches):
            body["nextToken"] = self.codec.encode({**state, "offset": offset + size})
        return Response(200, body)

    def create_report(self, req: Request) -> Response:
        body = json_body(req)
        report_type = body_report_type(body)
        mps = body_marketplaces(body)
        options = body_options(body)
        now = self.clock.time()
        start = _body_time(body, "dataStartTime", now)
        end = _body_time(body, "dataEndTime", now)
        if start > end:
            raise invalid_input("Invalid 'dataStartTime' provided.", "dataStartTime must not be after dataEndTime")
        forced = self._take_outcome_fault(report_type)
        if forced is not None:
            status, details = forced
        else:
            outcome = self.data.report_outcome(report_type, mps, utc_datetime(start), utc_datetime(end),
                                               dict(options), utc_datetime(now))
            status, details = outcome.status, outcome.error_details
        if status not in ("DONE", "FATAL", "CANCELLED"):
            raise RuntimeError(f"data.report_outcome gave status {status!r}")
        report = _Report(report_id=self._new_report_id(), report_type=report_type, marketplace_ids=mps,
                         data_start=start, data_end=end, options=options, created=now,
                         started=now + _QUEUE_SHARE * self.processing_seconds,
                         due=now + self.processing_seconds, outcome=status, error_details=details)
        with self._lock:
            self._reports[report.report_id] = report
        self._start_generation(report)
        return Response(202, {"reportId": report.report_id})

    def _start_generation(self, report: _Report) -> None:
        if report.outcome == "CANCELLED":
            report.finished = report.due
            report.ready.set()
            return
        thread = threading.Thread(target=self._generate, args=(report,), daemon=True,
                                  name=f"amzv-sandbox-report-{report.report_id}")
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    def _generate(self, report: _Report) -> None:
        doc_id = self._new_document_id()
        try:
            if report.outcome == "FATAL":
                details = report.error_details or "The report could not be generated."
                payload = self.data.error_document(details)
                self.documents.put(doc_id, "application/json; charset=UTF-8", [payload])
            else:
                document = self.data.report_document(
                    report.report_type, report.marketplace_ids, utc_datetime(report.data_start),
                    utc_datetime(report.data_end), dict(report.options), created=utc_datetime(report.created))
                self.documents.put(doc_id, document.content_type, self._until_closed(document.chunks()))
        except _Closing:
            return
        except Exception:  # a data-layer bug must not leave the report IN_PROGRESS forever
            if self._closing.is_set():
                return  # the temp directory went away under us during shutdown
            logger.exception("sandbox: generating the document of report %s failed", report.report_id)
            report.outcome = "FATAL"
            try:
                payload = self.data.error_document("An internal error occurred while generating the report.")
                self.documents.put(doc_id, "application/json; charset=UTF-8", [payload])
            except Exception:
                doc_id = None  # type: ignore[assignment]
        report.document_id = doc_id
        report.finished = self.clock.time()
        report.ready.set()

    def _until_closed(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            if self._closing.is_set():
                raise _Closing
            yield chunk

    def _find(self, report_id: str) -> _Report:
        with self._lock:
            report = self._reports.get(report_id)
        if report is None:
            raise ApiError(404, "NotFound", _NOT_FOUND)
        return report

    def created_at(self, report_id: str) -> float | None:
        """When ``report_id`` was created (sandbox clock), or None for an unknown id."""
        with self._lock:
            report = self._reports.get(report_id)
        return None if report is None else report.created

    def get_report(self, req: Request) -> Response:
        report = self._find(req.path_params["reportId"])
        return Response(200, report.to_json(self.clock.time()))

    def cancel_report(self, req: Request) -> Response:
        report = self._find(req.path_params["reportId"])
        with self._lock:
            status = report.status(self.clock.time())
            if status != "IN_QUEUE":
                raise invalid_input("Only reports with processingStatus IN_QUEUE can be cancelled.",
                                    f"Report {report.report_id} is {status}.")
            report.cancelled = self.clock.time()
        return Response(200, None)

    def get_report_document(self, req: Request) -> Response:
        doc_id = req.path_params["reportDocumentId"]
        flag = req.query.one("enableContentEncodingUrlHeader")
        if flag is not None and flag.lower() not in ("true", "false"):
            raise invalid_input("Invalid 'enableContentEncodingUrlHeader' provided.",
                                "enableContentEncodingUrlHeader must be true or false")
        if self.documents.get(doc_id) is None:
            raise ApiError(404, "NotFound", "The report document could not be found.",
                           f"No report document with id {doc_id}.")
        url = self.documents.presign(doc_id, req.base_url, content_encoding=(flag or "").lower() == "true")
        return Response(200, {"reportDocumentId": doc_id, "url": url, "compressionAlgorithm": "GZIP"})

    # -- used by the Sandbox facade -----------------------------------------------------------

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until every report's document generation has finished."""
        with self._lock:
            reports = list(self._reports.values())
        return all(r.ready.wait(timeout) for r in reports)


class _Closing(Exception):
    """The server is shutting down mid-generation."""


def _body_time(body: Mapping[str, Any], name: str, now: float) -> float:
    value = body.get(name)
    if value is None:
        return now
    ts = string_time(value, name)
    if ts > now + 1:  # a second of slack for client/server clock granularity
        raise invalid_input(f"Invalid '{name}' provided.",
                            f"{name} must be prior to or equal to the current date and time")
    return ts

