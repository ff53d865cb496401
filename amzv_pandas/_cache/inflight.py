"""The in-flight index: report ids being (or recently) processed, by cache key (``reports/inflight.json``)."""

from __future__ import annotations

import datetime as _dt
import json
import threading
from pathlib import Path
from typing import Any, Mapping

from .._util.files import unlink_quietly
from .._util.time import utc_now
from .entry import atomic_write_json
from .keys import CACHE_VERSION, CacheKey

__all__ = ["InflightIndex"]


def _created(record: Mapping[str, Any]) -> _dt.datetime | None:
    try:
        created = _dt.datetime.fromisoformat(str(record.get("created_at", "")))
    except ValueError:
        return None
    return created if created.tzinfo is not None else created.replace(tzinfo=_dt.timezone.utc)


def _record_ok(record: Any) -> bool:
    return (isinstance(record, dict) and isinstance(record.get("report_id"), str) and bool(record["report_id"])
            and all(record.get(k) is None or isinstance(record.get(k), str)
                    for k in ("status", "created_at", "document_id", "report_type")))


class InflightIndex:
    """A small JSON file of report ids by cache key digest.

    ``read_report`` records a report id here as soon as ``createReport`` answers, so a
    restarted kernel resumes polling that report instead of spending ``createReport``
    quota on a new one. Finished (DONE) reports stay recorded for a while: the record
    proves which options they were made with, which ``getReports`` cannot tell.
    """

    _lock = threading.Lock()  # one process-wide lock: every index file is small

    #: Reports are kept by Amazon for 90 days at most.
    RETENTION = _dt.timedelta(days=90)

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError, RecursionError):
            return {}
        reports = data.get("reports") if isinstance(data, dict) else None
        if not isinstance(reports, dict):
            return {}
        # Keep only records of the expected shape: a damaged one is forgotten, not trusted.
        return {digest: rec for digest, rec in reports.items() if _record_ok(rec)}

    def _save(self, reports: Mapping[str, Any]) -> None:
        atomic_write_json(self.path, {"version": CACHE_VERSION, "reports": dict(reports)})

    def get(self, key: CacheKey) -> dict[str, Any] | None:
        """The record of ``key`` (``report_id``, ``status``, ``created_at``...), or ``None``."""
        with self._lock:
            record = self._load().get(key.digest)
        if not record:
            return None
        created = _created(record)
        if created is not None and utc_now() - created > self.RETENTION:
            return None
        return record

    def put(self, key: CacheKey, report_id: str, *, status: str = "IN_QUEUE", **extra: Any) -> None:
        """Record (or update) the report of ``key``."""
        with self._lock:
            reports = self._load()
            old = reports.get(key.digest) or {}
            created = old.get("created_at") if old.get("report_id") == report_id else None
            reports[key.digest] = {
                **{k: v for k, v in old.items() if old.get("report_id") == report_id},
                "report_id": report_id,
                "status": status,
                "report_type": key.report_type,
                "start": key.start,
                "end": key.end,
                "created_at": created or utc_now().isoformat(),
                "updated_at": utc_now().isoformat(),
                **extra,
            }
            # Forget records Amazon no longer keeps, so the file stays small.
            cutoff = utc_now() - self.RETENTION
            for digest, rec in list(reports.items()):
                created = _created(rec)
                if created is None or created < cutoff:
                    del reports[digest]
            self._save(reports)

    def remove(self, key: CacheKey, report_id: str | None = None) -> None:
        """Forget the record of ``key`` (only if it still names ``report_id``, when given)."""
        with self._lock:
            reports = self._load()
            record = reports.get(key.digest)
            if record is None or (report_id is not None and record.get("report_id") != report_id):
                return
            del reports[key.digest]
            self._save(reports)

    def all(self) -> dict[str, dict[str, Any]]:
        """Every record by key digest."""
        with self._lock:
            return self._load()

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            unlink_quietly(self.path)
