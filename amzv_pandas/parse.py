"""Pure report-document parsers: bytes or files in, DataFrames out.

Nothing here touches the network or the cache. Two document kinds exist:

* **Vendor JSON** (:func:`parse_vendor_json`): a ``reportSpecification`` plus one or more
  row arrays ("sections"). One section becomes one frame, one row per entry, with money
  objects split into ``<field>_amount``/``<field>_currency`` and the specification's options,
  marketplace and ``lastUpdatedDate`` repeated as columns, so frames from several request
  windows concatenate cleanly.
* **Flat files** (:func:`parse_flat_file`): tab-separated text read by ``pyarrow.csv``
  (never by hand), with the quote character, the codec and gzip decided by the caller.

Plus the helpers the reports module needs around them: :func:`sniff_format`,
:func:`charset_from_content_type`, :func:`error_details` and :func:`classify_fatal`.

Performance notes: the JSON parser builds each column straight from the parsed list of
dicts (``operator.itemgetter``), converts it with pyarrow in C and drops the parsed document
as soon as the columns exist; the flat-file parser leaves decompression, transcoding and
type conversion to pyarrow.
"""

from __future__ import annotations

import codecs
import gc
import json
import os
import re
import warnings
from operator import itemgetter
from contextlib import contextmanager
from typing import IO, Any, Iterator, Mapping, Union

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson

from amzv_pandas.exceptions import AmzvWarning, ConfigurationError, ParseError
from amzv_pandas.report_registry import (
    STR_DTYPE,
    Field,
    Level,
    ReportType,
    Section,
    get_report_type,
)

__all__ = [
    "parse_vendor_json",
    "parse_flat_file",
    "list_sections",
    "sniff_format",
    "charset_from_content_type",
    "error_details",
    "classify_fatal",
    "PARSER_VERSION",
]

#: Bumped whenever parsed output changes, so derived caches (Parquet) can be invalidated.
PARSER_VERSION = "1"

Source = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]

_UTC_TS = pa.timestamp("us", tz="UTC")
_NAIVE_TS = pa.timestamp("us")


def _types_mapper(t: pa.DataType) -> Any:
    """Arrow -> pandas dtypes: nullable Int64/Float64/boolean and the default ``str``."""
    if pa.types.is_integer(t):
        return pd.Int64Dtype()
    if pa.types.is_floating(t):
        return pd.Float64Dtype()
    if pa.types.is_boolean(t):
        return pd.BooleanDtype()
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return STR_DTYPE
    return None  # timestamps and the rest: pyarrow's own conversion


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    # self_destruct frees each Arrow column once converted: lower peak memory.
    return table.to_pandas(types_mapper=_types_mapper, split_blocks=True, self_destruct=True)


# ---------------------------------------------------------------------------------------------
# reading sources


def _is_path(source: Any) -> bool:
    return isinstance(source, (str, os.PathLike))


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source) if not isinstance(source, bytes) else source
    if _is_path(source):
        with open(source, "rb") as fh:
            return fh.read()
    if hasattr(source, "read"):
        data = source.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        return data
    msg = f"source must be bytes, a path or a binary file-like object, got {type(source).__name__}"
    raise ConfigurationError(msg, parameter="source", value=type(source).__name__,
                             allowed="bytes, str/PathLike path, binary file-like")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while millions of acyclic containers are created.

    ``json.loads`` of a large document otherwise triggers hundreds of full collections
    that find nothing to free (about 40 % of the parse time).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load_json(source: Source | Mapping[str, Any]) -> Any:
    if isinstance(source, Mapping):
        return source
    data = _read_bytes(source)
    try:
        # The fallback path (nested coupon/promotion sections, documents pyarrow's JSON
        # reader refuses): json.loads detects UTF-8/16/32 itself but decodes the bytes into
        # one str while parsing, so this path holds the text once; the main path for row
        # arrays (pyarrow) reads the bytes without any Python string.
        with _gc_paused():
            return json.loads(data)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        head = bytes(data[:80]).decode("utf-8", "replace")
        msg = f"the document is not valid JSON ({exc}); it starts with {head!r}"
        raise ParseError(msg, line=line) from None
    finally:
        del data


# ---------------------------------------------------------------------------------------------
# vendor JSON


def list_sections(document: Source | Mapping[str, Any]) -> list[str]:
    """Names of the row arrays (sections) in a JSON report document.

    Top-level arrays come first (``salesAggregate``, ``salesByAsin``), then arrays of
    objects nested inside their first entry (``coupons``, ``asins``).

    Parameters
    ----------
    document : bytes, path, binary file-like or already-parsed dict
    """
    doc = _load_json(document)
    if not isinstance(doc, Mapping):
        return []
    out: list[str] = []

    def nested(obj: Any) -> None:
        if not isinstance(obj, Mapping):
            return
        for key, value in obj.items():
            if isinstance(value, list) and value and isinstance(value[0], Mapping):
                if key not in out:
                    out.append(key)
                nested(value[0])

    for key, value in doc.items():
        if key != "reportSpecification" and isinstance(value, list):
            out.append(key)
    for key, value in doc.items():
        if key != "reportSpecification" and isinstance(value, list) and value:
            nested(value[0])
    return out


def _column(objs: list, key: str, sparse: bool) -> list:
    """Values of ``key`` in each dict of ``objs`` (``None`` where absent)."""
    if not sparse:
        try:
            # itemgetter in C is ~2x a comprehension with .get; most fields are always present.
            return list(map(itemgetter(key), objs))
        except KeyError:
            pass
        except TypeError:
            bad = next(o for o in objs if not isinstance(o, Mapping))
            msg = f"expected an object per row, found {type(bad).__name__}: {bad!r:.80}"
            raise ParseError(msg) from None
    return [o.get(key) if o is not None else None for o in objs]


def _arrow(values: list, kind: str, name: str) -> pa.Array:
    """A Python list of JSON values -> a typed Arrow array (conversion in C)."""
    try:
        if kind == "int":
            try:
                return pa.array(values, pa.int64())
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                # 5.0 where an integer was expected: go through float, keep whole numbers.
                return pc.cast(pa.array(values, pa.float64()), pa.int64())
        if kind == "float":
            return pa.array(values, pa.float64())
        if kind == "bool":
            return pa.array(values, pa.bool_())
        if kind == "date":
            return pc.cast(pa.array(values, pa.string()), _NAIVE_TS)
        if kind in ("datetime", "datetime_local"):
            return pc.cast(pa.array(values, pa.string()), _UTC_TS)
        if kind == "json":
            # Nested values of unregistered types: kept as JSON text rather than Python objects.
            return pa.array([None if v is None else json.dumps(v) for v in values], pa.string())
        return pa.array(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        example = next((v for v in values if v is not None), None)
        msg = f"field {name!r} does not hold {kind} values (e.g. {example!r:.60}): {exc}"
        raise ParseError(msg) from None


def _money(objs: list, key: str, sparse: bool) -> tuple[pa.Array, pa.Array]:
    money = _column(objs, key, sparse)
    if None in money:
        amounts = [m.get("amount") if m is not None else None for m in money]
        currencies = [m.get("currencyCode") if m is not None else None for m in money]
    else:
        try:
            amounts = list(map(itemgetter("amount"), money))
            currencies = list(map(itemgetter("currencyCode"), money))
        except (KeyError, TypeError):
            amounts = [m.get("amount") if isinstance(m, Mapping) else m for m in money]
            currencies = [m.get("currencyCode") if isinstance(m, Mapping) else None for m in money]
    del money
    return _arrow(amounts, "float", key), _arrow(currencies, "str", key)


def _rows_for(section: Section, doc: Mapping[str, Any]) -> tuple[list[list], bool]:
    """Per level, the list of objects lined up with the output rows.

    Returns ``(objs_per_level, sparse)``; ``sparse`` is True when some levels hold ``None``
    (a parent without children is kept once, with empty child fields).
    """
    top = doc.get(section.levels[0].key)
    if top is None:
        top = []
    if not isinstance(top, list):
        msg = f"section {section.levels[0].key!r} is not an array but {type(top).__name__}"
        raise ParseError(msg)
    if len(section.levels) == 1:
        return [top], False
    tuples: list[tuple] = [(o,) for o in top]
    sparse = False
    for level in section.levels[1:]:
        grown: list[tuple] = []
        for t in tuples:
            parent = t[-1]
            children = parent.get(level.key) if isinstance(parent, Mapping) else None
            if children:
                grown.extend(t + (child,) for child in children)
            else:
                grown.append(t + (None,))
                sparse = True
        tuples = grown
    return [list(col) for col in zip(*tuples)] if tuples else [[] for _ in section.levels], sparse


def _spec_values(rt: ReportType, spec: Mapping[str, Any]) -> dict[str, Any]:
    options = spec.get("reportOptions") or {}
    values: dict[str, Any] = {}
    names = list(rt.option_names) or [k for k in options]  # unknown types: whatever was sent
    for name in names:
        value = options.get(name)
        values[name] = None if value is None else str(value)
    # Compare equal across both parse paths: the Python path never sees a missing spec.
    ids = spec.get("marketplaceIds") or []
    values["marketplaceId"] = ",".join(map(str, ids)) if ids else None
    if rt.spec_last_updated or (not rt.known and spec.get("lastUpdatedDate") is not None):
        updated = spec.get("lastUpdatedDate")
        values["lastUpdatedDate"] = updated.isoformat() if hasattr(updated, "isoformat") else updated
    return values


def _infer_section(doc: Mapping[str, Any], name: str) -> Section:
    """A one-level Section for an unregistered type, kinds guessed from the values."""
    rows = doc.get(name) or []
    keys: dict[str, None] = {}
    for row in rows:
        if isinstance(row, Mapping):
            keys.update(dict.fromkeys(row))
    fields = []
    for key in keys:
        sample = next((r.get(key) for r in rows if isinstance(r, Mapping) and r.get(key) is not None), None)
        if isinstance(sample, Mapping) and "amount" in sample:
            kind = "money"
        elif isinstance(sample, bool):
            kind = "bool"
        elif isinstance(sample, int):
            kind = "float" if any(isinstance(r.get(key), float) for r in rows if isinstance(r, Mapping)) else "int"
        elif isinstance(sample, float):
            kind = "float"
        elif isinstance(sample, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", sample):
            kind = "date"
        elif isinstance(sample, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})", sample):
            kind = "datetime"
        elif isinstance(sample, (Mapping, list)):
            kind = "json"
        else:
            kind = "str"
        fields.append(Field(key, kind))
    return Section(name, (Level(name, "", tuple(fields)),))


_ARROW_SCHEMA_KIND: Mapping[str, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.string(),       # cast below, exactly as on the Python path
    "datetime": pa.string(),
    "datetime_local": pa.string(),
    "money": pa.struct([("amount", pa.float64()), ("currencyCode", pa.string())]),
}
_ARROW_MAX_BLOCK = (1 << 31) - 2  # pyarrow's block size is an int32


def _read_json_arrow(source: Source, rt: ReportType, sec: Section) -> pa.Table | None:
    """Parse the document with pyarrow's C++ JSON reader, or ``None`` to use the Python path.

    A vendor document is one JSON object; read as a single block it becomes a one-row table
    whose section column is a list of structs. No Python object is created per row, which
    makes this ~3x faster than ``json.loads`` at a third of the memory. Anything unusual
    (a field of an unexpected type, a huge or odd document) falls back to ``json.loads``.
    """
    fields = [(f.name, _ARROW_SCHEMA_KIND[f.kind]) for f in sec.levels[0].fields if f.kind in _ARROW_SCHEMA_KIND]
    # The specification is typed too: inferred, option values like "2020-11-23T15:33:26Z" would
    # come back as timestamps instead of the strings Amazon sent.
    spec_type = pa.struct([
        ("reportOptions", pa.struct([(name, pa.string()) for name in rt.option_names])),
        ("lastUpdatedDate", pa.string()),
        ("marketplaceIds", pa.list_(pa.string())),
    ])
    schema = pa.schema([(sec.levels[0].key, pa.list_(pa.struct(fields))), ("reportSpecification", spec_type)])
    if _is_path(source):
        size = os.path.getsize(source)
        stream: Any = os.fspath(source)
    else:
        size = len(source)  # type: ignore[arg-type]
        stream = pa.BufferReader(pa.py_buffer(source))
    if size >= _ARROW_MAX_BLOCK:
        return None
    try:
        table = pajson.read_json(
            stream,
            read_options=pajson.ReadOptions(block_size=max(size + 1, 1 << 16), use_threads=True),
            parse_options=pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer",
                                              newlines_in_values=True),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    # The explicit schema adds the section as null when the document lacks it: the Python path
    # then decides between "empty" and "wrong document".
    if table.num_rows != 1 or table.column(sec.levels[0].key).null_count:
        return None
    return table


def _columns_from_arrow(table: pa.Table, sec: Section) -> tuple[list[str], list[pa.Array], dict, int]:
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
            values = pc.cast(values, _NAIVE_TS)
        elif fld.kind in ("datetime", "datetime_local"):
            values = pc.cast(values, _UTC_TS)
        names.append(fld.name)
        arrays.append(values)
    return names, arrays, spec, len(rows)



def parse_vendor_json(
    source: Source | Mapping[str, Any],
    *,
    report_type: str | ReportType,
    section: str | None = None,
) -> pd.DataFrame:
    """Parse a vendor JSON report document into a DataFrame.

    Parameters
    ----------
    source : bytes, str or PathLike, binary file-like, or dict
        The uncompressed JSON document (a path is read from disk). An already-parsed
        dict is accepted too.
    report_type : str or ReportType
        The report type; decides the sections, column names and dtypes. Unknown types
        get dtypes inferred from the values.
    section : str, optional
        The row array to return (``salesAggregate``, ``salesByAsin``...). Default: the
        type's ``default_section`` (the per-ASIN table). Nested sections flatten their
        parents: ``GET_COUPON_PERFORMANCE_REPORT`` offers ``campaigns``, ``coupons`` and
        ``asins`` (default), ``GET_PROMOTION_PERFORMANCE_REPORT`` offers ``promotions`` and
        ``includedProducts`` (default). Parent fields are prefixed with the parent's entity
        word unless they already start with it (``campaignId``, ``coupon_name``).

    Returns
    -------
    DataFrame
        One row per entry of the section. Money objects become ``<field>_amount`` (Float64)
        and ``<field>_currency`` (str); ``startDate``/``endDate`` are datetime64; real-time
        and coupon/promotion times are UTC datetime64; counts are Int64; rates, margins and
        forecasts are Float64; text is ``str``. Fields the registry knows but the document
        lacks (e.g. ``orderedRevenue`` for SOURCING) are present and all-NA. The
        specification's options (``reportPeriod``...), ``marketplaceId`` and
        ``lastUpdatedDate`` follow as columns.

    Raises
    ------
    ConfigurationError
        ``section`` is not a section of the report type (the message lists them).
    ParseError
        The document is not JSON, or holds none of the type's sections.
    """
    rt = get_report_type(report_type)
    if rt.sections and not isinstance(source, Mapping):
        sec = rt.section(section)
        if not _is_path(source):
            source = _read_bytes(source)
        if len(sec.levels) == 1:
            table = _read_json_arrow(source, rt, sec)
            if table is not None:
                names, arrays, spec, n = _columns_from_arrow(table, sec)
                del table
                return _finish(names, arrays, _spec_values(rt, spec), n)
    doc = _load_json(source)
    if not isinstance(doc, Mapping):
        msg = f"expected a JSON object with a reportSpecification and row arrays, got a JSON {type(doc).__name__}"
        raise ParseError(msg)

    if rt.sections:
        sec = rt.section(section)
        roots = {s.levels[0].key for s in rt.sections}
        if not roots.intersection(doc):
            found = list_sections(doc)
            msg = (
                f"the document holds none of {rt.name}'s sections ({', '.join(rt.section_names)}); "
                f"it has: {', '.join(found) or 'no arrays'}"
                + (f" (errorDetails: {doc['errorDetails']!r})" if "errorDetails" in doc else "")
            )
            raise ParseError(msg)
    else:
        available = list_sections(doc)
        top = [k for k in available if isinstance(doc.get(k), list)]
        if section is None:
            section = next((k for k in top if k.endswith("ByAsin")), None) or (top[0] if top else None)
        if section not in top:
            msg = (
                f"section {section!r} is not in the document; available sections: "
                f"{', '.join(top) or 'none'}"
            )
            raise ConfigurationError(msg, parameter="section", value=section, allowed=top)
        sec = _infer_section(doc, section)

    spec = doc.get("reportSpecification") or {}
    spec_values = _spec_values(rt, spec if isinstance(spec, Mapping) else {})
    with _gc_paused():
        levels, sparse = _rows_for(sec, doc)
        # The document's other sections are garbage from here on; only the rows stay referenced.
        del doc, spec
        n = len(levels[-1])
        names: list[str] = []
        arrays: list[pa.Array] = []
        for level_index, fld, prefix in sec.flat_fields():
            objs = levels[level_index]
            level_sparse = sparse and level_index > 0
            col = prefix + fld.name
            if fld.kind == "money":
                amount, currency = _money(objs, fld.name, level_sparse)
                names += [f"{col}_amount", f"{col}_currency"]
                arrays += [amount, currency]
            else:
                names.append(col)
                arrays.append(_arrow(_column(objs, fld.name, level_sparse), fld.kind, fld.name))
        del levels, objs
    return _finish(names, arrays, spec_values, n)


def _finish(names: list[str], arrays: list[pa.Array], spec_values: Mapping[str, Any], n: int) -> pd.DataFrame:
    """Append the report-specification columns and convert to pandas."""
    for name, value in spec_values.items():
        if name in names:  # a row field of the same name (a campaign's marketplaceId) wins
            continue
        if name == "lastUpdatedDate":
            scalar = pc.cast(pa.array([value], pa.string()), _NAIVE_TS)[0]
        else:
            scalar = pa.scalar(value, pa.string())
        names.append(name)
        arrays.append(pa.repeat(scalar, n))
    table = pa.Table.from_arrays(arrays, names=names)
    del arrays
    return _to_pandas(table)


# ---------------------------------------------------------------------------------------------
# flat files


_KIND_ARROW: Mapping[str, pa.DataType] = {
    # large_string is what pandas' pyarrow-backed str dtype holds: to_pandas() then
    # shares the buffers instead of copying every text column.
    "str": pa.large_string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": _NAIVE_TS,
    "datetime": _UTC_TS,
    "datetime_local": pa.string(),  # zone abbreviations (PDT, BST): converted afterwards
}

_PANDAS_NAME_KIND = {
    "int64": "int", "Int64": "int", "int": "int",
    "float64": "float", "Float64": "float", "float": "float",
    "bool": "bool", "boolean": "bool",
    "str": "str", "string": "str", "object": "str",
}

# Offsets of the zone abbreviations Amazon prints in flat-file times (e.g. listings' open-date).
_TZ_ABBREVIATIONS = {
    "UTC": "+00:00", "GMT": "+00:00", "Z": "+00:00",
    "PST": "-08:00", "PDT": "-07:00", "MST": "-07:00", "MDT": "-06:00",
    "CST": "-06:00", "CDT": "-05:00", "EST": "-05:00", "EDT": "-04:00",
    "BST": "+01:00", "WET": "+00:00", "WEST": "+01:00", "CET": "+01:00", "CEST": "+02:00",
    "MEZ": "+01:00", "MESZ": "+02:00", "EET": "+02:00", "EEST": "+03:00",
    "JST": "+09:00", "IST": "+05:30", "AEST": "+10:00", "AEDT": "+11:00",
    "SGT": "+08:00", "BRT": "-03:00",
}


def _kind_of(dtype: Any) -> str:
    """A registry kind or a pandas dtype spelling -> a registry kind."""
    if isinstance(dtype, str) and dtype in _KIND_ARROW:
        return dtype
    text = str(dtype)
    if text in _PANDAS_NAME_KIND:
        return _PANDAS_NAME_KIND[text]
    if text.startswith("datetime64"):
        return "datetime" if "," in text or "UTC" in text else "date"
    if text.startswith("str") or text.startswith("<StringDtype"):
        return "str"
    msg = f"unsupported flat-file dtype {dtype!r}"
    raise ConfigurationError(msg, parameter="dtypes", value=dtype,
                             allowed="str, int, float, bool, date, datetime or the pandas equivalents")


def _open_stream(source: Source, compression: str | None) -> pa.NativeFile:
    """A pyarrow input stream over ``source``; gzip is decompressed by pyarrow, in C."""
    if _is_path(source):
        path = os.fspath(source)
        if compression is None and path.endswith((".gz", ".gzip")):
            compression = "gzip"
        return pa.input_stream(path, compression=compression)
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw: pa.NativeFile = pa.BufferReader(pa.py_buffer(source))
        if compression is None and bytes(source[:2]) == b"\x1f\x8b":
            compression = "gzip"
    elif hasattr(source, "read"):
        raw = pa.PythonFile(source, mode="r")
    else:
        msg = f"source must be bytes, a path or a binary file-like object, got {type(source).__name__}"
        raise ConfigurationError(msg, parameter="source", value=type(source).__name__,
                                 allowed="bytes, str/PathLike path, binary file-like")
    if compression:
        return pa.CompressedInputStream(raw, compression)
    return raw


def _rewind(source: Source) -> None:
    if hasattr(source, "seek") and not _is_path(source):
        try:
            source.seek(0)
        except (OSError, ValueError) as exc:  # pragma: no cover - unseekable streams
            msg = f"cannot re-read a non-seekable source to locate the error: {exc}"
            raise ParseError(msg) from None


def _normalise_encoding(encoding: str | None) -> str:
    if not encoding:
        return "utf8"
    # Amazon's "Shift_JIS" is Windows-31J (cp932: ～, ①, 髙...) and its "ISO-8859-1" is cp1252.
    encoding = _CHARSET_ALIASES.get(re.sub(r"[^a-z0-9]", "", encoding.lower()), encoding)
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        msg = f"unknown encoding {encoding!r}"
        raise ConfigurationError(msg, parameter="encoding", value=encoding,
                                 allowed="a Python codec name, e.g. utf-8, cp1252, cp932") from None
    return "utf8" if name in ("utf-8", "utf-8-sig") else name


def _localize_abbreviated(series: pd.Series) -> pd.Series:
    """``2019-06-14 07:51:44 PDT`` -> UTC; left as text when the format is not understood."""
    codes, uniques = pd.factorize(series)  # few distinct values: convert each once
    texts = []
    for value in uniques:
        head, _, zone = str(value).rpartition(" ")
        offset = _TZ_ABBREVIATIONS.get(zone.upper())
        texts.append(f"{head}{offset}" if head and offset else str(value))
    try:
        parsed = pd.to_datetime(pd.Index(texts, dtype=object), utc=True, format="ISO8601").as_unit("us")
    except (ValueError, TypeError):
        return series
    values = parsed.take(codes, allow_fill=True, fill_value=pd.NaT)
    return pd.Series(values, index=series.index, name=series.name)


def parse_flat_file(
    source: Source,
    *,
    quotechar: str | None = '"',
    encoding: str | None = "utf-8",
    dtypes: Mapping[str, Any] | None = None,
    compression: str | None = None,
    delimiter: str = "\t",
) -> pd.DataFrame:
    """Parse a tab-separated report document with pyarrow.

    Parameters
    ----------
    source : str or PathLike, bytes, or binary file-like
        The document. A path is the fast route: pyarrow reads, decompresses and
        transcodes it without any Python-level copy of the text.
    quotechar : str or None, default '"'
        Quote character. ``None`` (or ``"\\0"``) turns quoting off: every ``"`` is data.
        Use ``None`` for listings and orders, whose titles contain stray quotes; the
        ledger reports quote their fields.
    encoding : str, default "utf-8"
        Codec of the text (``cp1252``, ``cp932``/``shift_jis``...); pyarrow transcodes.
    dtypes : mapping, optional
        Column -> kind (``"str"``, ``"int"``, ``"float"``, ``"bool"``, ``"date"``,
        ``"datetime"`` for times with offsets, ``"datetime_local"`` for times with zone
        abbreviations) or the pandas spelling (``"Int64"``, ``"Float64"``, ``"string"``,
        ``"datetime64[us, UTC]"``). Columns not listed are typed by pyarrow; listed
        columns missing from the file are ignored. See
        :meth:`amzv_pandas.report_registry.ReportType.flat_file_dtypes`.
    compression : {"gzip", None}, default None
        Decompress with pyarrow. ``None`` still detects gzip for ``.gz`` paths and for
        bytes starting with the gzip magic number.
    delimiter : str, default "\\t"

    Returns
    -------
    DataFrame
        Amazon's header names unchanged. Empty cells are NA in every column (only empty
        cells: a product called "NA" stays text). Integers are Int64, decimals Float64,
        text ``str``, times datetime64 (UTC when the source has offsets).

    Raises
    ------
    ParseError
        A row has the wrong number of fields (the message names its line and, when
        quoting is on, suggests ``quotechar=None``), or the text is not in ``encoding``.

    Warns
    -----
    AmzvWarning
        When a column listed in ``dtypes`` does not convert (e.g. ``"12,99"`` as float);
        that column is kept as text.
    """
    quote: str | bool
    if quotechar is None or quotechar in ("", "\0"):
        quote = False
    elif isinstance(quotechar, str) and len(quotechar) == 1:
        quote = quotechar
    else:
        msg = f"quotechar must be a single character or None, got {quotechar!r}"
        raise ConfigurationError(msg, parameter="quotechar", value=quotechar, allowed='\'"\', None')
    codec = _normalise_encoding(encoding)
    kinds = {name: _kind_of(d) for name, d in (dtypes or {}).items()}
    column_types = {name: _KIND_ARROW[k] for name, k in kinds.items()}

    # newlines_in_values stays off (pyarrow's fast default): Amazon's flat files keep one record per line.
    parse_options = pacsv.ParseOptions(delimiter=delimiter, quote_char=quote, double_quote=bool(quote))
    demoted: list[str] = []
    reasons: list[str] = []
    for _attempt in range(len(column_types) + 1):
        convert_options = pacsv.ConvertOptions(
            column_types=column_types,
            null_values=[""],              # only empty cells are missing; "NA" may be a title
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            true_values=["true", "True", "TRUE", "Y", "Yes", "yes"],
            false_values=["false", "False", "FALSE", "N", "No", "no"],
        )
        stream = _open_stream(source, compression)
        try:
            table = pacsv.read_csv(stream, read_options=pacsv.ReadOptions(encoding=codec),
                                   parse_options=parse_options, convert_options=convert_options)
            break
        except pa.ArrowInvalid as exc:
            text = str(exc)
            if "invalid UTF8" in text:
                raise ParseError(_encoding_hint(codec, text)) from None
            conv = re.search(r"In CSV column #(\d+): CSV conversion error to (\S+): invalid value '(.*)'", text)
            if conv is None:
                _rewind(source)
                raise _flat_parse_error(source, compression, codec, parse_options, quotechar, text) from None
            _rewind(source)
            name = _header_name(source, compression, codec, parse_options, int(conv.group(1)))
            if name not in column_types or column_types[name] == pa.string():
                raise ParseError(f"could not convert the flat file: {text}") from None
            column_types[name] = pa.string()
            demoted.append(name)
            reasons.append(f"{name} (value {conv.group(3)!r} is not {conv.group(2)})")
            _rewind(source)
        except UnicodeDecodeError as exc:
            raise ParseError(_encoding_hint(codec, str(exc))) from None
        finally:
            stream.close()
    if demoted:
        warnings.warn("kept as text, the values do not convert: " + "; ".join(reasons), AmzvWarning, stacklevel=2)

    binary = [f.name for f in table.schema if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)]
    if binary:
        raise ParseError(_encoding_hint(codec, f"column(s) {', '.join(binary)}"))
    df = _to_pandas(table)
    for name, kind in kinds.items():
        if kind == "datetime_local" and name in df.columns and name not in demoted:
            df[name] = _localize_abbreviated(df[name])
    return df


def _encoding_hint(codec: str, detail: str) -> str:
    return (
        f"the document is not valid {'utf-8' if codec == 'utf8' else codec} ({detail}); pass the codec "
        "Amazon used (the download's Content-Type charset, see charset_from_content_type), e.g. "
        "encoding='cp1252' for US/EU flat files or encoding='cp932' for Japan"
    )


def _header_name(source: Source, compression: str | None, codec: str,
                 parse_options: pacsv.ParseOptions, index: int) -> str:
    """Name of column ``index`` (for conversion errors, which report only the index)."""
    stream = _open_stream(source, compression)
    try:
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(encoding=codec, block_size=1 << 16),
            parse_options=parse_options,
            convert_options=pacsv.ConvertOptions(column_types={}, strings_can_be_null=True),
        )
        names = reader.schema.names
    except pa.ArrowInvalid:
        names = []
    finally:
        stream.close()
    return names[index] if index < len(names) else f"#{index}"


def _flat_parse_error(source: Source, compression: str | None, codec: str,
                      parse_options: pacsv.ParseOptions, quotechar: str | None, text: str) -> ParseError:
    """Turn pyarrow's parse error into one that names the line and the fix."""
    rows: list[Any] = []

    def handler(row: Any) -> str:
        rows.append(row)
        return "error"

    # Re-read single-threaded: only then does pyarrow know each row's line number.
    located = pacsv.ParseOptions(delimiter=parse_options.delimiter, quote_char=parse_options.quote_char,
                                 double_quote=parse_options.double_quote,
                                 newlines_in_values=parse_options.newlines_in_values,
                                 invalid_row_handler=handler)
    stream = _open_stream(source, compression)
    try:
        pacsv.read_csv(stream, read_options=pacsv.ReadOptions(encoding=codec, use_threads=False),
                       parse_options=located,
                       convert_options=pacsv.ConvertOptions(column_types={}, strings_can_be_null=True))
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        text = str(exc) or text
    finally:
        stream.close()
    line = None
    if rows:
        line = rows[0].number
        expected, actual = rows[0].expected_columns, rows[0].actual_columns
        snippet = (rows[0].text or "").split("\n", 1)[0][:120]
        what = f"expected {expected} fields, got {actual}: {snippet!r}"
    else:
        found = re.search(r"Row #(\d+)", text)
        line = int(found.group(1)) if found else None
        what = text
    where = f"line {line}" if line is not None else "an unknown line"
    if quotechar is not None and quotechar not in ("", "\0"):
        hint = (f" A stray {quotechar} in a field probably merged rows; "
                "pass quotechar=None to read the file without quoting.")
    else:
        hint = " The document may be truncated or not tab-separated."
    return ParseError(f"could not parse the flat file at {where}: {what}.{hint}", line=line)


# ---------------------------------------------------------------------------------------------
# format, charset and FATAL documents


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


_CHARSET_ALIASES = {
    "cp1252": "cp1252", "windows1252": "cp1252", "xcp1252": "cp1252",
    "iso88591": "cp1252",  # Amazon says latin-1 but means cp1252 (jlevers #512): a superset for printable text
    "latin1": "cp1252",
    "shiftjis": "cp932", "sjis": "cp932", "xsjis": "cp932", "mskanji": "cp932", "windows31j": "cp932",
    "cp932": "cp932", "ms932": "cp932", "csshiftjis": "cp932",
    "eucjp": "euc_jp", "utf8": "utf-8", "utf16": "utf-16", "gbk": "gbk", "gb2312": "gbk", "gb18030": "gb18030",
}


def charset_from_content_type(header: str | None) -> str | None:
    """The Python codec named by a Content-Type header's charset, or ``None``.

    Amazon's own spellings are mapped to the codecs that decode them correctly:
    ``Cp1252``/``windows-1252``/``ISO-8859-1`` -> ``cp1252`` (Amazon's "latin-1" is cp1252 in
    practice) and ``Shift_JIS``/``x-sjis``/``Windows-31J`` -> ``cp932``.

    Examples
    --------
    >>> charset_from_content_type("text/plain;charset=Cp1252")
    'cp1252'
    >>> charset_from_content_type("text/tab-separated-values; charset=Shift_JIS")
    'cp932'
    """
    if not header:
        return None
    found = re.search(r"charset\s*=\s*\"?([^\";,\s]+)", header, flags=re.IGNORECASE)
    if not found:
        return None
    raw = found.group(1)
    key = re.sub(r"[^a-z0-9]", "", raw.lower())
    if key in _CHARSET_ALIASES:
        return _CHARSET_ALIASES[key]
    try:
        return codecs.lookup(raw).name
    except LookupError:
        return None


def error_details(document_bytes: bytes | str | None) -> str | None:
    """The explanation inside a FATAL report's error document.

    Reads ``{"errorDetails": "..."}`` (also ``errors[].message`` / ``details``); a plain
    text document is returned stripped. ``None`` for an empty document.
    """
    if document_bytes is None:
        return None
    if isinstance(document_bytes, (bytes, bytearray, memoryview)):
        raw = bytes(document_bytes)
        if raw[:2] == b"\x1f\x8b":
            import gzip

            raw = gzip.decompress(raw)  # small error documents only
        text = raw.decode("utf-8", "replace")
    else:
        text = str(document_bytes)
    text = text.strip().lstrip("\ufeff")
    if not text:
        return None
    if text[:1] in "{[":
        try:
            doc = json.loads(text)
        except ValueError:
            return text
        found = _find_details(doc)
        if found:
            return found
    return text


def _find_details(doc: Any) -> str | None:
    if isinstance(doc, Mapping):
        for key in ("errorDetails", "errorDetail", "details", "message"):
            value = doc.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        for key in ("errors", "error"):
            value = doc.get(key)
            items = value if isinstance(value, list) else [value]
            texts = [t for t in (_find_details(v) for v in items) if t]
            if texts:
                return "; ".join(texts)
    if isinstance(doc, list):
        texts = [t for t in (_find_details(v) for v in doc) if t]
        return "; ".join(texts) or None
    return None


# (category, patterns, fix) checked in order: the first matching category wins.
_FATAL_RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("options", (
        r"requires? the .*report ?options?", r"report ?options? .*(to be specified|missing|required|invalid|not valid)",
        r"invalid (value|report ?option)", r"(reportPeriod|distributorView|sellingProgram)",
        r"must correspond to the (first|last) day", r"must be a (sunday|saturday)",
    ), "Pass every required reportOption with an allowed value (amzv fills the defaults: reportPeriod=DAY, "
       "distributorView=MANUFACTURING, sellingProgram=RETAIL) and align WEEK/MONTH/QUARTER/YEAR ranges to whole "
       "periods (weeks run Sunday-Saturday)."),
    ("not_available", (
        r"not (yet )?available", r"unavailable", r"no data", r"has not been (generated|published)",
        r"in the future", r"later than", r"too (far|old)", r"before the earliest", r"outside .*(range|window)",
        r"exceeds? the maximum", r"date range",
    ), "End the range earlier: vendor data is published about 72 hours after a period closes (net pure product "
       "margin: 168 hours); also keep the start within the report's lookback and each request within its "
       "maximum span."),
    ("permission", (
        r"permission", r"not authori[sz]ed", r"unauthori[sz]ed", r"access (is )?denied", r"does not have access",
        r"brand analytics", r"brand registry", r"\brole", r"not eligible", r"not enrolled",
    ), "The account lacks the role this report needs: grant the application the matching role (e.g. Brand "
       "Analytics for vendor retail analytics) in Vendor/Seller Central and authorize it again."),
    ("marketplace", (
        r"marketplace",
    ), "Request the vendor account's own single marketplace (amzv.marketplaces() lists the ids)."),
)


def classify_fatal(details: str | None) -> tuple[str, str]:
    """Sort a FATAL report's explanation into a category with a suggested fix.

    Parameters
    ----------
    details : str or None
        Text from :func:`error_details`.

    Returns
    -------
    (category, fix) : tuple of str
        ``category`` is ``"options"`` (missing or invalid reportOptions, misaligned
        periods), ``"not_available"`` (data not yet published or out of range),
        ``"permission"`` (role, Brand Analytics, no access), ``"marketplace"`` (invalid
        marketplace) or ``"unknown"``.

    Examples
    --------
    >>> classify_fatal("This report type requires the reportPeriod, distributorView, "
    ...                "sellingProgram reportOption to be specified.")[0]
    'options'
    """
    if not details:
        return "unknown", ("Amazon gave no reason; retry later, and check the options, the date range and the "
                           "account's roles.")
    text = details.lower()
    for category, patterns, fix in _FATAL_RULES:
        if any(re.search(p.lower(), text) for p in patterns):
            if category == "options":
                named = [n for n in ("reportPeriod", "distributorView", "sellingProgram") if n.lower() in text]
                if named:
                    fix = f"Specify {', '.join(named)}. " + fix
            return category, fix
    return "unknown", ("Amazon's reason did not match a known cause; check the options, the date range and the "
                       "account's roles, then retry.")
