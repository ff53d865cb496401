"""One cache entry (a folder): the verified document, its self-digesting sidecar, its derived frames.

Every file is written to a temporary file in the same directory and moved into place with
:func:`os.replace`, ``meta.json`` last, so a crash never leaves a half-written entry that
looks complete. The document's sha256 is verified whenever it is read. The derived frame is
a "split" file (``frame-<variant>.split``, :mod:`amzv_pandas._cache.split_frame`: text
columns as value lengths plus one LZ4 byte blob each, rebuilt without per-value work), or,
when an uncompressed Arrow IPC file is at most :data:`IPC_MAX_SIZE_RATIO` times the split
file's size, that IPC file (``frame-<variant>.arrow``), memory-mapped on reload so pandas
shares its buffers. Either is checked by its recorded size and CRC-32 of the whole mapping.
Frames of earlier versions (Arrow IPC with CRC-32, Parquet with BLAKE2b and page CRCs) are
still read. The sidecar carries a digest of its own content (see
:mod:`amzv_pandas._cache.store`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import pyarrow as pa

from .. import _version
from .._parsers.arrow import frame_to_pandas
from .._parsers.inflate import crc32
from .._util.files import atomic_write, unlink_quietly
from .._util.time import utc_now
from ..exceptions import CacheIntegrityError, StaleCacheWarning
from . import split_frame
from .keys import PARSER_VERSION, CacheKey

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CacheEntry", "FRAME_FORMATS", "IPC_MAX_SIZE_RATIO", "STALE_TEMP_SECONDS", "META_FILE", "load_meta",
           "atomic_write_bytes", "atomic_write_json"]

# Records keep the logger name they had before the split out of store.py.
logger = logging.getLogger("amzv_pandas._cache.store")

_DOCUMENT = "document.gz"
META_FILE = "meta.json"
_HASH_CHUNK = 1 << 20
_SUFFIX = {"split": ".split", "arrow": ".arrow", "parquet": ".parquet"}
#: Formats a frame may be stored in; ``"parquet"`` is only read (frames of earlier versions).
FRAME_FORMATS = tuple(_SUFFIX)
#: A frame is stored as uncompressed Arrow IPC (memory-mapped: the fastest reload) when that file
#: is at most this many times its split form, else split (issue 15: on-disk <= 2.5x the Parquet
#: frames of earlier versions; the split file is about Parquet's size or smaller).
#: benchmarks/cache_formats.py measures them side by side.
IPC_MAX_SIZE_RATIO = 2.5


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


def load_meta(path: Path) -> tuple[dict[str, Any] | None, str | None]:
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


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`amzv_pandas._util.files.atomic_write`)."""
    with atomic_write(path) as fh:
        fh.write(data)


def atomic_write_json(path: Path, obj: Any) -> None:
    """Atomically write ``obj`` as pretty JSON."""
    atomic_write_bytes(path, json.dumps(obj, indent=1, sort_keys=True, default=str).encode("utf-8"))



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
        return self.path / META_FILE

    def frame_path(self, variant: str, fmt: str | None = None) -> Path:
        """The frame file of ``variant`` in ``fmt`` (default: the recorded format, else ``"arrow"``)."""
        if fmt is None:
            info = ((self._meta or {}).get("frames") or {}).get(variant)
            fmt = info.get("format", "parquet") if isinstance(info, dict) else "arrow"
        return self.path / f"frame-{variant}{_SUFFIX.get(fmt, '.parquet')}"

    # -- reading ---------------------------------------------------------------------------

    def meta(self) -> dict[str, Any] | None:
        """The sidecar, or ``None`` when the entry is absent or incomplete.

        A corrupt sidecar (not JSON, wrong shapes, failing its own digest) discards the
        entry with a :class:`StaleCacheWarning`: the document is then downloaded again.
        """
        if self._meta is None:
            meta, problem = load_meta(self.meta_path)
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

    def read_frame(self, variant: str, *, dtype_backend: str = "numpy_nullable") -> "pd.DataFrame | None":
        """The cached parsed frame of ``variant``, or ``None`` when there is none (yet).

        Reloading it skips the download, the gunzip, the transcoding and the CSV parse. The
        frame file is memory-mapped and checked by its recorded size and CRC-32 over the
        mapping (Parquet frames of earlier versions: BLAKE2b and every page's CRC). A split
        frame is then rebuilt from its lengths and inflated text blobs (no per-value work);
        an Arrow IPC frame's text columns (and, with ``dtype_backend="pyarrow"``, every
        column) share the mapped buffers: no copy. The document it derives from is checked
        by size here and by sha256 whenever it is read (:meth:`verify_document`). A frame
        that fails is deleted with a :class:`StaleCacheWarning`; a frame without a recorded
        digest (an older version's) is deleted silently; either way ``None`` is returned and
        the caller re-parses the cached document.

        Parameters
        ----------
        variant : str
            The frame variant (:func:`~amzv_pandas._cache.keys.frame_variant`).
        dtype_backend : {"numpy_nullable", "pyarrow"}
            The dtypes of the frame returned (validated by the caller).

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
        if not info:
            return None
        fmt = info.get("format", "parquet")
        path = self.frame_path(variant, fmt)
        if not path.exists():
            return None
        expected = info.get("blake2b") if fmt == "parquet" else info.get("crc32")
        if fmt not in _SUFFIX or not isinstance(expected, (str, int)) or isinstance(expected, bool):
            # Written by a version that kept no digest: unverifiable, so rebuilt (and rewritten with one).
            logger.debug("cached frame %s has no recorded digest; rebuilding it", path)
            unlink_quietly(path)
            return None
        problem = None
        try:
            # One mapping of one inode: the bytes checked are the bytes decoded, even if the
            # file is replaced meanwhile (frames are only ever replaced, never rewritten in place).
            with pa.memory_map(str(path), "r") as mm:
                buf = mm.read_buffer()
                if len(buf) != info.get("size"):
                    problem = "has the wrong size"
                elif fmt != "parquet":
                    # CRC-32 catches every flipped bit or byte at ~20 GB/s; BLAKE2b would cost more
                    # than the reload (a tamper-proof digest buys nothing here: whoever can write the
                    # frame can write the sidecar's digest too).
                    if crc32(memoryview(buf)) != expected:
                        problem = "fails its checksum"
                    elif fmt == "split":
                        table = split_frame.decode(buf)
                    else:
                        import pyarrow.ipc

                        table = pyarrow.ipc.open_file(pa.BufferReader(buf)).read_all()
                elif hashlib.blake2b(memoryview(buf), digest_size=32).hexdigest() != expected:
                    problem = "fails its digest"
                else:
                    # Page CRCs do not cover the footer (schema, names, pandas metadata): the digest
                    # does. ParquetFile, not read_table: no pyarrow.dataset import in a fresh kernel.
                    import pyarrow.parquet as pq

                    table = pq.ParquetFile(pa.BufferReader(buf), page_checksum_verification=True).read()
                if problem is None:
                    frame = frame_to_pandas(table, dtype_backend)
                    del table
                del buf
        except Exception as exc:  # unreadable: the footer or the buffers are damaged
            problem = f"failed verification ({type(exc).__name__}: {exc})"
        if problem is not None:
            unlink_quietly(path)
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
            unlink_quietly(old)
        os.replace(tmp_path, self.document_path)
        meta = {
            "key": self.key.to_dict(),
            **dict(info),
            "fetched_at": info.get("fetched_at") or utc_now().isoformat(),
            "library_version": _version.__version__,
            "frames": {},
        }
        self._meta = _write_meta(self.meta_path, meta)

    def write_frame(self, variant: str, frame: "pd.DataFrame") -> None:
        """Store the parsed frame of ``variant`` (split, or Arrow IPC when not much larger) and record it.

        The sidecar records the format, the size and the file's CRC-32. Any other format's
        file of the same variant is removed.
        """
        meta = self.meta()
        if meta is None:
            return
        table = pa.Table.from_pandas(frame, preserve_index=False)
        parts = split_frame.encode(table)
        split_size = sum(part.size for part in parts)
        fmt = "arrow" if table.nbytes <= IPC_MAX_SIZE_RATIO * split_size else "split"
        path = self.frame_path(variant, fmt)
        with atomic_write(path, fsync=False) as fh:  # derived data: rebuilt from the document if lost
            if fmt == "split":
                for part in parts:
                    fh.write(memoryview(part))
            else:
                import pyarrow.ipc

                # Uncompressed, so a reload maps the buffers instead of decoding them.
                with pyarrow.ipc.new_file(fh, table.schema) as writer:
                    writer.write_table(table)
        del table, parts
        for other in _SUFFIX:
            if other != fmt:
                unlink_quietly(self.frame_path(variant, other))
        size = path.stat().st_size
        with pa.memory_map(str(path), "r") as mm:  # the bytes on disk, as a reload will check them
            checksum = crc32(memoryview(mm.read_buffer()))
        record: dict[str, Any] = {"size": size, "parser_version": PARSER_VERSION, "format": fmt,
                                  "rows": int(len(frame)), "written_at": utc_now().isoformat(), "crc32": checksum}
        frames = dict(meta.get("frames") or {})
        frames[variant] = record
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
