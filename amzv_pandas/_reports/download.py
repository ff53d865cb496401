"""Fetching a report's document: getReportDocument -> streamed download -> parse (and cache).

:class:`DocumentTransfer` is the part of :class:`amzv_pandas._reports.run.Run` that moves
bytes: it streams a document to a temp file (or the cache entry's), retries truncated bodies
and expired URLs, checks the echoed options before anything is cached, and parses it with
:func:`amzv_pandas._parsers.document.parse_document`. Open downloads are tracked so the main
thread can close them when it stops the run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import pandas as pd

from .._cache.store import CacheEntry
from .._parsers.document import DocumentLimits, TruncatedDocument, gunzip_bounded, parse_document, read_specification
from .._specs.registry import ReportType
from .._util.files import unlink_quietly
from .._util.ids import api_path, path_segment
from .._util.time import utc_now
from ..exceptions import DownloadStalledError, Forbidden, ParseError, TransportError
from .answers import API, Rejected, Stopped, close_download, options_mismatch
from .plan import Plan, Window

if TYPE_CHECKING:
    from .._transport.http import Transport

__all__ = ["DocumentTransfer", "CHUNK", "MAX_DOWNLOAD_ATTEMPTS", "SMALL_DOCUMENT"]

# Records keep the logger name they had before the run was split.
logger = logging.getLogger("amzv_pandas._reports.run")

#: Download granularity: large reads keep Python out of the hot path.
CHUNK = 1 << 20
MAX_DOWNLOAD_ATTEMPTS = 4
#: Error documents are a few hundred bytes: a tight bound.
SMALL_DOCUMENT = DocumentLimits(max_expanded_bytes=16 << 20)


class DocumentTransfer:
    """Download and parse documents for a run (a base of :class:`~amzv_pandas._reports.run.Run`)."""

    # Provided by the run.
    client: "Transport"
    plan: Plan
    stop: threading.Event
    lock: threading.Lock
    downloads: set[Any]
    rt: ReportType
    variant: str
    default_encoding: str

    def fetch_small_document(self, doc_id: str) -> bytes:
        """A small document's bytes (error documents), decompressed."""
        with tempfile.TemporaryDirectory(prefix="amzv-") as tmp:
            path, info = self.download(None, doc_id, Path(tmp))
            data = path.read_bytes()
        if info.get("compression") == "gzip":
            data = gunzip_bounded(data, SMALL_DOCUMENT, what=f"{self.rt.name} error document")
        return data

    # -- download ----------------------------------------------------------------------------

    def _track(self, response: Any) -> None:
        with self.lock:
            self.downloads.add(response)
            stopped = self.stop.is_set()
        if stopped:  # the main thread may have closed the others already
            self._untrack(response)
            close_download(response)
            raise Stopped

    def _untrack(self, response: Any) -> None:
        with self.lock:
            self.downloads.discard(response)

    def close_downloads(self) -> None:
        """Close every open download (from the main thread), ending blocked reads."""
        with self.lock:
            open_now = list(self.downloads)
            self.downloads.clear()
        for response in open_now:
            close_download(response)

    def download(self, w: Window | None, doc_id: str, folder: Path,
                 entry: CacheEntry | None = None) -> tuple[Path, dict[str, Any]]:
        """Stream the document to a temp file; retry truncated bodies and expired URLs."""
        doc_id = path_segment(doc_id, "reportDocumentId")
        doc_path = api_path(API + "/documents/{reportDocumentId}", reportDocumentId=doc_id)
        last_error: Exception | None = None
        for attempt in range(MAX_DOWNLOAD_ATTEMPTS):
            if self.stop.is_set():
                raise Stopped
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
                            raise Stopped
                        fh.write(block)
                        if digest is not None:
                            digest.update(block)
                        received += len(block)
                        if w is not None:
                            w.bytes_done = received
                if self.stop.is_set():  # a read ended by close_downloads() looks like an early end
                    raise Stopped
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
                    "fetched_at": utc_now().isoformat(),
                }
                ok = True
                return tmp, info
            except TruncatedDocument as exc:
                last_error = exc
                logger.info("download of %s incomplete (%s); retrying", doc_id, exc)
            except (Stopped, DownloadStalledError):
                raise  # a stall already spent its deadline: not retried
            except TransportError as exc:  # the connection broke off or was reset
                if self.stop.is_set():
                    raise Stopped from None
                last_error = exc
                logger.info("download of %s broke off (%s); retrying", doc_id, type(exc).__name__)
            finally:
                self._untrack(response)
                response.close()
                if not ok:
                    unlink_quietly(tmp)
        msg = f"could not download report document {doc_id} after {MAX_DOWNLOAD_ATTEMPTS} attempts: {last_error}"
        raise TransportError(msg)

    def download_and_parse(self, w: Window, rid: str, doc_id: str, entry: CacheEntry | None, *,
                           verify: str | None = None) -> pd.DataFrame:
        """Download, parse and (with ``entry``) cache a document.

        ``verify`` (see :meth:`verify_mode`) checks the document's echoed options before
        anything is cached; a mismatch raises :class:`Rejected`.
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
                            raise Rejected(rid, problem)
                except TruncatedDocument as exc:
                    # A body that looked complete but whose gzip stream is cut: fetch again.
                    unlink_quietly(path)
                    if attempt + 1 >= MAX_DOWNLOAD_ATTEMPTS:
                        raise TransportError(f"report document {doc_id} arrived truncated "
                                             f"{MAX_DOWNLOAD_ATTEMPTS} times: {exc}") from None
                    logger.info("document %s is truncated (%s); downloading again", doc_id, exc)
                    continue
                except BaseException:
                    # ParseError / DocumentTooLargeError are about the document, not the transfer:
                    # not retried.
                    unlink_quietly(path)
                    raise
                if entry is not None:
                    entry.commit_document(path, info)
                    try:
                        entry.write_frame(self.variant, frame)
                    except Exception as exc:  # a frame Arrow cannot hold: the document is still cached
                        logger.warning("could not cache the parsed frame of report %s: %s", rid, exc)
                else:
                    unlink_quietly(path)
                return frame
            raise AssertionError("unreachable")
        finally:
            if tmpdir is not None:
                tmpdir.cleanup()

    def specification_mismatch(self, path: Path, info: Mapping[str, Any], w: Window, *,
                               strict: bool) -> str | None:
        """Why the document's ``reportSpecification`` is not this window's request, or None."""
        spec = read_specification(path, info)
        options = spec.get("reportOptions") if isinstance(spec, Mapping) else None
        if not isinstance(options, Mapping):
            return "its document does not echo the reportOptions it was made with" if strict else None
        if spec.get("reportType") not in (None, self.rt.name):
            return f"its document is a {spec.get('reportType')!r} report"
        return options_mismatch(w.options, options)

    # -- parse -------------------------------------------------------------------------------

    def parse(self, path: Path, info: Mapping[str, Any]) -> pd.DataFrame:
        return parse_document(path, info, self.rt, section=self.plan.section, quotechar=self.plan.quotechar,
                              default_encoding=self.default_encoding, limits=self.limits)

    @property
    def limits(self) -> DocumentLimits | None:
        return getattr(self.client, "document_limits", None)
