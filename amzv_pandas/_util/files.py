"""Atomic file writes: a temp file beside the target, moved into place with ``os.replace``.

A reader (or a process killed mid-write) sees the old file or the new one, never
half of one. The cache, the sync dataset, the catalog cache and the profiles file
all write through :func:`atomic_write`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

__all__ = ["atomic_write", "unlink_quietly"]


@contextlib.contextmanager
def atomic_write(
    dest: Path,
    *,
    tmp_dir: Path | None = None,
    prefix: str = ".tmp-",
    fsync: bool = True,
    mode: int | None = None,
    before_replace: Callable[[], None] | None = None,
) -> Iterator[BinaryIO]:
    """Yield a binary file whose content replaces ``dest`` when the block succeeds.

    Parameters
    ----------
    dest : Path
        The file to write; its folder is created.
    tmp_dir : Path, optional
        Where the temp file lives (default: ``dest``'s folder; it must be on the same
        file system for ``os.replace`` to be atomic).
    prefix : str
        Temp file name prefix (lets cleanup routines recognise leftovers).
    fsync : bool, default True
        Flush the data to disk before the rename, so a power cut cannot leave an
        empty file under the final name.
    mode : int, optional
        File mode set before any byte is written (e.g. 0o600 for secrets).
    before_replace : callable, optional
        Called between the fsync and the rename (crash-test hooks).

    On any exception, including KeyboardInterrupt, the temp file is removed and
    ``dest`` is left as it was.
    """
    folder = tmp_dir if tmp_dir is not None else dest.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        if before_replace is not None:
            before_replace()
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def unlink_quietly(path: str | os.PathLike[str] | None) -> None:
    """Remove ``path`` if it is there (``None`` and a missing file are no-ops)."""
    if path is None:
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
