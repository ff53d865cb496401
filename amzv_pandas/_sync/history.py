"""The run history of a synced dataset (:func:`sync_history`), read from ``_amzv_sync/history.jsonl``."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import SyncError
from .lock import pid_alive
from .store import HISTORY_FILE, LOCK_FILE, META_DIR, load_state, read_history

__all__ = ["sync_history"]


def sync_history(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The run history of a synced dataset, like the connector's history tab: one row per run.

    One row per run of each account × marketplace (each keeps its own history), oldest first.
    Columns: ``run_id``, ``account``, ``marketplace_id``, ``started``, ``finished``, ``duration``, ``status`` (``"complete"``,
    ``"partial"``, ``"failed"``, ``"options_error"``, ``"error"``, ``"interrupted"``,
    ``"running"``, or ``"killed"`` for a run that never wrote its end record), ``windows_done``,
    ``windows_failed``, ``days_added``, ``days_remaining``, ``rows_added``, ``calls`` (total
    API calls), ``failures`` (list of ``{start, end, category, reason}`` with Amazon's
    messages), ``message`` (the error that stopped the run), plus the run's parameters.

    Raises
    ------
    SyncError
        ``path`` was never synced (no ``_amzv_sync`` folder), as :func:`read_synced` does:
        a mistyped path must not look like a dataset without runs.
    CachePathError
        ``path`` is a file, unreadable, or has a NUL or over-long component.
    """
    from .._util.checks import check_readable_dir

    path = check_readable_dir(path, "path")
    meta = Path(path) / META_DIR
    if not meta.is_dir():
        what = "does not exist" if not Path(path).exists() else f"holds no synced dataset (no {META_DIR} folder)"
        raise SyncError(f"{Path(path)} {what}; run amzv.sync() first, or check the path")
    from .layout import iter_pairs, legacy_account_name

    folders: list[tuple[str | None, Path]] = [(account, folder) for account, _, folder in iter_pairs(meta)]
    if (meta / HISTORY_FILE).exists():  # a single-account dataset not moved yet
        legacy = None
        with contextlib.suppress(SyncError):
            legacy = load_state(meta)
        folders.append((legacy_account_name(legacy), meta))
    rows = []
    for account, folder in folders:
        runs: dict[str, dict[str, Any]] = {}
        for rec in read_history(folder):
            runs.setdefault(rec["run_id"], {}).update(rec)
        lock = None
        with contextlib.suppress(OSError, ValueError):
            lock = json.loads((folder / LOCK_FILE).read_text())
        for run in runs.values():
            run.setdefault("account", account)
            if run.get("event") == "start":
                live = isinstance(lock, dict) and lock.get("run_id") == run["run_id"] and pid_alive(int(lock["pid"]))
                run["status"] = "running" if live else "killed"
            rows.append(run)
    columns = ["run_id", "account", "marketplace_id", "started", "finished", "duration", "status", "windows_done",
               "windows_failed", "days_added", "days_remaining", "days_pending", "rows_added", "calls", "failures", "message",
               "report_type", "start", "end", "budget_s", "pid", "host"]
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
