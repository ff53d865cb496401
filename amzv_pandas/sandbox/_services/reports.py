"""Reports API 2021-06-30: the nine operations over in-memory reports and schedules.

A report moves IN_QUEUE -> IN_PROGRESS -> its outcome over ``processing_seconds``
(already divided by the sandbox speed). The outcome comes from
``SandboxData.report_outcome`` at creation; the document is generated once, in
a background thread, and the report stays IN_PROGRESS until it is stored.
"""

from __future__ import annotations

import calendar
import logging
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Mapping, Protocol

from .common import Clock, TokenCodec, check_marketplaces, format_time, int_param, parse_time
from .request import ApiError, Request, Response, invalid_input

__all__ = ["PROCESSING_STATUSES", "SCHEDULE_PERIODS", "ReportsService"]

logger = logging.getLogger("amzv_pandas.sandbox")

PROCESSING_STATUSES = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")
SCHEDULE_PERIODS = ("PT5M", "PT15M", "PT30M", "PT1H", "PT2H", "PT4H", "PT8H", "PT12H", "P1D", "P2D",
                    "P3D", "PT84H", "P7D", "P14D", "P15D", "P18D", "P30D", "P1M")
_GET_REPORTS_FILTERS = ("reportTypes", "processingStatuses", "marketplaceIds", "pageSize",
                        "createdSince", "createdUntil")
_REPORT_TYPE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_NOT_FOUND = "One or more of the provided ReportRequestIds could not be found."
#: Share of the processing time a report spends IN_QUEUE.
_QUEUE_SHARE = 0.25
_RETENTION = 90 * 86400.0


class DocumentStore(Protocol):
    """Where report documents are kept (the HTTP layer's store, which also serves them)."""

    def put(self, doc_id: str, content_type: str, chunks: Iterable[bytes]) -> Any: ...

    def get(self, doc_id: str) -> Any | None: ...

    def presign(self, doc_id: str, base_url: str, *, content_encoding: bool = False) -> str: ...


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


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


def _schedule_json(schedule: Mapping[str, Any], now: float) -> dict[str, Any]:
    out = {k: v for k, v in schedule.items() if not k.startswith("_")}
    out["nextReportCreationTime"] = format_time(_next_run(schedule["_anchor"], schedule["period"], now))
    return out


def _next_run(anchor: float, period: str, now: float) -> float:
    """The first run of a schedule started at ``anchor`` that is after ``now``."""
    if period == "P1M":
        start = _utc(anchor)
        when, months = start, 0
        while when.timestamp() <= now:
            months += 1
            year, month = divmod(start.month - 1 + months, 12)
            year += start.year
            day = min(start.day, calendar.monthrange(year, month + 1)[1])  # Jan 31 -> Feb 29 -> Mar 31
            when = start.replace(year=year, month=month + 1, day=day)
        return when.timestamp()
    m = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?", period)
    assert m is not None
    days, hours, minutes = (int(g or 0) for g in m.groups())
    step = days * 86400 + hours * 3600 + minutes * 60
    if now < anchor:
        return anchor
    return anchor + step * (int((now - anchor) // step) + 1)


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
    account_type : {"vendor", "seller"}
        Which schedules are seeded.
    take_outcome_fault : callable
        ``(report_type) -> (status, error_details) | None``; a forced outcome.
    """

    def __init__(self, data: Any, documents: DocumentStore, clock: Clock, *, processing_seconds: float,
                 seed: int, account_type: str, codec: TokenCodec,
                 take_outcome_fault: Callable[[str], tuple[str, str | None] | None]) -> None:
        self.data = data
        self.documents = documents
        self.clock = clock
        self.processing_seconds = float(processing_seconds)
        self.codec = codec
        self._take_outcome_fault = take_outcome_fault
        self._rng = random.Random(f"amzv-sandbox-{seed}")
        self._next_report = self._rng.randrange(50_000_000_000, 59_000_000_000)
        self._next_schedule = self._rng.randrange(50_000_000_000, 59_000_000_000)
        self._reports: dict[str, _Report] = {}
        self._schedules: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []
        self._seed_schedules(account_type)

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

    # -- schedules seeding --------------------------------------------------------------------

    def _seed_schedules(self, account_type: str) -> None:
        us = ["ATVPDKIKX0DER"]
        if account_type == "vendor":
            seeds = [
                ("GET_VENDOR_TRAFFIC_REPORT", "P1D", {"reportPeriod": "DAY"}),
                ("GET_VENDOR_INVENTORY_REPORT", "P7D",
                 {"reportPeriod": "WEEK", "distributorView": "MANUFACTURING", "sellingProgram": "RETAIL"}),
            ]
        else:
            seeds = [
                ("GET_MERCHANT_LISTINGS_ALL_DATA", "P1D", {}),
                ("GET_FLAT_FILE_OPEN_LISTINGS_DATA", "P7D", {}),
            ]
        today = _utc(self.clock.time()).replace(hour=3, minute=0, second=0, microsecond=0)
        for report_type, period, options in seeds:
            self._add_schedule(report_type, us, period, options, today.timestamp())

    def _add_schedule(self, report_type: str, marketplace_ids: list[str], period: str,
                      options: Mapping[str, str] | None, anchor: float) -> str:
        with self._lock:
            self._next_schedule += 1
            schedule_id = str(self._next_schedule)
            # "If a report schedule with the same report type and marketplace IDs already
            # exists, it will be cancelled and replaced with this one."
            for sid, sched in list(self._schedules.items()):
                if sched["reportType"] == report_type and set(sched["marketplaceIds"]) == set(marketplace_ids):
                    del self._schedules[sid]
            entry: dict[str, Any] = {"reportScheduleId": schedule_id, "reportType": report_type,
                                     "marketplaceIds": list(marketplace_ids), "period": period, "_anchor": anchor}
            if options:
                entry["reportOptions"] = dict(options)
            self._schedules[schedule_id] = entry
        return schedule_id

    # -- validation helpers -------------------------------------------------------------------

    @staticmethod
    def _array(req: Request, name: str, *, max_items: int | None = None,
               enum: tuple[str, ...] | None = None) -> list[str] | None:
        values = req.query.array(name)
        if values is None:
            return None
        values = [v.strip() for v in values if v.strip()]
        if not values:
            raise invalid_input(f"Invalid '{name}' provided.", f"{name} must contain at least 1 item")
        if max_items is not None and len(values) > max_items:
            raise invalid_input(f"Too many '{name}' provided.",
                                f"{name} may contain at most {max_items} items, got {len(values)}")
        if enum is not None:
            bad = [v for v in values if v not in enum]
            if bad:
                raise invalid_input(f"Invalid '{name}' provided.",
                                    f"{', '.join(bad)} is not one of {', '.join(enum)}")
        return values

    @staticmethod
    def _json_body(req: Request) -> dict[str, Any]:
        body = req.json_body()
        if not isinstance(body, dict):
            raise invalid_input("Invalid input", "the request body must be a JSON object")
        return body

    @staticmethod
    def _body_marketplaces(body: Mapping[str, Any]) -> list[str]:
        mps = body.get("marketplaceIds")
        if mps is None:
            raise invalid_input("Missing required 'marketplaceIds'.", "marketplaceIds is required")
        if not isinstance(mps, list) or not all(isinstance(m, str) and m for m in mps):
            raise invalid_input("Invalid 'marketplaceIds' provided.", "marketplaceIds must be a list of strings")
        if not 1 <= len(mps) <= 25:
            raise invalid_input("Invalid 'marketplaceIds' provided.",
                                f"marketplaceIds must have 1 to 25 items, got {len(mps)}")
        check_marketplaces(mps)
        return list(dict.fromkeys(mps))

    @staticmethod
    def _body_report_type(body: Mapping[str, Any]) -> str:
        report_type = body.get("reportType")
        if report_type is None:
            raise invalid_input("Missing required 'reportType'.", "reportType is required")
        if not isinstance(report_type, str) or not _REPORT_TYPE.match(report_type):
            raise invalid_input("Invalid 'reportType' provided.", f"{report_type!r} is not a report type")
        return report_type

    @staticmethod
    def _body_options(body: Mapping[str, Any]) -> dict[str, str]:
        options = body.get("reportOptions")
        if options is None:
            return {}
        if not isinstance(options, dict) or not all(isinstance(v, str) for v in options.values()):
            raise invalid_input("Invalid 'reportOptions' provided.",
                                "reportOptions must be an object whose values are strings")
        return dict(options)

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
            types = self._array(req, "reportTypes", max_items=10)
            if types is None:
                raise invalid_input("Missing required 'reportTypes' or 'nextToken'.",
                                    "Either reportTypes or nextToken is required")
            statuses = self._array(req, "processingStatuses", enum=PROCESSING_STATUSES)
            mps = self._array(req, "marketplaceIds", max_items=10)
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
        body = self._json_body(req)
        report_type = self._body_report_type(body)
        mps = self._body_marketplaces(body)
        options = self._body_options(body)
        now = self.clock.time()
        start = _body_time(body, "dataStartTime", now)
        end = _body_time(body, "dataEndTime", now)
        if start > end:
            raise invalid_input("Invalid 'dataStartTime' provided.", "dataStartTime must not be after dataEndTime")
        forced = self._take_outcome_fault(report_type)
        if forced is not None:
            status, details = forced
        else:
            outcome = self.data.report_outcome(report_type, mps, _utc(start), _utc(end), dict(options), _utc(now))
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
                    report.report_type, report.marketplace_ids, _utc(report.data_start), _utc(report.data_end),
                    dict(report.options), created=_utc(report.created))
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

    # -- schedules ----------------------------------------------------------------------------

    def get_report_schedules(self, req: Request) -> Response:
        types = self._array(req, "reportTypes", max_items=10)
        if types is None:
            raise invalid_input("Missing required 'reportTypes'.", "reportTypes is required")
        now = self.clock.time()
        with self._lock:
            found = [_schedule_json(s, now) for s in self._schedules.values() if s["reportType"] in types]
        return Response(200, {"reportSchedules": found})

    def create_report_schedule(self, req: Request) -> Response:
        body = self._json_body(req)
        report_type = self._body_report_type(body)
        mps = self._body_marketplaces(body)
        options = self._body_options(body)
        period = body.get("period")
        if period is None:
            raise invalid_input("Missing required 'period'.", "period is required")
        if period not in SCHEDULE_PERIODS:
            raise invalid_input("Invalid 'period' provided.", f"period must be one of {', '.join(SCHEDULE_PERIODS)}")
        now = self.clock.time()
        first = body.get("nextReportCreationTime")
        anchor = now if first is None else _string_time(first, "nextReportCreationTime")
        schedule_id = self._add_schedule(report_type, mps, period, options, anchor)
        return Response(201, {"reportScheduleId": schedule_id})

    def _find_schedule(self, schedule_id: str) -> dict[str, Any]:
        with self._lock:
            schedule = self._schedules.get(schedule_id)
        if schedule is None:
            raise ApiError(404, "NotFound", "The report schedule could not be found.",
                           f"No report schedule with id {schedule_id}.")
        return schedule

    def get_report_schedule(self, req: Request) -> Response:
        schedule = self._find_schedule(req.path_params["reportScheduleId"])
        return Response(200, _schedule_json(schedule, self.clock.time()))

    def cancel_report_schedule(self, req: Request) -> Response:
        schedule = self._find_schedule(req.path_params["reportScheduleId"])
        with self._lock:
            self._schedules.pop(schedule["reportScheduleId"], None)
        return Response(200, None)

    # -- used by the Sandbox facade -----------------------------------------------------------

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until every report's document generation has finished."""
        with self._lock:
            reports = list(self._reports.values())
        return all(r.ready.wait(timeout) for r in reports)


class _Closing(Exception):
    """The server is shutting down mid-generation."""


def _string_time(value: Any, name: str) -> float:
    if not isinstance(value, str):
        raise invalid_input(f"Invalid '{name}' provided.", f"{name} must be an ISO 8601 date-time string")
    return parse_time(value, name)


def _body_time(body: Mapping[str, Any], name: str, now: float) -> float:
    value = body.get(name)
    if value is None:
        return now
    ts = _string_time(value, name)
    if ts > now + 1:  # a second of slack for client/server clock granularity
        raise invalid_input(f"Invalid '{name}' provided.",
                            f"{name} must be prior to or equal to the current date and time")
    return ts

