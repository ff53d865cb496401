"""The fast path of the vendor JSON parser: a single-level section read by pyarrow's C++ JSON reader.

:func:`read_json_arrow` reads the document (or says ``None``: use the Python path of
:mod:`amzv_pandas._parsers.vendor_json`); :func:`columns_from_arrow` turns its table into the
section's named columns, typed exactly as the Python path types them.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from amzv_pandas._parsers.arrow import NAIVE_TS, UTC_TS, Source, is_path
from amzv_pandas._specs.registry import ReportType, Section

__all__ = ["ARROW_SCHEMA_KIND", "read_json_arrow", "starts_with_object", "columns_from_arrow"]

ARROW_SCHEMA_KIND: Mapping[str, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.string(),       # cast below, exactly as on the Python path
    "datetime": pa.string(),
    "datetime_local": pa.string(),
    "money": pa.struct([("amount", pa.float64()), ("currencyCode", pa.string())]),
}
ARROW_MAX_BLOCK = (1 << 31) - 2  # pyarrow's block size is an int32


def read_json_arrow(source: Source, rt: ReportType, sec: Section) -> pa.Table | None:
    """Parse the document with pyarrow's C++ JSON reader, or ``None`` to use the Python path.

    A vendor document is one JSON object; read as a single block it becomes a one-row table
    whose section column is a list of structs. No Python object is created per row, which
    makes this ~3x faster than ``json.loads`` at a third of the memory. Anything unusual
    (a field of an unexpected type, a huge or odd document) falls back to ``json.loads``.
    """
    fields = [(f.name, ARROW_SCHEMA_KIND[f.kind]) for f in sec.levels[0].fields if f.kind in ARROW_SCHEMA_KIND]
    # The specification is typed too: inferred, option values like "2020-11-23T15:33:26Z" would
    # come back as timestamps instead of the strings Amazon sent.
    spec_type = pa.struct([
        ("reportOptions", pa.struct([(name, pa.string()) for name in rt.option_names])),
        ("lastUpdatedDate", pa.string()),
        ("marketplaceIds", pa.list_(pa.string())),
    ])
    schema = pa.schema([(sec.levels[0].key, pa.list_(pa.struct(fields))), ("reportSpecification", spec_type)])
    if not starts_with_object(source):
        # pyarrow's reader crashes the process (SIGSEGV) on a top-level null: only objects go to it.
        return None
    if is_path(source):
        size = os.path.getsize(source)
        stream: Any = os.fspath(source)
    else:
        size = len(source)  # type: ignore[arg-type]
        stream = pa.BufferReader(pa.py_buffer(source))
    if size >= ARROW_MAX_BLOCK:
        return None
    try:
        table = pajson.read_json(
            stream,
            read_options=pajson.ReadOptions(block_size=max(size + 1, 1 << 16), use_threads=True),
            # "ignore", not "infer": inferring a deeply nested unknown field overflows the C stack.
            # Only the schema's fields are read anyway.
            parse_options=pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore",
                                              newlines_in_values=True),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    # The explicit schema adds the section as null when the document lacks it: the Python path
    # then decides between "empty" and "wrong document".
    if table.num_rows != 1 or table.column(sec.levels[0].key).null_count:
        return None
    rows = table.column(sec.levels[0].key).chunk(0).flatten()
    if rows.null_count or table.column("reportSpecification").null_count:
        return None  # a null row or specification: the Python path names what is wrong
    return table


def starts_with_object(source: Source) -> bool:
    """Whether the document's first non-blank byte (after a UTF-8 BOM) is ``{``."""
    if is_path(source):
        with open(source, "rb") as fh:
            head = fh.read(4096)
    else:
        head = bytes(memoryview(source)[:4096])  # type: ignore[arg-type]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.lstrip(b" \t\r\n")[:1] == b"{"


def columns_from_arrow(table: pa.Table, sec: Section) -> tuple[list[str], list[pa.Array], dict, int]:
    spec = {}
    if "reportSpecification" in table.column_names:
        spec = table.column("reportSpecification")[0].as_py() or {}
    lists = table.column(sec.levels[0].key).chunk(0)
    rows = lists.flatten()  # the struct of every entry, list nulls skipped
    del table, lists
    names: list[str] = []
    arrays: list[pa.Array] = []
    for fld in sec.levels[0].fields:
        if fld.kind == "money":
            money = pc.struct_field(rows, fld.name)
            names += [f"{fld.name}_amount", f"{fld.name}_currency"]
            arrays += [pc.struct_field(money, "amount"), pc.struct_field(money, "currencyCode")]
            continue
        values = pc.struct_field(rows, fld.name)
        if fld.kind == "date":
            values = pc.cast(values, NAIVE_TS)
        elif fld.kind in ("datetime", "datetime_local"):
            values = pc.cast(values, UTC_TS)
        names.append(fld.name)
        arrays.append(values)
    return names, arrays, spec, len(rows)
