"""Gunzip through ISA-L / zlib-ng / stdlib zlib: the same bytes and the same errors from each."""

from __future__ import annotations

import gzip
import random
import zlib

import pytest

from amzv_pandas._parsers import inflate
from amzv_pandas._parsers.gunzip import GunzipStream, TruncatedDocument, gunzip_bounded
from amzv_pandas._util.limits import DocumentLimits

AVAILABLE = [name for name in inflate.BACKENDS if inflate._load(name) is not None]


def _payload(n: int = 600_000, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    words = [b"alpha", b"\xe9t\xe9", b"Gr\xfc\xdfe", b"12.99", b"", b"B00", b"title \"quoted"]
    return b"".join(b"\t".join(rng.choice(words) for _ in range(8)) + b"\n" for _ in range(n // 40))


def _documents() -> dict[str, bytes]:
    a, b = _payload(seed=1), _payload(seed=2)
    return {
        "one member": gzip.compress(a, 6),
        "two members + zero padding": gzip.compress(a, 1) + gzip.compress(b, 9) + b"\0" * 7,
        "empty member": gzip.compress(b"") + gzip.compress(a),
        "incompressible": gzip.compress(random.Random(3).randbytes(3 << 20), 6),
    }


def _stream_all(path, name, monkeypatch) -> bytes:
    monkeypatch.setenv("AMZV_INFLATE", name)
    with GunzipStream(path, DocumentLimits(), "doc") as s:
        assert s._inflater.name == name
        return s.read()


def test_fastest_binding_is_preferred():
    # isal ships with the package where it has wheels: it is the one used when importable
    assert inflate.backend_name() == AVAILABLE[0]
    assert "isal" in AVAILABLE, "isal (the dependency) should be importable in the test environment"
    assert inflate.inflater("zlib").name == "zlib"
    assert inflate.inflater("no-such-binding").name == AVAILABLE[0]  # unknown names fall back


@pytest.mark.parametrize("name", AVAILABLE)
def test_identical_output_every_binding(name, tmp_path, monkeypatch):
    for label, doc in _documents().items():
        expected = b"".join(gzip.decompress(doc).split(b"\0" * 7))  # gzip module: the reference
        path = tmp_path / "doc.gz"
        path.write_bytes(doc)
        assert _stream_all(path, name, monkeypatch) == expected, label
        assert gunzip_bounded(doc) == expected, label


@pytest.mark.parametrize("name", AVAILABLE)
def test_same_errors_every_binding(name, tmp_path, monkeypatch):
    doc = gzip.compress(_payload(), 6)
    flipped = bytearray(doc)
    flipped[len(doc) // 2] ^= 0xFF
    cases = {"cut": doc[: len(doc) // 2], "flipped": bytes(flipped), "garbage after": doc + b"junk",
             "no trailer": doc[:-8]}
    monkeypatch.setenv("AMZV_INFLATE", name)
    for label, bad in cases.items():
        path = tmp_path / "bad.gz"
        path.write_bytes(bad)
        with pytest.raises(TruncatedDocument):
            with GunzipStream(path, DocumentLimits(), "doc") as s:
                s.read()
        with pytest.raises(TruncatedDocument):
            gunzip_bounded(bad)
    assert not isinstance(inflate.inflater().error, type) or issubclass(inflate.inflater().error, Exception)


def test_crc32_matches_stdlib():
    data = random.Random(5).randbytes(1 << 20)
    assert inflate.crc32(data) == zlib.crc32(data)
    assert inflate.crc32(memoryview(data)[10:]) == zlib.crc32(data[10:])


# --------------------------------------------------------------------------------------------
# PrefetchStream: inflating in a thread of its own changes no byte and no error


def _prefetched(path, **kw):
    from amzv_pandas._parsers.gunzip import PrefetchStream

    return PrefetchStream(GunzipStream(path, DocumentLimits(), "doc", **kw), depth=2)


@pytest.mark.parametrize("name", AVAILABLE)
def test_prefetch_gives_the_same_bytes_every_binding(name, tmp_path, monkeypatch):
    monkeypatch.setenv("AMZV_INFLATE", name)  # stdlib zlib included: the fallback's output is the same
    for label, doc in _documents().items():
        path = tmp_path / "doc.gz"
        path.write_bytes(doc)
        expected = _stream_all(path, name, monkeypatch)
        with _prefetched(path) as s:
            assert s.read() == expected, label
            assert s.tell() == len(expected) and s.read(10) == b""
        with _prefetched(path) as s:  # small odd reads, then a rewind (the parser's error re-read)
            head = s.read(7) + s.read(1000) + s.read(1)
            assert head == expected[:1008]
            assert s.seek(0) == 0 and s.read() == expected, label


def test_prefetch_end_on_error_keeps_the_error_and_never_raises(tmp_path):
    doc = gzip.compress(_payload(), 6)
    for bad in (doc[: len(doc) // 2], doc + b"junk", doc[:-8]):
        path = tmp_path / "bad.gz"
        path.write_bytes(bad)
        with _prefetched(path, end_on_error=True) as s:
            data = s.read()  # no exception: the data just ends (pyarrow's thread must not see one)
            assert isinstance(s.error, TruncatedDocument)
            assert gzip.decompress(doc).startswith(data)
        with pytest.raises(TruncatedDocument):  # without end_on_error the reader gets the error itself
            with _prefetched(path) as s:
                s.read()


def test_prefetch_records_an_io_error_of_its_thread(tmp_path):
    path = tmp_path / "doc.gz"
    path.write_bytes(gzip.compress(_payload(), 6))
    s = _prefetched(path, end_on_error=True)
    s._halt()
    s._inner._fh.close()  # the file goes away under the producer: its read raises ValueError
    s._start()
    assert s.read() == b"" and isinstance(s.error, ValueError)
    s.close()


def test_prefetch_close_mid_stream_stops_its_thread(tmp_path):
    path = tmp_path / "doc.gz"
    path.write_bytes(gzip.compress(_payload(2_000_000), 1))
    s = _prefetched(path)
    assert s.read(100)
    thread = s._thread
    s.close()  # the producer is blocked on the full queue: close must not hang
    assert thread is not None and not thread.is_alive()
