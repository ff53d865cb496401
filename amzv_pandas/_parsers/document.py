"""Stored report documents -> DataFrames, with bounded decompression.

A downloaded document is kept exactly as Amazon sent it (usually gzip). Decompression is
streamed and bounded here (:class:`DocumentLimits`): a few MB of gzip can expand to many GiB,
so the expanded size and the compression ratio are checked as the bytes come out and a
:class:`~amzv_pandas.exceptions.DocumentTooLargeError` is raised instead of exhausting memory.
A gzip stream that is cut or corrupt raises :class:`TruncatedDocument`, on which the report
layer downloads the document again.

:func:`parse_document` parses a stored document by its report type's format (flat files
stream through pyarrow's CSV reader; JSON is expanded to a temp file beside the document and
read by the JSON parser); :func:`read_specification` reads a vendor document's
``reportSpecification`` from the start of the file only.
"""

from __future__ import annotations

import codecs
import json
import math
import numbers
import os
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import pyarrow as pa

from .flat_file import charset_from_content_type, parse_flat_file
from .vendor_json import parse_vendor_json
from ..exceptions import AmzvError, ConfigurationError, DocumentTooLargeError, ParseError

if TYPE_CHECKING:
    import pandas as pd

    from .._specs.registry import ReportType

__all__ = [
    "DocumentLimits",
    "TruncatedDocument",
    "gunzip_bounded",
    "parse_document",
    "read_specification",
    "sniff_format",
]

_GZIP_MAGIC = b"\x1f\x8b"
#: Compressed bytes read per step.
_CHUNK = 1 << 20
#: The ratio rule applies once this much has come out: the first blocks of a legitimate,
#: very regular document can compress far better than the document as a whole.
RATIO_FLOOR_BYTES = 16 << 20
#: How much of the document's start :func:`read_specification` decompresses at most.
SPEC_HEAD_BYTES = 4 << 20
#: Temp files of expanded JSON documents (beside the document; stale ones are cleaned by the cache).
EXPAND_PREFIX = ".expand-"
#: How a user raises the limits (kept in one place for the messages).
RAISE_HINT = ("if the document is genuine, raise the limit: "
              "amzv.Client(max_document_bytes=..., max_compression_ratio=...)")


class TruncatedDocument(Exception):
    """The body is incomplete or its gzip stream is cut/corrupt (private: the report layer downloads again)."""


@dataclass(frozen=True)
class DocumentLimits:
    """Bounds on a document's decompression.

    Parameters
    ----------
    max_expanded_bytes : int, default 20 GiB
        Largest decompressed (or plain) document accepted.
    max_ratio : float, default 1000
        Largest expanded/compressed size ratio accepted (checked once
        :data:`RATIO_FLOOR_BYTES` have come out); ``math.inf`` disables the rule.

    Raises
    ------
    ConfigurationError
        A limit that is not a positive number (the ratio must be above 1).
    """

    max_expanded_bytes: int = 20 * 2**30
    max_ratio: float = 1000.0

    def __post_init__(self) -> None:
        size = self.max_expanded_bytes
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            msg = f"max_expanded_bytes={size!r} must be a positive whole number of bytes"
            raise ConfigurationError(msg, parameter="max_expanded_bytes", value=size, allowed="int >= 1")
        ratio = self.max_ratio
        if (isinstance(ratio, bool) or not isinstance(ratio, numbers.Real) or math.isnan(ratio)
                or ratio <= 1):
            msg = f"max_ratio={ratio!r} must be a number above 1 (math.inf disables the ratio rule)"
            raise ConfigurationError(msg, parameter="max_ratio", value=ratio, allowed="float > 1")



def sniff_format(first_bytes: bytes | str) -> str:
    """Guess a document's format from its first bytes: ``"json"`` or ``"tsv"``.

    JSON when the first non-blank character (after a UTF-8 byte-order mark) is ``{`` or
    ``[``; everything else is read as tab-separated. Gzip input is not expected here.
    """
    if isinstance(first_bytes, str):
        head = first_bytes.lstrip("\ufeff \t\r\n")[:1]
    else:
        head_b = bytes(first_bytes[:4096])
        if head_b.startswith(codecs.BOM_UTF8):
            head_b = head_b[3:]
        head = head_b.lstrip(b" \t\r\n")[:1].decode("latin-1")
    return "json" if head in ("{", "[") else "tsv"

def _too_large(what: str, expanded: int, compressed: int, limits: DocumentLimits, *, ratio: bool) -> DocumentTooLargeError:
    if ratio:
        msg = (f"{what} expands more than {limits.max_ratio:g}:1 (reached {expanded:,} bytes from {compressed:,} "
               f"compressed bytes, max_ratio={limits.max_ratio:g}); it looks like a decompression bomb; {RAISE_HINT}")
    else:
        msg = (f"{what} expands beyond {limits.max_expanded_bytes:,} bytes (reached {expanded:,} bytes from "
               f"{compressed:,} compressed bytes, max_expanded_bytes={limits.max_expanded_bytes:,}); {RAISE_HINT}")
    return DocumentTooLargeError(msg)


class _Gunzip:
    """A read-only binary stream of a gzip file's expanded bytes, bounded by ``limits``.

    Concatenated gzip members are read in turn. ``seek(0)`` starts over (the flat-file parser
    re-reads a document to locate an error). Raises :class:`DocumentTooLargeError` past the
    limits and :class:`TruncatedDocument` on a cut or corrupt stream; the first such error is
    kept in ``error`` because pyarrow may wrap exceptions raised inside ``read``.
    """

    def __init__(self, path: str | os.PathLike[str], limits: DocumentLimits, what: str) -> None:
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
        self._d = zlib.decompressobj(31)
        self._in = b""       # compressed bytes read but not yet given to the decompressor
        self._read_total = 0
        self._done = False
        self._file_done = False
        self.expanded = 0

    # -- the io protocol pyarrow's PythonFile uses ---------------------------------------------

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
            self.closed = False
            self.error = None
            self._start()
            return 0
        raise OSError("a gzip document can only be rewound to its start")

    def close(self) -> None:
        self.closed = True
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "_Gunzip":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            parts = []
            while True:
                block = self.read(_CHUNK)
                if not block:
                    return b"".join(parts)
                parts.append(block)
        if size == 0:
            return b""
        try:
            return self._read(size)
        except (DocumentTooLargeError, TruncatedDocument) as exc:
            self.error = exc
            raise

    def read_at_most(self, size: int) -> bytes:
        """Up to ``size`` expanded bytes (fewer only at the end of the document)."""
        parts, got = [], 0
        while got < size:
            block = self.read(min(_CHUNK, size - got))
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
        block = self._fh.read(_CHUNK)
        self._read_total += len(block)
        return block

    def _read(self, size: int) -> bytes:
        while not self._done:
            if self._d.eof:
                # Another gzip member may follow; zero padding after the last one is allowed.
                rest = self._d.unused_data
                self._in = b""
                self._d = zlib.decompressobj(31)
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
                if not rest.startswith(_GZIP_MAGIC):
                    raise TruncatedDocument("corrupt gzip stream (data after the end of the gzip stream)")
                self._in = rest
                continue
            if not self._in and not self._file_done:
                self._in = self._fill()
                self._file_done = not self._in
            try:
                # Called with no input too: zlib may still hold output of the last input.
                out = self._d.decompress(self._in, size)
            except zlib.error as exc:
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
        limits = self._limits
        if self.expanded > limits.max_expanded_bytes:
            raise _too_large(self._what, self.expanded, self.consumed, limits, ratio=False)
        if self.expanded > RATIO_FLOOR_BYTES and self.expanded > limits.max_ratio * max(self.consumed, 1):
            raise _too_large(self._what, self.expanded, self.consumed, limits, ratio=True)


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
    view = memoryview(data)
    out = bytearray()
    pos = 0
    while True:
        d = zlib.decompressobj(31)
        chunk = view[pos:]
        while True:
            try:
                block = d.decompress(chunk, _CHUNK)
            except zlib.error as exc:
                raise TruncatedDocument(f"corrupt gzip stream ({exc})") from None
            out += block
            consumed = len(view) - len(d.unused_data if d.eof else d.unconsumed_tail)
            if len(out) > limits.max_expanded_bytes:
                raise _too_large(what, len(out), consumed, limits, ratio=False)
            if len(out) > RATIO_FLOOR_BYTES and len(out) > limits.max_ratio * max(consumed, 1):
                raise _too_large(what, len(out), consumed, limits, ratio=True)
            if d.eof:
                break
            chunk = d.unconsumed_tail
            if not chunk and not block:
                raise TruncatedDocument("the gzip stream ends before its end marker")
        rest = d.unused_data.lstrip(b"\0")  # zero padding after the last member is allowed
        if not rest:
            return bytes(out)
        if not rest.startswith(_GZIP_MAGIC):
            raise TruncatedDocument("corrupt gzip stream (data after the end of the gzip stream)")
        pos = len(view) - len(rest)


# ---------------------------------------------------------------------------------------------
# reading stored documents


def _is_gzip(path: Path, info: Mapping[str, Any]) -> bool:
    return info.get("compression") == "gzip"


def _check_plain_size(path: Path, limits: DocumentLimits, what: str) -> None:
    size = os.path.getsize(path)
    if size > limits.max_expanded_bytes:
        msg = (f"{what} is {size:,} bytes, beyond max_expanded_bytes={limits.max_expanded_bytes:,}; {RAISE_HINT}")
        raise DocumentTooLargeError(msg)


def read_specification(path: str | os.PathLike[str], info: Mapping[str, Any]) -> dict[str, Any] | None:
    """The vendor document's top-level ``reportSpecification``, read from its start only.

    At most :data:`SPEC_HEAD_BYTES` are decompressed; the object is decoded with
    :meth:`json.JSONDecoder.raw_decode`, walking the top-level members in order.

    Returns
    -------
    dict or None
        ``None`` when the document does not start with a JSON object, the key is not
        among the top-level members read, or the value is not an object.
    """
    try:
        if _is_gzip(Path(path), info):
            parts: list[bytes] = []
            got = 0
            with _Gunzip(path, DocumentLimits(), "the document") as stream:
                try:
                    while got < SPEC_HEAD_BYTES:
                        block = stream.read(min(_CHUNK, SPEC_HEAD_BYTES - got))
                        if not block:
                            break
                        parts.append(block)
                        got += len(block)
                except TruncatedDocument:
                    pass  # a cut stream: its start may still hold the specification
            head = b"".join(parts)
        else:
            with open(path, "rb") as fh:
                head = fh.read(SPEC_HEAD_BYTES)
    except (OSError, TruncatedDocument, AmzvError):
        return None
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    text = head.decode("utf-8", "replace")  # a character cut at the end lies beyond the specification
    decoder = json.JSONDecoder()
    ws = " \t\r\n"
    pos = len(text) - len(text.lstrip(ws))
    if text[pos:pos + 1] != "{":
        return None
    pos += 1
    try:
        while True:
            while pos < len(text) and text[pos] in ws:
                pos += 1
            if text[pos:pos + 1] != '"':
                return None
            key, pos = decoder.raw_decode(text, pos)
            while pos < len(text) and text[pos] in ws:
                pos += 1
            if text[pos:pos + 1] != ":":
                return None
            pos += 1
            while pos < len(text) and text[pos] in ws:
                pos += 1
            value, pos = decoder.raw_decode(text, pos)
            if key == "reportSpecification":
                return value if isinstance(value, dict) else None
            while pos < len(text) and text[pos] in ws:
                pos += 1
            if text[pos:pos + 1] != ",":
                return None
            pos += 1
    except (ValueError, RecursionError):  # cut inside the head, not JSON, or absurdly nested
        return None


def _named(exc: BaseException, rt_name: str) -> ParseError:
    """``exc`` as a ParseError whose message names the report type (same class when it is one)."""
    if isinstance(exc, ParseError):
        text = str(exc)
        if rt_name in text:
            return exc
        new = type(exc)(f"{rt_name} document: {text}", line=exc.line)
        return new
    if isinstance(exc, RecursionError):
        return ParseError(f"{rt_name} document is nested too deeply to parse")
    detail = str(exc).splitlines()[0][:300] if str(exc) else ""
    return ParseError(f"{rt_name} document could not be parsed ({type(exc).__name__}: {detail})")


#: Raw errors a parser may let out on odd documents; turned into ParseError naming the report.
_RAW_PARSE_ERRORS = (pa.ArrowException, ValueError, KeyError, TypeError, IndexError, AttributeError,
                     UnicodeError, RecursionError)


def parse_document(
    path: str | os.PathLike[str],
    info: Mapping[str, Any],
    rt: "ReportType",
    *,
    section: str | None,
    quotechar: str | None,
    default_encoding: str,
    limits: DocumentLimits | None = None,
) -> "pd.DataFrame":
    """Parse a stored document (gzip or plain) by its report type's format.

    Parameters
    ----------
    path : path
        The document as downloaded.
    info : mapping
        Its download facts: ``compression`` (``"gzip"`` or None) and ``content_type``
        (whose charset decides a flat file's codec).
    rt : ReportType
        Decides the format (``"auto"``: sniffed from the first bytes), sections and dtypes.
    section, quotechar, default_encoding
        As for the parsers; ``default_encoding`` applies when the Content-Type names no charset.
    limits : DocumentLimits, optional
        Decompression bounds (default: ``DocumentLimits()``).

    Raises
    ------
    DocumentTooLargeError
        The document expands beyond ``limits`` (checked as it decompresses).
    ParseError
        The document is not what the report type's format says (the message names the type).
    TruncatedDocument
        The gzip stream is cut or corrupt: download it again.
    """
    limits = limits or DocumentLimits()
    path = Path(path)
    gz = _is_gzip(path, info)
    what = f"{rt.name} document"
    fmt = rt.format
    try:
        if not gz:
            _check_plain_size(path, limits, what)
        if fmt not in ("json", "tsv"):
            if gz:
                with _Gunzip(path, limits, what) as stream:
                    head = stream.read_at_most(4096)
            else:
                with open(path, "rb") as fh:
                    head = fh.read(4096)
            fmt = sniff_format(head)
        if fmt == "json":
            return _parse_json_document(path, gz, rt, section, limits, what)
        encoding = charset_from_content_type(info.get("content_type")) or default_encoding
        dtypes = rt.flat_file_dtypes() or None
        if not gz:
            return parse_flat_file(os.fspath(path), quotechar=quotechar, encoding=encoding, dtypes=dtypes)
        stream = _Gunzip(path, limits, what)
        try:
            return parse_flat_file(stream, quotechar=quotechar, encoding=encoding, dtypes=dtypes)
        except BaseException as exc:
            # pyarrow may wrap what the stream raised: the stream's own error is the real one.
            if stream.error is not None and stream.error is not exc:
                raise stream.error from None
            raise
        finally:
            stream.close()
    except (TruncatedDocument, ConfigurationError):
        raise
    except _RAW_PARSE_ERRORS as exc:  # ParseError included: make sure it names the report
        raise _named(exc, rt.name) from None


def _parse_json_document(path: Path, gz: bool, rt: "ReportType", section: str | None,
                         limits: DocumentLimits, what: str) -> "pd.DataFrame":
    if not gz:
        return parse_vendor_json(path, report_type=rt, section=section)
    # pyarrow's JSON reader wants the whole document: expand it to a temp file beside the
    # document (same disk, not /tmp, which may be RAM), bounded as it is written.
    fd, name = tempfile.mkstemp(prefix=EXPAND_PREFIX, suffix=".json", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out, _Gunzip(path, limits, what) as stream:
            while True:
                block = stream.read(_CHUNK)
                if not block:
                    break
                out.write(block)
        return parse_vendor_json(tmp, report_type=rt, section=section)
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
