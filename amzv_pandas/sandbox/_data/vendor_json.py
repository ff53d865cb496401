"""JSON numbers and rows of the vendor documents, rendered column-wise with pyarrow.

Numbers become Arrow string arrays (a lookup in a table of the first 100,000 texts is far
cheaper than a cast) and ``binary_join_element_wise`` glues each row from literal and array
parts; the data buffer of the result is the JSON text of a whole block of rows, so no
per-row Python code runs.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["ROW_SEP", "Rows", "decimal_texts", "int_texts", "money_texts", "render_rows"]

#: Every row of a JSON array is prefixed with this; :class:`Rows` drops the first comma.
ROW_SEP = ",\n    "

_TABLE = 100_000
_tables: dict[int, pa.Array] = {}
_CENTS = pa.array([f".{i:02d}" for i in range(100)], pa.string())
_SIGNS = pa.array(["", "-"], pa.string())


def _table(scale: int) -> pa.Array:
    """Text of ``i / scale`` for i in 0..99,999 ("12" for scale 1, "12.30" for 100, "0.1234" for 10,000)."""
    if scale not in _tables:
        if scale == 1:
            texts = [str(i) for i in range(_TABLE)]
        elif scale == 100:
            texts = [f"{i // 100}.{i % 100:02d}" for i in range(_TABLE)]
        else:
            texts = [repr(i / scale) for i in range(_TABLE)]
        _tables[scale] = pa.array(texts, pa.string())
    return _tables[scale]


def int_texts(values: np.ndarray) -> list[str | pa.Array]:
    """Integers as decimal text (a table lookup is far cheaper than a cast)."""
    values = np.asarray(values, dtype=np.int64)
    if len(values) and 0 <= values.min() and values.max() < _TABLE:
        return [_table(1).take(pa.array(values))]
    return [pc.cast(pa.array(values), pa.string())]


def money_texts(cents: np.ndarray) -> list[str | pa.Array]:
    """Integer cents as a decimal with two places ("-12.05", "1500.00")."""
    cents = np.asarray(cents, dtype=np.int64)
    if len(cents) and 0 <= cents.min() and cents.max() < _TABLE:
        return [_table(100).take(pa.array(cents))]
    neg = cents < 0
    mag = np.abs(cents)
    parts: list[str | pa.Array] = [_SIGNS.take(pa.array(neg.astype(np.int64)))] if neg.any() else []
    return parts + int_texts(mag // 100) + [_CENTS.take(pa.array(mag % 100))]


def decimal_texts(values: np.ndarray, scale: int) -> list[str | pa.Array]:
    """Floats rounded to ``1/scale`` as their shortest decimal text."""
    idx = np.rint(np.asarray(values, dtype=np.float64) * scale).astype(np.int64)
    if len(idx) and 0 <= idx.min() and idx.max() < _TABLE:
        return [_table(scale).take(pa.array(idx))]
    return [pc.cast(pa.array(idx / scale), pa.string())]


def _buffer_bytes(arr: pa.Array) -> bytes:
    """The concatenated UTF-8 text of a string array (no copy per row)."""
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4)
    lo, hi = int(offsets[0]), int(offsets[-1])
    return arr.buffers()[2].slice(lo, hi - lo).to_pybytes()


def render_rows(parts: Sequence[str | pa.Array]) -> bytes:
    """The bytes of rows glued from ``parts``: literal strings and string arrays of one length."""
    merged: list[str | pa.Array] = []
    for p in parts:  # fewer, longer literals make the join cheaper
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    args = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in merged]
    return _buffer_bytes(pc.binary_join_element_wise(*args, pa.scalar("", pa.string())))


class Rows:
    """Streams the rows of one JSON array, handling the separator of the first row."""

    def __init__(self) -> None:
        self.first = True

    def emit(self, chunk: bytes) -> bytes:
        if self.first and chunk:
            self.first = False
            return chunk[1:]  # drop the leading comma of the very first row
        return chunk
