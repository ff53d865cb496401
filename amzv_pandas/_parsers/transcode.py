"""Single-byte text (cp1252, latin-1...) -> UTF-8, column by column after the parse, without the GIL.

pyarrow's CSV reader transcodes a non-UTF-8 document through Python's incremental codec in its
one I/O thread, holding the GIL, ahead of (not alongside) its parsing: on a cp1252 listings
document that costs a third of the parse. For a codec that keeps ASCII as ASCII and maps every
other byte to one character, the bytes a CSV parser looks at (tab, newline, quote) mean the same
in the codec and in UTF-8, so the document can be parsed as it is and only its text values
converted afterwards: columns (and most chunks of text columns) that are pure ASCII need no
work at all, and the rest is a table lookup done with numpy, which releases the GIL, so it runs
beside pyarrow's parse of the next batch (:mod:`amzv_pandas._parsers.flat_file`).

:func:`single_byte_table` says whether a codec qualifies; :func:`transcode_array` converts one
array and :func:`transcode_columns` a table's text columns. A :class:`TranscodeError` names the
column and row of a byte the codec does not define, as Python's strict codec would refuse it.
"""

from __future__ import annotations

import codecs
import functools
import threading
from typing import NamedTuple

import numpy as np
import pyarrow as pa

__all__ = ["ByteTable", "TranscodeError", "single_byte_table", "transcode_array", "transcode_columns"]


class TranscodeError(ValueError):
    """A byte the codec does not define (Python's strict codec would raise ``UnicodeDecodeError``)."""

    def __init__(self, codec: str, byte: int, column: str | None = None, row: int | None = None) -> None:
        where = "".join([f" in column {column!r}" if column is not None else "",
                         f" at row {row + 1:,}" if row is not None else ""])
        super().__init__(f"byte 0x{byte:02x}{where} is not a {codec} character")
        self.codec, self.byte, self.column, self.row = codec, byte, column, row


class ByteTable(NamedTuple):
    """UTF-8 of each byte of a single-byte codec, as lookup arrays indexed by the byte."""

    codec: str
    extra: np.ndarray    # UTF-8 length - 1 (0 for ASCII)
    lead: np.ndarray     # first UTF-8 byte
    cont1: np.ndarray    # second (when extra >= 1)
    cont2: np.ndarray    # third (when extra == 2)
    undefined: np.ndarray  # bool: the codec has no character for the byte


@functools.lru_cache(maxsize=None)
def single_byte_table(codec: str) -> ByteTable | None:
    """The lookup table of ``codec``, or ``None`` when it is not single-byte and ASCII-compatible.

    Qualifies: every ASCII byte decodes to itself and every byte on its own to at most one
    character (cp1252, latin-1, cp1250, koi8-r...). UTF-8, cp932, UTF-16 and the stateful
    codecs do not.
    """
    try:
        info = codecs.lookup(codec)
    except LookupError:
        return None
    if info.name in ("utf-8", "utf-8-sig"):
        return None
    try:
        if bytes(range(128)).decode(info.name) != "".join(map(chr, range(128))):
            return None
    except (UnicodeDecodeError, ValueError):
        return None
    encoded: list[bytes] = []
    undefined = np.zeros(256, bool)
    for b in range(256):
        try:
            ch = bytes([b]).decode(info.name)
        except (UnicodeDecodeError, ValueError):
            ch, undefined[b] = "\ufffd", True
        if len(ch) != 1:
            return None
        utf8 = ch.encode("utf-8")
        if len(utf8) > 3 or (b >= 0x80 and len(utf8) == 1):
            return None  # an astral character, or a high byte mapped to ASCII: not a plain lookup
        encoded.append(utf8)
    for b in np.flatnonzero(undefined):
        for nxt in (0x40, 0x80, 0xA1):  # a lead byte of a multi-byte codec (cp932, gbk...) pairs up
            try:
                if len(bytes([b, nxt]).decode(info.name)) == 1:
                    return None
            except (UnicodeDecodeError, ValueError):
                pass
    col = lambda i: np.array([e[i] if len(e) > i else 0 for e in encoded], np.uint8)  # noqa: E731
    return ByteTable(info.name, np.array([len(e) - 1 for e in encoded], np.uint8), col(0), col(1), col(2), undefined)


class _Scratch(threading.local):
    """A thread's reusable boolean buffer: fresh pages cost more than the work done on them."""

    flags = np.empty(0, bool)

    def get(self, size: int) -> np.ndarray:
        if self.flags.size < size:
            self.flags = np.empty(max(size, self.flags.size * 2, 1 << 20), bool)
        return self.flags[:size]


_scratch = _Scratch()


def _high_positions(data: np.ndarray) -> np.ndarray:
    """Positions of the bytes >= 0x80 (none after one pass without a temporary array, for ASCII text)."""
    n8 = data.size // 8 * 8
    if not (int(np.bitwise_or.reduce(data[:n8].view(np.uint64))) if n8 else 0) & 0x8080808080808080 \
            and not (data[n8:] >= 0x80).any():
        return np.empty(0, np.intp)
    return np.flatnonzero(np.greater_equal(data, 0x80, out=_scratch.get(data.size)))


def _transcode_bytes(data: np.ndarray, high: np.ndarray, table: ByteTable) -> tuple[pa.Buffer, np.ndarray]:
    """``data`` (with its high bytes at ``high``) in UTF-8, and the cumulated extra bytes per high byte."""
    values = data[high]
    extra = table.extra[values].astype(np.int64)
    cum = np.cumsum(extra)
    # From Arrow's pool, like the parsed chunks it replaces (measured: a lower peak than numpy's allocator).
    buffer = pa.allocate_buffer(data.size + int(cum[-1]))
    out = np.frombuffer(buffer, np.uint8)
    first = high + (cum - extra)               # where each high byte's UTF-8 sequence starts
    keep = _scratch.get(out.size)              # the positions the input bytes land on
    keep.fill(True)
    keep[first + 1] = False
    three = extra == 2
    third = first[three] + 2
    keep[third] = False
    out[keep] = data                           # the high bytes land on their sequences' first bytes...
    out[first] = table.lead[values]            # ...which are overwritten
    out[first + 1] = table.cont1[values]
    out[third] = table.cont2[values[three]]
    return buffer, cum


def transcode_array(arr: pa.Array, table: ByteTable, column: str | None = None, row_offset: int = 0) -> pa.Array:
    """One (large_)string or binary array's values converted to UTF-8.

    Parameters
    ----------
    arr : pyarrow.Array
        string, large_string, binary or large_binary, sliced or not.
    table : ByteTable
        The codec's table (:func:`single_byte_table`).
    column, row_offset : optional
        Where ``arr`` lies, for the error message.

    Returns
    -------
    pyarrow.Array
        ``string`` (``large_string`` for the large types); an all-ASCII array is a view of ``arr``.

    Raises
    ------
    TranscodeError
        A value holds a byte the codec does not define.
    """
    large = pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type)
    off_type = np.int64 if large else np.int32
    string_type = pa.large_string() if large else pa.string()
    if len(arr) == 0 or arr.null_count == len(arr):
        return arr.view(string_type)
    validity, off_buf, data_buf = arr.buffers()[:3]
    offsets = np.frombuffer(off_buf, off_type, count=len(arr) + 1, offset=arr.offset * np.dtype(off_type).itemsize)
    start, stop = int(offsets[0]), int(offsets[-1])
    if data_buf is None or stop == start:
        return arr.view(string_type)
    data = np.frombuffer(data_buf, np.uint8, count=stop - start, offset=start)
    high = _high_positions(data)
    if not high.size:
        return arr.view(string_type)
    bad = table.undefined[data[high]]
    if bad.any():
        pos = int(high[np.argmax(bad)])
        row = int(np.searchsorted(offsets - start, pos, side="right")) - 1
        raise TranscodeError(table.codec, int(data[pos]), column, row_offset + row)
    out, cum = _transcode_bytes(data, high, table)
    rel = offsets - start
    shift = np.concatenate(([0], cum))[np.searchsorted(high, rel, side="left")]
    offsets_buffer = pa.allocate_buffer(offsets.nbytes)
    np.add(rel, shift, out=np.frombuffer(offsets_buffer, off_type), casting="unsafe")
    if arr.offset and validity is not None:
        validity = pa.array(np.asarray(arr.is_valid())).buffers()[1]
    return pa.Array.from_buffers(string_type, len(arr), [validity, offsets_buffer, out], arr.null_count)


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t)


def transcode_columns(columns: list[pa.ChunkedArray], names: list[str],
                      codec_table: ByteTable) -> list[pa.ChunkedArray]:
    """Convert every text column of ``columns`` to UTF-8, in place (binary columns become strings).

    ``columns`` is the caller's list (e.g. ``table.columns`` of a table it no longer holds): each
    chunk is released as soon as its conversion is made, so the peak memory grows by a few chunks,
    not by a copy of the text. Pure-ASCII chunks are kept as they are, without a copy. (One
    thread: on two cores, two converting threads measured slower, contending for fresh memory.)

    Returns
    -------
    list of ChunkedArray
        ``columns`` itself.

    Raises
    ------
    TranscodeError
        The first (leftmost column, then earliest row) byte the codec does not define.
    """
    for i in range(len(columns)):  # in order: the first error raised is the leftmost, earliest
        t = columns[i].type
        if not _is_text(t):
            continue
        chunks = columns[i].chunks
        columns[i] = None  # type: ignore[call-overload]  # the chunk list now holds the only references
        row = 0
        for j, chunk in enumerate(chunks):
            chunks[j] = transcode_array(chunk, codec_table, names[i], row)  # the parsed chunk is freed here
            row += len(chunk)
        chunk = None  # nor the loop variable
        large = pa.types.is_large_string(t) or pa.types.is_large_binary(t)
        columns[i] = pa.chunked_array(chunks, pa.large_string() if large else pa.string())
    return columns
