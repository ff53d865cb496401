"""The run of report windows: reuse or create a report, poll it, download and parse its document.

:class:`Run` holds what a read's windows share (the transport, the plan, the cache, the
stop flag, the reports already claimed) and does one window's work in
:meth:`Run.run_window`: reuse an in-flight record or a DONE report that can be proven to
be this window's, else createReport (looking for a report made by a failed call before
creating another), poll it to a final status, then download, verify and parse the
document (:class:`~amzv_pandas._reports.download.DocumentTransfer`). The thread pool and the
progress bar are :mod:`amzv_pandas._reports.drive`'s.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Mapping

import pandas as pd

from .._cache.store import ReportCache, frame_variant
from .._parsers.api import error_details
from .._specs.fatal import classify_fatal
from .._specs.registry import ReportType
from .._util.ids import api_path, path_segment
from .._util.time import iso_utc, parse_utc, same_instant, utc_now
from ..exceptions import (NoDataWarning, NotFound, ParseError, RateLimited, ReportCancelledError, ReportError,
                          ReportFatalError, ReportTimeout, ServerError, TransportError)
from .answers import API, TERMINAL, Rejected, Stopped, check_report_answer, done_reusable, empty_frame
from .download import DocumentTransfer
from .plan import MAX_LIST_FILTER, Plan, Window

if TYPE_CHECKING:
    from .._transport.http import Transport

__all__ = ["Run", "MAX_POLL_INTERVAL", "POLL_BACKOFF", "NOT_FOUND_GRACE_SECONDS", "MAX_REJECTED", "LOCK_WAIT_SLICE"]

# Records keep the logger name they had before the split out of reports.py.
logger = logging.getLogger(__name__)

MAX_POLL_INTERVAL = 60.0
POLL_BACKOFF = 1.5
#: getReport can answer 404 for a moment right after createReport (models #2419): a
#: duration counted from the creation, whatever the poll interval.
NOT_FOUND_GRACE_SECONDS = 60.0
#: Reports found for a window but proven to be another request's, before a window gives up.
MAX_REJECTED = 4
#: How long one wait for another process's lock on a window lasts before the stop flag is checked.
LOCK_WAIT_SLICE = 0.5


@dataclass
class Run(DocumentTransfer):
    client: "Transport"
    plan: Plan
    cache: ReportCache
    poll_interval: float
    refresh: bool
    on_cancelled: str
    stop: threading.Event = field(default_factory=threading.Event)
    claimed: set[str] = field(default_factory=set)
    #: Reports proven not to be the one asked for: never adopted again in this run.
    rejected: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    done_reports: list[dict[str, Any]] | None = None  # one getReports answer, shared by the windows
    # Warnings raised in worker threads are re-issued from the caller's thread, where
    # warnings filters and pytest.warns see them.
    pending_warnings: list[tuple[str, type[Warning]]] = field(default_factory=list)
    # Open document downloads: the main thread closes them when it stops the run, so a
    # worker blocked in a read returns and the interpreter can exit.
    downloads: set[Any] = field(default_factory=set)

    @property
    def rt(self) -> ReportType:
        return self.plan.rt

    @property
    def marketplace_ids(self) -> list[str]:
        return [m.marketplace_id for m in self.plan.marketplaces]

    @property
    def variant(self) -> str:
        return frame_variant(section=self.plan.section, quotechar=self.plan.quotechar,
                             encoding=self.default_encoding)

    @property
    def default_encoding(self) -> str:
        """The flat-file codec when the download names none."""
        market = self.plan.marketplaces[0]
        if self.rt.known and self.rt.format == "tsv":
            return self.rt.encoding_for(market.country_code)
        return market.encoding

    def wait(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Stopped

    def claim(self, report_id: str) -> bool:
        with self.lock:
            if report_id in self.claimed or report_id in self.rejected:
                return False
            self.claimed.add(report_id)
            return True

    def has_options(self, w: Window) -> bool:
        return bool(self.rt.options or w.options)

    def options_provable(self) -> bool:
        """Whether this type's documents echo the request (``reportSpecification``)."""
        return self.rt.known and self.rt.format == "json"

    # -- one window --------------------------------------------------------------------------

    def run_window(self, w: Window) -> pd.DataFrame:
        w.started = time.monotonic()
        for _ in range(MAX_REJECTED + 1):
            try:
                report, proof = self.obtain(w)
                return self.finish(w, report, verify=self.verify_mode(w, proof))
            except Rejected as exc:
                log = logger.info if exc.quiet else logger.warning
                log("%s report %s is not usable for %s → %s (%s); creating a new one", self.rt.name,
                    exc.report_id, w.label_start, w.label_end, exc.reason)
                with self.lock:
                    self.rejected.add(exc.report_id)
                self.cache.inflight().remove(w.key, exc.report_id)
                w.report_id = w.document_id = None
                w.status = "PENDING"
        msg = (f"{self.rt.name}: {MAX_REJECTED + 1} reports found for {w.label_start} → {w.label_end} were made "
               "for other options or ranges; giving up rather than returning the wrong data")
        raise ReportError(msg, report_id=sorted(self.rejected), report_type=self.rt.name)

    def obtain(self, w: Window) -> tuple[dict[str, Any], str]:
        """The window's report, polled to a final status, and how we know it is the right one.

        The proof is ``"created"`` (our createReport answered with its id), ``"record"`` (an
        in-flight record we made), ``"adopted"`` (found after a failed createReport: its
        options are unproven) or ``"listed"`` (a DONE report of a type without options).
        """
        inflight = self.cache.inflight()
        # Another process reading the same window takes the same lock: only one creates,
        # the other finds its record. Polling happens outside the lock.
        with self.window_lock(w):
            reuse = self.usable_record(w, inflight.get(w.key))
            if reuse is None:
                found = None if self.refresh else self.find_done(w)
                if found is not None:
                    w.report_id = path_segment(found["reportId"], "reportId")
                    return found, "listed"
                rid, proof = self.create(w)
                w.report_id = rid
                inflight.put(w.key, rid, status="IN_QUEUE", proof=proof)
                created = time.monotonic()
        if reuse is not None:
            rid, age, proof = reuse
            w.report_id = rid
            try:
                report = self.poll(w, rid, tolerate_not_found=True, since=time.monotonic() - age, check=True)
            except NotFound:
                raise Rejected(rid, "Amazon no longer knows it", quiet=True) from None
            return report, proof
        report = self.poll(w, rid, tolerate_not_found=True, since=created, check=proof == "adopted")
        return report, proof

    @contextlib.contextmanager
    def window_lock(self, w: Window) -> Iterator[None]:
        """The cache's inter-process lock of ``w.key``, waited for in slices so a stop is heard."""
        lock = getattr(self.cache, "lock", None)
        with contextlib.ExitStack() as stack:
            while lock is not None:
                if self.stop.is_set():
                    raise Stopped
                try:
                    stack.enter_context(lock(w.key, timeout=LOCK_WAIT_SLICE))
                    break
                except ReportTimeout:  # another process is creating it: wait on
                    continue
            yield

    def usable_record(self, w: Window, record: Mapping[str, Any] | None) -> tuple[str, float, str] | None:
        """(report id, age in seconds, proof) of a reusable in-flight record, else None."""
        if not record:
            return None
        try:
            rid = path_segment(record.get("report_id"), "reportId")
        except ParseError:
            logger.info("the in-flight record of %s holds no usable report id; ignoring it", self.rt.name)
            return None
        if not self.claim(rid):
            return None
        created = parse_utc(record.get("created_at"))
        if record.get("status") == "DONE" and (self.refresh or not done_reusable(created, w.final_at)):
            return None
        age = (utc_now() - created).total_seconds() if created is not None else NOT_FOUND_GRACE_SECONDS
        w.status = str(record.get("status") or "IN_QUEUE")
        proof = "record" if record.get("proof") in ("created", "verified") else "adopted"
        return rid, max(age, 0.0), proof

    def verify_mode(self, w: Window, proof: str) -> str | None:
        """How the document's echoed options must be checked before the frame is used.

        ``"strict"``: they must be there and equal (a report found after a failed create,
        or recorded before records said how they were found); ``"lenient"``: a mismatch
        discards the report, a document without them is accepted (our own record);
        ``None``: no check (our createReport named it, or the type has no options).
        """
        if proof in ("created", "listed") or not self.has_options(w):
            return None
        if proof == "adopted":
            return "strict"
        return "lenient"

    def finish(self, w: Window, report: Mapping[str, Any], *, verify: str | None = None) -> pd.DataFrame:
        status = report.get("processingStatus")
        rid = str(report.get("reportId") or w.report_id)
        inflight = self.cache.inflight()
        if status in ("FATAL", "CANCELLED") and verify == "strict":
            # A FATAL or CANCELLED report of unproven options says nothing about ours.
            raise Rejected(rid, f"it ended {status} and its options cannot be checked")
        if status == "FATAL":
            inflight.remove(w.key, rid)
            raise self.fatal_error(report)
        if status == "CANCELLED":
            inflight.remove(w.key, rid)
            w.status = "CANCELLED"
            return self.cancelled(rid)
        doc_id = report.get("reportDocumentId")
        if not doc_id:
            msg = f"report {rid} is DONE but has no reportDocumentId"
            raise ReportFatalError(msg, report_id=rid, report_type=self.rt.name, category="unknown",
                                   fix="Retry later, or call amzv.get_report() with the report id.")
        w.document_id = path_segment(doc_id, "reportDocumentId")
        w.status = "DOWNLOADING"
        entry = self.cache.entry(w.key) if w.cacheable else None
        frame = self.download_and_parse(w, rid, w.document_id, entry, verify=verify)
        extra = {"proof": "verified"} if verify is not None else {}
        inflight.put(w.key, rid, status="DONE", document_id=w.document_id, **extra)
        w.status = "DONE"
        return frame

    def cancelled(self, rid: str) -> pd.DataFrame:
        msg = (f"{self.rt.name} report {rid} was CANCELLED: Amazon does this when there is no data for the "
               "range and options asked for")
        if self.on_cancelled == "raise":
            raise ReportCancelledError(msg, report_id=rid, report_type=self.rt.name, processing_status="CANCELLED")
        if self.on_cancelled == "warn":
            with self.lock:
                self.pending_warnings.append(
                    (msg + "; returning an empty frame (on_cancelled='ignore' silences this)", NoDataWarning))
        return empty_frame(self.rt, self.plan.section)

    # -- reuse -------------------------------------------------------------------------------

    def find_done(self, w: Window) -> dict[str, Any] | None:
        """A DONE report of the same spec, when getReports can prove it (no options)."""
        if self.has_options(w) or len(self.marketplace_ids) > MAX_LIST_FILTER:
            return None  # getReports does not show options: a match could have other ones
        with self.lock:
            if self.done_reports is None:
                try:
                    answer = self.client.request("GET", f"{API}/reports", params={
                        "reportTypes": [self.rt.name], "processingStatuses": ["DONE"],
                        "marketplaceIds": self.marketplace_ids, "pageSize": 100})
                    self.done_reports = list(answer.get("reports") or [])
                except (RateLimited, ServerError, TransportError) as exc:
                    logger.debug("getReports for reuse failed (%s); creating instead", exc)
                    self.done_reports = []
            candidates = list(self.done_reports)
        for rep in candidates:
            if not isinstance(rep, Mapping) or not self._matches(rep, w, compare_times=w.api_start is not None):
                continue
            if not done_reusable(parse_utc(rep.get("createdTime")), w.final_at):
                continue
            if rep.get("reportDocumentId") and self.claim(str(rep.get("reportId"))):
                path_segment(rep.get("reportId"), "reportId")
                logger.info("reusing DONE report %s", rep["reportId"])
                return dict(rep)
        return None

    def _matches(self, rep: Mapping[str, Any], w: Window, *, compare_times: bool) -> bool:
        return self._mismatch(rep, w, compare_times=compare_times) is None

    def _mismatch(self, rep: Mapping[str, Any], w: Window, *, compare_times: bool) -> str | None:
        """What differs between a report (getReport/getReports answer) and the window, or None."""
        if rep.get("reportType") != self.rt.name:
            return f"it is a {rep.get('reportType')!r} report"
        if set(rep.get("marketplaceIds") or ()) != set(self.marketplace_ids):
            return f"it covers marketplaces {rep.get('marketplaceIds')!r}"
        if compare_times and not (same_instant(rep.get("dataStartTime"), w.api_start)
                                  and same_instant(rep.get("dataEndTime"), w.api_end)):
            return f"it covers {rep.get('dataStartTime')} → {rep.get('dataEndTime')}"
        return None

    # -- create ------------------------------------------------------------------------------

    def create(self, w: Window) -> tuple[str, str]:
        """createReport; returns the report id and ``"created"``, or ``"adopted"`` when the
        call failed and a report made by it was found instead (its options still unproven)."""
        body: dict[str, Any] = {"reportType": self.rt.name, "marketplaceIds": self.marketplace_ids}
        if w.api_start is not None:
            body["dataStartTime"] = w.api_start
            body["dataEndTime"] = w.api_end
        if w.options:
            body["reportOptions"] = dict(w.options)
        # Only reports created from now on count as "ours" (2 s of slack for clock skew,
        # createdTime has whole seconds): an older match may carry other options.
        since = utc_now().replace(microsecond=0) - _dt.timedelta(seconds=2)
        # getReports does not show reportOptions: a report found after a failed create is
        # adopted only when its document can prove the options (vendor JSON echoes them).
        may_adopt = not self.has_options(w) or self.options_provable()
        failures = 0
        throttled = 0
        while True:
            if self.stop.is_set():
                raise Stopped
            w.status = "CREATING"
            try:
                # No blind retry: a 5xx or a dropped connection may come after Amazon
                # created the report, so we look for it before creating another.
                answer = self.client.request("POST", f"{API}/reports", json=body, retries=0)
                rid = path_segment(answer.get("reportId") if isinstance(answer, Mapping) else None,
                                   "reportId of the createReport answer")
                self.claim(rid)
                return rid, "created"
            except RateLimited:
                # Amazon refused the call: nothing was created, so retrying is safe.
                throttled += 1
                if throttled > max(self.client.max_retries, 1) * 3:
                    raise
                self.wait(self.client.backoff.delay(min(throttled, 6)))
            except (ServerError, TransportError) as exc:
                failures += 1
                # The report may have been created before the error: look before creating another.
                found = self.find_just_created(w, since) if may_adopt else None
                if found is not None:
                    logger.info("createReport failed (%s) but report %s was created; using it", exc, found)
                    return found, "adopted" if self.has_options(w) else "created"
                if failures > self.client.max_retries:
                    raise
                self.wait(self.client.backoff.delay(failures - 1))

    def find_just_created(self, w: Window, since: _dt.datetime) -> str | None:
        params: dict[str, Any] = {"reportTypes": [self.rt.name], "createdSince": iso_utc(since), "pageSize": 100}
        if len(self.marketplace_ids) <= MAX_LIST_FILTER:
            params["marketplaceIds"] = self.marketplace_ids
        try:
            answer = self.client.request("GET", f"{API}/reports", params=params)
        except (ServerError, TransportError, RateLimited):
            return None
        for rep in answer.get("reports") or []:
            if not isinstance(rep, Mapping) or rep.get("processingStatus") in ("FATAL", "CANCELLED"):
                continue
            if self._matches(rep, w, compare_times=w.api_start is not None) and self.claim(str(rep.get("reportId"))):
                return path_segment(rep.get("reportId"), "reportId")
        return None

    # -- poll --------------------------------------------------------------------------------

    def poll(self, w: Window, report_id: str, *, tolerate_not_found: bool, since: float | None = None,
             check: bool = False) -> dict[str, Any]:
        """getReport until a final status.

        ``tolerate_not_found``: a 404 is Amazon not knowing the report *yet*; it is waited
        out until :data:`NOT_FOUND_GRACE_SECONDS` after ``since`` (a :func:`time.monotonic`
        instant: when the report was created; default now). ``check``: the first answer
        must describe this window's type, marketplaces and range, else :class:`Rejected`.
        """
        report_id = path_segment(report_id, "reportId")
        path = api_path(API + "/reports/{reportId}", reportId=report_id)
        interval = self.poll_interval
        grace_end = (time.monotonic() if since is None else since) + NOT_FOUND_GRACE_SECONDS
        while True:
            if self.stop.is_set():
                raise Stopped
            try:
                report = self.client.request("GET", path)
            except NotFound:
                if not tolerate_not_found or time.monotonic() >= grace_end:
                    raise
                self.wait(min(interval, max(grace_end - time.monotonic(), 0.0)))
                continue
            status = check_report_answer(report, report_id)
            if check:
                problem = self._mismatch(report, w, compare_times=w.api_start is not None)
                if problem is not None:
                    raise Rejected(report_id, problem)
                check = False
            w.status = status
            if status in TERMINAL:
                return report
            self.wait(interval)
            interval = min(interval * POLL_BACKOFF, MAX_POLL_INTERVAL)

    # -- FATAL -------------------------------------------------------------------------------

    def fatal_error(self, report: Mapping[str, Any]) -> ReportFatalError:
        rid = str(report.get("reportId"))
        reason = None
        doc_id = report.get("reportDocumentId")
        if doc_id:
            try:
                reason = error_details(self.fetch_small_document(str(doc_id)))
            except (Stopped, KeyboardInterrupt):
                raise
            except Exception as exc:  # the explanation is a bonus: never hide the FATAL itself
                logger.warning("could not read the error document of report %s: %s", rid, exc)
        category, fix = classify_fatal(reason)
        said = f": Amazon says {reason!r}" if reason else " (Amazon gave no explanation)"
        msg = f"{self.rt.name} report {rid} ended FATAL{said}. Fix ({category}): {fix}"
        return ReportFatalError(msg, reason=reason, category=category, fix=fix, report_id=rid,
                                report_type=self.rt.name)
