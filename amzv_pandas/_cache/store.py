"""The on-disk report cache: raw documents as the truth, compact Arrow frames for fast reloads.

Layout under ``client.cache_dir``::

    reports/
      inflight.json                                   report ids being (or recently) processed, by key
      <REPORT_TYPE>/<key16>-<start>_<end>/
        document.gz                                   the document exactly as Amazon sent it (gzip)
        meta.json                                     key, sha256, size, ids, content type, charset, fetched_at
        frame-<variant>.split                         the parsed frame (split Arrow file; .arrow: mmapped IPC when not much larger), per section/quoting/codec/parser version

An entry is keyed by region, account (``client.account_key``, never a secret), report
type, sorted marketplace ids, the resolved absolute start/end and the sorted report
options (:class:`CacheKey`). The parsed frame additionally depends on the section, the
quote character, the codec and :data:`PARSER_VERSION`, so a parser upgrade re-parses the
stored document instead of refetching it.

Every file is written to a temporary file in the same directory and moved into place with
:func:`os.replace`, ``meta.json`` last, so a crash never leaves a half-written entry that
looks complete. The document's sha256 is verified whenever it is read; a document that
fails is deleted and the caller fetches it again (with a
:class:`~amzv_pandas.exceptions.StaleCacheWarning`). The derived frame is a split file
(text as value lengths plus LZ4 byte blobs, :mod:`amzv_pandas._cache.split_frame`) or, when
that is at most 2.5x smaller, an uncompressed Arrow IPC file; either is memory-mapped on
reload and checked by its recorded size and CRC-32. Parquet frames of earlier versions are
still read, checked by size, BLAKE2b and every page's CRC (see
:mod:`amzv_pandas._cache.entry`); a damaged frame, or one written before digests were
recorded, is rebuilt from the verified document without any API call. The sidecar carries a digest of its own content: a sidecar that is not valid
JSON, has the wrong shape or fails its digest discards the entry (it is downloaded again).

Leftover temp files of a killed process are removed on the next write to their entry, and
:meth:`ReportCache.lock` gives an inter-process lock per key (``locks/<key16>.lock``).
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from .._util.time import utc_now
from ..exceptions import ConfigurationError, ReportTimeout
from .entry import META_FILE, STALE_TEMP_SECONDS, CacheEntry, atomic_write_bytes, atomic_write_json, load_meta
from .inflight import InflightIndex
from .keys import CACHE_VERSION, PARSER_VERSION, CacheKey, frame_variant

if TYPE_CHECKING:
    import pandas as pd

    from .._transport.http import Transport

# CacheKey/frame_variant (keys.py), CacheEntry (entry.py) and InflightIndex (inflight.py) are
# re-exported: ``from amzv_pandas._cache.store import ...`` stays the cache's one entry point.
__all__ = [
    "CACHE_VERSION",
    "PARSER_VERSION",
    "STALE_TEMP_SECONDS",
    "CacheKey",
    "CacheEntry",
    "ReportCache",
    "InflightIndex",
    "cache_info",
    "clear_cache",
    "frame_variant",
    "atomic_write_bytes",
    "atomic_write_json",
]

logger = logging.getLogger(__name__)


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
                meta, _problem = load_meta(folder / META_FILE)
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
        cutoff = utc_now() - age if age is not None else None
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
