"""Hostile report documents (issue 10 points 3, 4, 6): odd shapes, deep nesting, wrong codecs, gzip bombs.

Anything that could crash the interpreter runs in a subprocess, so a segfault fails the test
instead of killing pytest.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pandas as pd
import pytest

from amzv_pandas._parsers.document import (
    DocumentLimits,
    TruncatedDocument,
    gunzip_bounded,
    parse_document,
    read_specification,
)
from amzv_pandas.exceptions import ConfigurationError, DocumentTooLargeError, ParseError
from amzv_pandas._parsers.api import parse_flat_file, parse_vendor_json
from amzv_pandas._specs.registry import get_report_type

DATA = Path(__file__).resolve().parents[2] / "data"  # tests/data
SALES = "GET_VENDOR_SALES_REPORT"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
GZ = {"compression": "gzip"}


def _run(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``script`` in a fresh interpreter (bounded); a crash shows as a negative return code."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONWARNINGS": "ignore"})


# --------------------------------------------------------------------------------------------
# point 3: documents that are not what the schema says (pyarrow crashed on a top-level null)

_SHAPES = ["null", " null ", "[]", "42", '"x"', "true", "{}", '{"salesByAsin": null}', '{"salesByAsin": [1,2]}',
           '{"salesByAsin": [null]}', '{"salesByAsin": {}}', '{"salesByAsin": "rows"}',
           '{"reportSpecification": null, "salesByAsin": []}', '{"reportSpecification": [1], "salesByAsin": []}']

_SHAPE_SCRIPT = """
    import gzip, json, pathlib, sys, tempfile
    from amzv_pandas._parsers.api import parse_vendor_json
    from amzv_pandas._parsers.document import parse_document
    from amzv_pandas._specs.registry import get_report_type
    rt = get_report_type("GET_VENDOR_SALES_REPORT")
    folder = pathlib.Path(tempfile.mkdtemp())
    for i, doc in enumerate(json.loads(sys.argv[1])):
        raw = doc.encode()
        (folder / f"{i}.gz").write_bytes(gzip.compress(raw))
        (folder / f"{i}.json").write_bytes(raw)
        for how, call in (("bytes", lambda: parse_vendor_json(raw, report_type=rt)),
                          ("path", lambda: parse_vendor_json(folder / f"{i}.json", report_type=rt)),
                          ("document", lambda: parse_document(folder / f"{i}.gz", {"compression": "gzip"}, rt,
                                                              section=None, quotechar=None,
                                                              default_encoding="utf-8"))):
            try:
                call()
                out = {"doc": doc, "how": how, "error": None}
            except Exception as exc:
                out = {"doc": doc, "how": how, "error": type(exc).__name__, "message": str(exc)}
            print(json.dumps(out), flush=True)
"""


def test_documents_of_the_wrong_shape_are_parse_errors_not_crashes():
    proc = _run(_SHAPE_SCRIPT, json.dumps(_SHAPES))
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0, f"the interpreter died ({proc.returncode}) after {lines[-1:]}: {proc.stderr[-500:]}"
    assert len(lines) == 3 * len(_SHAPES)
    for out in lines:
        assert out["error"] == "ParseError", out
        assert SALES in out["message"], out
    by_doc = {(o["doc"], o["how"]): o["message"] for o in lines}
    assert by_doc[("null", "bytes")] == (f"{SALES} document is null, expected a JSON object with "
                                         "reportSpecification and salesByAsin")
    assert "JSON array" in by_doc[("[]", "path")]
    assert "section 'salesByAsin' is null" in by_doc[('{"salesByAsin": null}', "document")]
    assert "entry 0 is a JSON number (1)" in by_doc[('{"salesByAsin": [1,2]}', "bytes")]
    assert "reportSpecification is null" in by_doc[('{"reportSpecification": null, "salesByAsin": []}', "bytes")]


def test_well_formed_documents_still_parse_on_both_paths():
    # The shape checks must not reject what the schema allows: an absent section is empty.
    rt = get_report_type(SALES)
    for path in sorted(DATA.glob("vendorSalesReport.example*.json")):
        raw = path.read_bytes()
        fast = parse_vendor_json(raw, report_type=rt)
        slow = parse_vendor_json(json.loads(raw), report_type=rt)
        pd.testing.assert_frame_equal(fast, slow)
    only_agg = parse_vendor_json(b'{"reportSpecification": {}, "salesAggregate": []}', report_type=rt)
    assert len(only_agg) == 0


# --------------------------------------------------------------------------------------------
# point 4: deep nesting and codecs

_DEEP_SCRIPT = """
    import json, sys
    from amzv_pandas._parsers.api import parse_vendor_json, list_sections
    n = 100_000
    deep_list, deep_obj = "[" * n + "]" * n, '{"a":' * n + "1" + "}" * n
    docs = {
        "top": deep_list,
        "row": '{"salesByAsin": [' + deep_list + ']}',
        "field": '{"salesByAsin": [{"asin": ' + deep_obj + '}]}',
        "unknown_field": '{"salesByAsin": [], "x": ' + deep_obj + '}',  # pyarrow's inference overflowed here
        "unknown_list": '{"salesByAsin": [], "x": ' + deep_list + '}',
    }
    for name, doc in docs.items():
        for rtn in ("GET_VENDOR_SALES_REPORT", "GET_SOME_NEW_REPORT"):
            try:
                df = parse_vendor_json(doc.encode(), report_type=rtn)
                out = {"name": name, "rt": rtn, "error": None, "rows": len(df)}
            except Exception as exc:
                out = {"name": name, "rt": rtn, "error": type(exc).__name__, "message": str(exc)[:300]}
            print(json.dumps(out), flush=True)
    try:
        list_sections(deep_list.encode())
        print(json.dumps({"name": "list_sections", "error": None}))
    except Exception as exc:
        print(json.dumps({"name": "list_sections", "error": type(exc).__name__, "message": str(exc)}))
"""


def test_deeply_nested_json_is_a_parse_error_naming_the_report():
    proc = _run(_DEEP_SCRIPT)
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0, f"the interpreter died ({proc.returncode}) after {lines[-1:]}: {proc.stderr[-500:]}"
    assert len(lines) == 11
    for out in lines:
        if out["name"].startswith("unknown_") and out["error"] is None:
            # Valid JSON whose deep part is a field the report does not have: read without it.
            assert out["rt"] == SALES and out["rows"] == 0, out
            continue
        assert out["error"] == "ParseError", out
        if out["name"] != "list_sections":
            assert out["rt"] in out["message"], out
        assert "nested too deeply" in out["message"] or "expected" in out["message"], out


_CODEC_SCRIPT = """
    import gzip, json, pathlib, tempfile
    from amzv_pandas._parsers.document import parse_document
    from amzv_pandas._parsers.api import parse_flat_file
    from amzv_pandas._specs.registry import get_report_type
    rt = get_report_type("GET_MERCHANT_LISTINGS_ALL_DATA")
    raw = "item-name\\tVerk\\u00e4ufer\\n1\\t2\\n".encode("cp1252")  # header not UTF-8
    folder = pathlib.Path(tempfile.mkdtemp())
    (folder / "d.gz").write_bytes(gzip.compress(raw))
    (folder / "d.tsv").write_bytes(raw)
    calls = {
        "bytes": lambda: parse_flat_file(raw, encoding="utf-8"),
        "gzip": lambda: parse_document(folder / "d.gz", {"compression": "gzip", "content_type": "text/plain"}, rt,
                                       section=None, quotechar=None, default_encoding="utf-8"),
        "plain": lambda: parse_document(folder / "d.tsv", {"content_type": "text/plain;charset=UTF-8"}, rt,
                                        section=None, quotechar=None, default_encoding="cp1252"),
    }
    for name, call in calls.items():
        try:
            call()
            print(json.dumps({"name": name, "error": None}), flush=True)
        except Exception as exc:
            print(json.dumps({"name": name, "error": type(exc).__name__, "message": str(exc)}), flush=True)
"""


def test_flat_header_in_another_codec_is_a_parse_error():
    proc = _run(_CODEC_SCRIPT)
    lines = {o["name"]: o for o in map(json.loads, proc.stdout.splitlines())}
    assert proc.returncode == 0, proc.stderr[-500:]
    assert set(lines) == {"bytes", "gzip", "plain"}
    for name, out in lines.items():
        assert out["error"] == "ParseError", out
        assert "not valid utf-8" in out["message"] and "encoding=" in out["message"], out
        if name != "bytes":
            assert LISTINGS in out["message"], out
    assert "terminate called" not in proc.stderr  # pyarrow's threads were not left aborting


def test_flat_parse_errors_from_documents_name_the_report(tmp_path):
    path = tmp_path / "d.gz"
    path.write_bytes(gzip.compress(b"a\tb\n1\t2\t3\n"))
    with pytest.raises(ParseError, match=f"^{LISTINGS} document: could not parse the flat file at line 2"):
        parse_document(path, GZ, get_report_type(LISTINGS), section=None, quotechar='"', default_encoding="utf-8")


# --------------------------------------------------------------------------------------------
# point 6: bounded decompression


def _write_gzip(path: Path, blocks, level: int = 6) -> int:
    """Stream-compress ``blocks`` into ``path``; returns the expanded size."""
    comp = zlib.compressobj(level, zlib.DEFLATED, 31)
    total = 0
    with open(path, "wb") as fh:
        for block in blocks:
            total += len(block)
            fh.write(comp.compress(block))
        fh.write(comp.flush())
    return total


_BOMB_SCRIPT = """
    import json, resource, sys
    from amzv_pandas._parsers.document import DocumentLimits, parse_document
    from amzv_pandas._specs.registry import get_report_type
    path, rtn, limit, ratio = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    rt = get_report_type(rtn)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        parse_document(path, {"compression": "gzip"}, rt, section=None, quotechar=None, default_encoding="utf-8",
                       limits=DocumentLimits(max_expanded_bytes=limit, max_ratio=ratio))
        out = {"error": None}
    except Exception as exc:
        out = {"error": type(exc).__name__, "message": str(exc)}
    out["grew_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps(out))
"""


def _bomb(script_args, tmp_path) -> dict:
    proc = _run(_BOMB_SCRIPT, *script_args, timeout=300)
    assert proc.returncode == 0, proc.stderr[-500:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_flat_gzip_bomb_stops_at_the_size_limit_with_bounded_memory(tmp_path):
    path = tmp_path / "bomb.gz"
    row = b"x" * 2000 + b"\t1\n"  # text rows: the parsed table is about as large as the text
    expanded = _write_gzip(path, [b"item-name\tquantity\n"] + [row * 500] * 200)  # ~200 MB
    assert expanded > 190_000_000 and path.stat().st_size < 2_000_000
    out = _bomb([str(path), LISTINGS, "50000000", "inf"], tmp_path)
    assert out["error"] == "DocumentTooLargeError", out
    assert LISTINGS in out["message"] and "50,000,000" in out["message"] and "max_expanded_bytes" in out["message"]
    assert out["grew_kib"] < 150_000, out  # the 200 MB never existed in memory


def test_json_gzip_bomb_stops_at_the_size_limit_with_bounded_memory(tmp_path):
    path = tmp_path / "bomb.gz"
    row = b'{"asin": "' + b"A" * 2000 + b'"},'
    expanded = _write_gzip(path, [b'{"reportSpecification": {}, "salesByAsin": ['] + [row * 500] * 200 + [b"{}]}"])
    assert expanded > 190_000_000
    out = _bomb([str(path), SALES, "50000000", "inf"], tmp_path)
    assert out["error"] == "DocumentTooLargeError", out
    assert SALES in out["message"] and "50,000,000" in out["message"]
    assert out["grew_kib"] < 100_000, out
    assert not list(tmp_path.glob(".expand-*"))  # the partial expansion was removed


def test_ratio_limit_catches_a_bomb_at_the_default_limits(tmp_path):
    # Zeros compress ~1030:1, like the 4 MB gzip expanding to 4 GiB: the default 1000:1 refuses it.
    for rtn, fill in ((SALES, b"\0"), (LISTINGS, b"\n")):  # flat: a header, then empty lines
        path = tmp_path / "zeros.gz"
        _write_gzip(path, [b"item-name\tquantity\n"] + [fill * (1 << 20)] * 100, level=9)
        out = _bomb([str(path), rtn, str(DocumentLimits().max_expanded_bytes), str(DocumentLimits().max_ratio)],
                    tmp_path)
        assert out["error"] == "DocumentTooLargeError", out
        assert rtn in out["message"] and "1000:1" in out["message"] and "max_ratio" in out["message"]
        assert out["grew_kib"] < 100_000, out


def test_a_document_within_the_limits_parses_as_before(tmp_path):
    rt = get_report_type(SALES)
    for example in sorted(DATA.glob("vendorSalesReport.example*.json")):
        path = tmp_path / "doc.gz"
        path.write_bytes(gzip.compress(example.read_bytes()))
        got = parse_document(path, GZ, rt, section=None, quotechar=None, default_encoding="utf-8",
                             limits=DocumentLimits(max_expanded_bytes=1_000_000, max_ratio=50))
        pd.testing.assert_frame_equal(got, parse_vendor_json(example.read_bytes(), report_type=rt))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.gz"]  # no temp file left behind
    listings = get_report_type(LISTINGS)
    tsv = b"item-name\tseller-sku\tquantity\n" + b"".join(b"t%d\ts%d\t%d\n" % (i, i, i) for i in range(5000))
    (tmp_path / "l.gz").write_bytes(gzip.compress(tsv) + gzip.compress(b""))  # a second (empty) gzip member
    got = parse_document(tmp_path / "l.gz", GZ, listings, section=None, quotechar=None, default_encoding="utf-8")
    pd.testing.assert_frame_equal(got, parse_flat_file(tsv, quotechar=None, dtypes=listings.flat_file_dtypes()))


def test_plain_document_over_the_size_limit(tmp_path):
    path = tmp_path / "doc.json"
    path.write_bytes((DATA / "vendorSalesReport.example0.json").read_bytes())
    with pytest.raises(DocumentTooLargeError, match=f"{SALES} document is .* bytes, beyond max_expanded_bytes=100"):
        parse_document(path, {}, get_report_type(SALES), section=None, quotechar=None, default_encoding="utf-8",
                       limits=DocumentLimits(max_expanded_bytes=100))


@pytest.mark.parametrize("rtn", [SALES, LISTINGS])
@pytest.mark.parametrize("damage", ["cut", "corrupt", "junk"])
def test_cut_or_corrupt_gzip_is_truncated(tmp_path, rtn, damage):
    raw = (DATA / "vendorSalesReport.example0.json").read_bytes() if rtn == SALES else (
        b"item-name\tquantity\n" + b"".join(b"t%d\t%d\n" % (i, i) for i in range(20000)))
    gz = gzip.compress(raw)
    bad = {"cut": gz[: len(gz) - 7], "corrupt": gz[:20] + bytes(b ^ 0x55 for b in gz[20:60]) + gz[60:],
           "junk": gz + b"trailing junk"}[damage]
    path = tmp_path / "doc.gz"
    path.write_bytes(bad)
    with pytest.raises(TruncatedDocument):
        parse_document(path, GZ, get_report_type(rtn), section=None, quotechar=None, default_encoding="utf-8")
    with pytest.raises(TruncatedDocument):
        gunzip_bounded(bad)


def test_gunzip_bounded():
    data = os.urandom(100_000) + b"\0" * 3_000_000
    gz = gzip.compress(data)
    assert gunzip_bounded(gz) == data
    assert gunzip_bounded(gz + gzip.compress(b"more") + b"\0" * 8) == data + b"more"  # members, zero padding
    with pytest.raises(DocumentTooLargeError, match="the document expands beyond 1,000,000 bytes"):
        gunzip_bounded(gz, DocumentLimits(max_expanded_bytes=1_000_000))
    zeros = gzip.compress(b"\0" * 40_000_000, 9)
    with pytest.raises(DocumentTooLargeError, match="more than 100:1"):
        gunzip_bounded(zeros, DocumentLimits(max_ratio=100), what="the error document")
    assert len(gunzip_bounded(zeros, DocumentLimits(max_ratio=math.inf))) == 40_000_000


@pytest.mark.parametrize("kwargs", [dict(max_expanded_bytes=0), dict(max_expanded_bytes=1.5),
                                    dict(max_expanded_bytes=True), dict(max_expanded_bytes="1"),
                                    dict(max_ratio=1), dict(max_ratio=float("nan")), dict(max_ratio="x")])
def test_limits_are_validated(kwargs):
    with pytest.raises(ConfigurationError) as info:
        DocumentLimits(**kwargs)
    assert info.value.parameter == next(iter(kwargs))


# --------------------------------------------------------------------------------------------
# read_specification


def test_read_specification(tmp_path):
    example = DATA / "vendorSalesReport.example0.json"
    doc = json.loads(example.read_bytes())
    spec = doc["reportSpecification"]
    (tmp_path / "a.gz").write_bytes(gzip.compress(example.read_bytes()))
    assert read_specification(tmp_path / "a.gz", GZ) == spec
    assert read_specification(example, {}) == spec
    rest = {k: v for k, v in doc.items() if k != "reportSpecification"}
    (tmp_path / "b.json").write_text(json.dumps({**rest, "reportSpecification": spec}))  # not the first member
    assert read_specification(tmp_path / "b.json", {}) == spec
    # Beyond the head that is read (a huge section first): not found rather than the whole file read.
    big = '{"salesByAsin": [' + ",".join(['{"asin": "B000000000"}'] * 300_000) + '], "reportSpecification": {}}'
    (tmp_path / "c.json").write_text(big)
    assert read_specification(tmp_path / "c.json", {}) is None
    for text in ("null", "[]", '{"reportSpecification": null}', '{"a": 1}', "not json", ""):
        (tmp_path / "d.json").write_text(text)
        assert read_specification(tmp_path / "d.json", {}) is None, text
    (tmp_path / "e.gz").write_bytes(gzip.compress(b'{"reportSpecification": {"reportType": "X"}, "rows": [')[:-6])
    assert read_specification(tmp_path / "e.gz", GZ) == {"reportType": "X"}  # a cut stream: the head is enough


def test_error_documents_are_decompressed_within_a_bound():
    from amzv_pandas._parsers.api import error_details

    assert error_details(gzip.compress(b'{"errorDetails": "no data"}')) == "no data"
    said = error_details(gzip.compress(b"\0" * 40_000_000, 9))  # the old code expanded it whole
    assert said.startswith("(the error document could not be read") and "16,777,216" in said


def test_a_stream_fed_to_pyarrow_ends_instead_of_raising_into_its_threads(tmp_path):
    # pyarrow's CSV reader reads on a background thread: an exception thrown there could abort
    # the process (SIGABRT, "terminate called without an active exception", seen under load).
    # The stream records the error and ends; parse_document raises it after pyarrow returns.
    from amzv_pandas._parsers.gunzip import GunzipStream

    path = tmp_path / "bomb.gz"
    _write_gzip(path, [b"item-name\tquantity\n"] + [b"\n" * (1 << 20)] * 40, level=9)
    limits = DocumentLimits(max_expanded_bytes=5 << 20)
    with GunzipStream(path, limits, "the document", end_on_error=True) as stream:
        got = 0
        while True:
            block = stream.read(1 << 16)
            if not block:
                break
            got += len(block)
        assert isinstance(stream.error, DocumentTooLargeError)
        assert got <= 5 << 20 and stream.read(10) == b""
    with GunzipStream(path, limits, "the document") as stream, pytest.raises(DocumentTooLargeError):
        stream.read_at_most(10 << 20)
    with pytest.raises(DocumentTooLargeError):
        parse_document(path, GZ, get_report_type(LISTINGS), section=None, quotechar=None,
                       default_encoding="utf-8", limits=limits)
