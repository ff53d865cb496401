"""Single-byte text -> UTF-8 after the parse: the same text Python's strict codec gives, or the same refusal."""

from __future__ import annotations

import gzip
import io
import warnings

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import amzv_pandas._parsers.flat_file as flat_file
from amzv_pandas._parsers.api import parse_flat_file
from amzv_pandas._parsers.transcode import TranscodeError, single_byte_table, transcode_array, transcode_columns
from amzv_pandas.exceptions import AmzvWarning, ParseError


@pytest.mark.parametrize("codec", ["cp1252", "latin-1", "cp1250", "iso8859-15", "koi8-r", "mac-roman", "ascii"])
def test_single_byte_codecs_qualify(codec):
    table = single_byte_table(codec)
    assert table is not None
    for b in range(256):
        if table.undefined[b]:
            with pytest.raises(UnicodeDecodeError):
                bytes([b]).decode(codec)
            continue
        utf8 = bytes([b]).decode(codec).encode()
        assert table.extra[b] == len(utf8) - 1 and table.lead[b] == utf8[0]


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "cp932", "shift_jis", "gbk", "euc_jp", "utf-16", "utf-7",
                                   "no-such-codec"])
def test_other_codecs_keep_pyarrows_transcoding(codec):
    assert single_byte_table(codec) is None


_CODECS = ["cp1252", "latin-1", "cp1250", "koi8-r"]
_text = st.one_of(st.none(), st.binary(max_size=40))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(_text, max_size=60), codec=st.sampled_from(_CODECS), large=st.booleans(),
       cut=st.integers(0, 5))
def test_same_text_as_pythons_codec(values, codec, large, cut):
    table = single_byte_table(codec)
    arr = pa.array(values, pa.large_binary() if large else pa.binary())[cut:]  # sliced: offset and validity shift
    try:
        expected = [None if v is None else v.decode(codec) for v in values[cut:]]
    except UnicodeDecodeError:
        with pytest.raises(TranscodeError) as err:
            transcode_array(arr, table, "item-name")
        first = next(i for i, v in enumerate(values[cut:]) if v is not None and _undecodable(v, codec))
        assert err.value.row == first and err.value.column == "item-name" and codec in str(err.value)
        return
    out = transcode_array(arr, table)
    out.validate(full=True)  # offsets, lengths and UTF-8 all consistent
    assert out.type == (pa.large_string() if large else pa.string())
    assert out.to_pylist() == expected


def _undecodable(value: bytes, codec: str) -> bool:
    try:
        value.decode(codec)
    except UnicodeDecodeError:
        return True
    return False


def test_ascii_chunks_are_kept_without_a_copy():
    arr = pa.array(["plain", None, "ascii only, long enough to scan by words"], pa.large_string())
    out = transcode_array(arr, single_byte_table("cp1252"))
    assert out.buffers()[2].address == arr.buffers()[2].address


def test_columns_of_every_chunk_are_converted_and_the_rest_untouched():
    chunks = [pa.array(["Caf\xe9".encode("cp1252"), b"x"], pa.binary()), pa.array([None, "\u20ac5".encode("cp1252")])]
    table = pa.table({"title": pa.chunked_array(chunks), "n": pa.array([1, 2, 3, 4])})
    columns = table.columns
    out = transcode_columns(columns, table.column_names, single_byte_table("cp1252"))
    assert out is columns  # in place: the caller's list, whose parsed chunks are released as they convert
    assert out[0].to_pylist() == ["Café", "x", None, "€5"] and out[0].type == pa.string()
    assert out[1].to_pylist() == [1, 2, 3, 4] and out[1].type == pa.int64()


def test_the_first_undefined_byte_is_named_by_column_and_row():
    table = pa.table({"a": pa.array([b"ok", b"ok"]), "b": pa.array([b"ok", b"\x81bad"])})
    with pytest.raises(TranscodeError) as err:
        transcode_columns(table.columns, table.column_names, single_byte_table("cp1252"))
    assert (err.value.column, err.value.row, err.value.byte) == ("b", 1, 0x81)
    assert "0x81 in column 'b' at row 2" in str(err.value)


# ---------------------------------------------------------------------------------------------
# through parse_flat_file: the fast route gives what pyarrow's own transcoding gives


_HEADER = "item-name\tseller-sku\tprice\tquantity\n"
_ROWS = ("Café „Déjà vu“ – €5 mug\tSKU-É\t12.5\t3\n"
        "Mug 12\" Tall ™\tSKU-2\t\t\n"
        "plain\tSKU-3\t1\t4\n")


def _slow(monkeypatch):
    monkeypatch.setattr(flat_file, "single_byte_table", lambda codec: None)


_ALL_TYPED = {"price": "float", "quantity": "int", "item-name": "str", "seller-sku": "str"}
_SOME_TYPED = {"price": "float", "quantity": "int", "item-name": "str"}  # seller-sku inferred: read whole


@pytest.mark.parametrize("dtypes", [_ALL_TYPED, _SOME_TYPED], ids=["streamed", "whole"])
@pytest.mark.parametrize("source", ["bytes", "gzip", "file"])
def test_flat_file_matches_pyarrows_transcoding(monkeypatch, source, dtypes):
    raw = (_HEADER + _ROWS * 20000).encode("cp1252")  # ~1.6 MB: several of pyarrow's blocks (batches)
    data = gzip.compress(raw) if source == "gzip" else raw
    make = {"bytes": lambda: data, "gzip": lambda: data, "file": lambda: io.BytesIO(data)}[source]
    fast = parse_flat_file(make(), quotechar=None, encoding="cp1252", dtypes=dtypes)
    _slow(monkeypatch)
    slow = parse_flat_file(make(), quotechar=None, encoding="cp1252", dtypes=dtypes)
    pd.testing.assert_frame_equal(fast, slow)
    assert len(fast) == 60000 and fast["item-name"].iloc[-3] == "Café „Déjà vu“ – €5 mug"
    assert fast["seller-sku"].iloc[0] == "SKU-É" and str(fast["quantity"].dtype) == "Int64"


def test_a_callers_file_is_read_but_left_open():
    raw = io.BytesIO((_HEADER + _ROWS).encode("cp1252"))
    parse_flat_file(raw, quotechar=None, encoding="cp1252", dtypes=_SOME_TYPED)  # read twice: streamed, then whole
    assert not raw.closed


def test_a_bad_value_after_the_first_batch_is_demoted_as_before(monkeypatch):
    raw = (_HEADER + _ROWS * 20000 + "late\tSKU-9\t1\tmany\n").encode("cp1252")
    with pytest.warns(AmzvWarning, match="quantity .value 'many' is not int64"):
        fast = parse_flat_file(raw, quotechar=None, encoding="cp1252", dtypes=_ALL_TYPED)
    _slow(monkeypatch)
    with pytest.warns(AmzvWarning):
        slow = parse_flat_file(raw, quotechar=None, encoding="cp1252", dtypes=_ALL_TYPED)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["quantity"].iloc[-1] == "many"


def test_an_undefined_byte_in_a_later_batch_is_named_by_its_row_in_the_document():
    raw = (_HEADER + _ROWS * 20000).encode("cp1252") + b"bad\x81\tSKU-9\t1\t2\n"
    with pytest.raises(ParseError, match=r"'item-name' at row 60,001"):
        parse_flat_file(raw, quotechar=None, encoding="cp1252", dtypes=_ALL_TYPED)


def test_a_header_beyond_ascii_takes_the_transcoding_route():
    raw = "Verkäufer\tMenge\nMüller\t2\n".encode("cp1252")
    df = parse_flat_file(raw, encoding="cp1252", dtypes={"Menge": "int"})
    assert list(df.columns) == ["Verkäufer", "Menge"] and df["Verkäufer"].iloc[0] == "Müller"
    assert str(df["Menge"].dtype) == "Int64"


def test_a_column_that_does_not_convert_is_demoted_and_named_in_its_codec():
    raw = "item-name\tquantity\nA\t1\nB\t3½\n".encode("cp1252")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = parse_flat_file(raw, encoding="cp1252", dtypes={"quantity": "int"})
    assert df["quantity"].tolist() == ["1", "3½"]
    (warning,) = [w for w in caught if issubclass(w.category, AmzvWarning)]
    assert "quantity" in str(warning.message) and "3½" in str(warning.message)


def test_a_byte_cp1252_lacks_is_a_parse_error_naming_the_codec_column_and_row():
    raw = b"item-name\tquantity\nA\t1\nB\x81\t2\n"
    with pytest.raises(ParseError) as err:
        parse_flat_file(raw, encoding="cp1252")
    assert "cp1252" in str(err.value) and "'item-name' at row 2" in str(err.value)


def test_empty_columns_share_one_zeroed_buffer_and_read_as_before(monkeypatch):
    header = "item-name\tzshop-category1\tasin2\tzshop-shipping-fee\tnote\n"
    rows = "Café\t\t\t\t\n" * 30000 + "Thé\t\t\t\tlate note\n"  # "note": empty for whole batches, not the column
    raw = (header + rows).encode("cp1252")
    dtypes = {"item-name": "str", "zshop-category1": "str", "asin2": "str", "zshop-shipping-fee": "float",
              "note": "str"}
    fast = parse_flat_file(raw, quotechar=None, encoding="cp1252", dtypes=dtypes)
    _slow(monkeypatch)
    slow = parse_flat_file(raw, quotechar=None, encoding="cp1252", dtypes=dtypes)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["asin2"].isna().all() and fast["note"].iloc[-1] == "late note" and fast["note"].iloc[:-1].isna().all()
    a = fast["zshop-category1"].array._pa_array.chunks[0].buffers()[1]
    b = fast["asin2"].array._pa_array.chunks[0].buffers()[1]
    assert a.address == b.address  # one buffer for every empty text column


@pytest.mark.parametrize(("encoding", "expected"), [("cp1252", True), ("ISO-8859-1", True), ("latin-1", True),
                                                    ("utf-8", False), (None, False), ("Shift_JIS", False),
                                                    ("no-such-codec", False)])
def test_which_documents_are_converted_after_the_parse(encoding, expected):
    assert flat_file.converts_after_parse(encoding) is expected


def test_a_cut_cp1252_document_is_truncated_not_a_short_frame(tmp_path):
    from amzv_pandas._parsers.document import TruncatedDocument, parse_document
    from amzv_pandas._specs.registry import get_report_type

    body = gzip.compress((_HEADER + _ROWS * 20000).encode("cp1252"))
    path = tmp_path / "doc.gz"
    path.write_bytes(body[: len(body) // 2])
    with pytest.raises(TruncatedDocument):
        parse_document(path, {"compression": "gzip", "content_type": "text/plain;charset=Cp1252"},
                       get_report_type("GET_MERCHANT_LISTINGS_ALL_DATA"), section=None, quotechar=None,
                       default_encoding="cp1252")


_CP1252_TEXT = st.text(alphabet=st.characters(codec="cp1252", exclude_characters="\t\n\r"), max_size=12)
_ROW = st.tuples(_CP1252_TEXT, st.one_of(st.just(""), st.integers(-10**6, 10**6).map(str)),
                 st.one_of(st.just(""), st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: f"{f:.2f}")),
                 _CP1252_TEXT)


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(_ROW, min_size=1, max_size=40), typed=st.booleans(), repeat=st.sampled_from([1, 3000]),
       quotechar=st.sampled_from([None, '"']))
def test_any_cp1252_document_reads_as_pyarrows_transcoding_does(rows, typed, repeat, quotechar):
    text = "title\tquantity\tprice\tnote\n" + "".join("\t".join(r) + "\n" for r in rows) * repeat
    raw = text.encode("cp1252")
    dtypes = {"title": "str", "quantity": "int", "price": "float"} | ({"note": "str"} if typed else {})

    def parse() -> pd.DataFrame | str:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AmzvWarning)
                return parse_flat_file(raw, quotechar=quotechar, encoding="cp1252", dtypes=dtypes)
        except ParseError as exc:  # a stray quote with quoting on: the same refusal either way
            return f"ParseError: {exc}"

    fast = parse()
    real = flat_file.single_byte_table
    flat_file.single_byte_table = lambda codec: None
    try:
        slow = parse()
    finally:
        flat_file.single_byte_table = real
    if isinstance(slow, str):
        assert fast == slow
    else:
        pd.testing.assert_frame_equal(fast, slow)


def test_a_column_without_chunks_is_converted_to_an_empty_column():
    columns = [pa.chunked_array([], pa.binary()), pa.chunked_array([pa.array([b"x"])])]
    out = transcode_columns(columns, ["empty", "x"], single_byte_table("cp1252"))
    assert out[0].type == pa.string() and len(out[0]) == 0 and out[1].to_pylist() == ["x"]
