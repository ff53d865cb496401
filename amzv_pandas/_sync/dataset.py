"""The dataset a sync writes: one Parquet partition per marketplace and day, and reading it back.

``PATH/marketplace_id=.../day=YYYY-MM-DD/part-0.parquet``, each written atomically with an
``amzv_sync`` footer (see :mod:`amzv_pandas._sync.store` for the layout and the crash-safety
rules); :func:`reconcile` tells which days are really done, :func:`read_synced` reads it back.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from .._parsers.arrow import check_dtype_backend, convert_frame, frame_to_pandas
from .._specs.dates import DateLike, DateRange, resolve_today
from ..exceptions import SyncError
from .store import FOOTER_KEY, META_DIR, PART_FILE, checkpoint, fsync_dir, load_state, save_state, write_atomic

__all__ = ["existing_partitions", "reconcile", "write_window", "read_synced"]


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
    write_atomic(dest, lambda fh: pq.write_table(table, fh), meta / "tmp", point="tmp-written", sync_dir=False)
    checkpoint("partition")


def _read_footer(path: Path) -> dict[str, Any] | None:
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
        return json.loads(meta[FOOTER_KEY])
    except Exception:  # unreadable or foreign file: not ours to trust
        return None


def existing_partitions(root: Path, marketplace_id: str) -> dict[_dt.date, Path]:
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


def reconcile(meta: Path, state: dict[str, Any], parts: Mapping[_dt.date, Path], key: str,
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
        save_state(meta, state)
    return done


def write_window(root: Path, meta: Path, marketplace_id: str, frame: pd.DataFrame, first: _dt.date,
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
        fsync_dir(_partition_dir(root, marketplace_id, day))
    fsync_dir(root / f"marketplace_id={marketplace_id}")
    return counts


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


def read_synced(path: str | os.PathLike[str], start: DateLike | None = None,
                end: DateLike | None = None, *, today: DateLike | None = None,
                dtype_backend: str | None = None) -> pd.DataFrame:
    """Read a synced dataset back as one typed frame, oldest day first.

    Parameters
    ----------
    path : str or path-like
        The directory given to :func:`sync`.
    start, end : DateLike, optional
        Keep only the days ``start`` → ``end`` (inclusive). Relative forms
        (``"yesterday"``, ``"today-7"``) count from ``today``, so they name the
        same days as in :func:`sync` and :func:`~amzv_pandas.read_report`.
    today : DateLike, optional
        The date "today" means (absolute forms only). Default: today in the time
        zone of the dataset's marketplace (recorded in its sync state), as
        :func:`sync` counts days; UTC today only for a directory without a state.
    dtype_backend : {"numpy_nullable", "pyarrow"}, optional
        As in :func:`~amzv_pandas.read_report` (``"pyarrow"``: ``pd.ArrowDtype`` columns straight
        from the Parquet files).

    Returns
    -------
    pandas.DataFrame
        The report's columns and dtypes as :func:`~amzv_pandas.read_report`
        returns them (no row when no synced day falls in the range);
        ``df.attrs["amzv"]`` describes the sync.

    Raises
    ------
    SyncError
        ``path`` was never synced (it does not exist, or holds neither a sync state nor
        day partitions), as :func:`sync_history` does.
    CachePathError
        ``path`` is a file, unreadable, or has a NUL or over-long component.
    """
    from .._util.checks import check_readable_dir

    path = check_readable_dir(path, "path")
    backend = check_dtype_backend(dtype_backend)
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(path)
    meta = root / META_DIR
    state = load_state(meta) if meta.exists() else None
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
        for day, part in existing_partitions(root, mp_dir.name.split("=", 1)[1]).items():
            if lo <= day <= hi:
                files.append((day, mp_dir.name, part))
    files.sort()
    if not files:
        frame = pd.DataFrame()
        if state is not None:
            from .._specs.registry import get_report_type

            with contextlib.suppress(Exception):
                frame = get_report_type(state["identity"]["report_type"]).empty_frame()
        frame = convert_frame(frame, backend)
    else:
        tables = [pq.read_table(p) for _, _, p in files]
        schema = pa.unify_schemas([t.schema for t in tables], promote_options="permissive")
        metadata = dict(schema.metadata or {})
        metadata.pop(FOOTER_KEY, None)
        table = pa.concat_tables(tables, promote_options="permissive").replace_schema_metadata(metadata)
        frame = frame_to_pandas(table, backend)
    frame.attrs["amzv"] = {"sync": dict(state["identity"]) if state else None, "path": str(root),
                           "days": len(files)}
    return frame
