"""Hostile bodies for the ``body`` fault: ``null``, deeply nested JSON, gzip bombs, oversized answers.

Every body is generated streaming with its length known up front (so it is sent
with a true Content-Length) and nothing larger than a block is ever held in
memory: a 4 GiB bomb costs a few megabytes on the wire and about one megabyte
of RAM.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Callable, Iterator

__all__ = ["FaultBody", "fault_body"]

#: Uncompressed bytes per repeated deflate block of a bomb, and per chunk of a streamed body.
_BLOCK = 1 << 20
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# An empty final fixed-Huffman block ends a deflate stream of sync-flushed blocks.
_FINAL_BLOCK = b"\x03\x00"


@dataclass
class FaultBody:
    """A body to send: its length, content type, a fresh chunk iterator per call, and the status."""

    length: int
    content_type: str
    chunks: Callable[[], Iterator[bytes]]
    status: int = 200


def _deflate(data: bytes) -> bytes:
    # Raw deflate ending in a sync flush: byte-aligned, so such blocks concatenate into one stream.
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)


def _repeat(piece: bytes, n: int) -> Iterator[bytes]:
    """``piece * n`` in chunks of about ``_BLOCK`` bytes."""
    if n <= 0 or not piece:
        return
    per = max(1, _BLOCK // len(piece))
    block = piece * per
    full, rest = divmod(n, per)
    for _ in range(full):
        yield block
    if rest:
        yield piece * rest


def _plain(parts: list[tuple[bytes, int]], content_type: str) -> FaultBody:
    """A body made of ``(piece, times)`` runs, streamed."""
    length = sum(len(piece) * times for piece, times in parts)

    def chunks() -> Iterator[bytes]:
        for piece, times in parts:
            yield from _repeat(piece, times)

    return FaultBody(length, content_type, chunks)


def _gzip_small(parts: list[tuple[bytes, int]], content_type: str) -> FaultBody:
    """Gzip of a modest body (deep JSON, ``null``): compressed once, chunk by chunk."""
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    out = [comp.compress(chunk) for piece, times in parts for chunk in _repeat(piece, times)]
    out.append(comp.flush())
    data = b"".join(out)
    return FaultBody(len(data), content_type, lambda: iter((data,)))


def _bomb(expanded: int, prefix: bytes, fill: bytes, suffix: bytes, content_type: str) -> FaultBody:
    """A gzip member expanding to ``prefix + fill * k + suffix`` (about ``expanded`` bytes).

    One block of ``fill`` is deflated once and repeated: each block ends with a sync
    flush, so the copies concatenate into a valid deflate stream and the compressed
    size is known without compressing gigabytes.
    """
    k = max(0, (expanded - len(prefix) - len(suffix)) // len(fill))
    per = max(1, _BLOCK // len(fill))
    block = fill * per
    full, rest = divmod(k, per)
    head, body_block, tail = _deflate(prefix), _deflate(block), _deflate(fill * rest + suffix)
    total = len(prefix) + len(suffix) + k * len(fill)
    length = len(_GZIP_HEADER) + len(head) + full * len(body_block) + len(tail) + len(_FINAL_BLOCK) + 8

    def chunks() -> Iterator[bytes]:
        yield _GZIP_HEADER + head
        crc = zlib.crc32(prefix)
        for _ in range(full):
            crc = zlib.crc32(block, crc)  # computed as it is sent: a client that stops early costs nothing
            yield body_block
        crc = zlib.crc32(fill * rest + suffix, crc)
        yield tail + _FINAL_BLOCK + struct.pack("<II", crc, total & 0xFFFFFFFF)

    return FaultBody(length, content_type, chunks)


def fault_body(options: dict, *, document: bool, content_type: str) -> FaultBody:
    """The body a ``body`` fault sends.

    Parameters
    ----------
    options : dict
        The fault's validated options.
    document : bool
        True for a document download: ``null``/``deep``/``bomb`` are gzip (as stored
        documents are); False for an SP-API answer (plain JSON).
    content_type : str
        The real answer's content type (a document's ``text/tab-separated-values`` or
        JSON); a ``content_type=`` option replaces it.
    """
    body = _fault_body(options, document=document, content_type=content_type)
    if not document:  # a document download is a 200 (S3 answered); an API answer takes status=
        body.status = int(options["status"])
    return body


def _fault_body(options: dict, *, document: bool, content_type: str) -> FaultBody:
    ctype = options["content_type"] or content_type
    if options["data"] is not None:
        data = bytes(options["data"])
        return FaultBody(len(data), ctype, lambda: iter((data,)))
    kind = options["document"]
    if kind == "oversized":
        return _plain([(b"<html><body>", 1), (b"x", options["size"] - 12)] if options["size"] >= 12
                      else [(b"x", options["size"])], options["content_type"] or "text/html")
    if kind == "null":
        parts = [(b"null", 1)]
    elif kind == "deep":
        depth = options["depth"]
        parts = [(b'{"d":', depth), (b"null", 1), (b"}", depth)]
    else:  # bomb
        json_like = "json" in ctype.lower()
        fill = options["fill"] or (b"0," if json_like else b"a\tb\n")
        prefix, suffix = (b'{"data":[', b"0]}") if json_like else (b"", b"")
        return _bomb(options["expanded_bytes"], prefix, bytes(fill), suffix, ctype)
    return _gzip_small(parts, ctype) if document else _plain(parts, ctype)
