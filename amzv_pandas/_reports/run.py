"""One run of report windows: reuse/create -> poll -> download -> parse, then assemble.

:class:`_Run` does one window's work against the API (reuse an in-flight or DONE report,
create, poll, stream the document to disk, parse it); :func:`_drive` runs the windows in a
small thread pool while the main thread renders the progress bar and enforces the timeout;
:func:`_from_cache` serves a window from the on-disk cache and :func:`_assemble` joins the
frames. :func:`parse_document` parses a stored document by its report type's format.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as _dt
import hashlib
import logging
import os
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence

import pandas as pd

from .._parsers import api as _parse
from .._parsers.document import (
    DocumentLimits,
    TruncatedDocument,
    gunzip_bounded,
    parse_document,
    read_specification,
)
from .._util.ids import api_path, path_segment
from .._util.progress import get_progress_bar
from .plan import MAX_LIST_FILTER, _iso, _now, _parse_time, _Plan, _same_time, _Window
from .._cache.store import CacheEntry, ReportCache, frame_variant
from ..exceptions import (
    CacheIntegrityError,
    ConfigurationError,
    DownloadStalledError,
    Forbidden,
    NoDataWarning,
    NotFound,
    ParseError,
    RateLimited,
    ReportCancelledError,
    ReportError,
    ReportFatalError,
    ReportTimeout,
    ServerError,
    StaleCacheWarning,
    TransportError,
)
from .._specs.registry import ReportType

if TYPE_CHECKING:
    from .._transport.http import Client

# Records keep the logger name they had before the split out of reports.py.
logger = logging.getLogger(__name__)

_API = "/reports/2021-06-30"

_TERMINAL = frozenset({"DONE", "FATAL", "CANCELLED"})

MAX_POLL_INTERVAL = 60.0
POLL_BACKOFF = 1.5
#: getReport can answer 404 for a moment right after createReport (models #2419): a
#: duration counted from the creation, whatever the poll interval.
NOT_FOUND_GRACE_SECONDS = 60.0
#: Download granularity: large reads keep Python out of the hot path.
CHUNK = 1 << 20
MAX_DOWNLOAD_ATTEMPTS = 4
#: Reports found for a window but proven to be another request's, before a window gives up.
MAX_REJECTED = 4
#: How long one wait for another process's lock on a window lasts before the stop flag is checked.
LOCK_WAIT_SLICE = 0.5
#: Error documents are a few hundred bytes: a tight bound.
_SMALL_DOCUMENT = DocumentLimits(max_expanded_bytes=16 << 20)
#: Concurrent windows; createReport itself is paced by the client.
MAX_WORKERS = 4
#: A DONE report whose data was not final when it was made is reused only this soon after.
REUSE_FRESH = _dt.timedelta(minutes=15)


# --------------------------------------------------------------------------------------------
# the run: reuse/create -> poll -> download -> parse, one worker per window


class _Stopped(Exception):
    """The main thread asked the workers to stop (timeout, Ctrl-C, another window failed)."""


@dataclass
class _Run:
    client: "Client"
    plan: _Plan
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
            raise _Stopped

    def claim(self, report_id: str) -> bool:
        with self.lock:
            if report_id in self.claimed or report_id in self.rejected:
                return False
            self.claimed.add(report_id)
            return True

    def has_options(self, w: _Window) -> bool:
        return bool(self.rt.options or w.options)

    def options_provable(self) -> bool:
        """Whether this type's documents echo the request (``reportSpecification``)."""
        return self.rt.known and self.rt.format == "json"

    # -- one window --------------------------------------------------------------------------

    def run_window(self, w: _Window) -> pd.DataFrame:
        w.started = time.monotonic()
        for _ in range(MAX_REJECTED + 1):
            try:
                report, proof = self.obtain(w)
                return self.finish(w, report, verify=self.verify_mode(w, proof))
            except _Rejected as exc:
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

    def obtain(self, w: _Window) -> tuple[dict[str, Any], str]:
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
                raise _Rejected(rid, "Amazon no longer knows it", quiet=True) from None
            return report, proof
        report = self.poll(w, rid, tolerate_not_found=True, since=created, check=proof == "adopted")
        return report, proof

    @contextlib.contextmanager
    def window_lock(self, w: _Window) -> Iterator[None]:
        """The cache's inter-process lock of ``w.key``, waited for in slices so a stop is heard."""
        lock = getattr(self.cache, "lock", None)
        with contextlib.ExitStack() as stack:
            while lock is not None:
                if self.stop.is_set():
                    raise _Stopped
                try:
                    stack.enter_context(lock(w.key, timeout=LOCK_WAIT_SLICE))
                    break
                except ReportTimeout:  # another process is creating it: wait on
                    continue
            yield

    def usable_record(self, w: _Window, record: Mapping[str, Any] | None) -> tuple[str, float, str] | None:
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
        created = _parse_time(record.get("created_at"))
        if record.get("status") == "DONE" and (self.refresh or not _done_reusable(created, w.final_at)):
            return None
        age = (_now() - created).total_seconds() if created is not None else NOT_FOUND_GRACE_SECONDS
        w.status = str(record.get("status") or "IN_QUEUE")
        proof = "record" if record.get("proof") in ("created", "verified") else "adopted"
        return rid, max(age, 0.0), proof

    def verify_mode(self, w: _Window, proof: str) -> str | None:
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

    def finish(self, w: _Window, report: Mapping[str, Any], *, verify: str | None = None) -> pd.DataFrame:
        status = report.get("processingStatus")
        rid = str(report.get("reportId") or w.report_id)
        inflight = self.cache.inflight()
        if status in ("FATAL", "CANCELLED") and verify == "strict":
            # A FATAL or CANCELLED report of unproven options says nothing about ours.
            raise _Rejected(rid, f"it ended {status} and its options cannot be checked")
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
        return _empty_frame(self.rt, self.plan.section)

    # -- reuse -------------------------------------------------------------------------------

    def find_done(self, w: _Window) -> dict[str, Any] | None:
        """A DONE report of the same spec, when getReports can prove it (no options)."""
        if self.has_options(w) or len(self.marketplace_ids) > MAX_LIST_FILTER:
            return None  # getReports does not show options: a match could have other ones
        with self.lock:
            if self.done_reports is None:
                try:
                    answer = self.client.request("GET", f"{_API}/reports", params={
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
            if not _done_reusable(_parse_time(rep.get("createdTime")), w.final_at):
                continue
            if rep.get("reportDocumentId") and self.claim(str(rep.get("reportId"))):
                path_segment(rep.get("reportId"), "reportId")
                logger.info("reusing DONE report %s", rep["reportId"])
                return dict(rep)
        return None

    def _matches(self, rep: Mapping[str, Any], w: _Window, *, compare_times: bool) -> bool:
        return self._mismatch(rep, w, compare_times=compare_times) is None

    def _mismatch(self, rep: Mapping[str, Any], w: _Window, *, compare_times: bool) -> str | None:
        """What differs between a report (getReport/getReports answer) and the window, or None."""
        if rep.get("reportType") != self.rt.name:
            return f"it is a {rep.get('reportType')!r} report"
        if set(rep.get("marketplaceIds") or ()) != set(self.marketplace_ids):
            return f"it covers marketplaces {rep.get('marketplaceIds')!r}"
        if compare_times and not (_same_time(rep.get("dataStartTime"), w.api_start)
                                  and _same_time(rep.get("dataEndTime"), w.api_end)):
            return f"it covers {rep.get('dataStartTime')} → {rep.get('dataEndTime')}"
        return None

    # -- create ------------------------------------------------------------------------------

    def create(self, w: _Window) -> tuple[str, str]:
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
        since = _now().replace(microsecond=0) - _dt.timedelta(seconds=2)
        # getReports does not show reportOptions: a report found after a failed create is
        # adopted only when its document can prove the options (vendor JSON echoes them).
        may_adopt = not self.has_options(w) or self.options_provable()
        failures = 0
        throttled = 0
        while True:
            if self.stop.is_set():
                raise _Stopped
            w.status = "CREATING"
            try:
                # No blind retry: a 5xx or a dropped connection may come after Amazon
                # created the report, so we look for it before creating another.
                answer = self.client.request("POST", f"{_API}/reports", json=body, retries=0)
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

    def find_just_created(self, w: _Window, since: _dt.datetime) -> str | None:
        params: dict[str, Any] = {"reportTypes": [self.rt.name], "createdSince": _iso(since), "pageSize": 100}
        if len(self.marketplace_ids) <= MAX_LIST_FILTER:
            params["marketplaceIds"] = self.marketplace_ids
        try:
            answer = self.client.request("GET", f"{_API}/reports", params=params)
        except (ServerError, TransportError, RateLimited):
            return None
        for rep in answer.get("reports") or []:
            if not isinstance(rep, Mapping) or rep.get("processingStatus") in ("FATAL", "CANCELLED"):
                continue
            if self._matches(rep, w, compare_times=w.api_start is not None) and self.claim(str(rep.get("reportId"))):
                return path_segment(rep.get("reportId"), "reportId")
        return None

    # -- poll --------------------------------------------------------------------------------

    def poll(self, w: _Window, report_id: str, *, tolerate_not_found: bool, since: float | None = None,
             check: bool = False) -> dict[str, Any]:
        """getReport until a final status.

        ``tolerate_not_found``: a 404 is Amazon not knowing the report *yet*; it is waited
        out until :data:`NOT_FOUND_GRACE_SECONDS` after ``since`` (a :func:`time.monotonic`
        instant: when the report was created; default now). ``check``: the first answer
        must describe this window's type, marketplaces and range, else :class:`_Rejected`.
        """
        report_id = path_segment(report_id, "reportId")
        path = api_path(_API + "/reports/{reportId}", reportId=report_id)
        interval = self.poll_interval
        grace_end = (time.monotonic() if since is None else since) + NOT_FOUND_GRACE_SECONDS
        while True:
            if self.stop.is_set():
                raise _Stopped
            try:
                report = self.client.request("GET", path)
            except NotFound:
                if not tolerate_not_found or time.monotonic() >= grace_end:
                    raise
                self.wait(min(interval, max(grace_end - time.monotonic(), 0.0)))
                continue
            status = _check_report_answer(report, report_id)
            if check:
                problem = self._mismatch(report, w, compare_times=w.api_start is not None)
                if problem is not None:
                    raise _Rejected(report_id, problem)
                check = False
            w.status = status
            if status in _TERMINAL:
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
                reason = _parse.error_details(self.fetch_small_document(str(doc_id)))
            except (_Stopped, KeyboardInterrupt):
                raise
            except Exception as exc:  # the explanation is a bonus: never hide the FATAL itself
                logger.warning("could not read the error document of report %s: %s", rid, exc)
        category, fix = _parse.classify_fatal(reason)
        said = f": Amazon says {reason!r}" if reason else " (Amazon gave no explanation)"
        msg = f"{self.rt.name} report {rid} ended FATAL{said}. Fix ({category}): {fix}"
        return ReportFatalError(msg, reason=reason, category=category, fix=fix, report_id=rid,
                                report_type=self.rt.name)

    def fetch_small_document(self, doc_id: str) -> bytes:
        """A small document's bytes (error documents), decompressed."""
        with tempfile.TemporaryDirectory(prefix="amzv-") as tmp:
            path, info = self.download(None, doc_id, Path(tmp))
            data = path.read_bytes()
        if info.get("compression") == "gzip":
            data = gunzip_bounded(data, _SMALL_DOCUMENT, what=f"{self.rt.name} error document")
        return data

    # -- download ----------------------------------------------------------------------------

    def _track(self, response: Any) -> None:
        with self.lock:
            self.downloads.add(response)
            stopped = self.stop.is_set()
        if stopped:  # the main thread may have closed the others already
            self._untrack(response)
            _close_download(response)
            raise _Stopped

    def _untrack(self, response: Any) -> None:
        with self.lock:
            self.downloads.discard(response)

    def close_downloads(self) -> None:
        """Close every open download (from the main thread), ending blocked reads."""
        with self.lock:
            open_now = list(self.downloads)
            self.downloads.clear()
        for response in open_now:
            _close_download(response)

    def download(self, w: _Window | None, doc_id: str, folder: Path,
                 entry: CacheEntry | None = None) -> tuple[Path, dict[str, Any]]:
        """Stream the document to a temp file; retry truncated bodies and expired URLs."""
        doc_id = path_segment(doc_id, "reportDocumentId")
        doc_path = api_path(_API + "/documents/{reportDocumentId}", reportDocumentId=doc_id)
        last_error: Exception | None = None
        for attempt in range(MAX_DOWNLOAD_ATTEMPTS):
            if self.stop.is_set():
                raise _Stopped
            # The URL expires 5 minutes after getReportDocument: ask right before downloading.
            doc = self.client.request("GET", doc_path)
            url = doc.get("url") if isinstance(doc, Mapping) else None
            if not isinstance(url, str) or not url:
                raise ParseError(f"the getReportDocument answer for document {doc_id} has no url")
            try:
                response = self.client.download(url)
            except Forbidden as exc:
                last_error = exc
                logger.info("document URL of %s refused (%s); asking for a new one", doc_id, exc.code)
                continue
            self._track(response)
            if entry is not None:
                fh, tmp = entry.temp_document()
            else:
                fd, name = tempfile.mkstemp(prefix="amzv-doc-", dir=folder)
                fh, tmp = os.fdopen(fd, "wb"), Path(name)
            digest = hashlib.sha256() if entry is not None else None
            received = 0
            ok = False
            try:
                length = response.headers.get("Content-Length")
                expected = int(length) if length and length.isdigit() else None
                if w is not None:
                    w.bytes_total, w.bytes_done = expected, 0
                with fh:
                    for block in response.iter_raw(CHUNK):
                        if self.stop.is_set():
                            raise _Stopped
                        fh.write(block)
                        if digest is not None:
                            digest.update(block)
                        received += len(block)
                        if w is not None:
                            w.bytes_done = received
                if self.stop.is_set():  # a read ended by close_downloads() looks like an early end
                    raise _Stopped
                if expected is not None and received != expected:
                    raise TruncatedDocument(f"received {received} of {expected} bytes")
                compression = "gzip" if (doc.get("compressionAlgorithm") or "").upper() == "GZIP" else None
                if response.headers.get("Content-Encoding", "").lower() == "gzip":
                    compression = "gzip"
                if compression == "gzip":
                    with open(tmp, "rb") as check:
                        if check.read(2) != b"\x1f\x8b":
                            raise TruncatedDocument("the body is not gzip data")
                info = {
                    "report_id": w.report_id if w is not None else None,
                    "document_id": doc_id,
                    "compression": compression,
                    "content_type": response.headers.get("Content-Type"),
                    "size": received,
                    "sha256": digest.hexdigest() if digest is not None else None,
                    "fetched_at": _now().isoformat(),
                }
                ok = True
                return tmp, info
            except TruncatedDocument as exc:
                last_error = exc
                logger.info("download of %s incomplete (%s); retrying", doc_id, exc)
            except (_Stopped, DownloadStalledError):
                raise  # a stall already spent its deadline: not retried
            except TransportError as exc:  # the connection broke off or was reset
                if self.stop.is_set():
                    raise _Stopped from None
                last_error = exc
                logger.info("download of %s broke off (%s); retrying", doc_id, type(exc).__name__)
            finally:
                self._untrack(response)
                response.close()
                if not ok:
                    _unlink(tmp)
        msg = f"could not download report document {doc_id} after {MAX_DOWNLOAD_ATTEMPTS} attempts: {last_error}"
        raise TransportError(msg)

    def download_and_parse(self, w: _Window, rid: str, doc_id: str, entry: CacheEntry | None, *,
                           verify: str | None = None) -> pd.DataFrame:
        """Download, parse and (with ``entry``) cache a document.

        ``verify`` (see :meth:`verify_mode`) checks the document's echoed options before
        anything is cached; a mismatch raises :class:`_Rejected`.
        """
        tmpdir = None if entry is not None else tempfile.TemporaryDirectory(prefix="amzv-")
        try:
            for attempt in range(MAX_DOWNLOAD_ATTEMPTS):
                path, info = self.download(w, doc_id, Path(tmpdir.name) if tmpdir else Path("."), entry)
                info["report_id"] = rid
                try:
                    frame = self.parse(path, info)
                    if verify is not None:
                        problem = self.specification_mismatch(path, info, w, strict=verify == "strict")
                        if problem is not None:
                            raise _Rejected(rid, problem)
                except TruncatedDocument as exc:
                    # A body that looked complete but whose gzip stream is cut: fetch again.
                    _unlink(path)
                    if attempt + 1 >= MAX_DOWNLOAD_ATTEMPTS:
                        raise TransportError(f"report document {doc_id} arrived truncated "
                                             f"{MAX_DOWNLOAD_ATTEMPTS} times: {exc}") from None
                    logger.info("document %s is truncated (%s); downloading again", doc_id, exc)
                    continue
                except BaseException:
                    # ParseError / DocumentTooLargeError are about the document, not the transfer:
                    # not retried.
                    _unlink(path)
                    raise
                if entry is not None:
                    entry.commit_document(path, info)
                    try:
                        entry.write_frame(self.variant, frame)
                    except Exception as exc:  # a frame Arrow cannot hold: the document is still cached
                        logger.warning("could not cache the parsed frame of report %s: %s", rid, exc)
                else:
                    _unlink(path)
                return frame
            raise AssertionError("unreachable")
        finally:
            if tmpdir is not None:
                tmpdir.cleanup()

    def specification_mismatch(self, path: Path, info: Mapping[str, Any], w: _Window, *,
                               strict: bool) -> str | None:
        """Why the document's ``reportSpecification`` is not this window's request, or None."""
        spec = read_specification(path, info)
        options = spec.get("reportOptions") if isinstance(spec, Mapping) else None
        if not isinstance(options, Mapping):
            return "its document does not echo the reportOptions it was made with" if strict else None
        if spec.get("reportType") not in (None, self.rt.name):
            return f"its document is a {spec.get('reportType')!r} report"
        return _options_mismatch(w.options, options)

    # -- parse -------------------------------------------------------------------------------

    def parse(self, path: Path, info: Mapping[str, Any]) -> pd.DataFrame:
        return parse_document(path, info, self.rt, section=self.plan.section, quotechar=self.plan.quotechar,
                              default_encoding=self.default_encoding, limits=self.limits)

    @property
    def limits(self) -> DocumentLimits | None:
        return getattr(self.client, "document_limits", None)


class _Rejected(Exception):
    """A report found for a window (adopted or recorded) is not the one asked for."""

    def __init__(self, report_id: str, reason: str, *, quiet: bool = False) -> None:
        super().__init__(f"report {report_id}: {reason}")
        self.report_id = report_id
        self.reason = reason
        self.quiet = quiet


#: processingStatus values of the reports model.
_STATUSES = frozenset({"IN_QUEUE", "IN_PROGRESS", "DONE", "FATAL", "CANCELLED"})


def _check_report_answer(report: Any, report_id: str) -> str:
    """The processingStatus of a getReport answer, or a ParseError saying what is wrong."""
    where = f"the getReport answer for report {report_id}"
    if not isinstance(report, Mapping):
        raise ParseError(f"{where} is not a JSON object (got {type(report).__name__})")
    got = report.get("reportId")
    if got is None:
        raise ParseError(f"{where} has no reportId")
    if str(got) != report_id:
        shown = repr(got) if len(repr(got)) <= 80 else repr(got)[:77] + "..."
        raise ParseError(f"{where} describes another report ({shown})")
    status = report.get("processingStatus")
    if status is None:
        raise ParseError(f"{where} has no processingStatus")
    if not isinstance(status, str):
        raise ParseError(f"{where} has a processingStatus that is not a string: {status!r}"[:300])
    if status not in _STATUSES:
        shown = status if len(status) <= 40 else status[:37] + "..."
        raise ParseError(f"{where} has an unknown processingStatus {shown!r}; expected one of "
                         f"{', '.join(sorted(_STATUSES))}")
    return status


def _option_equal(sent: str, echoed: Any) -> bool:
    if not isinstance(echoed, (str, int, float)) or isinstance(echoed, bool):
        return False
    a, b = str(sent).strip(), str(echoed).strip()
    if a.casefold() == b.casefold():
        return True
    # Date-time options may come back in another spelling (".000Z", "+00:00").
    return any(c.isdigit() for c in a) and "-" in a and _same_time(a, b)


def _options_mismatch(sent: Mapping[str, str], echoed: Mapping[str, Any]) -> str | None:
    """What differs between the options sent and a document's echo of them, or None.

    Every option sent (registry defaults included) must come back equal. Echoed options
    that were not sent are not compared: Amazon echoes defaults of its own (the real-time
    sales report's ``currencyCode``), which this library cannot predict.
    """
    for name, value in sent.items():
        if name not in echoed:
            return f"its document does not echo reportOptions.{name}"
        if not _option_equal(value, echoed[name]):
            return f"it was made with {name}={str(echoed[name])[:60]!r}, not {value!r}"
    return None


def _close_download(download: Any) -> None:
    """Close a download from another thread so that a read blocked in it returns."""
    try:
        download.close()
    except Exception as exc:  # closing is best effort: the worker notices the stop either way
        logger.debug("closing a download failed: %s", exc)


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except (FileNotFoundError, TypeError):
        pass


def _done_reusable(created: _dt.datetime | None, final_at: _dt.datetime | None) -> bool:
    """A DONE report is worth reusing when it was made from final data, or very recently."""
    if created is None:
        return False
    if final_at is not None and created >= final_at:
        return True
    return _now() - created <= REUSE_FRESH


def _empty_frame(rt: ReportType, section: str | None) -> pd.DataFrame:
    try:
        return rt.empty_frame(section)
    except ConfigurationError:
        return pd.DataFrame()


# --------------------------------------------------------------------------------------------
# driving the workers and the progress bar from the main thread


class _Progress:
    """One bar for the whole read, updated from the main thread only."""

    def __init__(self, progress_bar_type: Any, rt_name: str, windows: list[_Window]) -> None:
        self.windows = windows
        self.single = len(windows) == 1
        self.t0 = time.monotonic()
        self.rt_name = rt_name
        self.bar = get_progress_bar(progress_bar_type, desc=rt_name, total=None if self.single else len(windows),
                                    unit="it" if self.single else "window")
        self.counted = sum(1 for w in windows if w.done)
        self.bytes_mode = False
        self.bytes_shown = 0
        if self.bar is not None and self.counted and not self.single:
            self.bar.update(self.counted)

    def _desc(self, text: str) -> None:
        if self.bar is not None and hasattr(self.bar, "set_description_str"):
            self.bar.set_description_str(text, refresh=False)

    def render(self) -> None:
        if self.bar is None:
            return
        elapsed = time.monotonic() - self.t0
        if self.single:
            w = self.windows[0]
            if w.status in ("DOWNLOADING", "DONE") and w.bytes_total is not None and not self.bytes_mode:
                self.bytes_mode = True
                if hasattr(self.bar, "reset"):
                    self.bar.unit, self.bar.unit_scale, self.bar.unit_divisor = "B", True, 1024
                    self.bar.reset(total=w.bytes_total)
            self._desc(f"{self.rt_name} {w.report_id or ''} {w.status} ({elapsed:.0f}s)".replace("  ", " "))
            if self.bytes_mode and w.bytes_done > self.bytes_shown:
                self.bar.update(w.bytes_done - self.bytes_shown)
                self.bytes_shown = w.bytes_done
            elif hasattr(self.bar, "refresh"):
                self.bar.refresh()
            return
        counts: dict[str, int] = {}
        for w in self.windows:
            if not w.done:
                counts[w.status] = counts.get(w.status, 0) + 1
        states = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        self._desc(f"{self.rt_name} [{states or 'done'}] ({elapsed:.0f}s)")
        finished = sum(1 for w in self.windows if w.done)
        if finished > self.counted:
            self.bar.update(finished - self.counted)
            self.counted = finished
        elif hasattr(self.bar, "refresh"):
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.render()
            self.bar.close()


def _resume_hint(run: _Run, ids: Sequence[str]) -> str:
    shown = ", ".join(repr(i) for i in ids) or "none created yet"
    return (f"report id(s) {shown} keep processing at Amazon: run the same read_report() call again to resume "
            f"polling them (no new report is created), or fetch one later with amzv.get_report(report_id)")


def _drive(
    run: _Run,
    todo: list[_Window],
    timeout: float | None,
    progress_bar_type: Any,
    work: Callable[[_Window], pd.DataFrame] | None = None,
) -> dict[int, pd.DataFrame]:
    """Run the windows in a small thread pool; the main thread renders progress and enforces timeout."""
    frames: dict[int, pd.DataFrame] = {}
    if not todo:
        return frames
    progress = _Progress(progress_bar_type, run.rt.name, run.plan.windows)
    pool = cf.ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(todo)), thread_name_prefix="amzv-report")
    futures = {pool.submit(_work, run, w, work or run.run_window): w for w in todo}
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        pending = set(futures)
        while pending:
            done, pending = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                w = futures[fut]
                exc = fut.exception()
                if exc is not None:
                    raise exc
                frames[w.index] = fut.result()
                w.done = True
            progress.render()
            if pending and deadline is not None and time.monotonic() >= deadline:
                waiting = [w for w in todo if not w.done]
                ids = [w.report_id for w in waiting if w.report_id]
                msg = (f"{run.rt.name}: still {', '.join(sorted({w.status for w in waiting}))} after {timeout:g}s; "
                       + _resume_hint(run, ids))
                raise ReportTimeout(msg, report_id=ids, report_type=run.rt.name,
                                    processing_status=waiting[0].status if waiting else None)
    except KeyboardInterrupt:
        run.stop.set()
        ids = [w.report_id for w in todo if w.report_id and not w.done]
        raise KeyboardInterrupt(f"stopped waiting for {run.rt.name}; " + _resume_hint(run, ids)) from None
    finally:
        run.stop.set()
        # Workers blocked in a download read return once it is closed; waits use stop.wait.
        run.close_downloads()
        pool.shutdown(wait=False, cancel_futures=True)
        progress.close()
        for message, category in run.pending_warnings:
            warnings.warn(message, category, stacklevel=4)
        run.pending_warnings.clear()
    return frames


def _work(run: _Run, w: _Window, work: Callable[[_Window], pd.DataFrame]) -> pd.DataFrame:
    try:
        frame = work(w)
    except _Stopped:
        return _empty_frame(run.rt, run.plan.section)
    w.rows = len(frame)
    return frame


# --------------------------------------------------------------------------------------------
# cache reads


def _from_cache(run: _Run, w: _Window) -> pd.DataFrame | None:
    entry = run.cache.entry(w.key)
    if not entry.exists():
        return None
    meta = entry.meta() or {}
    try:
        frame = entry.read_frame(run.variant)
        if frame is None:  # no frame for this section/quoting/parser yet: parse the stored document
            entry.verify_document()
            path = entry.document_path
            frame = parse_document(path, meta, run.rt, section=run.plan.section, quotechar=run.plan.quotechar,
                                   default_encoding=run.default_encoding, limits=run.limits)
            try:
                entry.write_frame(run.variant, frame)
            except Exception as exc:  # pragma: no cover - Arrow cannot hold the frame
                logger.warning("could not cache the parsed frame: %s", exc)
    except (CacheIntegrityError, TruncatedDocument) as exc:
        entry.delete()
        warnings.warn(f"cached {run.rt.name} document for {w.label_start} → {w.label_end} was corrupt ({exc}); "
                      "it was deleted and will be downloaded again", StaleCacheWarning, stacklevel=3)
        return None
    w.report_id = meta.get("report_id")
    w.document_id = meta.get("document_id")
    w.from_cache = True
    w.status = "CACHED"
    w.done = True
    w.rows = len(frame)
    return frame


# --------------------------------------------------------------------------------------------
# assembling the result


_SORT_COLUMNS = ("startDate", "startTime", "startDateTime")


def _assemble(run: _Run, frames: Mapping[int, pd.DataFrame]) -> pd.DataFrame:
    windows = run.plan.windows
    if len(windows) == 1:
        df = frames[0]
    else:
        parts = [frames[w.index] for w in windows]
        non_empty = [p for p in parts if len(p)] or parts[:1]
        df = pd.concat(non_empty, ignore_index=True)
        sort_by = next((c for c in _SORT_COLUMNS if c in df.columns), None)
        if sort_by is not None:
            df = df.sort_values(sort_by, kind="stable", ignore_index=True)
    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index(drop=True)
    df.attrs["amzv"] = {
        "report_type": run.rt.name,
        "report_ids": [w.report_id for w in windows if w.report_id],
        "document_ids": [w.document_id for w in windows if w.document_id],
        "marketplace_ids": run.marketplace_ids,
        "report_options": dict(run.plan.options),
        "section": run.plan.section,
        "data_start": run.plan.data_start,
        "data_end": run.plan.data_end,
        "from_cache": all(w.from_cache for w in windows),
        "windows": [
            {"start": w.label_start, "end": w.label_end, "report_id": w.report_id, "document_id": w.document_id,
             "status": "DONE" if w.status in ("CACHED", "DONE") else w.status, "from_cache": w.from_cache,
             "rows": w.rows}
            for w in windows
        ],
    }
    return df
