"""The on-disk report cache: raw documents as the truth, Parquet frames for fast reloads.

Layout under ``client.cache_dir``::

    reports/
      inflight.json                                   report ids being (or recently) processed, by key
      <REPORT_TYPE>/<key16>-<start>_<end>/
        document.gz                                   the document exactly as Amazon sent it (gzip)
        meta.json                                     key, sha256, size, ids, content type, charset, fetched_at
        frame-<variant>.parquet                       the parsed frame (Parquet), per section/quoting/codec/parser version

An entry is keyed by region, account (``client.account_key``, never a secret), report
type, sorted marketplace ids, the resolved absolute start/end and the sorted report
options (:class:`CacheKey`). The parsed frame additionally depends on the section, the
quote character, the codec and :data:`PARSER_VERSION`, so a parser upgrade re-parses the
stored document instead of refetching it.

Every file is written to a temporary file in the same directory and moved into place with
:func:`os.replace`, ``meta.json`` last, so a crash never leaves a half-written entry that
looks complete. The document's sha256 is verified whenever it is read; a document that
fails is deleted and the caller fetches it again (with a
:class:`~amzv_pandas.exceptions.StaleCacheWarning`). The derived frame is a Parquet file
(lz4), checked by its recorded size and every page's CRC; a damaged frame is rebuilt
from the verified document without any API call.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from . import _version
from ._atomic import atomic_write
from .exceptions import CacheIntegrityError, ConfigurationError, StaleCacheWarning

if TYPE_CHECKING:
    import pandas as pd

    from .client import Client

try:  # the parser's own version, so derived frame files follow parser changes
    from .parse import PARSER_VERSION
except ImportError:  # pragma: no cover - parse.py not available
    PARSER_VERSION = "1"

__all__ = [
    "CACHE_VERSION",
    "PARSER_VERSION",
    "CacheKey",
    "CacheEntry",
    "ReportCache",
    "InflightIndex",
    "cache_info",
    "clear_cache",
]

logger = logging.getLogger(__name__)

#: Bumped when the on-disk layout or the key changes (old entries are then ignored).
CACHE_VERSION = 1

_DOCUMENT = "document.gz"
_META = "meta.json"
_HASH_CHUNK = 1 << 20


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            block = fh.read(_HASH_CHUNK)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


def _label(value: str | None) -> str:
    """A file-name-safe form of a start/end (``2024-01-01`` or ``20240101T000000Z``)."""
    if value is None:
        return "none"
    text = value.replace("+00:00", "Z")
    if "T" in text:
        text = text.replace("-", "").replace(":", "")
    return re.sub(r"[^0-9A-Za-z._-]", "", text)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`amzv_pandas._atomic.atomic_write`)."""
    with atomic_write(path) as fh:
        fh.write(data)


def atomic_write_json(path: Path, obj: Any) -> None:
    """Atomically write ``obj`` as pretty JSON."""
    atomic_write_bytes(path, json.dumps(obj, indent=1, sort_keys=True, default=str).encode("utf-8"))


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


# --------------------------------------------------------------------------------------------
# keys


@dataclass(frozen=True)
class CacheKey:
    """What identifies one report document.

    ``start``/``end`` are the resolved absolute range as ISO strings (dates for
    day-granular reports, UTC date-times otherwise, ``None`` for snapshots).
    ``report_id`` is set instead of the range for documents fetched by id
    (:func:`amzv_pandas.get_report`), whose options are not known.
    """

    region: str
    account: str
    report_type: str
    marketplace_ids: tuple[str, ...]
    start: str | None = None
    end: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    report_id: str | None = None

    @classmethod
    def make(
        cls,
        *,
        region: str,
        account: str,
        report_type: str,
        marketplace_ids: Sequence[str],
        start: str | None = None,
        end: str | None = None,
        options: Mapping[str, str] | None = None,
        report_id: str | None = None,
    ) -> "CacheKey":
        """Build a key, sorting the marketplace ids and the options."""
        return cls(region, account, report_type, tuple(sorted(set(marketplace_ids))), start, end,
                   tuple(sorted((str(k), str(v)) for k, v in (options or {}).items())), report_id)

    def to_dict(self) -> dict[str, Any]:
        """The key as canonical JSON-able data."""
        return {
            "cache_version": CACHE_VERSION,
            "region": self.region,
            "account": self.account,
            "report_type": self.report_type,
            "marketplace_ids": list(self.marketplace_ids),
            "start": self.start,
            "end": self.end,
            "options": dict(self.options),
            "report_id": self.report_id,
        }

    @property
    def digest(self) -> str:
        """sha256 of the canonical JSON of the key."""
        raw = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    @property
    def dirname(self) -> str:
        """``<key16>-<start>_<end>`` (or ``<key16>-report-<id>``)."""
        if self.report_id is not None:
            return f"{self.digest[:16]}-report-{_label(self.report_id)}"
        return f"{self.digest[:16]}-{_label(self.start)}_{_label(self.end)}"


def frame_variant(*, section: str | None, quotechar: str | None, encoding: str | None) -> str:
    """Short name of one way of parsing a document (plus the parser version)."""
    raw = json.dumps([section, quotechar, encoding, PARSER_VERSION], separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]


# --------------------------------------------------------------------------------------------
# entries


@dataclass
class CacheEntry:
    """One cached document and its derived frames (a folder)."""

    key: CacheKey
    path: Path
    _meta: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def document_path(self) -> Path:
        return self.path / _DOCUMENT

    @property
    def meta_path(self) -> Path:
        return self.path / _META

    def frame_path(self, variant: str) -> Path:
        return self.path / f"frame-{variant}.parquet"

    # -- reading ---------------------------------------------------------------------------

    def meta(self) -> dict[str, Any] | None:
        """The sidecar, or ``None`` when the entry is absent or incomplete."""
        if self._meta is None:
            try:
                self._meta = json.loads(self.meta_path.read_text("utf-8"))
            except FileNotFoundError:
                return None
            except (OSError, ValueError):
                return None
        return self._meta

    def exists(self) -> bool:
        """Whether a complete entry (document + sidecar of this key) is present."""
        meta = self.meta()
        return bool(meta) and meta.get("key") == self.key.to_dict() and self.document_path.exists()

    def verify_document(self) -> None:
        """Check the document's sha256 against the sidecar.

        Raises
        ------
        CacheIntegrityError
            The document is missing or its digest differs; the entry has been deleted.
        """
        meta = self.meta() or {}
        try:
            actual = _sha256_file(self.document_path)
        except FileNotFoundError:
            actual = None
        self._require_document(actual, meta.get("sha256"),
                               lambda a, e: f"has sha256 {a[:16]}…, expected {str(e)[:16]}…")

    def _require_document(self, actual: Any, expected: Any, describe: Any) -> None:
        """Delete the entry and raise unless the document exists and ``actual == expected``."""
        if actual is not None and actual == expected:
            return
        self.delete()
        what = "is missing" if actual is None else describe(actual, expected)
        raise CacheIntegrityError(f"cached document {self.document_path} {what}; the entry was deleted")

    def read_frame(self, variant: str) -> "pd.DataFrame | None":
        """The cached parsed frame of ``variant``, or ``None`` when there is none (yet).

        The frame is a Parquet file (lz4): reloading it skips the download, the gunzip,
        the transcoding and the CSV parse. It is checked by its recorded size and by every
        page's CRC as it is read; the document it derives from is checked by size here and
        by sha256 whenever it is read (:meth:`verify_document`). A frame that fails is
        deleted with a :class:`StaleCacheWarning`; the caller re-parses the cached document.

        Raises
        ------
        CacheIntegrityError
            The document is missing or has the wrong size (the entry was deleted).
        """
        meta = self.meta() or {}
        try:
            doc_size = self.document_path.stat().st_size
        except FileNotFoundError:
            doc_size = None
        self._require_document(doc_size, meta.get("size"), lambda a, e: f"has {a} bytes, expected {e}")
        info = (meta.get("frames") or {}).get(variant)
        path = self.frame_path(variant)
        if not info or not path.exists():
            return None
        problem = None
        try:
            if path.stat().st_size != info.get("size"):
                problem = "has the wrong size"
            else:
                table = pq.read_table(str(path), page_checksum_verification=True)
                frame = table.to_pandas(split_blocks=True)
                del table
        except Exception as exc:  # unreadable: the footer or the buffers are damaged
            problem = f"failed verification ({type(exc).__name__}: {exc})"
        if problem is not None:
            _unlink(path)
            warnings.warn(f"cached frame {path} {problem}; it was deleted and will be rebuilt from the cached "
                          "document", StaleCacheWarning, stacklevel=4)
            return None
        return frame

    # -- writing ---------------------------------------------------------------------------

    def temp_document(self) -> tuple[Any, Path]:
        """An open binary temp file next to the document (for streaming a download into)."""
        self.path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".download-", suffix=".gz", dir=self.path)
        return os.fdopen(fd, "wb"), Path(tmp)

    def commit_document(self, tmp_path: Path, info: Mapping[str, Any]) -> None:
        """Move a finished download into place, then write the sidecar.

        ``info`` holds ``sha256``, ``size`` and the ids/content type; any frames of a
        previous document are dropped.
        """
        for old in self.path.glob("frame-*"):
            _unlink(old)
        os.replace(tmp_path, self.document_path)
        meta = {
            "key": self.key.to_dict(),
            **dict(info),
            "fetched_at": info.get("fetched_at") or _utcnow().isoformat(),
            "library_version": _version.__version__,
            "frames": {},
        }
        atomic_write_json(self.meta_path, meta)
        self._meta = meta

    def write_frame(self, variant: str, frame: "pd.DataFrame") -> None:
        """Store the parsed frame of ``variant`` (Parquet, lz4) and record its size."""
        meta = self.meta()
        if meta is None:
            return
        path = self.frame_path(variant)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        with atomic_write(path, fsync=False) as fh:  # derived data: rebuilt from the document if lost
            # Plain encoding decodes ~25% faster than dictionary pages for the mostly
            # unique text of reports, at ~1.5x the (still small) size: reloads win.
            # Page CRCs make a flipped bit a read error instead of silently wrong data.
            pq.write_table(table, fh, compression="lz4", use_dictionary=False, write_page_checksum=True)
        del table
        size = path.stat().st_size
        frames = dict(meta.get("frames") or {})
        frames[variant] = {"size": size, "parser_version": PARSER_VERSION, "format": "parquet",
                           "rows": int(len(frame)), "written_at": _utcnow().isoformat()}
        meta = {**meta, "frames": frames}
        atomic_write_json(self.meta_path, meta)
        self._meta = meta

    def delete(self) -> None:
        """Remove the entry's folder."""
        self._meta = None
        shutil.rmtree(self.path, ignore_errors=True)

    def size(self) -> int:
        """Bytes on disk (document, sidecar and frames)."""
        total = 0
        for child in self.path.iterdir() if self.path.exists() else ():
            try:
                total += child.stat().st_size
            except OSError:
                pass
        return total


class ReportCache:
    """The report cache rooted at ``root`` (``<cache_dir>/reports``).

    Parameters
    ----------
    root : path
        Created only when something is written.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @classmethod
    def for_client(cls, client: "Client") -> "ReportCache":
        """The cache of ``client`` (under ``client.cache_dir``)."""
        return cls(Path(client.cache_dir) / "reports")

    def __repr__(self) -> str:
        return f"<ReportCache {self.root}>"

    def entry(self, key: CacheKey) -> CacheEntry:
        """The entry of ``key`` (which may not exist yet)."""
        folder = re.sub(r"[^A-Z0-9_]", "_", key.report_type.upper()) or "UNKNOWN"
        return CacheEntry(key, self.root / folder / key.dirname)

    def inflight(self) -> "InflightIndex":
        """The index of report ids in flight, shared by all clients of this cache dir."""
        return InflightIndex(self.root / "inflight.json")

    def entries(self) -> Iterator[CacheEntry]:
        """Every complete entry on disk."""
        if not self.root.is_dir():
            return
        for type_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for folder in sorted(p for p in type_dir.iterdir() if p.is_dir()):
                try:
                    meta = json.loads((folder / _META).read_text("utf-8"))
                    k = meta["key"]
                    key = CacheKey(k["region"], k["account"], k["report_type"], tuple(k["marketplace_ids"]),
                                   k.get("start"), k.get("end"), tuple(sorted((k.get("options") or {}).items())),
                                   k.get("report_id"))
                except (OSError, ValueError, KeyError, TypeError):
                    continue
                yield CacheEntry(key, folder, meta)

    def info(self) -> "pd.DataFrame":
        """One row per entry; see :func:`cache_info`."""
        import pandas as pd

        rows = []
        for entry in self.entries():
            meta = entry.meta() or {}
            key = entry.key
            rows.append({
                "report_type": key.report_type,
                "marketplace_ids": ",".join(key.marketplace_ids),
                "start": key.start,
                "end": key.end,
                "options": ", ".join(f"{k}={v}" for k, v in key.options),
                "report_id": meta.get("report_id"),
                "document_id": meta.get("document_id"),
                "size": entry.size(),
                "fetched_at": meta.get("fetched_at"),
                "account": key.account,
                "region": key.region,
                "path": str(entry.path),
            })
        columns = ["report_type", "marketplace_ids", "start", "end", "options", "report_id", "document_id",
                   "size", "fetched_at", "account", "region", "path"]
        df = pd.DataFrame(rows, columns=columns)
        df = df.astype({c: "str" for c in columns if c not in ("size", "fetched_at")})
        df["size"] = df["size"].astype("Int64")
        df["fetched_at"] = pd.to_datetime(df["fetched_at"], utc=True, format="ISO8601").astype("datetime64[us, UTC]")
        return df.sort_values(["report_type", "start", "end"], kind="stable", ignore_index=True)

    def clear(self, *, report_type: str | None = None, older_than: Any = None) -> int:
        """Delete entries; see :func:`clear_cache`. Returns how many were deleted."""
        age = _parse_age(older_than)
        wanted = report_type.strip().upper() if isinstance(report_type, str) else None
        if report_type is not None and not wanted:
            msg = f"report_type={report_type!r} must be a report type name such as 'GET_VENDOR_SALES_REPORT'"
            raise ConfigurationError(msg, parameter="report_type", value=report_type)
        cutoff = _utcnow() - age if age is not None else None
        removed = 0
        for entry in list(self.entries()):
            if wanted is not None and entry.key.report_type != wanted:
                continue
            if cutoff is not None:
                fetched = (entry.meta() or {}).get("fetched_at")
                try:
                    when = _dt.datetime.fromisoformat(str(fetched))
                except ValueError:
                    when = None
                if when is not None and when.tzinfo is None:
                    when = when.replace(tzinfo=_dt.timezone.utc)
                if when is not None and when > cutoff:
                    continue
            entry.delete()
            removed += 1
        if wanted is None and cutoff is None:
            self.inflight().clear()
        return removed


_AGE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$", re.IGNORECASE)
_AGE_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "mins": 60,
              "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
              "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}


def _parse_age(older_than: Any) -> _dt.timedelta | None:
    """``older_than`` as a timedelta: a timedelta, pandas Timedelta, or ``"7d"``/``"12 hours"``."""
    if older_than is None:
        return None
    allowed = "a datetime.timedelta, a pandas Timedelta, or a string such as '7d', '12h', '30 days'"
    if isinstance(older_than, _dt.timedelta):
        age = older_than
    elif isinstance(older_than, str):
        m = _AGE_RE.match(older_than)
        if m and m.group(2).lower() in _AGE_UNITS:
            age = _dt.timedelta(seconds=float(m.group(1)) * _AGE_UNITS[m.group(2).lower()])
        else:
            try:
                import pandas as pd

                age = pd.Timedelta(older_than).to_pytimedelta()
            except (ValueError, TypeError):
                msg = f"older_than={older_than!r} is not a duration; use {allowed}"
                raise ConfigurationError(msg, parameter="older_than", value=older_than, allowed=allowed) from None
    else:
        msg = f"older_than={older_than!r} is not a duration; use {allowed}"
        raise ConfigurationError(msg, parameter="older_than", value=older_than, allowed=allowed)
    if age < _dt.timedelta(0):
        msg = f"older_than={older_than!r} is negative; use {allowed}"
        raise ConfigurationError(msg, parameter="older_than", value=older_than, allowed=allowed)
    return age


# --------------------------------------------------------------------------------------------
# in-flight index


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
        except (OSError, ValueError):
            return {}
        reports = data.get("reports") if isinstance(data, dict) else None
        return reports if isinstance(reports, dict) else {}

    def _save(self, reports: Mapping[str, Any]) -> None:
        atomic_write_json(self.path, {"version": CACHE_VERSION, "reports": dict(reports)})

    def get(self, key: CacheKey) -> dict[str, Any] | None:
        """The record of ``key`` (``report_id``, ``status``, ``created_at``...), or ``None``."""
        with self._lock:
            record = self._load().get(key.digest)
        if not record:
            return None
        try:
            created = _dt.datetime.fromisoformat(record.get("created_at", ""))
        except ValueError:
            created = None
        if created is not None and _utcnow() - created > self.RETENTION:
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
                "created_at": created or _utcnow().isoformat(),
                "updated_at": _utcnow().isoformat(),
                **extra,
            }
            # Forget records Amazon no longer keeps, so the file stays small.
            cutoff = _utcnow() - self.RETENTION
            for digest, rec in list(reports.items()):
                try:
                    if _dt.datetime.fromisoformat(rec.get("created_at", "")) < cutoff:
                        del reports[digest]
                except ValueError:
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
            _unlink(self.path)


# --------------------------------------------------------------------------------------------
# public functions


def cache_info(*, client: "Client | None" = None) -> "pd.DataFrame":
    """List the cached report documents.

    Parameters
    ----------
    client : Client, optional
        Whose cache (``client.cache_dir``); default: the default client's.

    Returns
    -------
    DataFrame
        One row per entry: ``report_type``, ``marketplace_ids`` (comma-separated),
        ``start``, ``end`` (as requested: dates, or UTC date-times), ``options``,
        ``report_id``, ``document_id``, ``size`` (bytes on disk), ``fetched_at`` (UTC),
        ``account``, ``region`` and ``path`` (the entry's folder).

    Examples
    --------
    >>> amzv.cache_info()[["report_type", "start", "end", "size"]]      # doctest: +SKIP
    """
    from .client import resolve_client

    return ReportCache.for_client(resolve_client(client)).info()


def clear_cache(
    *,
    report_type: str | None = None,
    older_than: "_dt.timedelta | str | None" = None,
    client: "Client | None" = None,
) -> int:
    """Delete cached report documents.

    Parameters
    ----------
    report_type : str, optional
        Only entries of this report type.
    older_than : timedelta or str, optional
        Only entries fetched longer ago than this (``"7d"``, ``"12h"``, ``"30 days"``,
        a :class:`datetime.timedelta` or :class:`pandas.Timedelta`).
    client : Client, optional
        Whose cache; default: the default client's.

    Returns
    -------
    int
        Number of entries deleted. With no filter the in-flight index is cleared too.
    """
    from .client import resolve_client

    _parse_age(older_than)  # a bad duration fails before anything is resolved
    return ReportCache.for_client(resolve_client(client)).clear(report_type=report_type, older_than=older_than)
