"""One Data Kiosk query, all its pages: createQuery -> poll getQuery -> getDocument -> next page.

:class:`QueryRun` runs the pages one after the other (page ``n+1`` is a new createQuery with
the same query and page ``n``'s ``pagination.nextToken``). Each page:

- reuses the in-flight record of its key (a restarted kernel resumes polling the same query id
  instead of creating another) unless the query is older than its retention, or
- waits for a slot of the account's queue (:mod:`.queue`) and calls createQuery without a
  blind retry; a refusal for too many queries at once is waited out and retried;
- polls getQuery with the reports' backoff (:data:`~amzv_pandas._reports.run.POLL_BACKOFF`,
  :data:`~amzv_pandas._reports.run.MAX_POLL_INTERVAL`) and one progress bar (query id,
  status, page, elapsed) from :func:`~amzv_pandas._util.progress.get_progress_bar`;
- streams the data document (gzip or plain, as served) to the cache entry of the page
  (sha256) or a temp file. FATAL fetches the error document and raises
  :class:`~amzv_pandas.exceptions.QueryFatalError`; DONE with no document and CANCELLED end
  the run with no rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .._cache.store import CacheEntry, CacheKey, ReportCache
from .._parsers.document import gunzip_bounded
from .._reports.download import SMALL_DOCUMENT
from .._reports.run import MAX_POLL_INTERVAL, POLL_BACKOFF
from .._specs.datakiosk.schema import canonical_query
from .._util.files import unlink_quietly
from .._util.ids import api_path, path_segment
from .._util.progress import get_progress_bar
from .._util.time import parse_utc, utc_now
from ..exceptions import Forbidden, NotFound, ParseError, QueryFatalError, ReportTimeout, TransportError
from . import queue
from .queue import is_concurrency_refusal

if TYPE_CHECKING:
    from .._transport.http import Transport

__all__ = ["API", "TERMINAL", "Page", "QueryRun", "error_messages", "MAX_CREATE_REFUSALS"]

logger = logging.getLogger(__name__)

API = "/dataKiosk/2023-11-15"
TERMINAL = frozenset({"DONE", "FATAL", "CANCELLED"})
CHUNK = 1 << 20
MAX_DOWNLOAD_ATTEMPTS = 4
#: createQuery refusals (throttling, too many queries at once) waited out before giving up.
MAX_CREATE_REFUSALS = 200
#: getQuery may not know a query for a moment after createQuery.
NOT_FOUND_GRACE_SECONDS = 60.0


class _Stop(Exception):
    pass


@dataclass
class Page:
    """One page's outcome: its query, status and document (a file: the cache's or a temp one)."""

    index: int
    query_id: str
    status: str
    document_id: str | None = None
    next_token: str | None = None
    path: Path | None = None
    info: dict[str, Any] = field(default_factory=dict)
    from_cache: bool = False


def error_messages(data: bytes) -> tuple[str | None, Any]:
    """Amazon's message from an error document: a JSON array of GraphQL errors or an object."""
    try:
        doc = json.loads(data.decode("utf-8", "replace"))
    except ValueError:
        text = data.decode("utf-8", "replace").strip()
        return (text[:2000] or None), None
    items: list[Any]
    if isinstance(doc, list):
        items = doc
    elif isinstance(doc, Mapping):
        inner = doc.get("errors")
        items = list(inner) if isinstance(inner, list) else [doc]
    else:
        return str(doc)[:2000], doc
    messages = []
    for item in items:
        if isinstance(item, Mapping):
            msg = item.get("message") or item.get("errorMessage") or item.get("errorDetails")
            if msg:
                messages.append(str(msg))
        elif isinstance(item, str):
            messages.append(item)
    return ("; ".join(messages) or None), doc


@dataclass
class QueryRun:
    """The state of one query's run (see the module docstring)."""

    client: "Transport"
    query: str  # the text sent to createQuery
    query_digest: str  # sha256 of the canonical text
    store: ReportCache
    base_key: CacheKey
    cacheable: bool
    refresh: bool
    poll_interval: float
    timeout: float | None
    progress_bar_type: Any
    retention_days: int = 30
    label: str = "Data Kiosk"
    stop: threading.Event = field(default_factory=threading.Event)
    pages: list[Page] = field(default_factory=list)
    t0: float = field(default_factory=time.monotonic)
    bar: Any = None
    _tmp: tempfile.TemporaryDirectory[str] | None = None
    _current: str | None = None  # the query being polled (named by a timeout or Ctrl-C)

    # -- keys ---------------------------------------------------------------------------------

    def page_key(self, index: int) -> CacheKey:
        b = self.base_key
        return CacheKey.make(region=b.region, account=b.account, report_type=b.report_type,
                             marketplace_ids=b.marketplace_ids, start=b.start, end=b.end,
                             options={**dict(b.options), "page": str(index)})

    # -- the loop -----------------------------------------------------------------------------

    def run(self) -> list[Page]:
        """Every page, in order; the last one has no ``next_token``."""
        self.bar = get_progress_bar(self.progress_bar_type, desc=self.label, total=None, unit="page")
        try:
            token: str | None = None
            index = 0
            while True:
                page = self.page(index, token)
                self.pages.append(page)
                if self.bar is not None:
                    self.bar.update(1)
                if page.status != "DONE" or not page.next_token:
                    return self.pages
                token, index = page.next_token, index + 1
        except KeyboardInterrupt:
            ids = [p.query_id for p in self.pages] + ([self._current] if self._current else [])
            raise KeyboardInterrupt(f"stopped waiting for Data Kiosk; {self.hint(ids)}") from None
        finally:
            if self.bar is not None:
                self.bar.close()

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def hint(self, ids: list[str]) -> str:
        shown = ", ".join(repr(i) for i in ids if i) or "none created yet"
        return (f"query id(s) {shown} keep processing at Amazon: run the same call again to resume polling them "
                "(no new query is created)")

    def show(self, qid: str | None, status: str, index: int) -> None:
        if self.bar is not None and hasattr(self.bar, "set_description_str"):
            elapsed = time.monotonic() - self.t0
            self.bar.set_description_str(f"{self.label} {qid or ''} {status} page {index + 1} ({elapsed:.0f}s)",
                                         refresh=True)

    def wait(self, seconds: float, qid: str | None, status: str) -> None:
        if self.timeout is not None:
            left = self.t0 + self.timeout - time.monotonic()
            if left <= 0:
                ids = [p.query_id for p in self.pages] + ([qid] if qid else [])
                raise ReportTimeout(f"Data Kiosk query still {status} after {self.timeout:g}s; {self.hint(ids)}",
                                    report_id=[i for i in ids if i], report_type="DATA_KIOSK_QUERY",
                                    processing_status=status)
            seconds = min(seconds, left)
        # In slices: a KeyboardInterrupt raised in this thread from another one (the form's Cancel)
        # is only heard between bytecodes, never inside one long Event.wait.
        end = time.monotonic() + seconds
        while (remaining := end - time.monotonic()) > 0:
            if self.stop.wait(min(remaining, 0.25)):
                raise _Stop

    # -- one page -----------------------------------------------------------------------------

    def page(self, index: int, token: str | None) -> Page:
        key = self.page_key(index)
        entry = self.store.entry(key) if self.cacheable else None
        if entry is not None and not self.refresh and entry.exists():
            meta = entry.meta() or {}
            try:
                entry.verify_document()
                return Page(index, str(meta.get("query_id")), "DONE", meta.get("document_id"),
                            meta.get("next_token"), entry.document_path, dict(meta), from_cache=True)
            except Exception as exc:  # damaged: fetched again
                logger.info("cached Data Kiosk page %d is unusable (%s); fetching it again", index, exc)
        inflight = self.store.inflight()
        answer = None
        record = None if self.refresh else inflight.get(key)
        if record and self.record_usable(record):
            qid = str(record["report_id"])
            self._current = qid
            with self.slot(qid):
                try:
                    answer = self.poll(qid, index, since=time.monotonic() - NOT_FOUND_GRACE_SECONDS / 2)
                except NotFound:
                    answer = None
            if answer is not None and not self.same_query(answer):
                logger.warning("in-flight Data Kiosk query %s was made for another query; creating a new one", qid)
                answer = None
            if answer is None:
                inflight.remove(key, qid)
        if answer is None:
            with self.slot(None):
                qid = self.create(token, index)
                self._current = qid
                inflight.put(key, qid, status="IN_QUEUE", query_sha256=self.query_digest)
                answer = self.poll(qid, index, since=time.monotonic())
        status = str(answer.get("processingStatus"))
        qid = str(answer.get("queryId") or qid)
        if status == "FATAL":
            inflight.remove(key, qid)
            raise self.fatal(answer)
        if status == "CANCELLED" or not answer.get("dataDocumentId"):
            inflight.remove(key, qid)
            return Page(index, qid, status)
        doc_id = path_segment(answer.get("dataDocumentId"), "dataDocumentId")
        nxt = (answer.get("pagination") or {}).get("nextToken") if isinstance(answer.get("pagination"), Mapping) \
            else None
        path, info = self.fetch(doc_id, entry, index)
        info.update(query_id=qid, document_id=doc_id, next_token=nxt, page=index, query_sha256=self.query_digest)
        if entry is not None:
            entry.commit_document(path, info)
            path = entry.document_path
        inflight.put(key, qid, status="DONE", document_id=doc_id, query_sha256=self.query_digest)
        return Page(index, qid, "DONE", doc_id, nxt, path, info)

    def slot(self, qid: str | None) -> Any:
        """One of the account's non-terminal query slots; waiting for it counts against ``timeout``."""
        deadline = None if self.timeout is None else self.t0 + self.timeout

        def expired() -> None:
            ids = [p.query_id for p in self.pages] + ([qid] if qid else [])
            raise ReportTimeout(f"Data Kiosk: no query slot of this account came free within {self.timeout:g}s "
                                f"(at most {queue.MAX_NON_TERMINAL} queries at once); {self.hint(ids)}",
                                report_id=[i for i in ids if i], report_type="DATA_KIOSK_QUERY",
                                processing_status="QUEUED")

        return queue.slot(self.client, self.stop, deadline=deadline, on_deadline=expired)

    def record_usable(self, record: Mapping[str, Any]) -> bool:
        """An in-flight record is reused only for the same query, within the query's retention (a DONE
        one only for final data)."""
        if record.get("query_sha256") != self.query_digest:
            return False
        if record.get("status") == "DONE" and not self.cacheable:
            return False  # data not final when it ran: a new query sees the newer numbers
        created = parse_utc(record.get("created_at"))
        if created is None:
            return False
        return (utc_now() - created).total_seconds() < self.retention_days * 86400

    def same_query(self, answer: Mapping[str, Any]) -> bool:
        text = answer.get("query")
        if not isinstance(text, str):
            return True  # nothing to compare: the record's digest already matched
        try:
            return hashlib.sha256(canonical_query(text).encode()).hexdigest() == self.query_digest
        except Exception:
            return False

    def create(self, token: str | None, index: int) -> str:
        body: dict[str, Any] = {"query": self.query}
        if token:
            body["paginationToken"] = token
        refused = 0
        while True:
            self.show(None, "CREATING", index)
            try:
                # No blind retry: a refusal means nothing was created; a 5xx is raised.
                answer = self.client.request("POST", f"{API}/queries", json=body, retries=0)
            except Exception as exc:
                if not is_concurrency_refusal(exc) or refused >= MAX_CREATE_REFUSALS:
                    raise
                refused += 1
                logger.info("createQuery refused (%s); waiting and retrying", getattr(exc, "code", exc))
                self.wait(self.client.backoff.delay(min(refused, 5), floor=0.2), None, "QUEUED")
                continue
            return path_segment(answer.get("queryId") if isinstance(answer, Mapping) else None,
                                "queryId of the createQuery answer")

    def poll(self, qid: str, index: int, *, since: float) -> dict[str, Any]:
        path = api_path(API + "/queries/{queryId}", queryId=path_segment(qid, "queryId"))
        interval = self.poll_interval
        status = "IN_QUEUE"
        while True:
            try:
                answer = self.client.request("GET", path)
            except NotFound:
                if time.monotonic() - since > NOT_FOUND_GRACE_SECONDS:
                    raise
                self.wait(interval, qid, status)
                continue
            if not isinstance(answer, Mapping) or not isinstance(answer.get("processingStatus"), str):
                raise ParseError(f"the getQuery answer for {qid} has no processingStatus")
            status = answer["processingStatus"]
            self.show(qid, status, index)
            if status in TERMINAL:
                return dict(answer)
            self.wait(interval, qid, status)
            interval = min(interval * POLL_BACKOFF, MAX_POLL_INTERVAL)

    # -- documents ----------------------------------------------------------------------------

    def fetch(self, doc_id: str, entry: CacheEntry | None, index: int) -> tuple[Path, dict[str, Any]]:
        """Stream a document to the entry's temp file (or a temp dir); retry expired URLs and cut bodies."""
        doc_path = api_path(API + "/documents/{documentId}", documentId=doc_id)
        last: Exception | None = None
        for _attempt in range(MAX_DOWNLOAD_ATTEMPTS):
            self.show(doc_id, "DOWNLOADING", index)
            answer = self.client.request("GET", doc_path)
            url = answer.get("documentUrl") if isinstance(answer, Mapping) else None
            if not isinstance(url, str) or not url:
                raise ParseError(f"the getDocument answer for {doc_id} has no documentUrl")
            try:
                response = self.client.download(url)
            except Forbidden as exc:  # the presigned URL expired: ask for a new one
                last = exc
                continue
            if entry is not None:
                fh, tmp = entry.temp_document()
            else:
                if self._tmp is None:
                    self._tmp = tempfile.TemporaryDirectory(prefix="amzv-dk-")
                fd, name = tempfile.mkstemp(prefix="doc-", dir=self._tmp.name)
                fh, tmp = os.fdopen(fd, "wb"), Path(name)
            digest = hashlib.sha256()
            size = 0
            ok = False
            try:
                length = response.headers.get("Content-Length")
                expected = int(length) if length and length.isdigit() else None
                with fh:
                    for block in response.iter_raw(CHUNK):
                        fh.write(block)
                        digest.update(block)
                        size += len(block)
                if expected is not None and size != expected:
                    raise TransportError(f"received {size} of {expected} bytes")
                with open(tmp, "rb") as check:
                    gz = check.read(2) == b"\x1f\x8b"
                ok = True
                return tmp, {"compression": "gzip" if gz else None, "size": size, "sha256": digest.hexdigest(),
                             "content_type": response.headers.get("Content-Type"),
                             "fetched_at": utc_now().isoformat()}
            except TransportError as exc:
                last = exc
                logger.info("download of Data Kiosk document %s broke off (%s); retrying", doc_id, exc)
            finally:
                response.close()
                if not ok:
                    unlink_quietly(tmp)
        raise TransportError(f"could not download Data Kiosk document {doc_id} after {MAX_DOWNLOAD_ATTEMPTS} "
                             f"attempts: {last}")

    def fatal(self, answer: Mapping[str, Any]) -> QueryFatalError:
        qid = str(answer.get("queryId"))
        reason, errors = None, None
        doc_id = answer.get("errorDocumentId")
        if doc_id:
            try:
                path, info = self.fetch(path_segment(doc_id, "errorDocumentId"), None, len(self.pages))
                data = path.read_bytes()
                unlink_quietly(path)
                if info.get("compression") == "gzip":
                    data = gunzip_bounded(data, SMALL_DOCUMENT, what=f"error document of query {qid}")
                reason, errors = error_messages(data)
            except Exception as exc:  # the explanation is a bonus: never hide the FATAL itself
                logger.warning("could not read the error document of query %s: %s", qid, exc)
        said = f": Amazon says {reason!r}" if reason else " (Amazon gave no error document)"
        fix = "Check the query against the dataset's rules (see the message); it was valid GraphQL."
        return QueryFatalError(f"Data Kiosk query {qid} ended FATAL{said}", query_id=qid, reason=reason,
                               errors=errors, category="options" if reason else "unknown", fix=fix)
