"""The ``_amzv_sync`` folder of a synced dataset: durable writes, the state, the run history.

The layout of a dataset and its crash-safety rules (the partitions themselves are written by
:mod:`amzv_pandas._sync.dataset`, the lock is :mod:`amzv_pandas._sync.lock`); the kill points
of :func:`checkpoint` are exercised by ``tests/e2e/sync/test_sync_kill.py``.

Layout
------
:mod:`amzv_pandas._sync.sync` plans the windows and runs them; this module,
:mod:`~amzv_pandas._sync.dataset` (partitions), :mod:`~amzv_pandas._sync.layout` (folders,
the single-account layout), :mod:`~amzv_pandas._sync.lock` and
:mod:`~amzv_pandas._sync.history` write and read what they leave on disk::

    PATH/account=acme-us/marketplace_id=ATVPDKIKX0DER/day=2026-11-20/part-0.parquet
    PATH/_amzv_sync/dataset.json     the report type and options of the dataset
    PATH/_amzv_sync/account=acme-us/marketplace_id=ATVPDKIKX0DER/   one folder per pair:
        state.json       identity + the status of every day
        history.jsonl    one record per run (start and end lines)
        lock             pid, host, start time of the running sync
        tmp/             temporary files, moved into place by os.replace

Every account × marketplace (a pair) is synced on its own, with its own state, history, lock
and temp folder: pairs run at once (threads, processes, Dask workers) and the rules below
hold for each. pandas, pyarrow, DuckDB, polars, Spark and Dask read ``PATH`` as a
Hive-partitioned dataset: they skip ``_``-prefixed entries, and temporary files never end in
``.parquet``. The ``account``, ``marketplace_id`` and ``day`` partition columns are only in the
path, never in the files (a frame's own columns of those names are dropped before writing), so
no engine sees a column twice. Rows of a multi-day window are split into per-day
partitions by ``startDate`` (vendor reports), else ``startTime`` or the first
date/date-time column; a row whose day falls outside its window is kept in the
window's nearest day, so every window owns exactly its own days' partitions.

Crash safety (kill -9 at any instant)
-------------------------------------
* There is one file per day with a fixed name, written to the pair's ``tmp`` folder,
  fsynced and ``os.replace``-d into place: a partition is either absent or
  complete, and re-fetching a window replaces its files (no duplicate rows).
* Each file's Parquet footer carries ``amzv_sync`` metadata (sync identity, day,
  rows, ``complete``), written before the file becomes visible.
* A day is **done** when the state records it done and, if it has rows, its
  partition exists; or when a partition exists whose footer says complete for
  this sync (a run killed after the files but before the state is adopted).
* A day done with no rows (a CANCELLED report, or a window without rows for that
  day) is recorded in the state as empty, with no partition, so it is not
  fetched again forever.
* ``state.json`` is written as temp + fsync + ``os.replace``; history lines are
  appended and fsynced, and a torn last line is skipped when read.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import signal
from pathlib import Path
from typing import Any, Callable, Mapping

from .._util.files import atomic_write
from .._util.time import iso_utc, utc_now
from ..exceptions import SyncError

__all__ = ["META_DIR", "STATE_FILE", "HISTORY_FILE", "LOCK_FILE", "PART_FILE", "FOOTER_KEY", "STATE_VERSION",
           "checkpoint", "fsync_dir", "fsync_file", "write_atomic", "identity_key", "check_identity",
           "load_state", "save_state", "append_history", "read_history", "clear_tmp"]

META_DIR = "_amzv_sync"
STATE_FILE = "state.json"
HISTORY_FILE = "history.jsonl"
LOCK_FILE = "lock"
PART_FILE = "part-0.parquet"
FOOTER_KEY = b"amzv_sync"
STATE_VERSION = 1

#: fsync files and directories before they count (``AMZV_SYNC_FSYNC=0`` skips it: data then
#: survives a killed process but not a power cut, as with SQLite's ``synchronous=OFF``).
_FSYNC = os.environ.get("AMZV_SYNC_FSYNC", "1") != "0"


# --------------------------------------------------------------------------- #
# Test hook: die at a named point (used by tests/e2e/sync/test_sync_kill.py)
# --------------------------------------------------------------------------- #

_checkpoint_hits: collections.Counter[str] = collections.Counter()


def checkpoint(name: str) -> None:
    """SIGKILL this process at ``name`` when ``AMZV_SYNC_KILL_AT`` is ``name`` or ``name:N`` (N-th time)."""
    spec = os.environ.get("AMZV_SYNC_KILL_AT")
    if not spec:
        return
    want, _, nth = spec.partition(":")
    if want != name:
        return
    _checkpoint_hits[name] += 1
    if _checkpoint_hits[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


# --------------------------------------------------------------------------- #
# Durable writes
# --------------------------------------------------------------------------- #


def fsync_dir(path: Path) -> None:
    """fsync a folder (makes a rename durable) unless ``AMZV_SYNC_FSYNC=0``."""
    # Some filesystems/OSes cannot open directories: then it is skipped.
    if not _FSYNC:
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_file(fh: Any) -> None:
    """Flush ``fh`` to disk unless ``AMZV_SYNC_FSYNC=0`` (an open binary or text file)."""
    if _FSYNC:
        os.fsync(fh.fileno())


def write_atomic(dest: Path, write: Callable[[Any], None], tmp_dir: Path, *, point: str,
                 sync_dir: bool = True) -> None:
    """Write ``dest`` through a fsynced temp file in ``tmp_dir`` and ``os.replace``.

    ``sync_dir=False`` leaves fsyncing ``dest``'s folder to the caller (once per window).
    """
    with atomic_write(dest, tmp_dir=tmp_dir, prefix=dest.name + ".", fsync=_FSYNC,
                      before_replace=lambda: checkpoint(point)) as fh:
        write(fh)
    if sync_dir:
        fsync_dir(dest.parent)


# --------------------------------------------------------------------------- #
# State and history
# --------------------------------------------------------------------------- #


def identity_key(identity: Mapping[str, Any]) -> str:
    """A short digest of what a dataset holds (report type, marketplace, options)."""
    text = json.dumps({k: identity[k] for k in ("report_type", "marketplace_id", "report_options")},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_identity(state: Mapping[str, Any], identity: Mapping[str, Any], meta: Path) -> None:
    """Refuse to sync into a dataset that holds another report, marketplace or options."""
    have = state["identity"]
    diffs = [f"{k}: {have.get(k)!r} there, {identity[k]!r} asked"
             for k in ("report_type", "marketplace_id", "report_options") if have.get(k) != identity[k]]
    if diffs:
        msg = (f"{meta.parent} holds a different sync ({'; '.join(diffs)}); use another path for this "
               f"report, marketplace and options")
        raise SyncError(msg)


def load_state(meta: Path) -> dict[str, Any] | None:
    """``state.json``, or ``None`` before the first run; unreadable or foreign raises SyncError."""
    path = meta / STATE_FILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        msg = f"the sync state {path} is unreadable ({exc}); move it away to rebuild it from the partitions"
        raise SyncError(msg) from None
    if not isinstance(data, dict) or "identity" not in data:
        raise SyncError(f"{path} is not an amzv_pandas sync state")
    data.setdefault("days", {})
    return data


def save_state(meta: Path, state: dict[str, Any]) -> None:
    """Write ``state.json`` atomically (temp + fsync + ``os.replace``), stamped ``updated``."""
    state["updated"] = iso_utc(utc_now())
    payload = json.dumps(state, indent=1, sort_keys=True).encode()
    write_atomic(meta / STATE_FILE, lambda fh: fh.write(payload), meta / "tmp", point="state-tmp")
    checkpoint("state")


def append_history(meta: Path, record: Mapping[str, Any]) -> None:
    """Append one record to ``history.jsonl`` and fsync it (a torn line of a killed run is skipped)."""
    path = meta / HISTORY_FILE
    line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode()
    with open(path, "ab") as fh:
        # A run killed mid-line left no newline: start a fresh line so only that record is lost.
        if fh.tell() > 0:
            with open(path, "rb") as rd:
                rd.seek(-1, os.SEEK_END)
                if rd.read(1) != b"\n":
                    fh.write(b"\n")
        half = len(line) // 2
        fh.write(line[:half])
        fh.flush()
        checkpoint("history-mid")
        fh.write(line[half:])
        fh.flush()
        fsync_file(fh)


def end_record(record: Mapping[str, Any], *, status: str, started: Any, finished: Any,
               tried: list[Mapping[str, Any]], days_added: int, remaining: int, pending_days: int,
               rows_added: int, calls: Mapping[str, int], stop_exc: BaseException | None) -> dict[str, Any]:
    """A run's ``end`` history row (``record``: its ``start`` row), as :func:`sync_history` reads it."""
    return {
        **record, "event": "end", "status": status, "finished": iso_utc(finished),
        "duration_s": round((finished - started).total_seconds(), 3),
        "windows_done": sum(w["status"] != "failed" for w in tried),
        "windows_failed": sum(w["status"] == "failed" for w in tried),
        "days_added": days_added, "days_remaining": remaining, "days_pending": pending_days,
        "rows_added": rows_added, "calls": dict(calls), "calls_total": sum(calls.values()),
        "failures": [{"start": w["start"].isoformat(), "end": w["end"].isoformat(),
                      "category": w.get("category"), "reason": w["reason"]}
                     for w in tried if w["status"] == "failed"],
        "message": None if stop_exc is None else f"{type(stop_exc).__name__}: {stop_exc}",
    }


def read_history(meta: Path) -> list[dict[str, Any]]:
    """Every whole record of ``history.jsonl``, oldest first."""
    try:
        raw = (meta / HISTORY_FILE).read_bytes()
    except FileNotFoundError:
        return []
    records = []
    for line in raw.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a line torn by a kill
        if isinstance(rec, dict) and "run_id" in rec:
            records.append(rec)
    return records


def clear_tmp(meta: Path) -> None:
    """Delete what killed runs left in ``_amzv_sync/tmp`` (call with the lock held)."""
    for leftover in (meta / "tmp").glob("*") if (meta / "tmp").exists() else ():
        with contextlib.suppress(OSError):
            leftover.unlink()
