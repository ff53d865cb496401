"""The on-disk report cache (no server needed)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os

import pandas as pd
import pytest

from amzv_pandas._cache import store as cache_mod
from amzv_pandas._cache.store import CacheKey, ReportCache, frame_variant
from amzv_pandas._facade.client import Client
from amzv_pandas.exceptions import CacheIntegrityError, ConfigurationError, StaleCacheWarning

from .conftest import READ_FORMATS, decode_unchecked, write_frame_as


def _key(**kw):
    base = dict(region="NA", account="profile-test", report_type="GET_VENDOR_SALES_REPORT",
                marketplace_ids=["ATVPDKIKX0DER"], start="2024-01-01", end="2024-01-07",
                options={"reportPeriod": "DAY"})
    base.update(kw)
    return CacheKey.make(**base)


def _store(entry, payload: bytes = b'{"a": 1}', **info):
    fh, tmp = entry.temp_document()
    data = gzip.compress(payload)
    with fh:
        fh.write(data)
    entry.commit_document(tmp, {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                                "report_id": "R1", "document_id": "D1", "compression": "gzip", **info})
    return data


@pytest.fixture
def store(tmp_path):
    return ReportCache(tmp_path / "reports")


def test_key_ignores_order_of_marketplaces_and_options():
    a = _key(marketplace_ids=["B", "A"], options={"x": "1", "y": "2"})
    b = _key(marketplace_ids=["A", "B", "A"], options={"y": "2", "x": "1"})
    assert a == b and a.digest == b.digest
    assert _key(options={"reportPeriod": "WEEK"}).digest != _key().digest
    assert _key(account="profile-other").digest != _key().digest
    assert _key(region="EU").digest != _key().digest
    assert a.dirname.endswith("-2024-01-01_2024-01-07")


def test_variant_depends_on_section_quoting_codec():
    v = frame_variant(section="salesByAsin", quotechar=None, encoding="utf-8")
    assert v != frame_variant(section="salesAggregate", quotechar=None, encoding="utf-8")
    assert v != frame_variant(section="salesByAsin", quotechar='"', encoding="utf-8")
    assert v != frame_variant(section="salesByAsin", quotechar=None, encoding="cp932")


def test_commit_and_read_back(store):
    entry = store.entry(_key())
    assert not entry.exists()
    _store(entry)
    assert entry.exists()
    assert not list(entry.path.glob(".tmp-*")) and not list(entry.path.glob(".download-*"))
    frame = pd.DataFrame({"asin": pd.array(["A", "B"], dtype="str"), "units": pd.array([1, None], dtype="Int64")})
    entry.write_frame("v1", frame)
    again = store.entry(_key())  # a fresh object reads from disk
    back = again.read_frame("v1")
    pd.testing.assert_frame_equal(back, frame)
    assert again.read_frame("other") is None  # no frame of that variant yet (document still verified)
    meta = json.loads(again.meta_path.read_text())
    assert meta["report_id"] == "R1" and meta["key"]["report_type"] == "GET_VENDOR_SALES_REPORT"
    assert meta["frames"]["v1"]["parser_version"] == cache_mod.PARSER_VERSION


@pytest.mark.parametrize("fmt", READ_FORMATS)
@pytest.mark.parametrize("damage", ["truncate", "footer", "bitflip"])
def test_corrupt_frame_is_dropped_with_warning(store, damage, fmt, monkeypatch):
    entry = store.entry(_key())
    _store(entry)
    frame = pd.DataFrame({"a": range(1000), "b": pd.array([f"x{i}" for i in range(1000)], dtype="str")})
    path = write_frame_as(entry, "v1", frame, fmt, monkeypatch)
    raw = path.read_bytes()
    if damage == "bitflip":  # same size, and a flip that still decodes: only the checksums can tell
        original = decode_unchecked(path)
        for pos in range(len(raw) // 4, 3 * len(raw) // 4):
            flipped = bytearray(raw)
            flipped[pos] ^= 0x01
            path.write_bytes(bytes(flipped))
            try:
                silent = decode_unchecked(path)  # no check: wrong data, no error
            except Exception:
                continue
            if not silent.equals(original):
                break
        else:
            pytest.fail("no silently-decoding bit flip found")
    else:
        path.write_bytes(raw[:-10] if damage == "truncate" else raw[:-40] + b"\xff" * 40)
    with pytest.warns(StaleCacheWarning, match="deleted"):
        assert store.entry(_key()).read_frame("v1") is None
    assert not path.exists()
    assert entry.document_path.exists()  # the document itself is fine: it gets parsed again


def test_corrupt_document_deletes_entry(store):
    entry = store.entry(_key())
    _store(entry)
    raw = bytearray(entry.document_path.read_bytes())
    raw[-1] ^= 0xFF
    entry.document_path.write_bytes(bytes(raw))
    with pytest.raises(CacheIntegrityError, match="expected"):
        store.entry(_key()).verify_document()
    assert not entry.path.exists()


def test_truncated_document_deletes_entry(store):
    entry = store.entry(_key())
    _store(entry)
    entry.write_frame("v1", pd.DataFrame({"a": [1]}))
    entry.document_path.write_bytes(entry.document_path.read_bytes()[:-3])
    with pytest.raises(CacheIntegrityError, match="bytes, expected"):
        store.entry(_key()).read_frame("v1")
    assert not entry.path.exists()


def test_info_and_clear(store):
    _store(store.entry(_key()))
    _store(store.entry(_key(start="2024-01-08", end="2024-01-14")))
    _store(store.entry(_key(report_type="GET_VENDOR_TRAFFIC_REPORT")))
    info = store.info()
    assert list(info.columns[:4]) == ["report_type", "marketplace_ids", "start", "end"]
    assert len(info) == 3
    assert str(info["fetched_at"].dtype) == "datetime64[us, UTC]"
    assert (info["size"] > 0).all()
    assert set(info["report_type"]) == {"GET_VENDOR_SALES_REPORT", "GET_VENDOR_TRAFFIC_REPORT"}
    assert all(os.path.isdir(p) for p in info["path"])
    assert store.clear(older_than="1d") == 0  # everything is fresh
    assert store.clear(report_type="get_vendor_traffic_report") == 1
    assert set(store.info()["report_type"]) == {"GET_VENDOR_SALES_REPORT"}
    assert store.clear(older_than=dt.timedelta(0)) == 2
    assert store.info().empty


@pytest.mark.parametrize("bad", ["soon", -5, dt.timedelta(days=-1)])
def test_clear_rejects_bad_age(store, bad):
    with pytest.raises(ConfigurationError) as err:
        store.clear(older_than=bad)
    assert err.value.parameter == "older_than"


def test_module_functions_use_the_client_cache_dir(tmp_path):
    client = Client(credentials={"client_id": "a", "client_secret": "b", "refresh_token": "c"},
                    marketplace="US", endpoint="http://127.0.0.1:9", cache_dir=tmp_path)
    _store(ReportCache.for_client(client).entry(_key()))
    assert len(cache_mod.cache_info(client=client)) == 1
    assert cache_mod.clear_cache(client=client) == 1
    assert cache_mod.cache_info(client=client).empty
    assert client.calls == {}  # nothing was sent


def test_inflight_index_survives_new_instances(store):
    key = _key()
    store.inflight().put(key, "R9", status="IN_PROGRESS")
    record = ReportCache(store.root).inflight().get(key)  # e.g. after a kernel restart
    assert record["report_id"] == "R9" and record["status"] == "IN_PROGRESS"
    store.inflight().put(key, "R9", status="DONE", document_id="D9")
    record = store.inflight().get(key)
    assert record["status"] == "DONE" and record["document_id"] == "D9"
    store.inflight().remove(key, "OTHER")  # names another report: kept
    assert store.inflight().get(key) is not None
    store.inflight().remove(key, "R9")
    assert store.inflight().get(key) is None
    assert json.loads((store.root / "inflight.json").read_text())["reports"] == {}
