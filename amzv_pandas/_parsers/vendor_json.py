"""Vendor JSON report documents -> DataFrames (behind :func:`amzv_pandas._parsers.api.parse_vendor_json`).

A document is a ``reportSpecification`` plus one or more row arrays ("sections"). Single-level
sections of registered types go through pyarrow's C++ JSON reader
(:func:`amzv_pandas._parsers.vendor_arrow.read_json_arrow`);
nested sections, unregistered types and documents pyarrow refuses fall back to ``json.loads``
with the cyclic GC paused. The Arrow helpers it shares with the flat-file parser are in
:mod:`amzv_pandas._parsers.arrow`.
"""

from __future__ import annotations

import gc
import json
import re
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, Iterator, Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from amzv_pandas.exceptions import ConfigurationError, ParseError
from amzv_pandas._parsers.arrow import NAIVE_TS, UTC_TS, Source, is_path, to_pandas  # noqa: F401  (Source: the accepted inputs)
from amzv_pandas._parsers.vendor_arrow import columns_from_arrow, read_json_arrow
from amzv_pandas._specs.registry import Field, Level, ReportType, Section, get_report_type

# ---------------------------------------------------------------------------------------------
# reading sources


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source) if not isinstance(source, bytes) else source
    if is_path(source):
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
    except RecursionError:
        msg = "the document is nested too deeply to be a report document (thousands of levels of [ or {)"
        raise ParseError(msg) from None
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
            return pc.cast(pa.array(values, pa.string()), NAIVE_TS)
        if kind in ("datetime", "datetime_local"):
            return pc.cast(pa.array(values, pa.string()), UTC_TS)
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
    key = section.levels[0].key
    top = _array_of_objects(doc, key, key)
    if len(section.levels) == 1:
        return [top], False
    tuples: list[tuple] = [(o,) for o in top]
    sparse = False
    for level in section.levels[1:]:
        grown: list[tuple] = []
        for t in tuples:
            parent = t[-1]
            children = _array_of_objects(parent, level.key, level.key) if parent is not None else None
            if children:
                grown.extend(t + (child,) for child in children)
            else:
                grown.append(t + (None,))
                sparse = True
        tuples = grown
    return [list(col) for col in zip(*tuples)] if tuples else [[] for _ in section.levels], sparse


def _describe(value: Any) -> str:
    """What a JSON value is, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the JSON literal {json.dumps(value)}"
    if isinstance(value, (int, float)):
        return f"a JSON number ({value!r:.40})"
    if isinstance(value, str):
        return f"a JSON string ({value!r:.40})"
    if isinstance(value, list):
        return f"a JSON array of {len(value)} item(s)"
    if isinstance(value, Mapping):
        return "a JSON object"
    return type(value).__name__


def _array_of_objects(container: Mapping[str, Any], key: str, where: str) -> list:
    """``container[key]`` checked to be an array of objects (absent: empty)."""
    if key not in container:
        return []
    rows = container[key]
    if not isinstance(rows, list):
        raise ParseError(f"section {where!r} is {_describe(rows)}, expected an array of objects")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ParseError(f"section {where!r} entry {i} is {_describe(row)}, expected an object")
    return rows


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


#: Raw errors odd documents can provoke inside a parser (and pyarrow); reported as ParseError
#: naming the report type (ParseError itself is a ValueError: it is named too).
RAW_PARSE_ERRORS = (pa.ArrowException, ValueError, KeyError, TypeError, IndexError, AttributeError,
                    UnicodeError, RecursionError)


def as_parse_error(exc: BaseException, rt_name: str) -> ParseError:
    """``exc`` as a ParseError whose message names the report type (``exc`` itself when it already does)."""
    if isinstance(exc, ParseError):
        if rt_name in str(exc):
            return exc
        return type(exc)(f"{rt_name} document: {exc}", line=exc.line)
    if isinstance(exc, RecursionError):
        return ParseError(f"{rt_name} document is nested too deeply to parse")
    detail = (str(exc).splitlines() or [""])[0][:300]
    return ParseError(f"{rt_name} document could not be parsed ({type(exc).__name__}: {detail})")


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
        The document is not JSON, is not a JSON object, holds none of the type's sections,
        or a section is not an array of objects (the message names the report type).
    """
    rt = get_report_type(report_type)
    try:
        return _parse_vendor_json(source, rt, section)
    except ConfigurationError:
        raise
    except RAW_PARSE_ERRORS as exc:
        error = as_parse_error(exc, rt.name)
        if error is exc:
            raise
        raise error from None


def _parse_vendor_json(source: Source | Mapping[str, Any], rt: ReportType, section: str | None) -> pd.DataFrame:
    if rt.sections and not isinstance(source, Mapping):
        sec = rt.section(section)
        if not is_path(source):
            source = _read_bytes(source)
        if len(sec.levels) == 1:
            table = read_json_arrow(source, rt, sec)
            if table is not None:
                names, arrays, spec, n = columns_from_arrow(table, sec)
                del table
                return _finish(names, arrays, _spec_values(rt, spec), n)
    doc = _load_json(source)
    if not isinstance(doc, Mapping):
        wanted = rt.section(section).levels[0].key if rt.sections else "row arrays"
        msg = f"{rt.name} document is {_describe(doc)}, expected a JSON object with reportSpecification and {wanted}"
        raise ParseError(msg)
    if "reportSpecification" in doc and not isinstance(doc["reportSpecification"], Mapping):
        msg = (f"{rt.name} document's reportSpecification is {_describe(doc['reportSpecification'])}, "
               "expected a JSON object")
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
            scalar = pc.cast(pa.array([value], pa.string()), NAIVE_TS)[0]
        else:
            scalar = pa.scalar(value, pa.string())
        names.append(name)
        arrays.append(pa.repeat(scalar, n))
    table = pa.Table.from_arrays(arrays, names=names)
    del arrays
    return to_pandas(table)
