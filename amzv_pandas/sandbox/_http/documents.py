"""Report documents: stored gzip-compressed once, handed out through presigned-URL-like links.

A document is compressed while it is generated (no full uncompressed copy in
memory), kept in memory when small and in the server's temp directory
otherwise. Links look like S3 presigned URLs: ``/_documents/<id>?X-Amz-Algorithm=
AWS4-HMAC-SHA256&X-Amz-Date=...&X-Amz-Expires=300&X-Amz-Signature=<hex>``; the
signature is an HMAC over the id and the other query parameters, so a changed
expiry or encoding flag invalidates it.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import os
import struct
import tempfile
import threading
import time
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping
from urllib.parse import quote, urlencode

from .._data.chunks import regroup
from .._services.common import Clock
from .._services.request import Response

__all__ = ["DocumentStore", "StoredDocument", "http_date", "parse_range", "s3_error", "s3_request_id"]

#: Compressed documents up to this size stay in memory.
MEMORY_LIMIT = 1 << 20
#: Read/send granularity for documents on disk.
CHUNK = 1 << 20
# Level 1: the sandbox must produce multi-million-row documents quickly; ratio matters little on loopback.
_GZIP_LEVEL = 1
#: Uncompressed bytes per independently deflated block.
_BLOCK = 1 << 20
_WORKERS = max(1, min(8, os.cpu_count() or 2))
# gzip member header: deflate, no flags, mtime 0 (documents are deterministic), no extra flags, OS unknown.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# An empty final fixed-Huffman block ends the deflate stream after sync-flushed blocks.
_FINAL_BLOCK = b"\x03\x00"


def _deflate_block(block: bytes) -> bytes:
    comp = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, -15)  # raw deflate, no zlib/gzip framing
    return comp.compress(block) + comp.flush(zlib.Z_SYNC_FLUSH)


@dataclass
class StoredDocument:
    """One compressed document: in memory (``data``) or on disk (``path``)."""

    doc_id: str
    content_type: str
    size: int
    etag: str
    created: float
    data: bytes | None = None
    path: str | None = None

    def iter_bytes(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` inclusive, in large chunks."""
        if self.data is not None:
            yield self.data[start:end + 1]
            return
        assert self.path is not None
        with open(self.path, "rb") as fh:
            fh.seek(start)
            left = end - start + 1
            while left > 0:
                block = fh.read(min(CHUNK, left))
                if not block:
                    break
                left -= len(block)
                yield block


class DocumentStore:
    """Compressed documents by id, and their presigned links.

    Parameters
    ----------
    clock : Clock
        Signing dates and expiry.
    ttl : float
        Seconds a link stays valid (``X-Amz-Expires``).
    """

    def __init__(self, clock: Clock, *, ttl: float) -> None:
        self.clock = clock
        self.ttl = float(ttl)
        self._key = os.urandom(32)
        self._docs: dict[str, StoredDocument] = {}
        self._lock = threading.Lock()
        self._tmpdir: str | None = None
        self._executor: ThreadPoolExecutor | None = None

    def __repr__(self) -> str:
        return f"<DocumentStore documents={len(self._docs)}>"

    # -- storing --------------------------------------------------------------------------------

    def _dir(self) -> str:
        with self._lock:
            if self._tmpdir is None:
                self._tmpdir = tempfile.mkdtemp(prefix="amzv-sandbox-")
            return self._tmpdir

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="amzv-sandbox-gzip")
            return self._executor

    def _gzip(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """One gzip member, deflated block-parallel (the pigz technique).

        Each block is compressed on its own and ends with a sync flush, which
        byte-aligns it, so the blocks concatenate into one valid deflate
        stream; zlib releases the GIL, so a multi-million-row document
        compresses on every core while the data layer keeps generating.
        """
        yield _GZIP_HEADER
        pool = self._pool()
        pending: deque[Future[bytes]] = deque()
        crc = size = 0
        for block in regroup(chunks, _BLOCK):  # tiny blocks compress badly
            crc = zlib.crc32(block, crc)
            size += len(block)
            pending.append(pool.submit(_deflate_block, block))
            while len(pending) > 2 * _WORKERS:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
        yield _FINAL_BLOCK + struct.pack("<II", crc, size & 0xFFFFFFFF)

    def put(self, doc_id: str, content_type: str, chunks: Iterable[bytes], *, compress: bool = True) -> StoredDocument:
        """Compress ``chunks`` (uncompressed bytes) into a stored document (``compress=False``: keep them plain)."""
        md5 = hashlib.md5(usedforsecurity=False)
        buffer: list[bytes] = []
        fh = None
        path = None
        size = 0
        try:
            for block in (self._gzip(chunks) if compress else regroup(chunks, _BLOCK)):
                md5.update(block)
                size += len(block)
                if fh is None:
                    buffer.append(block)
                    if size <= MEMORY_LIMIT:
                        continue
                    fd, path = tempfile.mkstemp(prefix="doc-", suffix=".gz", dir=self._dir())
                    fh = os.fdopen(fd, "wb")
                    fh.writelines(buffer)
                    buffer.clear()
                else:
                    fh.write(block)
        except BaseException:
            if fh is not None:
                fh.close()
                os.unlink(path)  # type: ignore[arg-type]
            raise
        if fh is not None:
            fh.close()
        doc = StoredDocument(doc_id=doc_id, content_type=content_type, size=size,
                             etag=f'"{md5.hexdigest()}"', created=self.clock.time(),
                             data=b"".join(buffer) if fh is None else None, path=path)
        with self._lock:
            self._docs[doc_id] = doc
        return doc

    def get(self, doc_id: str) -> StoredDocument | None:
        with self._lock:
            return self._docs.get(doc_id)

    def close(self) -> None:
        """Forget every document and remove the temp directory."""
        import shutil

        with self._lock:
            self._docs.clear()
            tmpdir, self._tmpdir = self._tmpdir, None
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)

    # -- presigned links ------------------------------------------------------------------------

    def _signature(self, doc_id: str, params: Mapping[str, str]) -> str:
        canonical = doc_id + "\n" + "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "X-Amz-Signature")
        return hmac.new(self._key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()

    def presign(self, doc_id: str, base_url: str, *, content_encoding: bool = False) -> str:
        """A link to ``doc_id`` valid for ``ttl`` seconds from now.

        ``content_encoding`` makes the download carry ``Content-Encoding: gzip``
        (S3's ``response-content-encoding`` override, signed like the rest).
        """
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.clock.time()))
        params = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": f"AKIASANDBOXDOCUMENTS/{stamp[:8]}/us-east-1/s3/aws4_request",
            "X-Amz-Date": stamp,
            "X-Amz-Expires": str(max(1, round(self.ttl))),
            "X-Amz-SignedHeaders": "host",
        }
        if content_encoding:
            params["response-content-encoding"] = "gzip"
        params["X-Amz-Signature"] = self._signature(doc_id, params)
        return f"{base_url}/_documents/{quote(doc_id, safe='')}?{urlencode(params)}"

    def verify(self, doc_id: str, query: Mapping[str, str]) -> Response | None:
        """None when the link is valid now, else the S3-style 403/404 answer."""
        needed = ("X-Amz-Algorithm", "X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature")
        if any(name not in query for name in needed):
            return s3_error(403, "AccessDenied", "Access Denied")
        expected = self._signature(doc_id, query)
        if not hmac.compare_digest(expected, query["X-Amz-Signature"]):
            return s3_error(403, "SignatureDoesNotMatch",
                            "The request signature we calculated does not match the signature you provided. "
                            "Check your key and signing method.")
        try:
            signed = calendar.timegm(time.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
            expires = int(query["X-Amz-Expires"])
        except ValueError:
            return s3_error(403, "AuthorizationQueryParametersError", "X-Amz-Date or X-Amz-Expires is malformed")
        if self.clock.time() >= signed + expires + 1:  # the stamp is truncated to whole seconds
            return s3_error(403, "AccessDenied", "Request has expired",
                            {"X-Amz-Expires": str(expires),
                             "Expires": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(signed + expires)),
                             "ServerTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock.time()))})
        if self.get(doc_id) is None:
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        return None


def s3_request_id(request_id: str) -> str:
    """The ``x-amz-request-id`` S3 would send: 16 upper-case hex digits."""
    return request_id.replace("-", "")[:16].upper()


def s3_error(status: int, code: str, message: str, extra: Mapping[str, str] | None = None) -> Response:
    """An S3 XML error document, as a presigned download answers."""
    from xml.sax.saxutils import escape

    fields = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in (extra or {}).items())
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{escape(message)}</Message>{fields}</Error>")
    return Response(status, body.encode("utf-8"), content_type="application/xml")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """Resolve an HTTP ``Range`` header against ``size`` bytes.

    Returns
    -------
    (start, end) inclusive for a satisfiable single range; None to serve the
    whole body (no header, or one S3 would ignore, such as several ranges);
    False when unsatisfiable (416).
    """
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first == "":
            length = int(last)
            if length <= 0:
                return False
            return max(0, size - length), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size or start < 0:
        return False
    if end < start:
        return None
    return start, min(end, size - 1)


def http_date(ts: float) -> str:
    """An RFC 7231 date (``Last-Modified``)."""
    from email.utils import formatdate

    return formatdate(ts, usegmt=True)
