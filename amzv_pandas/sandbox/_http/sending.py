"""Writing answers to the wire: SP-API/LWA answers, stored documents (ranges, sendfile), drips and truncation.

A mixin of :class:`~.server.SandboxServer`, kept apart because it is the one part
that writes bytes; it uses the server's fault queue, buckets, statistics and
stopping event.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from .._data.api_models import Operation
from .._services.request import Response
from .documents import StoredDocument, http_date, parse_range, s3_error, s3_request_id
from .fault_bodies import FaultBody, fault_body
from .faults import Fault, FaultQueue
from .handler import Handler
from .throttle import TokenBucket, format_rate

__all__ = ["Sending"]

#: Longest pause between two writes of a dripping body (so close() is noticed quickly).
_DRIP_TICK = 0.25


class Sending:
    """Output half of the server; the server provides the attributes declared here."""

    faults: FaultQueue
    _stats_lock: threading.Lock
    _stopping: threading.Event
    _documents_served: int
    _bytes_served: int
    bucket: Callable[[Operation], TokenBucket]
    _wait: Callable[[float], bool]

    def _send_document(self, handler: Handler, doc: StoredDocument, query: dict[str, list[str]],
                       request_id: str) -> None:
        replaced = self.faults.take({"body"}, "downloadDocument", sp_api=False)
        replacement = (fault_body(replaced.options, document=True, content_type=doc.content_type)
                       if replaced is not None else None)
        # A replaced body ignores Range: it is not the document the ETag names.
        span = None if replacement is not None else parse_range(handler.headers.get("Range"), doc.size)
        if span is False:
            resp = s3_error(416, "InvalidRange", "The requested range is not satisfiable")
            resp.headers["Content-Range"] = f"bytes */{doc.size}"
            return self._send(handler, resp, request_id)
        size = replacement.length if replacement is not None else doc.size
        start, end = span if span else (0, size - 1)
        length = max(0, end - start + 1)
        handler.send_response(206 if span else 200)
        headers = {
            "Content-Type": replacement.content_type if replacement is not None else doc.content_type,
            "Content-Length": str(length),
            "Accept-Ranges": "bytes",
            "ETag": doc.etag,
            "Last-Modified": http_date(doc.created),
            "x-amz-request-id": s3_request_id(request_id),
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
        if replacement is not None:
            self._write(handler, replacement.chunks(), self._take_drip("downloadDocument"), count_bytes=True)
            return
        fault = self.faults.take({"truncate"}, "downloadDocument", sp_api=False)
        drip = self._take_drip("downloadDocument")
        limit = int(length * float(fault.options["fraction"])) if fault else length
        complete = fault is None
        if drip is None:
            # Counted before sending: a client that has read the whole body must see it counted.
            self._count_document(limit, complete=complete)
            if doc.path is not None and complete:
                with open(doc.path, "rb") as fh:  # zero-copy from the stored gzip file
                    if length:
                        handler.connection.sendfile(fh, offset=start, count=length)
            else:
                self._write(handler, doc.iter_bytes(start, start + limit - 1) if limit else ())
        else:
            chunks = doc.iter_bytes(start, start + limit - 1) if limit else iter(())
            finished = self._write(handler, chunks, drip, count_bytes=True)
            if finished and complete:
                with self._stats_lock:
                    self._documents_served += 1
        if not complete:
            self._drop(handler)  # Content-Length promised more; the client sees a short body

    def _count_document(self, nbytes: int, *, complete: bool) -> None:
        with self._stats_lock:
            self._bytes_served += nbytes
            if complete:
                self._documents_served += 1

    def _take_drip(self, name: str) -> Fault | None:
        return self.faults.take({"drip"}, name, sp_api=name not in ("token", "downloadDocument", "consent"))

    # -- low-level output ---------------------------------------------------------------------

    def _send(self, handler: Handler, resp: Response | FaultBody, request_id: str, *, op: Operation | None = None,
              name: str | None = None) -> None:
        if isinstance(resp, FaultBody):
            payload = b""
            status, content_type, headers, length = resp.status, resp.content_type, {}, resp.length
        else:
            payload = resp.payload()
            status, content_type, headers, length = resp.status, resp.content_type, resp.headers, len(payload)
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(length))
        handler.send_header("x-amzn-RequestId", request_id)
        # The models declare the header on success/400/404 only, but the live service can
        # send it on any response (README, "Service behaviour seen in the wild"); a 429 is
        # where a client needs the rate most, so it gets it too.
        if op is not None and (status in op.header_statuses or status == 429):
            handler.send_header("x-amzn-RateLimit-Limit", format_rate(self.bucket(op).rate))
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        if handler.command == "HEAD" or not length:
            return
        drip = self._take_drip(name) if name is not None else None
        chunks = resp.chunks() if isinstance(resp, FaultBody) else iter((payload,))
        self._write(handler, chunks, drip)

    def _write(self, handler: Handler, chunks: Any, drip: Fault | None = None, *,
               count_bytes: bool = False) -> bool:
        """Write ``chunks``; slowly for a drip fault. False when cut short (closing, drip deadline)."""
        if drip is None:
            for chunk in chunks:
                if self._stopping.is_set():
                    self._drop(handler)
                    return False
                handler.wfile.write(chunk)
                if count_bytes:
                    with self._stats_lock:
                        self._bytes_served += len(chunk)
            return True
        rate = float(drip.options["bytes_per_second"])
        deadline = time.monotonic() + float(drip.options["max_seconds"])
        step = max(1, int(rate * _DRIP_TICK))  # bytes per write
        previous = 0
        for chunk in chunks:
            view = memoryview(chunk)
            for pos in range(0, len(view), step):
                if previous:
                    pause = previous / rate
                    if time.monotonic() + pause > deadline or self._wait(pause):
                        self._drop(handler)  # bounded: the thread ends, the client sees a short body
                        return False
                piece = view[pos:pos + step]
                handler.wfile.write(piece)
                handler.wfile.flush()
                previous = len(piece)
                if count_bytes:
                    with self._stats_lock:
                        self._bytes_served += len(piece)
        return True

    @staticmethod
    def _drop(handler: Handler) -> None:
        handler.close_connection = True
        try:
            handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


