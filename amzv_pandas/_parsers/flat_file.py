"""Flat (tab-separated) report documents -> DataFrames (behind :func:`amzv_pandas._parsers.api.parse_flat_file`).

Read by ``pyarrow.csv`` (never by hand): decompression, parsing and type conversion happen in C;
text in a single-byte codec (cp1252, Amazon's US/EU flat files) is read as it is and converted to
UTF-8 after the parse, batch by batch (:mod:`amzv_pandas._parsers.transcode`), while pyarrow's own
transcoding is kept for the rest (cp932...). Here too: the dtype kinds, the charset/codec mapping
(:func:`charset_from_content_type`) and the re-read that turns pyarrow's quote errors into a
message naming the line and the fix.
"""

from __future__ import annotations

import codecs
import os
import re
import warnings
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from amzv_pandas._parsers.arrow import NAIVE_TS, UTC_TS, Source, is_path, to_pandas
from amzv_pandas._parsers.transcode import (ByteTable, TranscodeError, single_byte_table, transcode_array,
                                            transcode_columns)
from amzv_pandas.exceptions import AmzvWarning, ConfigurationError, ParseError


# ---------------------------------------------------------------------------------------------
# charset


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



# ---------------------------------------------------------------------------------------------
# flat files


_KIND_ARROW: Mapping[str, pa.DataType] = {
    # large_string is what pandas' pyarrow-backed str dtype holds: to_pandas() then
    # shares the buffers instead of copying every text column.
    "str": pa.large_string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": NAIVE_TS,
    "datetime": UTC_TS,
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


class _Borrowed:
    """A caller's file object, read but left open (``pyarrow.PythonFile.close`` closes what it wraps)."""

    def __init__(self, file: Any) -> None:
        self._file = file

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    @property
    def closed(self) -> bool:
        return bool(getattr(self._file, "closed", False))

    def close(self) -> None:
        pass


def _open_stream(source: Source, compression: str | None) -> pa.NativeFile:
    """A pyarrow input stream over ``source``; gzip is decompressed by pyarrow, in C."""
    if is_path(source):
        path = os.fspath(source)
        if compression is None and path.endswith((".gz", ".gzip")):
            compression = "gzip"
        return pa.input_stream(path, compression=compression)
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw: pa.NativeFile = pa.BufferReader(pa.py_buffer(source))
        if compression is None and bytes(source[:2]) == b"\x1f\x8b":
            compression = "gzip"
    elif hasattr(source, "read"):
        raw = pa.PythonFile(_Borrowed(source), mode="r")
    else:
        msg = f"source must be bytes, a path or a binary file-like object, got {type(source).__name__}"
        raise ConfigurationError(msg, parameter="source", value=type(source).__name__,
                                 allowed="bytes, str/PathLike path, binary file-like")
    if compression:
        return pa.CompressedInputStream(raw, compression)
    return raw


def _rewind(source: Source) -> None:
    if hasattr(source, "seek") and not is_path(source):
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


def converts_after_parse(encoding: str | None) -> bool:
    """Whether :func:`parse_flat_file` reads text in ``encoding`` raw and converts it after the parse.

    True for single-byte codecs (cp1252, latin-1...): the streaming reader then already runs in
    a thread of its own, beside the conversion in the caller's, so a stream needs no read-ahead
    thread (a third thread only adds contention for the two cores and fresh memory).
    """
    try:
        codec = _normalise_encoding(encoding)
    except ConfigurationError:
        return False
    return single_byte_table(codec) is not None


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
        Codec of the text (``cp1252``, ``cp932``/``shift_jis``...). A single-byte codec
        (cp1252, latin-1...) is parsed as it is and its text converted to UTF-8 batch by
        batch (:mod:`amzv_pandas._parsers.transcode`); other codecs are transcoded by pyarrow.
    dtypes : mapping, optional
        Column -> kind (``"str"``, ``"int"``, ``"float"``, ``"bool"``, ``"date"``,
        ``"datetime"`` for times with offsets, ``"datetime_local"`` for times with zone
        abbreviations) or the pandas spelling (``"Int64"``, ``"Float64"``, ``"string"``,
        ``"datetime64[us, UTC]"``). Columns not listed are typed by pyarrow; listed
        columns missing from the file are ignored. See
        :meth:`amzv_pandas._specs.registry.ReportType.flat_file_dtypes`.
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
    # A single-byte codec (cp1252...) is parsed as it is and its text converted afterwards, off the GIL
    # (see _parsers.transcode); a header that is not plain ASCII takes pyarrow's transcoding instead.
    byte_table = single_byte_table(codec)
    if byte_table is not None and all(name.isascii() for name in column_types):
        table, demoted, reasons = _read_single_byte(source, compression, byte_table, parse_options, column_types)
    else:
        table, demoted, reasons = _read_table(source, compression, codec, None, parse_options, column_types)
    if demoted:
        warnings.warn("kept as text, the values do not convert: " + "; ".join(reasons), AmzvWarning, stacklevel=2)

    try:
        # With utf-8 pyarrow does not check the header: a name in another codec fails only here.
        table.schema.names
    except UnicodeDecodeError as exc:
        raise ParseError(_encoding_hint(codec, f"the header row: {exc}")) from None
    binary = [f.name for f in table.schema if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)]
    if binary:
        raise ParseError(_encoding_hint(codec, f"column(s) {', '.join(binary)}"))
    schema, columns = table.schema, table.columns
    del table
    _Nulls().share(columns)
    df = to_pandas(pa.Table.from_arrays(columns, names=schema.names, metadata=schema.metadata))
    del columns
    for name, kind in kinds.items():
        if kind == "datetime_local" and name in df.columns and name not in demoted:
            df[name] = _localize_abbreviated(df[name])
    return df


class _Nulls:
    """All-null arrays that share one zeroed buffer (offsets, validity and values all 0).

    Listings leave a third of their columns empty; each empty chunk would still cost 4-8 bytes
    a row of offsets (or values) until it is freed.
    """

    def __init__(self) -> None:
        self._zeros = pa.py_buffer(b"")

    def supports(self, t: pa.DataType) -> bool:
        return (pa.types.is_string(t) or pa.types.is_large_string(t)
                or (pa.types.is_primitive(t) and not pa.types.is_boolean(t) and t.bit_width % 8 == 0))

    def array(self, t: pa.DataType, length: int) -> pa.Array:
        """An all-null ``t`` array of ``length`` on the shared buffer (``supports(t)`` must hold)."""
        text = pa.types.is_string(t) or pa.types.is_large_string(t)
        width = (8 if pa.types.is_large_string(t) else 4) if text else t.bit_width // 8
        need = (length + 1) * width
        if self._zeros.size < need:
            self._zeros = pa.py_buffer(bytes(max(need, 2 * self._zeros.size)))
        zeros = self._zeros
        buffers = [zeros, zeros, pa.py_buffer(b"")] if text else [zeros, zeros]
        return pa.Array.from_buffers(t, length, buffers, null_count=length)

    def share(self, columns: list[pa.ChunkedArray]) -> None:
        """Replace, in place, every column that holds no value by an array on the shared buffer."""
        for i, col in enumerate(columns):
            if len(col) and col.null_count == len(col) and self.supports(col.type):
                columns[i] = pa.chunked_array([self.array(col.type, len(col))], col.type)


class _ReadTranscoded(Exception):
    """Read the document again with pyarrow's transcoding (see :func:`_read_single_byte`)."""


def _read_table(source: Source, compression: str | None, codec: str, byte_table: ByteTable | None,
                parse_options: pacsv.ParseOptions, column_types: Mapping[str, pa.DataType],
                ) -> tuple[pa.Table, list[str], list[str]]:
    """Read with pyarrow, demoting to text each listed column whose values do not convert.

    With ``byte_table`` the bytes are read as they are (no transcoding, no UTF-8 check): the
    caller converts the text columns.
    """
    column_types = dict(column_types)
    read_codec = "utf8" if byte_table is not None else codec
    demoted: list[str] = []
    reasons: list[str] = []
    for _attempt in range(len(column_types) + 1):
        convert_options = _convert_options(column_types, check_utf8=byte_table is None)
        stream = _open_stream(source, compression)
        try:
            table = pacsv.read_csv(stream, read_options=pacsv.ReadOptions(encoding=read_codec),
                                   parse_options=parse_options, convert_options=convert_options)
            return table, demoted, reasons
        except pa.ArrowInvalid as exc:
            text = str(exc)
            if byte_table is not None and "CSV conversion error" in text:
                raise _ReadTranscoded from None  # pyarrow quoted the raw value; the transcoded read names it
            if "invalid UTF8" in text:
                raise ParseError(_encoding_hint(codec, text)) from None
            conv = re.search(r"In CSV column #(\d+): CSV conversion error to (\S+): invalid value '(.*)'", text)
            if conv is None:
                _rewind(source)
                quotechar = parse_options.quote_char or None
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
    raise ParseError("could not convert the flat file")  # pragma: no cover - every listed column was demoted


def _read_single_byte(source: Source, compression: str | None, byte_table: ByteTable,
                      parse_options: pacsv.ParseOptions, column_types: Mapping[str, pa.DataType],
                      ) -> tuple[pa.Table, list[str], list[str]]:
    """Read a single-byte-codec document as it is and convert its text columns from ``codec``.

    When the report type types every column, :func:`_stream_single_byte` parses it batch by
    batch and converts each batch while the next is parsed; otherwise pyarrow reads it whole
    (inferring the untyped columns from all their values) and the columns are converted after.
    A header that is not plain ASCII (pyarrow reads names as UTF-8), or a listed column whose
    values do not convert (pyarrow's message would quote the raw bytes), is read again with
    pyarrow's own transcoding.
    """
    codec = byte_table.codec
    try:
        try:
            return _stream_single_byte(source, compression, byte_table, parse_options, column_types), [], []
        except _ReadWhole:
            _rewind(source)
        table, demoted, reasons = _read_table(source, compression, codec, byte_table, parse_options, column_types)
        if not _plain_header(table.schema):
            del table
            raise _ReadTranscoded
    except _ReadTranscoded:
        _rewind(source)
        return _read_table(source, compression, codec, None, parse_options, column_types)
    schema, columns = table.schema, table.columns
    del table  # the column list holds the only references: each chunk is freed once converted
    try:
        transcode_columns(columns, schema.names, byte_table)
    except TranscodeError as exc:
        raise ParseError(_encoding_hint(codec, str(exc))) from None
    return pa.Table.from_arrays(columns, names=schema.names, metadata=schema.metadata), demoted, reasons


def _plain_header(schema: pa.Schema) -> bool:
    try:
        return all(name.isascii() for name in schema.names)
    except UnicodeDecodeError:
        return False


class _ReadWhole(Exception):
    """Read the document whole instead of streaming it (see :func:`_read_single_byte`)."""


#: Batches parsed ahead of the one being converted.
STREAM_AHEAD = 2
#: Bytes per streamed batch: fewer, larger batches spend less time per call converting them.
STREAM_BLOCK = 2 << 20


def _stream_single_byte(source: Source, compression: str | None, byte_table: ByteTable,
                        parse_options: pacsv.ParseOptions, column_types: Mapping[str, pa.DataType]) -> pa.Table:
    """Parse batch by batch in a worker thread, converting each batch's text on this one.

    pyarrow's streaming reader parses on one core and this thread converts on the other (numpy
    releases the GIL), and each parsed batch is freed as soon as it is converted, so the parser
    reuses that memory for the next ones. Text columns are parsed as ``large_string`` (pandas'
    ``str``: no copy in ``to_pandas``).

    Raises
    ------
    _ReadWhole
        A column is not typed by the report type (the streaming reader would infer it from the
        first block only) or the reader cannot start.
    _ReadTranscoded
        A header name is not plain ASCII, or a typed column's values do not convert.
    """
    stream = _open_stream(source, compression)
    try:
        try:
            reader = pacsv.open_csv(stream, read_options=pacsv.ReadOptions(encoding="utf8", block_size=STREAM_BLOCK),
                                    parse_options=parse_options,
                                    convert_options=_convert_options(column_types, check_utf8=False))
        except (pa.ArrowInvalid, UnicodeDecodeError):
            raise _ReadWhole from None
        schema = reader.schema
        if not _plain_header(schema):
            raise _ReadTranscoded
        names = schema.names
        if any(name not in column_types for name in names):
            raise _ReadWhole
        text = [pa.types.is_string(f.type) or pa.types.is_large_string(f.type) for f in schema]
        types = [f.type for f in schema]
        nulls = _Nulls()
        chunks: list[list[pa.Array]] = [[] for _ in names]
        rows = 0

        def next_batch() -> pa.RecordBatch | None:
            try:
                return reader.read_next_batch()
            except StopIteration:
                return None

        with ThreadPoolExecutor(1, thread_name_prefix="amzv-csv") as pool:
            ahead = deque(pool.submit(next_batch) for _ in range(STREAM_AHEAD))
            try:
                while True:
                    try:
                        batch = ahead.popleft().result()
                    except pa.ArrowInvalid as exc:
                        if "CSV conversion error" in str(exc):
                            raise _ReadTranscoded from None
                        raise _ReadWhole from None  # the whole read reports it, with its line
                    if batch is None:
                        break
                    ahead.append(pool.submit(next_batch))
                    arrays, length = batch.columns, batch.num_rows
                    del batch
                    for i in range(len(arrays)):
                        arr, arrays[i] = arrays[i], None
                        if arr.null_count == length and nulls.supports(types[i]):
                            arr = nulls.array(types[i], length)  # the parsed chunk is freed now, not at the end
                        elif text[i]:
                            arr = transcode_array(arr, byte_table, names[i], rows)
                        chunks[i].append(arr)
                    rows += length
            finally:
                for fut in ahead:
                    fut.cancel()
    except TranscodeError as exc:
        raise ParseError(_encoding_hint(byte_table.codec, str(exc))) from None
    finally:
        stream.close()
    columns = [pa.chunked_array(c, t) for c, t in zip(chunks, types)]
    del chunks
    return pa.Table.from_arrays(columns, names=names, metadata=schema.metadata)


def _convert_options(column_types: Mapping[str, pa.DataType], *, check_utf8: bool) -> pacsv.ConvertOptions:
    return pacsv.ConvertOptions(
        column_types=column_types,
        null_values=[""],              # only empty cells are missing; "NA" may be a title
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        true_values=["true", "True", "TRUE", "Y", "Yes", "yes"],
        false_values=["false", "False", "FALSE", "N", "No", "no"],
        check_utf8=check_utf8,
    )


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
    except (pa.ArrowInvalid, UnicodeDecodeError):
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
