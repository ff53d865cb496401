"""The cache never serves a silently different frame, survives damaged sidecars and indexes,
cleans up after killed downloads, and serializes processes per report (issue 10 points 2 and 9).

The same damage met by read_report on the sandbox: tests/e2e/reports/test_cache_reads.py.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import multiprocessing
import os
import time
import warnings

import pandas as pd
import pytest

from amzv_pandas._cache.store import CacheKey, InflightIndex, ReportCache
from amzv_pandas.exceptions import ReportTimeout, StaleCacheWarning

from .conftest import READ_FORMATS, force_format, legacy_parquet_frame, write_frame_as

SALES = "GET_VENDOR_SALES_REPORT"


def _key(**kw):
    base = dict(region="NA", account="profile-test", report_type=SALES, marketplace_ids=["ATVPDKIKX0DER"],
                start="2024-01-01", end="2024-01-07", options={"reportPeriod": "DAY"})
    base.update(kw)
    return CacheKey.make(**base)


def _store(entry, payload: bytes = b'{"a": 1}'):
    fh, tmp = entry.temp_document()
    data = gzip.compress(payload)
    with fh:
        fh.write(data)
    entry.commit_document(tmp, {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                                "report_id": "R1", "document_id": "D1", "compression": "gzip"})


def _frame(n: int = 300) -> pd.DataFrame:
    return pd.DataFrame({
        "startDate": pd.to_datetime(["2024-01-01"] * n).as_unit("us"),
        "endDate": pd.to_datetime(["2024-01-07"] * n).as_unit("us"),
        "asin": pd.array([f"B{i:09d}" for i in range(n)], dtype="str"),
        "orderedUnits": pd.array([i if i % 7 else None for i in range(n)], dtype="Int64"),
        "orderedRevenue_amount": pd.array([i * 1.5 for i in range(n)], dtype="Float64"),
    })


@pytest.fixture
def store(tmp_path):
    return ReportCache(tmp_path / "reports")


# --------------------------------------------------------------------------------------------
# point 2: frames verified by digest


def test_every_bit_flip_in_a_frame_file_is_caught(store):
    entry = store.entry(_key())
    _store(entry)
    original = _frame()
    entry.write_frame("v1", original)
    path = entry.frame_path("v1")
    raw = path.read_bytes()
    meta_before = entry.meta_path.read_bytes()
    rebuilt = 0
    for i, pos in enumerate(range(0, len(raw), 97)):  # deterministic: every 97th byte, a different bit each time
        flipped = bytearray(raw)
        flipped[pos] ^= 1 << (i % 8)
        path.write_bytes(bytes(flipped))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = store.entry(_key()).read_frame("v1")
        if got is None:
            rebuilt += 1
            assert any(issubclass(w.category, StaleCacheWarning) for w in caught)
            assert not path.exists()
        else:  # only an identical frame may be served: names, dtypes and values
            assert list(got.columns) == list(original.columns)
            assert got.dtypes.tolist() == original.dtypes.tolist()
            pd.testing.assert_frame_equal(got, original, check_exact=True)
        assert entry.meta_path.read_bytes() == meta_before
    assert rebuilt == len(range(0, len(raw), 97))  # the digest catches every flip, footer included
    path.write_bytes(raw)
    pd.testing.assert_frame_equal(store.entry(_key()).read_frame("v1"), original)


def test_frame_written_by_previous_version_is_still_read(store):
    entry = store.entry(_key())
    _store(entry)
    path = legacy_parquet_frame(entry, "v1", _frame())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = store.entry(_key()).read_frame("v1")
    pd.testing.assert_frame_equal(got, _frame(), check_exact=True)
    assert path.exists()
    # rewriting the variant (a re-parse) replaces it with the new format, and the old file goes
    again = store.entry(_key())
    again.write_frame("v1", _frame())
    assert not path.exists() and again.frame_path("v1").suffix in (".split", ".arrow")
    pd.testing.assert_frame_equal(store.entry(_key()).read_frame("v1"), _frame(), check_exact=True)


def test_ipc_frame_written_by_previous_version_is_still_read(store, monkeypatch):
    # The previous version wrote uncompressed Arrow IPC + CRC-32 exactly as the "arrow" format does.
    entry = store.entry(_key())
    _store(entry)
    path = write_frame_as(entry, "v1", _frame(), "arrow", monkeypatch)
    monkeypatch.undo()  # the reader picks nothing: it follows the recorded format
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pd.testing.assert_frame_equal(store.entry(_key()).read_frame("v1"), _frame(), check_exact=True)
    again = store.entry(_key())
    force_format(monkeypatch, "split")
    again.write_frame("v1", _frame())  # a re-parse replaces it in the format of the day
    assert not path.exists() and again.frame_path("v1").suffix == ".split"
    pd.testing.assert_frame_equal(store.entry(_key()).read_frame("v1"), _frame(), check_exact=True)


def test_frame_without_recorded_digest_is_rebuilt_not_trusted(store):
    # An older version recorded only the size: such a frame is treated as missing.
    entry = store.entry(_key())
    _store(entry)
    path = legacy_parquet_frame(entry, "v1", _frame(), digest=False)
    meta = json.loads(entry.meta_path.read_text())
    meta.pop("meta_digest")  # an old sidecar has no digest of its own either
    entry.meta_path.write_text(json.dumps(meta))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an upgrade is not a corruption: no warning
        assert store.entry(_key()).read_frame("v1") is None
    assert not path.exists()
    again = store.entry(_key())
    again.write_frame("v1", _frame())
    assert isinstance(json.loads(again.meta_path.read_text())["frames"]["v1"]["crc32"], int)
    pd.testing.assert_frame_equal(store.entry(_key()).read_frame("v1"), _frame())


@pytest.mark.parametrize("fmt", ["split", "arrow"])
def test_new_frames_record_format_size_and_checksum(store, fmt, monkeypatch):
    entry = store.entry(_key())
    _store(entry)
    force_format(monkeypatch, fmt)
    entry.write_frame("v1", _frame())
    record = json.loads(entry.meta_path.read_text())["frames"]["v1"]
    assert record["format"] == fmt and entry.frame_path("v1").name == f"frame-v1.{fmt}"
    import zlib

    assert record["crc32"] == zlib.crc32(entry.frame_path("v1").read_bytes())
    assert record["size"] == entry.frame_path("v1").stat().st_size


def test_pyarrow_backend_from_the_cache_copies_nothing(store, monkeypatch):
    import pyarrow as pa

    force_format(monkeypatch, "arrow")  # memory-mapped IPC: the format where no byte is copied
    n = 200_000
    frame = pd.DataFrame({"asin": pd.array([f"B{i:09d}" for i in range(n)], dtype="str"),
                          "units": pd.array(range(n), dtype="Int64"),
                          "revenue": pd.array([i * 0.5 for i in range(n)], dtype="Float64")})
    entry = store.entry(_key())
    _store(entry)
    entry.write_frame("v1", frame)
    before = pa.total_allocated_bytes()
    got = store.entry(_key()).read_frame("v1", dtype_backend="pyarrow")
    allocated = pa.total_allocated_bytes() - before
    assert all(isinstance(t, pd.ArrowDtype) for t in got.dtypes)
    assert allocated < 64 << 10, f"{allocated} bytes copied out of a ~{frame.memory_usage().sum() >> 20} MiB frame"
    assert got["asin"].iloc[-1] == frame["asin"].iloc[-1] and int(got["units"].sum()) == int(frame["units"].sum())
    back = store.entry(_key()).read_frame("v1")  # default backend: the dtypes it was written with
    pd.testing.assert_frame_equal(back, frame)


def test_a_repetitive_frame_is_split_and_varied_numbers_stay_ipc(store):
    n = 50_000
    repetitive = pd.DataFrame({"title": pd.array(["the same long product title " * 4] * n, dtype="str"),
                               "empty": pd.array([None] * n, dtype="str")})
    entry = store.entry(_key())
    _store(entry)
    entry.write_frame("v1", repetitive)
    assert entry.frame_path("v1").suffix == ".split"  # IPC would be > 2.5x the split file
    assert entry.frame_path("v1").stat().st_size < 0.1 * repetitive.memory_usage(deep=True).sum()
    pd.testing.assert_frame_equal(store.entry(_key()).read_frame("v1"), repetitive, check_exact=True)
    import random

    rng = random.Random(1)
    varied = pd.DataFrame({"x": pd.array([rng.random() for _ in range(n)], dtype="Float64")})
    entry.write_frame("v2", varied)
    assert entry.frame_path("v2").suffix == ".arrow"  # doubles barely compress: IPC


@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
def test_split_frame_gives_the_same_frame_back(store, backend, monkeypatch):
    # Every kind of column a report frame has: text with nulls/empties/non-ASCII, text of one length
    # (stored as that length), all-null text, identical length patterns (shared offsets), numbers
    # with nulls, timestamps, booleans, lists.
    n = 1000
    frame = pd.DataFrame({
        "title": pd.array([None if i % 5 == 0 else ("" if i % 7 == 0 else f"Titel {i % 13} ä€😀")
                           for i in range(n)], dtype="str"),
        "title_again": pd.array([None if i % 5 == 0 else ("" if i % 7 == 0 else f"Titel {i % 13} ä€😀")
                                 for i in range(n)], dtype="str"),
        "flag": pd.array(["Y"] * n, dtype="str"),
        "asin": pd.array([f"B{i:09d}" for i in range(n)], dtype="str"),
        "same_len": pd.array(["N"] * n, dtype="str"),
        "empty": pd.array([None] * n, dtype="str"),
        "empty2": pd.array([None] * n, dtype="str"),
        "units": pd.array([None if i % 3 == 0 else i for i in range(n)], dtype="Int64"),
        "price": pd.array([i / 4 for i in range(n)], dtype="Float64"),
        "when": pd.to_datetime(["2025-01-02T03:04:05Z"] * n).as_unit("us"),
        "ok": pd.array([i % 2 == 0 for i in range(n)], dtype="boolean"),
        "tags": [["a", "b"] if i % 2 else [] for i in range(n)],
    })
    entry = store.entry(_key())
    _store(entry)
    force_format(monkeypatch, "split")
    entry.write_frame("v1", frame)
    assert entry.frame_path("v1").suffix == ".split"
    got = store.entry(_key()).read_frame("v1", dtype_backend=backend)
    # lists come back as arrays from any Arrow file (as from the formats before): compared as lists
    assert [list(v) for v in got.pop("tags")] == frame.pop("tags").tolist()
    if backend == "pyarrow":  # what the other formats give: every column an ArrowDtype of the written type
        import pyarrow as pa

        from amzv_pandas._parsers.arrow import frame_to_pandas

        assert all(isinstance(t, pd.ArrowDtype) for t in got.dtypes)
        frame = frame_to_pandas(pa.Table.from_pandas(frame, preserve_index=False), "pyarrow")
    pd.testing.assert_frame_equal(got, frame, check_exact=True)
    empty = frame.iloc[:0]
    entry.write_frame("v2", empty)
    pd.testing.assert_frame_equal(store.entry(_key()).read_frame("v2"), empty, check_exact=True)


@pytest.mark.parametrize("fmt", READ_FORMATS)
def test_every_bit_flip_caught_in_every_format(store, fmt, monkeypatch):
    entry = store.entry(_key())
    _store(entry)
    path = write_frame_as(entry, "v1", _frame(100), fmt, monkeypatch)
    raw = path.read_bytes()
    for pos in range(0, len(raw), 13):
        flipped = bytearray(raw)
        flipped[pos] ^= 0x10
        path.write_bytes(bytes(flipped))
        with pytest.warns(StaleCacheWarning):
            assert store.entry(_key()).read_frame("v1") is None
    path.write_bytes(raw)
    pd.testing.assert_frame_equal(store.entry(_key()).read_frame("v1"), _frame(100))


# --------------------------------------------------------------------------------------------
# point 2: corrupt sidecars discard the entry


_BAD_SIDECARS = {
    "not json": "{not json",
    "null": "null",
    "list": "[]",
    "number": "42",
    "string": '"meta"',
    "frames list": lambda m: {**m, "frames": []},
    "frame str": lambda m: {**m, "frames": {"v1": "x"}},
    "size str": lambda m: {**m, "size": str(m["size"])},
    "key list": lambda m: {**m, "key": []},
    "compression flipped": lambda m: {**m, "compression": "gzjp"},
    # Valid JSON of the right shape, one character changed: only the sidecar's own digest tells.
    "document id flipped": lambda m: {**m, "document_id": m["document_id"][:-1] + "X"},
}


@pytest.mark.parametrize("damage", list(_BAD_SIDECARS))
def test_corrupt_sidecar_discards_the_entry(store, damage):
    entry = store.entry(_key())
    _store(entry)
    entry.write_frame("v1", _frame())
    bad = _BAD_SIDECARS[damage]
    if callable(bad):
        bad = json.dumps(bad(json.loads(entry.meta_path.read_text())))
    entry.meta_path.write_text(bad)
    assert list(store.entries()) == []  # listing skips it, never raises
    assert len(store.info()) == 0
    fresh = store.entry(_key())
    with pytest.warns(StaleCacheWarning, match="sidecar"):
        assert not fresh.exists()
    assert not entry.path.exists()  # discarded: the next read downloads it again
    _store(store.entry(_key()))
    assert store.entry(_key()).exists()


# --------------------------------------------------------------------------------------------
# in-flight index of any shape


_BAD_INDEXES = ["", "{", "null", "[]", "42", '{"reports": []}', '{"reports": null}', '{"reports": {"%s": 5}}',
                '{"reports": {"%s": []}}', '{"reports": {"%s": {"report_id": 5}}}',
                '{"reports": {"%s": {"report_id": "R9", "created_at": 12}}}',
                '{"reports": {"%s": {"report_id": "R9", "status": ["DONE"]}}}',
                '{"reports": {"%s": {"status": "DONE"}}}']


@pytest.mark.parametrize("content", _BAD_INDEXES)
def test_inflight_index_survives_corrupt_json_of_any_shape(tmp_path, content):
    key = _key()
    path = tmp_path / "inflight.json"
    path.write_text(content.replace("%s", key.digest))
    index = InflightIndex(path)
    assert index.get(key) is None
    assert all(isinstance(r, dict) and isinstance(r["report_id"], str) for r in index.all().values())
    index.put(key, "R1")
    index.put(_key(start="2024-02-01"), "R2", status="DONE")
    assert index.get(key)["report_id"] == "R1"
    index.remove(key, "R1")
    assert index.get(key) is None and index.get(_key(start="2024-02-01"))["status"] == "DONE"


def test_naive_created_at_does_not_break_the_index(tmp_path):
    key = _key()
    path = tmp_path / "inflight.json"
    path.write_text(json.dumps({"reports": {key.digest: {"report_id": "R1", "created_at": "2030-01-01T00:00:00"}}}))
    index = InflightIndex(path)
    assert index.get(key)["report_id"] == "R1"
    index.put(_key(start="2024-02-01"), "R2")
    assert set(r["report_id"] for r in index.all().values()) == {"R1", "R2"}


# --------------------------------------------------------------------------------------------
# point 9: stale partial downloads and the per-report lock


def test_stale_partial_downloads_are_removed_on_the_next_write(store):
    entry = store.entry(_key())
    entry.path.mkdir(parents=True)
    old = [entry.path / ".download-killed.gz", entry.path / ".expand-killed.json", entry.path / ".tmp-x.tmp"]
    for p in old:
        p.write_bytes(b"partial")
        os.utime(p, (time.time() - 3600, time.time() - 3600))
    active = entry.path / ".download-active.gz"  # another process's download in progress
    active.write_bytes(b"fresh")
    fh, tmp = entry.temp_document()
    fh.close()
    assert not any(p.exists() for p in old)
    assert active.exists() and tmp.exists()


def _hold(root: str, log: str, tag: str, seconds: float) -> None:
    cache = ReportCache(root)
    with cache.lock(_key()):
        with open(log, "a") as fh:
            fh.write(f"start {tag}\n")
        time.sleep(seconds)
        with open(log, "a") as fh:
            fh.write(f"end {tag}\n")


def test_lock_serializes_processes(tmp_path):
    root, log = str(tmp_path / "reports"), str(tmp_path / "log.txt")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_hold, args=(root, log, tag, 0.4)) for tag in ("a", "b", "c")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    lines = open(log).read().split()
    events = [" ".join(lines[i:i + 2]) for i in range(0, len(lines), 2)]
    assert len(events) == 6
    for i in range(0, 6, 2):  # never two holders at once: each start is followed by its own end
        assert events[i].startswith("start") and events[i + 1] == "end" + events[i][5:]
    assert (tmp_path / "reports" / "locks" / f"{_key().digest[:16]}.lock").exists()


def test_lock_timeout_and_other_keys(tmp_path):
    cache = ReportCache(tmp_path / "reports")
    with cache.lock(_key()):
        ctx = multiprocessing.get_context("fork")
        p = ctx.Process(target=_try_lock, args=(str(tmp_path / "reports"), str(tmp_path / "out.txt")))
        p.start()
        p.join(30)
        assert p.exitcode == 0
    assert (tmp_path / "out.txt").read_text() == "timeout other-ok"
    assert list(cache.entries()) == []  # the locks folder is not an entry


def _try_lock(root: str, out: str) -> None:
    cache = ReportCache(root)
    result = []
    try:
        with cache.lock(_key(), timeout=0.2):
            result.append("acquired")
    except ReportTimeout as exc:
        assert SALES in str(exc)
        result.append("timeout")
    with cache.lock(_key(start="2024-03-01"), timeout=5):
        result.append("other-ok")
    with open(out, "w") as fh:
        fh.write(" ".join(result))


def test_split_frame_structure_is_checked_beyond_the_checksum():
    # The CRC-32 catches damage; decode() on its own still refuses a file whose parts disagree
    # (a wrong length would let Arrow read past a buffer), with SplitFrameError, never a crash.
    import json as _json

    import pyarrow as pa

    from amzv_pandas._cache import split_frame

    table = pa.Table.from_pandas(_frame(50), preserve_index=False)
    parts = split_frame.encode(table)
    whole = b"".join(p.to_pybytes() for p in parts)
    assert split_frame.decode(pa.py_buffer(whole)).equals(table)
    with pytest.raises(split_frame.SplitFrameError):
        split_frame.decode(pa.py_buffer(whole[:-1]))
    with pytest.raises(split_frame.SplitFrameError):
        split_frame.decode(pa.py_buffer(b"NOTSPLIT" + whole[8:]))
    # a row table whose layout says every ASIN is one byte longer than the bytes stored
    rows = split_frame._read_ipc(pa.py_buffer(parts[1].to_pybytes()))
    info = _json.loads(rows.schema.metadata[split_frame._META_KEY])
    fixed = next(item for item in info["layout"] if item[0] == "fixed")
    fixed[1] += 1
    meta = dict(rows.schema.metadata)
    meta[split_frame._META_KEY] = _json.dumps(info).encode()
    bad_rows = split_frame._ipc_file(rows.replace_schema_metadata(meta), "lz4")
    pad = split_frame._blob_start(bad_rows.size) - split_frame._HEADER.size - bad_rows.size
    header = split_frame._HEADER.pack(split_frame.MAGIC, bad_rows.size, parts[3].size)
    with pytest.raises(split_frame.SplitFrameError, match="does not match its lengths"):
        split_frame.decode(pa.py_buffer(header + bad_rows.to_pybytes() + b"\0" * pad + parts[3].to_pybytes()))


def test_split_frame_keeps_every_arrow_type_as_written():
    # 32-bit `string` (object columns of str), binary, dictionaries (categoricals) and an empty
    # table come back as exactly the Arrow table written: the same as any Arrow file gives.
    import pyarrow as pa

    from amzv_pandas._cache import split_frame

    frame = pd.DataFrame({"obj": pd.Series(["a", None, "ccc", "é"], dtype=object),
                          "raw": pd.Series([b"x", b"yy", None, b""], dtype=object),
                          "cat": pd.Categorical(["x", "y", "x", "x"]), "n": [1, 2, 3, 4],
                          "fixed_nulls": pd.array([None, "zz", "zz", "zz"], dtype="str")})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    assert pa.types.is_string(table.schema.field("obj").type)
    for t in (table, table.slice(0, 0), table.slice(1, 2)):
        back = split_frame.decode(pa.py_buffer(b"".join(p.to_pybytes() for p in split_frame.encode(t))))
        assert back.equals(t) and back.schema.metadata == t.schema.metadata
