"""Stored report documents -> DataFrames.

A downloaded document is kept exactly as Amazon sent it (usually gzip); its decompression is
streamed and bounded by :mod:`amzv_pandas._parsers.gunzip` (whose names are re-exported here).

:func:`parse_document` parses a stored document by its report type's format (flat files
stream through pyarrow's CSV reader; JSON is expanded to a temp file beside the document and
read by the JSON parser); :func:`read_specification` reads a vendor document's
``reportSpecification`` from the start of the file only; :func:`sniff_format` guesses a
document's format from its first bytes.
"""

from __future__ import annotations

import codecs
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .flat_file import charset_from_content_type, converts_after_parse, parse_flat_file
from . import gunzip as _gunzip
from .gunzip import CHUNK, RAISE_HINT, GunzipStream, PrefetchStream, TruncatedDocument, gunzip_bounded
from .vendor_json import RAW_PARSE_ERRORS, as_parse_error, parse_vendor_json
from .._util.limits import DocumentLimits
from ..exceptions import AmzvError, ConfigurationError, DocumentTooLargeError

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

#: How much of the document's start :func:`read_specification` decompresses at most.
SPEC_HEAD_BYTES = 4 << 20
#: Temp files of expanded JSON documents (beside the document; stale ones are cleaned by the cache).
EXPAND_PREFIX = ".expand-"


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
            with GunzipStream(path, DocumentLimits(), "the document") as stream:
                # a cut stream: its start may still hold the specification
                head = stream.read_at_most(SPEC_HEAD_BYTES, stop_at_cut=True)
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
                with GunzipStream(path, limits, what) as stream:
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
        stream: Any = GunzipStream(path, limits, what, end_on_error=True)
        if _gunzip.PREFETCH_DEPTH > 0 and not converts_after_parse(encoding):
            # inflate in a thread of its own, overlapped with pyarrow's transcoding and parse
            stream = PrefetchStream(stream, _gunzip.PREFETCH_DEPTH)
        try:
            frame = parse_flat_file(stream, quotechar=quotechar, encoding=encoding, dtypes=dtypes)
        except BaseException:
            # What pyarrow made of a cut-short stream is not the real error: the stream's is.
            if stream.error is not None:
                raise stream.error from None
            raise
        finally:
            stream.close()
        if stream.error is not None:  # the stream ended early: the frame is not the document
            raise stream.error
        return frame
    except (TruncatedDocument, ConfigurationError):
        raise
    except RAW_PARSE_ERRORS as exc:  # ParseError included: make sure it names the report
        raise as_parse_error(exc, rt.name) from None


def _parse_json_document(path: Path, gz: bool, rt: "ReportType", section: str | None,
                         limits: DocumentLimits, what: str) -> "pd.DataFrame":
    if not gz:
        return parse_vendor_json(path, report_type=rt, section=section)
    # pyarrow's JSON reader wants the whole document: expand it to a temp file beside the
    # document (same disk, not /tmp, which may be RAM), bounded as it is written.
    fd, name = tempfile.mkstemp(prefix=EXPAND_PREFIX, suffix=".json", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out, GunzipStream(path, limits, what) as stream:
            while True:
                block = stream.read(CHUNK)
                if not block:
                    break
                out.write(block)
        return parse_vendor_json(tmp, report_type=rt, section=section)
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
