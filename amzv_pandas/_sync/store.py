"""The on-disk side of :func:`amzv_pandas.sync`: the dataset a sync writes and its ``_amzv_sync`` folder.

Hive partitions written atomically (temp file + fsync + ``os.replace``), with an
``amzv_sync`` footer; ``state.json`` (atomic); the ``lock`` file; ``history.jsonl``;
and the readers behind :func:`~amzv_pandas.read_synced` and
:func:`~amzv_pandas.sync_history`. The layout and the crash-safety rules are in
the docstring of :mod:`amzv_pandas._sync.sync`; the kill points of :func:`_checkpoint`
are exercised by ``tests/test_sync_kill.py``.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as _dt
import hashlib
import json
import logging
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import pandas as pd

from .._util.files import atomic_write
from .._specs.dates import DateLike, DateRange, resolve_today
from ..exceptions import SyncError

# The lock's take-over warning keeps the logger name it always had.
logger = logging.getLogger(__name__)

META_DIR = "_amzv_sync"
STATE_FILE = "state.json"
HISTORY_FILE = "history.jsonl"
LOCK_FILE = "lock"
PART_FILE = "part-0.parquet"
FOOTER_KEY = b"amzv_sync"
STATE_VERSION = 1

#: An empty lock file older than this was left by a process killed while creating it.
EMPTY_LOCK_GRACE = 5.0

#: fsync files and directories before they count (``AMZV_SYNC_FSYNC=0`` skips it: data then
#: survives a killed process but not a power cut, as with SQLite's ``synchronous=OFF``).
_FSYNC = os.environ.get("AMZV_SYNC_FSYNC", "1") != "0"


# --------------------------------------------------------------------------- #
# Test hook: die at a named point (used by tests/test_sync_kill.py)
# --------------------------------------------------------------------------- #

_checkpoint_hits: collections.Counter[str] = collections.Counter()


def _checkpoint(name: str) -> None:
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
# Atomic writes
# --------------------------------------------------------------------------- #


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _iso(ts: _dt.datetime) -> str:
    return ts.isoformat(timespec="seconds").replace("+00:00", "Z")


def _fsync_dir(path: Path) -> None:
    # Makes a rename durable; some filesystems/OSes cannot open directories.
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


def _write_atomic(dest: Path, write: Callable[[Any], None], tmp_dir: Path, *, point: str,
                  sync_dir: bool = True) -> None:
    """Write ``dest`` through a fsynced temp file in ``tmp_dir`` and ``os.replace``.

    ``sync_dir=False`` leaves fsyncing ``dest``'s folder to the caller (once per window).
    """
    with atomic_write(dest, tmp_dir=tmp_dir, prefix=dest.name + ".", fsync=_FSYNC,
                      before_replace=lambda: _checkpoint(point)) as fh:
        write(fh)
    if sync_dir:
        _fsync_dir(dest.parent)


# --------------------------------------------------------------------------- #
# The lock
# --------------------------------------------------------------------------- #


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    # A zombie (killed, not yet reaped) is dead for our purpose.
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


class _Lock:
    """``_amzv_sync/lock``: created with O_CREAT|O_EXCL, holds pid, host, start time and run id.

    A lock whose pid is dead on this host is stale and taken over; the take-over
    itself is serialised by a second O_EXCL file so two runs cannot both win.
    """

    def __init__(self, meta: Path, run_id: str) -> None:
        self.path = meta / LOCK_FILE
        self.takeover = meta / (LOCK_FILE + ".takeover")
        self.info = {"pid": os.getpid(), "host": socket.gethostname(), "started": _iso(_utcnow()),
                     "run_id": run_id}
        self.held = False

    def _read(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text()
            data = json.loads(text)
            return data if isinstance(data, dict) else None
        except (OSError, ValueError):
            return None

    def _stale(self, holder: dict[str, Any] | None) -> bool:
        if holder is None:  # empty/torn: killed between create and write, or being written right now
            try:
                return time.time() - self.path.stat().st_mtime > EMPTY_LOCK_GRACE
            except FileNotFoundError:
                return True
        if holder.get("host") != self.info["host"]:
            return False  # cannot see another machine's processes
        try:
            return not _pid_alive(int(holder["pid"]))
        except (KeyError, TypeError, ValueError):
            return False

    def _take_over(self, holder: dict[str, Any] | None) -> bool:
        try:
            fd = os.open(self.takeover, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            with contextlib.suppress(OSError):
                if time.time() - self.takeover.stat().st_mtime > 30:
                    os.unlink(self.takeover)  # left by a process killed mid take-over
            return False
        os.close(fd)
        try:
            if self._read() != holder:  # someone else replaced it meanwhile
                return False
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            logger.warning("took over the stale sync lock of %s", holder)
            return True
        finally:
            with contextlib.suppress(OSError):
                os.unlink(self.takeover)

    def acquire(self) -> None:
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._read()
                if self._stale(holder) and self._take_over(holder):
                    continue
                raise SyncError(self._refusal(holder)) from None
            with os.fdopen(fd, "w") as fh:
                json.dump(self.info, fh)
                fh.flush()
                if _FSYNC:
                    os.fsync(fh.fileno())
            _fsync_dir(self.path.parent)
            self.held = True
            return
        raise SyncError(self._refusal(self._read()))

    def _refusal(self, holder: dict[str, Any] | None) -> str:
        who = (f"pid {holder.get('pid')} on host {holder.get('host')!r}, started {holder.get('started')}"
               if holder else "a process that is creating the lock right now")
        return (f"another sync is running on {self.path.parent.parent} ({who}); refusing to run "
                f"concurrently. If that run is known to be dead, delete {self.path}")

    def release(self) -> None:
        if self.held and (self._read() or {}).get("run_id") == self.info["run_id"]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
        self.held = False

    def __enter__(self) -> "_Lock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# --------------------------------------------------------------------------- #
# State and history
# --------------------------------------------------------------------------- #


def _identity_key(identity: Mapping[str, Any]) -> str:
    text = json.dumps({k: identity[k] for k in ("report_type", "marketplace_id", "report_options")},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _load_state(meta: Path) -> dict[str, Any] | None:
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


def _save_state(meta: Path, state: dict[str, Any]) -> None:
    state["updated"] = _iso(_utcnow())
    payload = json.dumps(state, indent=1, sort_keys=True).encode()
    _write_atomic(meta / STATE_FILE, lambda fh: fh.write(payload), meta / "tmp", point="state-tmp")
    _checkpoint("state")


def _append_history(meta: Path, record: Mapping[str, Any]) -> None:
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
        _checkpoint("history-mid")
        fh.write(line[half:])
        fh.flush()
        if _FSYNC:
            os.fsync(fh.fileno())


def _read_history(meta: Path) -> list[dict[str, Any]]:
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


# --------------------------------------------------------------------------- #
# Partitions
# --------------------------------------------------------------------------- #


def _partition_dir(root: Path, marketplace_id: str, day: _dt.date) -> Path:
    return root / f"marketplace_id={marketplace_id}" / f"day={day.isoformat()}"


def _write_partition(root: Path, meta: Path, marketplace_id: str, day: _dt.date, frame: pd.DataFrame,
                     footer: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[FOOTER_KEY] = json.dumps(footer, sort_keys=True).encode()
    table = table.replace_schema_metadata(metadata)
    dest = _partition_dir(root, marketplace_id, day) / PART_FILE
    _write_atomic(dest, lambda fh: pq.write_table(table, fh), meta / "tmp", point="tmp-written", sync_dir=False)
    _checkpoint("partition")


def _read_footer(path: Path) -> dict[str, Any] | None:
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
        return json.loads(meta[FOOTER_KEY])
    except Exception:  # unreadable or foreign file: not ours to trust
        return None


def _existing_partitions(root: Path, marketplace_id: str) -> dict[_dt.date, Path]:
    base = root / f"marketplace_id={marketplace_id}"
    found: dict[_dt.date, Path] = {}
    try:
        entries = list(os.scandir(base))
    except FileNotFoundError:
        return found
    for entry in entries:
        if entry.is_dir() and entry.name.startswith("day="):
            try:
                day = _dt.date.fromisoformat(entry.name[4:])
            except ValueError:
                continue
            part = Path(entry.path) / PART_FILE
            if part.exists():
                found[day] = part
    return found


def _date_column(frame: pd.DataFrame) -> str | None:
    for name in ("startDate", "startTime"):
        if name in frame.columns:
            return name
    for name in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            return name
    return None


def _row_days(frame: pd.DataFrame, first: _dt.date, last: _dt.date) -> pd.Series:
    """The partition day of each row, clamped into ``first`` → ``last``."""
    col = _date_column(frame)
    if col is None or frame.empty:
        return pd.Series([first] * len(frame), index=frame.index, dtype=object)
    values = frame[col]
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, errors="coerce", utc=True).dt.tz_localize(None)
    lo, hi = pd.Timestamp(first), pd.Timestamp(last)
    days = values.dt.floor("D").fillna(lo).clip(lower=lo, upper=hi)
    return days.dt.date


def _reconcile(meta: Path, state: dict[str, Any], parts: Mapping[_dt.date, Path], key: str,
               wanted: Iterable[_dt.date]) -> set[_dt.date]:
    """The days of ``wanted`` that are really done, from the state and the partitions.

    Done = recorded done in the state and, if it had rows, its partition exists; or a
    partition whose footer says complete for this sync (the run that wrote it was killed
    before its state write), which is then recorded.
    """
    days = state["days"]
    done: set[_dt.date] = set()
    changed = False
    for day in wanted:
        entry = days.get(day.isoformat())
        if entry and entry.get("status") == "done":
            if entry.get("rows", 0) == 0 or day in parts:
                done.add(day)
                continue
            del days[day.isoformat()]  # recorded, but its partition is gone: fetch again
            changed = True
        elif day in parts:
            footer = _read_footer(parts[day])
            if footer and footer.get("complete") and footer.get("identity_key") == key:
                days[day.isoformat()] = {"status": "done", "rows": int(footer.get("rows", 0)),
                                         "window": footer.get("window"), "at": footer.get("fetched_at")}
                done.add(day)
                changed = True
    if changed:
        _save_state(meta, state)
    return done


def _write_window(root: Path, meta: Path, marketplace_id: str, frame: pd.DataFrame, first: _dt.date,
                  last: _dt.date, footer: Mapping[str, Any]) -> dict[_dt.date, int]:
    """Write one partition per day of the window's rows; return the rows per day written."""
    frame = frame.copy()
    frame.attrs = {}
    counts: dict[_dt.date, int] = {}
    for day, part in frame.groupby(_row_days(frame, first, last).to_numpy(), sort=True):
        _write_partition(root, meta, marketplace_id, day, part,
                         {**footer, "day": day.isoformat(), "rows": len(part)})
        counts[day] = len(part)
    # The renames must be durable before the state says the days are done.
    for day in counts:
        _fsync_dir(_partition_dir(root, marketplace_id, day))
    _fsync_dir(root / f"marketplace_id={marketplace_id}")
    return counts


def _clear_tmp(meta: Path) -> None:
    """Delete what killed runs left in ``_amzv_sync/tmp`` (call with the lock held)."""
    for leftover in (meta / "tmp").glob("*") if (meta / "tmp").exists() else ():
        with contextlib.suppress(OSError):
            leftover.unlink()


# --------------------------------------------------------------------------- #
# Reading back
# --------------------------------------------------------------------------- #


def _dataset_zone(state: Mapping[str, Any] | None) -> _dt.tzinfo:
    """The zone whose calendar day "today" means for a dataset: its marketplace's, as in sync().

    From the state's identity; UTC only when there is no state (or its marketplace is unknown).
    """
    mp_id = ((state or {}).get("identity") or {}).get("marketplace_id")
    if mp_id:
        from zoneinfo import ZoneInfo

        from .._specs.marketplaces import get_marketplace

        # An unknown id (UnknownMarketplaceError is a ValueError) or zone (a KeyError): UTC.
        with contextlib.suppress(LookupError, ValueError):
            return ZoneInfo(get_marketplace(str(mp_id)).timezone)
    return _dt.timezone.utc


def _read_dataset(path: str | os.PathLike[str], start: DateLike | None, end: DateLike | None,
                  today: DateLike | None = None) -> pd.DataFrame:
    """The body of :func:`amzv_pandas._sync.sync.read_synced`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(path)
    meta = root / META_DIR
    state = _load_state(meta) if meta.exists() else None
    if state is None and not root.exists():
        raise SyncError(f"{root} does not exist; run amzv.sync() first")
    if state is None and not meta.exists() and not any(root.glob("marketplace_id=*")):
        raise SyncError(f"{root} holds no synced dataset (no {META_DIR} folder, no partitions); run amzv.sync() "
                        "first, or check the path")
    day0 = resolve_today(today, tz=_dataset_zone(state))
    lo = DateRange.parse(start).resolve(today=day0).start if start is not None else _dt.date.min
    hi = DateRange.parse(None, end).resolve(today=day0).end if end is not None else _dt.date.max
    files: list[tuple[_dt.date, str, Path]] = []
    for mp_dir in sorted(root.glob("marketplace_id=*")):
        for day, part in _existing_partitions(root, mp_dir.name.split("=", 1)[1]).items():
            if lo <= day <= hi:
                files.append((day, mp_dir.name, part))
    files.sort()
    if not files:
        frame = pd.DataFrame()
        if state is not None:
            from .._specs.registry import get_report_type

            with contextlib.suppress(Exception):
                frame = get_report_type(state["identity"]["report_type"]).empty_frame()
    else:
        tables = [pq.read_table(p) for _, _, p in files]
        schema = pa.unify_schemas([t.schema for t in tables], promote_options="permissive")
        metadata = dict(schema.metadata or {})
        metadata.pop(FOOTER_KEY, None)
        table = pa.concat_tables(tables, promote_options="permissive").replace_schema_metadata(metadata)
        frame = table.to_pandas()
    frame.attrs["amzv"] = {"sync": dict(state["identity"]) if state else None, "path": str(root),
                           "days": len(files)}
    return frame


def _history_frame(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The body of :func:`amzv_pandas._sync.sync.sync_history`."""
    meta = Path(path) / META_DIR
    if not meta.is_dir():
        what = "does not exist" if not Path(path).exists() else f"holds no synced dataset (no {META_DIR} folder)"
        raise SyncError(f"{Path(path)} {what}; run amzv.sync() first, or check the path")
    runs: dict[str, dict[str, Any]] = {}
    for rec in _read_history(meta):
        runs.setdefault(rec["run_id"], {}).update(rec)
    lock = None
    with contextlib.suppress(OSError, ValueError):
        lock = json.loads((meta / LOCK_FILE).read_text())
    rows = []
    for run in runs.values():
        if run.get("event") == "start":
            live = isinstance(lock, dict) and lock.get("run_id") == run["run_id"] and _pid_alive(int(lock["pid"]))
            run["status"] = "running" if live else "killed"
        rows.append(run)
    columns = ["run_id", "started", "finished", "duration", "status", "windows_done", "windows_failed",
               "days_added", "days_remaining", "days_pending", "rows_added", "calls", "failures", "message",
               "report_type", "marketplace_id", "start", "end", "budget_s", "pid", "host"]
    frame = pd.DataFrame(rows)
    for col in columns:
        if col not in frame.columns:
            frame[col] = None
    if not frame.empty:
        frame["calls"] = frame["calls_total"] if "calls_total" in frame.columns else None
    durations = frame["duration_s"] if "duration_s" in frame.columns else pd.Series(None, index=frame.index)
    frame["duration"] = pd.to_timedelta(pd.to_numeric(durations, errors="coerce"), unit="s")
    for col in ("started", "finished"):
        frame[col] = pd.to_datetime(frame[col], utc=True, errors="coerce")
    for col in ("windows_done", "windows_failed", "days_added", "days_remaining", "days_pending",
                "rows_added", "calls"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    frame["failures"] = frame["failures"].map(lambda v: v if isinstance(v, list) else [])
    return frame[columns].sort_values("started", kind="stable").reset_index(drop=True)
