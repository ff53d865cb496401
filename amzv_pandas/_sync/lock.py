"""The sync lock: one run per account × marketplace of a dataset (``lock`` in its meta folder), a dead
holder's lock taken over; ``_amzv_sync/lock`` guards moving a single-account dataset."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

from .._util.time import iso_utc, utc_now
from ..exceptions import SyncError
from .store import LOCK_FILE, fsync_dir, fsync_file

__all__ = ["SyncLock", "pid_alive", "EMPTY_LOCK_GRACE"]

# The lock's take-over warning keeps the logger name it always had.
logger = logging.getLogger("amzv_pandas._sync.store")

#: An empty lock file older than this was left by a process killed while creating it.
EMPTY_LOCK_GRACE = 5.0


def pid_alive(pid: int) -> bool:
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


class SyncLock:
    """``lock`` in a meta folder: created whole (a hard link, or O_CREAT|O_EXCL), holds pid, host, start
    time and run id.

    A lock whose pid is dead on this host is stale and taken over; the take-over
    itself is serialised by a second O_EXCL file so two runs cannot both win.
    """

    def __init__(self, meta: Path, run_id: str, what: str | None = None) -> None:
        self.path = meta / LOCK_FILE
        self.what = what
        self.takeover = meta / (LOCK_FILE + ".takeover")
        self.info = {"pid": os.getpid(), "host": socket.gethostname(), "started": iso_utc(utc_now()),
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
            return not pid_alive(int(holder["pid"]))
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

    def _create(self) -> None:
        """Create the lock whole: its content is written to a temp file, then hard-linked into place
        (the link fails if the lock exists, as O_EXCL does), so a kill never leaves it empty. Where
        hard links are not supported, O_EXCL then the content (an empty lock is then possible)."""
        tmp = self.path.with_name(f"{LOCK_FILE}.{self.info['run_id']}.{os.getpid()}.tmp")
        with open(tmp, "w") as fh:
            json.dump(self.info, fh)
            fh.flush()
            fsync_file(fh)
        try:
            os.link(tmp, self.path)
        except FileExistsError:
            raise
        except OSError:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            with os.fdopen(fd, "w") as fh:
                json.dump(self.info, fh)
                fh.flush()
                fsync_file(fh)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def _clear_dead_temps(self) -> None:
        """Remove the temp lock files of processes killed while creating their lock (this host)."""
        for leftover in self.path.parent.glob(f"{LOCK_FILE}.*.tmp"):
            try:
                pid = int(leftover.name.rsplit(".", 2)[1])
            except (IndexError, ValueError):
                continue
            if pid != os.getpid() and not pid_alive(pid):
                with contextlib.suppress(OSError):
                    leftover.unlink()

    def acquire(self) -> None:
        for _ in range(3):
            try:
                self._create()
            except FileExistsError:
                holder = self._read()
                if self._stale(holder) and self._take_over(holder):
                    continue
                raise SyncError(self._refusal(holder)) from None
            fsync_dir(self.path.parent)
            self.held = True
            self._clear_dead_temps()
            return
        raise SyncError(self._refusal(self._read()))

    def _refusal(self, holder: dict[str, Any] | None) -> str:
        who = (f"pid {holder.get('pid')} on host {holder.get('host')!r}, started {holder.get('started')}"
               if holder else "a process that is creating the lock right now")
        where = self.what or self.path.parent.parent
        return (f"another sync is running on {where} ({who}); refusing to run "
                f"concurrently. If that run is known to be dead, delete {self.path}")

    def release(self) -> None:
        if self.held and (self._read() or {}).get("run_id") == self.info["run_id"]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
        self.held = False

    def __enter__(self) -> "SyncLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
