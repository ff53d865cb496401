"""Bounded gzip decompression of report documents.

A few MB of gzip can expand to many GiB, so the expanded size and the compression ratio are
checked as the bytes come out (:func:`check_expansion`, against a :class:`DocumentLimits`) and a
:class:`~amzv_pandas.exceptions.DocumentTooLargeError` is raised instead of exhausting memory.
A gzip stream that is cut or corrupt raises :class:`TruncatedDocument`, on which the report
layer downloads the document again. :class:`GunzipStream` streams a stored file (the parsers
read it like any binary file); :func:`gunzip_bounded` expands a small document held in memory.
Both inflate with the fastest binding available (:mod:`amzv_pandas._parsers.inflate`: ISA-L,
zlib-ng, then stdlib zlib), which releases the GIL: pyarrow's CSV reader pulls the stream from
its I/O thread, so inflating one block overlaps with parsing the previous ones on the other core.
"""

from __future__ import annotations

import os
import queue
import threading
from typing import Any

from ..exceptions import DocumentTooLargeError
from .._util.limits import DocumentLimits
from .inflate import inflater

__all__ = [
    "CHUNK",
    "RATIO_FLOOR_BYTES",
    "RAISE_HINT",
    "DocumentLimits",
    "GunzipStream",
    "PREFETCH_DEPTH",
    "PrefetchStream",
    "TruncatedDocument",
    "check_expansion",
    "gunzip_bounded",
]

GZIP_MAGIC = b"\x1f\x8b"
#: Compressed bytes read per step.
CHUNK = 1 << 20
#: The ratio rule applies once this much has come out: the first blocks of a legitimate,
#: very regular document can compress far better than the document as a whole.
RATIO_FLOOR_BYTES = 16 << 20
#: How a user raises the limits (kept in one place for the messages).
RAISE_HINT = ("if the document is genuine, raise the limit: "
              "amzv.Client(max_document_bytes=..., max_compression_ratio=...)")


class TruncatedDocument(Exception):
    """The body is incomplete or its gzip stream is cut/corrupt (private: the report layer downloads again)."""


def check_expansion(what: str, expanded: int, compressed: int, limits: DocumentLimits) -> None:
    """Raise :class:`DocumentTooLargeError` when ``expanded`` bytes from ``compressed`` pass ``limits``.

    The size rule always applies; the ratio rule once :data:`RATIO_FLOOR_BYTES` have come out.
    """
    if expanded > limits.max_expanded_bytes:
        msg = (f"{what} expands beyond {limits.max_expanded_bytes:,} bytes (reached {expanded:,} bytes from "
               f"{compressed:,} compressed bytes, max_expanded_bytes={limits.max_expanded_bytes:,}); {RAISE_HINT}")
        raise DocumentTooLargeError(msg)
    if expanded > RATIO_FLOOR_BYTES and expanded > limits.max_ratio * max(compressed, 1):
        msg = (f"{what} expands more than {limits.max_ratio:g}:1 (reached {expanded:,} bytes from {compressed:,} "
               f"compressed bytes, max_ratio={limits.max_ratio:g}); it looks like a decompression bomb; {RAISE_HINT}")
        raise DocumentTooLargeError(msg)


class _ExpandedStream:
    """The io protocol pyarrow's ``PythonFile`` uses, shared by the two gzip streams: read-only,
    rewindable to its start only (``seek(0)``, which :meth:`_rewind` does), ``tell`` = bytes
    expanded so far."""

    closed: bool
    expanded: int

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.expanded

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 1 and offset == 0:
            return self.expanded
        if whence == 0 and offset == 0:
            self._rewind()
            self.closed = False
            return 0
        raise OSError("a gzip document can only be rewound to its start")

    def _rewind(self) -> None:
        raise NotImplementedError

    def read(self, size: int = -1) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _read_all(self) -> bytes:
        parts = []
        while True:
            block = self.read(CHUNK)
            if not block:
                return b"".join(parts)
            parts.append(block)

    def __enter__(self) -> "_ExpandedStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class GunzipStream(_ExpandedStream):
    """A read-only binary stream of a gzip file's expanded bytes, bounded by ``limits``.

    Concatenated gzip members are read in turn. ``seek(0)`` starts over (the flat-file parser
    re-reads a document to locate an error). Raises :class:`DocumentTooLargeError` past the
    limits and :class:`TruncatedDocument` on a cut or corrupt stream; the first such error is
    kept in ``error`` because pyarrow may wrap exceptions raised inside ``read``.

    With ``end_on_error`` the stream records the error and reports the end of the data
    instead of raising; the caller raises ``error`` once its reader returns. pyarrow's CSV
    reader reads from a background thread, and an exception thrown into it there can abort
    the whole process ("terminate called without an active exception").
    """

    def __init__(self, path: str | os.PathLike[str], limits: DocumentLimits, what: str, *,
                 end_on_error: bool = False) -> None:
        self._end_on_error = end_on_error
        self._path = os.fspath(path)
        self._limits = limits
        self._what = what
        self._fh: Any = None
        self.error: BaseException | None = None
        self.closed = False
        self._start()

    def _start(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._fh = open(self._path, "rb")
        self._inflater = inflater()
        self._d = self._inflater.decompressobj(31)
        self._in = b""       # compressed bytes read but not yet given to the decompressor
        self._read_total = 0
        self._done = False
        self._file_done = False
        self.expanded = 0

    def _rewind(self) -> None:
        self.error = None
        self._start()

    def close(self) -> None:
        self.closed = True
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self._read_all()
        if size == 0 or (self._end_on_error and self.error is not None):
            return b""
        try:
            return self._read(size)
        except (DocumentTooLargeError, TruncatedDocument) as exc:
            self.error = exc
            if self._end_on_error:
                return b""
            raise

    def read_at_most(self, size: int, *, stop_at_cut: bool = False) -> bytes:
        """Up to ``size`` expanded bytes (fewer only at the end of the document).

        With ``stop_at_cut`` a cut or corrupt stream ends the read instead of raising
        :class:`TruncatedDocument`: what came out before the cut is returned.
        """
        parts, got = [], 0
        while got < size:
            try:
                block = self.read(min(CHUNK, size - got))
            except TruncatedDocument:
                if not stop_at_cut:
                    raise
                break
            if not block:
                break
            parts.append(block)
            got += len(block)
        return b"".join(parts)

    # -- decompression ----------------------------------------------------------------------

    @property
    def consumed(self) -> int:
        """Compressed bytes fed to the decompressor so far."""
        return self._read_total - len(self._in)

    def _fill(self) -> bytes:
        if self._fh is None:
            raise ValueError("read from a closed document stream")
        block = self._fh.read(CHUNK)
        self._read_total += len(block)
        return block

    def _read(self, size: int) -> bytes:
        while not self._done:
            if self._d.eof:
                # Another gzip member may follow; zero padding after the last one is allowed.
                rest = self._d.unused_data
                self._in = b""
                self._d = self._inflater.decompressobj(31)
                while True:
                    rest = rest.lstrip(b"\0")
                    if len(rest) >= 2:
                        break
                    more = self._fill()
                    if not more:
                        break
                    rest += more
                if not rest:
                    self._done = True
                    break
                if not rest.startswith(GZIP_MAGIC):
                    raise TruncatedDocument("corrupt gzip stream (data after the end of the gzip stream)")
                self._in = rest
                continue
            if not self._in and not self._file_done:
                self._in = self._fill()
                self._file_done = not self._in
            try:
                # Called with no input too: zlib may still hold output of the last input.
                out = self._d.decompress(self._in, size)
            except self._inflater.error as exc:
                raise TruncatedDocument(f"corrupt gzip stream ({exc})") from None
            # At the end of a member zlib may leave a stale unconsumed_tail: unused_data holds the rest.
            self._in = b"" if self._d.eof else self._d.unconsumed_tail
            if out:
                self._account(len(out))
                return out
            if not self._d.eof and self._file_done and not self._in:
                raise TruncatedDocument("the gzip stream ends before its end marker")
        return b""

    def _account(self, n: int) -> None:
        self.expanded += n
        check_expansion(self._what, self.expanded, self.consumed, self._limits)


#: Expanded chunks (each up to :data:`PREFETCH_CHUNK` bytes) a :class:`PrefetchStream` inflates ahead.
PREFETCH_DEPTH = 8
#: Expanded bytes the prefetch thread asks for at a time.
PREFETCH_CHUNK = CHUNK
_POLL = 0.05  # seconds between checks of the stop flag while the queue is full


class PrefetchStream(_ExpandedStream):
    """A :class:`GunzipStream` read ahead by a thread of its own, through a bounded queue.

    pyarrow's CSV reader pulls its input from one thread, which also parses (the streaming
    reader of single-byte-codec files) or transcodes (pyarrow's transcoding of cp932 and the
    other multi-byte codecs, in Python, holding the GIL). Reading the gzip stream directly,
    that thread would inflate and parse in turn; here a producer thread inflates (the binding
    releases the GIL) while the reader works on the chunks before, so the two overlap. At
    most :data:`PREFETCH_DEPTH` chunks wait in the queue.

    The same io protocol and ``error``/``expanded`` as the stream it wraps. The wrapped
    stream should be made with ``end_on_error=True``: then no exception is ever raised
    into pyarrow's thread (which can abort the process); any other exception of the
    producer (an I/O error) ends the data the same way and is kept in ``error``.
    """

    def __init__(self, inner: GunzipStream, depth: int = PREFETCH_DEPTH) -> None:
        self._inner = inner
        self._depth = depth
        self._own_error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self.closed = False
        self._start()

    @property
    def error(self) -> BaseException | None:
        """The stream's error (a cut or oversized document), else the producer's own (an I/O error)."""
        return self._inner.error or self._own_error

    def _start(self) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(self._depth)
        self._stop = threading.Event()
        self._buf = b""
        self._pos = 0
        self._eof = False
        self.expanded = 0
        self._thread = threading.Thread(target=self._produce, name="amzv-gunzip-prefetch", daemon=True)
        self._thread.start()

    def _produce(self) -> None:
        try:
            while not self._stop.is_set():
                block = self._inner.read(PREFETCH_CHUNK)
                if not self._put(block) or not block:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, never lost
            self._put(exc)

    def _put(self, item: Any) -> bool:
        """Queue ``item``; ``False`` when the stream was closed meanwhile."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def _halt(self) -> None:
        """Stop the producer and wait for it (it exits within one chunk and one poll)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def _rewind(self) -> None:
        self._halt()
        self._inner.seek(0)
        self._own_error = None
        self._start()

    def close(self) -> None:
        self.closed = True
        self._halt()
        self._inner.close()

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self._read_all()
        if size == 0 or self._eof:
            return b""
        if self._pos >= len(self._buf):
            item = self._queue.get()
            if isinstance(item, BaseException):
                self._eof = True
                if self._inner._end_on_error:
                    self._own_error = item
                    return b""
                raise item
            if not item:
                self._eof = True
                return b""
            self._buf, self._pos = item, 0
        if self._pos == 0 and size >= len(self._buf):
            out = self._buf  # the whole chunk: no copy
        else:
            out = self._buf[self._pos:self._pos + size]
        self._pos += len(out)
        self.expanded += len(out)
        return out


def gunzip_bounded(data: bytes, limits: DocumentLimits | None = None, *, what: str = "the document") -> bytes:
    """Decompress a whole gzip document held in memory, within ``limits``.

    Meant for small documents (error documents); large ones are streamed by
    :func:`parse_document`.

    Raises
    ------
    DocumentTooLargeError
        The expanded size or the ratio passes the limit (checked as it decompresses).
    TruncatedDocument
        The gzip stream is cut or corrupt.
    """
    limits = limits or DocumentLimits()
    inf = inflater()
    view = memoryview(data)
    out = bytearray()
    pos = 0
    while True:
        d = inf.decompressobj(31)
        chunk = view[pos:]
        while True:
            try:
                block = d.decompress(chunk, CHUNK)
            except inf.error as exc:
                raise TruncatedDocument(f"corrupt gzip stream ({exc})") from None
            out += block
            consumed = len(view) - len(d.unused_data if d.eof else d.unconsumed_tail)
            check_expansion(what, len(out), consumed, limits)
            if d.eof:
                break
            chunk = d.unconsumed_tail
            if not chunk and not block:
                raise TruncatedDocument("the gzip stream ends before its end marker")
        rest = d.unused_data.lstrip(b"\0")  # zero padding after the last member is allowed
        if not rest:
            return bytes(out)
        if not rest.startswith(GZIP_MAGIC):
            raise TruncatedDocument("corrupt gzip stream (data after the end of the gzip stream)")
        pos = len(view) - len(rest)
