"""read_report through a damaged cache: a frame without its digest is rebuilt from the verified
document, a corrupt sidecar means one new download, never a parse error forever (issue 10 point 2).

The store's own checks, without a server, are in tests/unit/cache/test_store_hardening.py.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import amzv_pandas._reports.api as reports
from amzv_pandas._cache.store import ReportCache
from amzv_pandas.exceptions import StaleCacheWarning

SALES = "GET_VENDOR_SALES_REPORT"
WEEK1 = ("2025-01-05", "2025-01-11")


@pytest.fixture(scope="module")
def sandbox_options():
    return {"speed": 1000, "processing_seconds": 2.0}


def _read(client, **kwargs):
    return reports.read_report(SALES, *WEEK1, client=client, poll_interval=0.02, progress_bar_type=None, **kwargs)


def _calls(sb):
    return {k: v for k, v in sb.stats()["calls"].items() if v}


def test_legacy_frame_is_reparsed_from_the_document_and_rewritten(sb, tmp_path):
    client = sb.client(cache_dir=tmp_path)
    first = _read(client)
    entry = next(ReportCache.for_client(client).entries())
    meta = json.loads(entry.meta_path.read_text())
    for frame in meta["frames"].values():
        for digest in ("blake2b", "crc32"):  # either format's
            frame.pop(digest, None)
    meta.pop("meta_digest")
    entry.meta_path.write_text(json.dumps(meta))
    sb.reset_stats()
    again = _read(client)
    assert _calls(sb) == {}  # rebuilt from the verified document, no API call
    assert again.attrs["amzv"]["from_cache"] is True
    pd.testing.assert_frame_equal(again, first)
    meta = json.loads(entry.meta_path.read_text())
    assert meta["frames"]
    assert all(isinstance(f.get("crc32"), int) or isinstance(f.get("blake2b"), str) for f in meta["frames"].values())


def test_corrupt_sidecar_is_downloaded_again_not_a_parse_error_forever(sb, tmp_path):
    client = sb.client(cache_dir=tmp_path)
    first = _read(client)
    entry = next(ReportCache.for_client(client).entries())
    meta = json.loads(entry.meta_path.read_text())
    # A flipped bit in "gzip" and a lost frames record: the old code parsed the gzip bytes as
    # plain JSON and raised ParseError on this read and every later one.
    entry.meta_path.write_text(json.dumps({**meta, "compression": "gzjp", "frames": {}}))
    with pytest.warns(StaleCacheWarning, match="sidecar"):
        again = _read(client)
    assert again.attrs["amzv"]["from_cache"] is False
    pd.testing.assert_frame_equal(again, first)
    sb.reset_stats()
    _read(client)
    assert _calls(sb) == {}  # cached again
