"""Data Kiosk JSONL documents -> one flat, typed frame, with pyarrow and Arrow compute only.

The query's selection tree (:func:`~amzv_pandas._specs.datakiosk.catalogue.selection_tree`)
gives every field's type before a byte is read, so ``pyarrow.json`` reads the lines with an
explicit schema (``Long``/``Int`` -> int64, ``Float`` -> float64, ``Date`` -> timestamp, strings).
Flattening is columnar: the grouped ``metrics`` list is exploded with ``list_parent_indices``
/ ``list_flatten`` and ``take``, structs are split with ``StructArray.flatten`` (which keeps a
null parent null), list-valued metrics (weekly forecasts) become one row per element. No
per-row Python. Column names are the field paths joined by ``_`` (``groupByKey``/``metrics``
containers elided); an ``Amount`` becomes ``<path>_amount`` + ``<path>_currency``.
"""

from __future__ import annotations

import io
import os
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from .._parsers.arrow import NAIVE_TS, to_pandas
from .._parsers.gunzip import RAISE_HINT, GunzipStream, TruncatedDocument
from .._util.limits import DocumentLimits
from .._specs.datakiosk.catalogue import AMOUNT, Node
from ..exceptions import DocumentTooLargeError, ParseError

__all__ = ["arrow_schema", "read_pages", "flatten_table", "parse_documents", "empty_frame", "BLOCK_SIZE"]

#: pyarrow's JSON block must hold the longest line (one line per period can carry 100,000+
#: groups): start here and double on a "straddling object" error.
BLOCK_SIZE = 32 << 20
MAX_BLOCK_SIZE = 1 << 31

_DATE = pa.timestamp("s")  # ISO dates parse as timestamps; pyarrow.json has no date32 parsing
_SCALARS = {"Long": pa.int64(), "Int": pa.int64(), "Float": pa.float64(), "Boolean": pa.bool_(),
            "Date": pa.timestamp("s"), "String": pa.string(), "ID": pa.string()}


def _arrow_type(node: Node) -> pa.DataType:
    if node.children is None:
        t = _SCALARS.get(node.type, pa.string())
    else:
        t = pa.struct([pa.field(c.key, _arrow_type(c)) for c in node.children])
    return pa.list_(t) if node.is_list else t


def arrow_schema(view: Node) -> pa.Schema:
    """The explicit schema of one line of the document."""
    return pa.schema([pa.field(c.key, _arrow_type(c)) for c in view.children or []])


def _read_one(source: Any, schema: pa.Schema, limits: DocumentLimits) -> pa.Table:
    try:
        return _read_stream(source, schema, limits)
    except TruncatedDocument as exc:
        raise ParseError(f"the Data Kiosk document's gzip stream is cut or corrupt ({exc}); it is not kept: "
                         "call again to fetch it anew") from None


def _read_stream(source: Any, schema: pa.Schema, limits: DocumentLimits) -> pa.Table:
    block = BLOCK_SIZE
    while True:
        stream = _open(source, limits)
        try:
            table = pj.read_json(stream, read_options=pj.ReadOptions(block_size=block, use_threads=True),
                                 parse_options=pj.ParseOptions(explicit_schema=schema,
                                                               unexpected_field_behavior="ignore",
                                                               newlines_in_values=False))
        except pa.ArrowInvalid as exc:
            # What pyarrow made of a cut-short or oversized stream is not the real error: the stream's is.
            if getattr(stream, "error", None) is not None:
                raise stream.error from None
            if "straddl" in str(exc) and block < MAX_BLOCK_SIZE:
                block *= 4
                continue
            raise ParseError(f"the Data Kiosk document is not JSON Lines of the query's shape: {exc}") from None
        finally:
            stream.close()
        if getattr(stream, "error", None) is not None:  # ended early: the table is not the document
            raise stream.error
        return table


def _open(source: Any, limits: DocumentLimits) -> Any:
    """An input stream of a path or bytes; gzip (recognised by its magic bytes) expands within ``limits``."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = pa.BufferReader(pa.py_buffer(source))
        return pa.CompressedInputStream(raw, "gzip") if bytes(source[:2]) == b"\x1f\x8b" else raw
    with open(source, "rb") as fh:
        head = fh.read(2)
    if head == b"\x1f\x8b":
        # Bounded streaming gunzip (a few MB can expand to many GiB); errors end the stream and are
        # raised here, not in pyarrow's reader thread.
        return GunzipStream(source, limits, "the Data Kiosk document", end_on_error=True)
    size = os.path.getsize(source)
    if size > limits.max_expanded_bytes:
        raise DocumentTooLargeError(f"the Data Kiosk document is {size:,} bytes, beyond max_expanded_bytes="
                                    f"{limits.max_expanded_bytes:,}; {RAISE_HINT}")
    return pa.OSFile(str(source), "rb")


def read_pages(sources: Iterable[Any], view: Node, limits: DocumentLimits | None = None) -> pa.Table:
    """Every page (a path or bytes each; gzip or plain) as one Arrow table of lines."""
    schema = arrow_schema(view)
    tables = [_read_one(s, schema, limits or DocumentLimits()) for s in sources]
    tables = [t for t in tables if t.num_rows]
    return pa.concat_tables(tables) if tables else schema.empty_table()


def _explode(arr: pa.Array, keep_empty: bool) -> tuple[pa.Array, pa.Array]:
    """(parent index per output row, the list's values; null where a row had none and ``keep_empty``)."""
    if not keep_empty:
        return pc.list_parent_indices(arr), pc.list_flatten(arr)
    lengths = pc.fill_null(pc.list_value_length(arr), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    reps = np.maximum(lengths, 1)
    parent = np.repeat(np.arange(len(arr), dtype=np.int64), reps)
    starts = np.cumsum(lengths) - lengths
    within = np.arange(int(reps.sum()), dtype=np.int64) - np.repeat(np.cumsum(reps) - reps, reps)
    idx = pa.array(np.repeat(starts, reps) + within, mask=np.repeat(lengths == 0, reps))
    return pa.array(parent), pc.list_flatten(arr).take(idx)


class _Columns:
    """Columns being built, with the list-valued fields still to explode."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.arrays: list[pa.Array] = []
        self.lists: list[tuple[tuple[str, ...], Node, pa.Array]] = []

    def add_struct(self, prefix: tuple[str, ...], node: Node, arr: pa.Array) -> None:
        kids = node.children or []
        for child, part in zip(kids, arr.flatten() if kids else []):
            self.add(prefix + (child.key,), child, part, node.type)

    def add(self, path: tuple[str, ...], node: Node, arr: pa.Array, parent_type: str | None = None) -> None:
        if node.is_list:
            self.lists.append((path, node, arr))
        elif node.children is not None:
            self.add_struct(path, node, arr)
        else:
            if parent_type == AMOUNT and path[-1] == "currencyCode":
                path = path[:-1] + ("currency",)
            if arr.type == _DATE:
                arr = arr.cast(NAIVE_TS)
            self.names.append("_".join(path))
            self.arrays.append(arr)

    def explode_lists(self) -> None:
        while self.lists:
            path, node, arr = self.lists.pop(0)
            parent, values = _explode(arr, keep_empty=True)
            self.arrays = [a.take(parent) for a in self.arrays]
            self.lists = [(p, n, a.take(parent)) for p, n, a in self.lists]
            self.add(path, Node(node.key, node.type, False, node.children), values)


def flatten_table(table: pa.Table, view: Node) -> pa.Table:
    """Lines -> one row per period x group (or per period), every struct split into columns."""
    table = table.combine_chunks()
    kids = {c.key: c for c in view.children or []}
    grouped = next((c for c in kids.values() if c.is_list and c.type.endswith("GroupedBy")), None)
    cols = _Columns()
    parent = values = None
    if grouped is not None:
        parent, values = _explode(table.column(grouped.key).combine_chunks(), keep_empty=False)
    for key, node in kids.items():
        if node is grouped:
            continue
        arr = table.column(key).combine_chunks()
        if parent is not None:
            arr = arr.take(parent)
        if key == "totals" and grouped is None and node.children is not None:
            cols.add_struct((), node, arr)  # totals alone: ``orders_...`` like the grouped rows
        else:
            cols.add((key,), node, arr)
    if grouped is not None and values is not None:
        # ``metrics[].groupByKey.asin`` -> ``asin``; ``metrics[].metrics.orders...`` -> ``orders_...``
        for child, part in zip(grouped.children or [], values.flatten() if grouped.children else []):
            if child.key in ("groupByKey", "metrics") and child.children is not None and not child.is_list:
                cols.add_struct((), child, part)
            else:
                cols.add((grouped.key, child.key), child, part, grouped.type)
    cols.explode_lists()
    return pa.Table.from_arrays(cols.arrays, names=_dedupe(cols.names))


def _dedupe(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        out.append(n if k == 0 else f"{n}_{k}")
        seen[n] = k + 1
    return out


def parse_documents(sources: Iterable[Any], view: Node, limits: DocumentLimits | None = None) -> pd.DataFrame:
    """Pages (paths or bytes, gzip or plain) -> the flat frame with the library's dtypes.

    Parameters
    ----------
    sources : iterable of path or bytes
        The pages in order.
    view : Node
        The query's selection tree (:func:`~amzv_pandas._specs.datakiosk.catalogue.selection_tree`).
    limits : DocumentLimits, optional
        Bounds on a page's expanded size and compression ratio (the client's).

    Raises
    ------
    ParseError
        A page that is not JSON Lines of the query's shape.
    DocumentTooLargeError
        A page beyond ``limits``.
    """
    return to_pandas(flatten_table(read_pages(sources, view, limits), view))


def empty_frame(view: Node) -> pd.DataFrame:
    """The typed frame of a query with no data (same columns as a full one)."""
    return to_pandas(flatten_table(arrow_schema(view).empty_table(), view))


def lines_bytes(lines: Iterable[str]) -> bytes:
    """Test helper: JSON texts joined as a JSONL document."""
    buf = io.StringIO()
    for line in lines:
        buf.write(line.rstrip("\n") + "\n")
    return buf.getvalue().encode("utf-8")
