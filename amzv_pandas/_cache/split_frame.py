"""The "split" frame file: an Arrow table with its text stored as lengths plus one byte blob per column.

A report frame is mostly text: on a 500,000-row listings frame 190 of its 211 MB of Arrow
data are string columns, most of it a few distinct titles, URLs and flags repeated, and the
64-bit offsets of every value. Decoding that text is what makes a cache reload slow: Parquet
decodes it page by page (0.17x the cold parse), a dictionary-encoded file must gather every
value back (~1 GB/s), while an uncompressed Arrow file that could simply be memory-mapped is
17x the Parquet file's size. This layout stores what Arrow needs to rebuild each text column
with no per-value work:

* the **row table**: every non-text column as it is, and for each text column the byte length
  of each value (int8/int16/int32, the smallest that fits) with the column's validity; columns
  whose lengths are identical share one; a column without nulls whose values all have one
  length (ASINs, currency codes, flags) stores just that length; all-null text columns are not
  stored at all;
* the **blob table**: one row, one ``large_binary`` value per text column, its bytes
  concatenated (the Arrow data buffer as it is).

Both are Arrow IPC files with LZ4 buffer compression (repetitive text compresses ~10x and
inflates at several GB/s). A reload decompresses the two (in Arrow's threads), computes each
column's offsets as a cumulative sum of its lengths (numpy, a few ms) and wraps the
decompressed bytes as the column's data buffer: no value is copied or gathered. All-null
columns share one null array. The original schema (names, types, pandas metadata) is stored
in the row table's metadata, so ``to_pandas`` gives the frame back with the same dtypes and
values.

File: ``AMZVSPL1`` magic, the two IPC files' sizes (little-endian u64 each), the row table's
IPC file, zero bytes up to a multiple of 64, the blob table's IPC file. Integrity is checked by
the caller (a CRC-32 of the whole file, recorded in the cache entry's sidecar); :func:`decode`
additionally rejects a file whose sizes, layout or offsets do not add up
(:class:`SplitFrameError`), so not even a file with a valid checksum can make Arrow read out of
bounds.
"""

from __future__ import annotations

import json
import struct
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc

__all__ = ["MAGIC", "SplitFrameError", "decode", "encode"]

MAGIC = b"AMZVSPL1"
_HEADER = struct.Struct("<8sQQ")
_ALIGN = 64
_META_KEY = b"amzv_split"
_SCHEMA_KEY = b"amzv_schema"
#: LZ4 for both: on report text it inflates faster than ZSTD (whose files are up to ~4x smaller, but
#: LZ4's are already about Parquet's size); benchmarks/cache_formats.py measures both (``split``,
#: ``split_zstd``).
ROW_CODEC = "lz4"
BLOB_CODEC = "lz4"


class SplitFrameError(ValueError):
    """A split frame file whose structure is inconsistent (damaged, or not one)."""


def _codec(name: str) -> str | None:
    return name if pa.Codec.is_available(name) else None


def _ipc_file(table: pa.Table, codec: str) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=_codec(codec))
    with pa.ipc.new_file(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _length_type(longest: int) -> pa.DataType:
    for t, limit in ((pa.int8(), 1 << 7), (pa.int16(), 1 << 15), (pa.int32(), 1 << 31)):
        if longest < limit:
            return t
    return pa.int64()


def encode(table: pa.Table, *, row_codec: str = ROW_CODEC, blob_codec: str = BLOB_CODEC) -> list[pa.Buffer]:
    """``table`` as the parts of a split frame file, to be written one after the other.

    Text (``string``/``large_string``) columns are split into lengths and bytes; every other
    column is kept as it is. The codecs (``"lz4"``, ``"zstd"``) are those of the two IPC files.
    """
    import pyarrow.compute as pc

    table = table.combine_chunks()
    n = table.num_rows
    rows: list[pa.Array] = []
    blobs: list[pa.Array] = []
    # per column: ["col", row index] | ["null"] | ["text", lengths' row index, blob index]
    # | ["fixed", length, blob index] (no nulls, every value that long: no lengths stored)
    layout: list[Any] = []
    lengths_seen: list[tuple[int, pa.Array]] = []
    for col in table.columns:
        arr = col.chunk(0) if col.num_chunks == 1 else pa.concat_arrays(col.chunks) if col.num_chunks else \
            pa.array([], col.type)
        if not _is_text(arr.type):
            layout.append(["col", len(rows)])
            rows.append(arr)
            continue
        if n and arr.null_count == n:
            layout.append(["null"])
            continue
        lengths = pc.binary_length(arr)
        shortest, longest = (v.as_py() or 0 for v in pc.min_max(lengths).values())
        fixed = n > 0 and arr.null_count == 0 and shortest == longest
        if not fixed:
            lengths = lengths.cast(_length_type(longest))
            index = next((i for i, seen in lengths_seen if seen.equals(lengths)), None)
            if index is None:
                index = len(rows)
                rows.append(lengths)
                lengths_seen.append((index, lengths))
        width = 8 if pa.types.is_large_string(arr.type) else 4
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64 if width == 8 else np.int32,
                                count=n + 1, offset=arr.offset * width) if n else np.zeros(1, np.int64)
        start, end = int(offsets[0]), int(offsets[-1])
        data = arr.buffers()[2] if end > start else pa.py_buffer(b"")
        data = data.slice(start, end - start)
        blob = pa.LargeBinaryArray.from_buffers(pa.large_binary(), 1, [
            None, pa.py_buffer(np.array([0, end - start], dtype=np.int64)), data])
        layout.append(["fixed", longest, len(blobs)] if fixed else ["text", index, len(blobs)])
        blobs.append(blob)
    metadata = {_META_KEY: json.dumps({"rows": n, "layout": layout}).encode(),
                _SCHEMA_KEY: table.schema.serialize().to_pybytes()}
    row_table = pa.Table.from_arrays(rows, names=[str(i) for i in range(len(rows))]).replace_schema_metadata(
        metadata) if rows else pa.table({}).replace_schema_metadata(metadata)
    blob_table = pa.Table.from_arrays(blobs, names=[str(i) for i in range(len(blobs))])
    row_ipc = _ipc_file(row_table, row_codec)
    blob_ipc = _ipc_file(blob_table, blob_codec)
    pad = _blob_start(row_ipc.size) - _HEADER.size - row_ipc.size
    header = _HEADER.pack(MAGIC, row_ipc.size, blob_ipc.size)
    return [pa.py_buffer(header), row_ipc, pa.py_buffer(b"\0" * pad), blob_ipc]


def _blob_start(row_size: int) -> int:
    """Where the blob table starts: after the header and the row table, 64-byte aligned."""
    end = _HEADER.size + row_size
    return end + (-end % _ALIGN)


def _read_ipc(buf: pa.Buffer) -> pa.Table:
    return pa.ipc.open_file(pa.BufferReader(buf)).read_all()


def _offsets(lengths: pa.Array, n: int, large: bool) -> pa.Buffer:
    """Arrow offsets (int64, or int32 for ``string``) of values of these byte lengths."""
    if not pa.types.is_integer(lengths.type) or len(lengths) != n:
        raise SplitFrameError("text lengths of the wrong type or count")
    values = np.frombuffer(lengths.buffers()[1], dtype=lengths.type.to_pandas_dtype(), count=n,
                           offset=lengths.offset * lengths.type.byte_width)
    if n and values.min() < 0:  # offsets must never run backwards (Arrow would read out of bounds)
        raise SplitFrameError("negative text lengths")
    out = np.empty(n + 1, dtype=np.int64)
    out[0] = 0
    # Widen first, then sum in place: ~2x faster than a cumsum that casts as it goes.
    out[1:] = values  # nulls have length 0
    np.cumsum(out[1:], out=out[1:])
    if not large:
        if out[-1] >= 1 << 31:
            raise SplitFrameError("text too long for 32-bit offsets")
        out = out.astype(np.int32)
    return pa.py_buffer(out)


def _fixed_offsets(length: int, n: int, large: bool) -> pa.Buffer:
    """Offsets of ``n`` values of ``length`` bytes each."""
    if length < 0 or not large and length * n >= 1 << 31:
        raise SplitFrameError("invalid fixed text length")
    dtype = np.int64 if large else np.int32
    if not length:
        return pa.py_buffer(np.zeros(n + 1, dtype=dtype))
    return pa.py_buffer(np.arange(0, length * (n + 1), length, dtype=dtype))


def _offsets_key(item: list[Any], field: pa.Field) -> tuple[str, int, bool] | None:
    """What a text column's offsets are computed from (columns sharing it share the offsets)."""
    if item[0] not in ("text", "fixed"):
        return None
    if not _is_text(field.type) or len(item) != 3 or not all(isinstance(v, int) for v in item[1:]):
        raise SplitFrameError(f"text column {field.name!r} has an invalid layout")
    return item[0], item[1], pa.types.is_large_string(field.type)


def decode(buf: pa.Buffer) -> pa.Table:
    """The table stored in a split frame file (``buf``: the whole file, e.g. memory-mapped).

    Raises
    ------
    SplitFrameError
        The header, sizes, layout or offsets do not add up.
    """
    if buf.size < _HEADER.size:
        raise SplitFrameError("shorter than its header")
    magic, row_size, blob_size = _HEADER.unpack(buf.slice(0, _HEADER.size).to_pybytes())
    blob_start = _blob_start(row_size)
    if magic != MAGIC or blob_start + blob_size != buf.size:
        raise SplitFrameError("header does not match the file")
    # The blob table (most of the bytes) inflates in Arrow's threads while this one decodes
    # the row table and the offsets: both release the GIL.
    with ThreadPoolExecutor(1) as pool:
        blobs_future = pool.submit(_read_ipc, buf.slice(blob_start, blob_size))
        rows = _read_ipc(buf.slice(_HEADER.size, row_size))
        meta = rows.schema.metadata or {}
        try:
            info = json.loads(meta[_META_KEY])
            schema = pa.ipc.read_schema(pa.py_buffer(meta[_SCHEMA_KEY]))
            n, layout = int(info["rows"]), info["layout"]
        except (KeyError, ValueError, TypeError) as exc:
            raise SplitFrameError(f"has no valid layout ({type(exc).__name__})") from None
        if not isinstance(layout, list) or not all(isinstance(i, list) and i and isinstance(i[0], str)
                                                   for i in layout):
            raise SplitFrameError("has no valid layout")
        if len(layout) != len(schema) or (rows.num_columns and rows.num_rows != n):
            raise SplitFrameError("layout does not match the schema")
        row_cols = [c.combine_chunks() if c.num_chunks != 1 else c.chunk(0) for c in rows.columns]
        for item in layout:
            if item[0] in ("col", "text") and not (len(item) > 1 and isinstance(item[1], int)
                                                   and 0 <= item[1] < len(row_cols)):
                raise SplitFrameError(f"layout {item!r} names a column the row table does not have")
        offsets: dict[tuple[str, int, bool], pa.Buffer] = {}
        for item, field in zip(layout, schema):
            key = _offsets_key(item, field)
            if key is not None and key not in offsets:
                offsets[key] = _offsets(row_cols[key[1]], n, key[2]) if key[0] == "text" else \
                    _fixed_offsets(key[1], n, key[2])
        blobs = blobs_future.result()
    blob_cols = [c.combine_chunks() if c.num_chunks != 1 else c.chunk(0) for c in blobs.columns]
    if any(item[0] in ("text", "fixed") and not 0 <= item[2] < len(blob_cols) for item in layout):
        raise SplitFrameError("layout names a text blob the blob table does not have")
    columns: list[pa.Array] = []
    nulls: dict[pa.DataType, pa.Array] = {}
    for item, field in zip(layout, schema):
        kind = item[0]
        if kind == "col":
            columns.append(row_cols[item[1]])
        elif kind == "null":
            if field.type not in nulls:  # one array shared by every all-null column of a type
                nulls[field.type] = pa.nulls(n, field.type)
            columns.append(nulls[field.type])
        elif kind in ("text", "fixed"):
            blob = blob_cols[item[2]]
            data = blob.buffers()[2]
            key = _offsets_key(item, field)
            off = offsets[key]
            total = int(np.frombuffer(off, dtype=np.int64 if key[2] else np.int32)[-1])
            if len(blob) != 1 or blob.null_count:
                raise SplitFrameError(f"text of column {field.name!r} is not one value")
            start, end = (int(v) for v in np.frombuffer(blob.buffers()[1], dtype=np.int64, count=2,
                                                        offset=blob.offset * 8))
            if end - start != total or data is None and total or data is not None and data.size < end:
                raise SplitFrameError(f"text of column {field.name!r} does not match its lengths")
            data = data.slice(start, total) if data is not None else pa.py_buffer(b"")
            validity, null_count = None, 0
            if kind == "text" and row_cols[item[1]].null_count:
                validity, null_count = row_cols[item[1]].buffers()[0], row_cols[item[1]].null_count
            cls = pa.LargeStringArray if key[2] else pa.StringArray
            columns.append(cls.from_buffers(n, off, data, validity, null_count))
        else:
            raise SplitFrameError(f"has an unknown column layout {kind!r}")
    return pa.Table.from_arrays(columns, schema=schema)
