"""The Data Kiosk cache: raw JSONL pages (sha256) and one parsed frame per query, on ``_cache``.

Layout under ``<cache_dir>/datakiosk/`` (a :class:`~amzv_pandas._cache.store.ReportCache`)::

    inflight.json                       query ids in flight, by page key (resume after a restart)
    DATA_KIOSK/<key16>-<start>_<end>/   one per page: document.gz (the page as served) + meta.json
    DATA_KIOSK/<key16>-<start>_<end>/   the result: a JSON manifest (query and document ids, pages)
                                        as its document + its frame file, in the format the report
                                        cache chooses (``_cache/entry.py``: a split Arrow file or
                                        memory-mapped IPC, CRC-32 checked)

Keys hold the region, the account, the canonical query's sha256 and the page number (the
result's key has no page). A hit verifies the manifest's digest and reads the frame
(:meth:`~amzv_pandas._cache.entry.CacheEntry.read_frame`); a missing or damaged frame is
rebuilt from the verified pages without any call.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import pandas as pd

from .._cache.store import CacheKey, ReportCache, frame_variant
from .._specs.datakiosk.catalogue import Node
from .flatten import parse_documents

if TYPE_CHECKING:
    from .._transport.http import Transport
    from .run import Page

__all__ = ["ResultCache", "final_for_cache", "FINAL_AFTER_DAYS", "FLATTEN_VERSION"]

#: Vendor data arrive about 72 h after the period: a range ending later is not final yet.
FINAL_AFTER_DAYS = 3
#: Bumped when the flattening changes: cached frames are then rebuilt from the pages.
FLATTEN_VERSION = "dk1"
KIND = "DATA_KIOSK"


def final_for_cache(end: str | None, today: _dt.date | None = None) -> bool:
    """Whether data ending on ``end`` (ISO date) is final, so cache=True may keep it."""
    if not isinstance(end, str):
        return False
    try:
        day = _dt.date.fromisoformat(end[:10])
    except ValueError:
        return False
    today = today or _dt.datetime.now(_dt.timezone.utc).date()
    return day <= today - _dt.timedelta(days=FINAL_AFTER_DAYS)


@dataclass
class ResultCache:
    store: ReportCache
    key: CacheKey

    @classmethod
    def for_client(cls, client: "Transport", digest: str, start: str | None, end: str | None) -> "ResultCache":
        store = ReportCache(Path(client.cache_dir) / "datakiosk")
        key = CacheKey.make(region=str(getattr(client, "region", "")), account=str(client.account_key),
                            report_type=KIND, marketplace_ids=(), start=start, end=end,
                            options={"query_sha256": digest})
        return cls(store, key)

    @property
    def variant(self) -> str:
        return frame_variant(section=None, quotechar=None, encoding=FLATTEN_VERSION)

    def load(self, tree: Node) -> tuple[pd.DataFrame, dict[str, Any]] | None:
        """(frame, manifest) of a complete cached result, or None (then the caller runs the query)."""
        entry = self.store.entry(self.key)
        if not entry.exists():
            return None
        try:
            entry.verify_document()
            manifest = json.loads(entry.document_path.read_text("utf-8"))
            frame = entry.read_frame(self.variant)
            if frame is None:  # rebuilt from the verified pages, no call
                paths = []
                for i in range(int(manifest["pages"])):
                    page = self.store.entry(_page_key(self.key, i))
                    if not page.exists():
                        return None
                    page.verify_document()
                    if (page.meta() or {}).get("document_id"):
                        paths.append(page.document_path)
                frame = parse_documents(paths, tree)
                entry.write_frame(self.variant, frame)
        except Exception:  # damaged: the entry has been deleted or is ignored; run again
            return None
        return frame, {k: manifest.get(k) for k in ("query_ids", "document_ids", "pages", "statuses")}

    def save(self, frame: pd.DataFrame, manifest: dict[str, Any], pages: Sequence["Page"]) -> None:
        """Commit the manifest and the frame (the pages are already committed by the run)."""
        import hashlib

        entry = self.store.entry(self.key)
        entry.path.mkdir(parents=True, exist_ok=True)
        data = json.dumps(manifest, sort_keys=True).encode("utf-8")
        fd, name = tempfile.mkstemp(prefix=".download-", suffix=".gz", dir=entry.path)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        entry.commit_document(Path(name), {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                                           "compression": None, "content_type": "application/json",
                                           "query_id": manifest["query_ids"][0] if manifest["query_ids"] else None})
        entry.write_frame(self.variant, frame)

    def forget_pages(self, count: int) -> None:
        """Delete the first ``count`` page entries, their in-flight records and the result's entry."""
        inflight = self.store.inflight()
        for i in range(count):
            self.store.entry(_page_key(self.key, i)).delete()
            inflight.remove(_page_key(self.key, i))
        self.store.entry(self.key).delete()


def _page_key(base: CacheKey, index: int) -> CacheKey:
    return CacheKey.make(region=base.region, account=base.account, report_type=base.report_type,
                         marketplace_ids=base.marketplace_ids, start=base.start, end=base.end,
                         options={**dict(base.options), "page": str(index)})
