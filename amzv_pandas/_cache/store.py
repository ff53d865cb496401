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
(lz4), checked by its recorded size and BLAKE2b digest (page CRCs do not cover the footer:
schema, column names, pandas metadata) and every page's CRC; a damaged frame, or one
written before digests were recorded, is rebuilt from the verified document without any
API call. The sidecar carries a digest of its own content: a sidecar that is not valid
JSON, has the wrong shape or fails its digest discards the entry (it is downloaded again).

Leftover temp files of a killed process are removed on the next write to their entry, and
:meth:`ReportCache.lock` gives an inter-process lock per key (``locks/<key16>.lock``).
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
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from .. import _version
from .._util.files import atomic_write
from ..exceptions import CacheIntegrityError, ConfigurationError, ReportTimeout, StaleCacheWarning

if TYPE_CHECKING:
    import pandas as pd

    from .._transport.http import Transport

try:  # the parser's own version, so derived frame files follow parser changes
    from .._parsers.api import PARSER_VERSION
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


def _file_digest(path: Path, digest: Any) -> str:
    with open(path, "rb") as fh:
        while True:
            block = fh.read(_HASH_CHUNK)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


def _sha256_file(path: Path) -> str:
    return _file_digest(path, hashlib.sha256())


def _blake2b_file(path: Path) -> str:
    return _file_digest(path, hashlib.blake2b(digest_size=32))


#: Temp files of an entry (downloads, expanded JSON, atomic writes) older than this were left
#: by a killed process: a live download writes at least every minute.
STALE_TEMP_SECONDS = 600.0
_TEMP_PATTERNS = (".download-*", ".expand-*", ".tmp-*")
_META_DIGEST = "meta_digest"


def _meta_digest(meta: Mapping[str, Any]) -> str:
    """BLAKE2b of the sidecar's canonical JSON (without the digest itself)."""
    body = {k: v for k, v in meta.items() if k != _META_DIGEST}
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(raw.encode("utf-8"), digest_size=16).hexdigest()


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _meta_problem(meta: Any) -> str | None:
    """Why a loaded sidecar cannot be trusted, or ``None`` when it is sound.

    Sidecars carry a digest of their own content (a flipped bit that still parses is
    caught); sidecars written before the digest existed are checked for shape only.
    """
    if not isinstance(meta, dict):
        return f"is not a JSON object but {type(meta).__name__}"
    if _META_DIGEST in meta and meta[_META_DIGEST] != _meta_digest(meta):
        return "fails its own digest"
    key = meta.get("key")
    if not isinstance(key, dict) or not isinstance(key.get("marketplace_ids"), list) or not all(
            isinstance(key.get(k), str) for k in ("region", "account", "report_type")):
        return "has no valid key"
    if not isinstance(meta.get("sha256"), str) or not _is_count(meta.get("size")):
        return "has no valid sha256/size of the document"
    if meta.get("compression") not in (None, "gzip"):
        return f"names an unknown compression {meta.get('compression')!r}"
    if not all(meta.get(k) is None or isinstance(meta.get(k), str)
               for k in ("content_type", "report_id", "document_id", "fetched_at")):
        return "has fields of the wrong type"
    frames = meta.get("frames", {})
    if not isinstance(frames, dict) or not all(
            isinstance(v, dict) and _is_count(v.get("size")) for v in frames.values()):
        return "has an invalid frames record"
    return None


def _write_meta(path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Write the sidecar with its own digest; returns what was written."""
    meta = {k: v for k, v in meta.items() if k != _META_DIGEST}
    # Round-trip first so the digest covers exactly what a reader will load.
    meta = json.loads(json.dumps(meta, default=str))
    meta[_META_DIGEST] = _meta_digest(meta)
    atomic_write_json(path, meta)
    return meta


def _load_meta(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """``(meta, None)``, ``(None, problem)`` for a corrupt sidecar, ``(None, None)`` when absent."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot be read ({type(exc).__name__})"
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError):
        return None, "is not valid JSON"
    problem = _meta_problem(meta)
    return (None, problem) if problem else (meta, None)


def _label(value: str | None) -> str:
    """A file-name-safe form of a start/end (``2024-01-01`` or ``20240101T000000Z``)."""
    if value is None:
        return "none"
    text = value.replace("+00:00", "Z")
    if "T" in text:
        text = text.replace("-", "").replace(":", "")
    return re.sub(r"[^0-9A-Za-z._-]", "", text)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`amzv_pandas._util.files.atomic_write`)."""
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
        """The sidecar, or ``None`` when the entry is absent or incomplete.

        A corrupt sidecar (not JSON, wrong shapes, failing its own digest) discards the
        entry with a :class:`StaleCacheWarning`: the document is then downloaded again.
        """
        if self._meta is None:
            meta, problem = _load_meta(self.meta_path)
            if problem is not None:
                self.delete()
                warnings.warn(f"cache sidecar {self.meta_path} {problem}; the entry was deleted and will be "
                              "downloaded again", StaleCacheWarning, stacklevel=3)
                return None
            self._meta = meta
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
        the transcoding and the CSV parse. It is checked by its recorded size and BLAKE2b
        digest, and by every page's CRC as it is read; the document it derives from is
        checked by size here and by sha256 whenever it is read (:meth:`verify_document`). A
        frame that fails is deleted with a :class:`StaleCacheWarning`; a frame without a
        recorded digest (an older version's) is deleted silently; either way ``None`` is
        returned and the caller re-parses the cached document.

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
        expected = info.get("blake2b")
        if not isinstance(expected, str):
            # Written by a version that kept no digest: unverifiable, so rebuilt (and rewritten with one).
            logger.debug("cached frame %s has no recorded digest; rebuilding it", path)
            _unlink(path)
            return None
        problem = None
        try:
            # One mapping of one inode: the bytes hashed are the bytes decoded, even if the
            # file is replaced meanwhile. Page CRCs do not cover the footer (schema, names,
            # pandas metadata): the digest does.
            with pa.memory_map(str(path), "r") as mm:
                buf = mm.read_buffer()
                if len(buf) != info.get("size"):
                    problem = "has the wrong size"
                elif hashlib.blake2b(memoryview(buf), digest_size=32).hexdigest() != expected:
                    problem = "fails its digest"
                else:
                    table = pq.read_table(pa.BufferReader(buf), page_checksum_verification=True)
                    frame = table.to_pandas(split_blocks=True)
                    del table
                del buf
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
        """An open binary temp file next to the document (for streaming a download into).

        Temp files of this entry not modified for :data:`STALE_TEMP_SECONDS` (left by a
        killed process) are removed first.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        self.remove_stale_temp_files()
        fd, tmp = tempfile.mkstemp(prefix=".download-", suffix=".gz", dir=self.path)
        return os.fdopen(fd, "wb"), Path(tmp)

    def remove_stale_temp_files(self, max_age: float = STALE_TEMP_SECONDS) -> int:
        """Delete this entry's temp files untouched for ``max_age`` seconds; returns how many."""
        cutoff = time.time() - max_age
        removed = 0
        for pattern in _TEMP_PATTERNS:
            for tmp in self.path.glob(pattern):
                try:
                    if tmp.is_file() and tmp.stat().st_mtime < cutoff:
                        tmp.unlink()
                        removed += 1
                except OSError:  # gone meanwhile, or not ours to remove
                    continue
        return removed

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
        self._meta = _write_meta(self.meta_path, meta)

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
        frames[variant] = {"size": size, "blake2b": _blake2b_file(path), "parser_version": PARSER_VERSION,
                           "format": "parquet", "rows": int(len(frame)), "written_at": _utcnow().isoformat()}
        self._meta = _write_meta(self.meta_path, {**meta, "frames": frames})

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


@contextmanager
def _key_lock(path: Path, key: CacheKey, timeout: float | None) -> Iterator[None]:
    import filelock

    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(path), timeout=-1 if timeout is None else max(float(timeout), 0.0))
    try:
        lock.acquire()
    except filelock.Timeout:
        msg = (f"another process has held the cache lock of this {key.report_type} read ({path}) for more "
               f"than {timeout:g}s")
        raise ReportTimeout(msg, report_type=key.report_type) from None
    try:
        yield
    finally:
        lock.release()


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
    def for_client(cls, client: "Transport") -> "ReportCache":
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
                meta, _problem = _load_meta(folder / _META)
                if meta is None:  # absent or corrupt: not an entry (reading it by key discards it)
                    continue
                try:
                    k = meta["key"]
                    options = k.get("options") or {}
                    key = CacheKey(k["region"], k["account"], k["report_type"],
                                   tuple(str(m) for m in k["marketplace_ids"]),
                                   k.get("start"), k.get("end"),
                                   tuple(sorted((str(a), str(b)) for a, b in dict(options).items())),
                                   k.get("report_id"))
                except (KeyError, TypeError, ValueError, AttributeError):
                    continue
                yield CacheEntry(key, folder, meta)

    def lock(self, key: CacheKey, timeout: float | None = None) -> Any:
        """An inter-process exclusive lock for ``key`` (a context manager).

        The report layer holds it around "check the in-flight record, then create or
        reuse", so two processes reading the same report create it once. Lock files live
        under ``<root>/locks/``.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait for the lock; default: wait as long as it takes.

        Raises
        ------
        ReportTimeout
            The lock was not obtained within ``timeout``.
        """
        return _key_lock(self.root / "locks" / f"{key.digest[:16]}.lock", key, timeout)

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

                parsed = pd.Timedelta(older_than)
                if pd.isna(parsed):  # "" and "NaT" parse to NaT, which is no duration
                    raise ValueError(older_than)
                age = parsed.to_pytimedelta()
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
            _unlink(self.path)


# --------------------------------------------------------------------------------------------
# public functions


def cache_info(*, client: "Transport") -> "pd.DataFrame":
    """List the cached report documents.

    Parameters
    ----------
    client : Client, optional
        Whose cache (``client.cache_dir``); default: the default client's (``amzv.cache_info``
        resolves it; here it is required).

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
    return ReportCache.for_client(client).info()


def clear_cache(
    *,
    report_type: str | None = None,
    older_than: "_dt.timedelta | str | None" = None,
    client: "Transport",
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
        Whose cache; default: the default client's (``amzv.clear_cache`` resolves it; here it
        is required).

    Returns
    -------
    int
        Number of entries deleted. With no filter the in-flight index is cleared too.
    """
    _parse_age(older_than)  # a bad duration fails before the client is touched
    return ReportCache.for_client(client).clear(report_type=report_type, older_than=older_than)
