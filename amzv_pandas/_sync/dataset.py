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
from ..exceptions import ConfigurationError, SyncError
from .store import FOOTER_KEY, META_DIR, PART_FILE, checkpoint, fsync_dir, load_state, save_state, write_atomic

__all__ = ["existing_partitions", "reconcile", "write_window", "read_synced", "row_days", "PARTITION_COLUMNS"]


# --------------------------------------------------------------------------- #
# Partitions
# --------------------------------------------------------------------------- #


def _partition_dir(base: Path, day: _dt.date) -> Path:
    return base / f"day={day.isoformat()}"


#: Columns the path holds: never also stored in the files (engines refuse a column twice).
PARTITION_COLUMNS = ("account", "marketplace_id", "day")


def _write_partition(base: Path, meta: Path, day: _dt.date, table: Any, footer: dict[str, Any]) -> None:
    import pyarrow.parquet as pq

    metadata = dict(table.schema.metadata or {})
    metadata[FOOTER_KEY] = json.dumps(footer, sort_keys=True).encode()
    table = table.replace_schema_metadata(metadata)
    dest = _partition_dir(base, day) / PART_FILE
    write_atomic(dest, lambda fh: pq.write_table(table, fh), meta / "tmp", point="tmp-written", sync_dir=False)
    checkpoint("partition")


def _read_footer(path: Path) -> dict[str, Any] | None:
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
        return json.loads(meta[FOOTER_KEY])
    except Exception:  # unreadable or foreign file: not ours to trust
        return None


def existing_partitions(base: Path) -> dict[_dt.date, Path]:
    """The day partitions of one pair's folder (``PATH/account=A/marketplace_id=M``)."""
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


def row_days(frame: pd.DataFrame, first: _dt.date, last: _dt.date) -> pd.Series:
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


def write_window(base: Path, meta: Path, frame: pd.DataFrame, first: _dt.date,
                 last: _dt.date, footer: Mapping[str, Any]) -> dict[_dt.date, int]:
    """Write one partition per day of the window's rows under a pair's folder ``base``; rows per day."""
    import numpy as np
    import pyarrow as pa

    days = row_days(frame, first, last).to_numpy()
    # One pandas -> Arrow conversion for the whole window (not one per day: that was most of a
    # sync's CPU time), then each day's rows taken from it, in the window's row order.
    data = frame.drop(columns=[c for c in PARTITION_COLUMNS if c in frame.columns]).reset_index(drop=True)
    data.attrs = {}
    table = pa.Table.from_pandas(data, preserve_index=False)
    counts: dict[_dt.date, int] = {}
    for day in sorted(set(days)):
        rows = np.flatnonzero(days == day)
        _write_partition(base, meta, day, table.take(rows), {**footer, "day": day.isoformat(), "rows": len(rows)})
        counts[day] = len(rows)
    # The renames must be durable before the state says the days are done.
    for day in counts:
        fsync_dir(_partition_dir(base, day))
    fsync_dir(base)
    fsync_dir(base.parent)
    return counts


# --------------------------------------------------------------------------- #
# Reading back
# --------------------------------------------------------------------------- #


def _zone_of(marketplace_ids: Iterable[str]) -> _dt.tzinfo:
    """The zone whose calendar day "today" means: the marketplaces' one, as in sync(); else UTC.

    UTC when there is no marketplace, or the marketplaces do not share a zone (or one is unknown).
    """
    from zoneinfo import ZoneInfo

    from .._specs.marketplaces import get_marketplace

    zones = set()
    for mp_id in marketplace_ids:
        # An unknown id (UnknownMarketplaceError is a ValueError) or zone (a KeyError): UTC.
        try:
            zones.add(get_marketplace(str(mp_id)).timezone)
        except (LookupError, ValueError):
            return _dt.timezone.utc
    if len(zones) == 1:
        with contextlib.suppress(LookupError, ValueError):
            return ZoneInfo(zones.pop())
    return _dt.timezone.utc


def _names(value: Any, parameter: str) -> list[str] | None:
    """``accounts=`` of read_synced: None, one name, or names (objects with a ``name`` count as theirs)."""
    if value is None:
        return None
    items = list(value) if hasattr(value, "__iter__") and not isinstance(value, (str, Mapping)) else [value]
    names = []
    for item in items:
        name = item if isinstance(item, str) else getattr(item, "name", None)
        if not isinstance(name, str):
            msg = f"{parameter}={value!r:.80}: give account names (str), or Clients"
            raise ConfigurationError(msg, parameter=parameter, value=value, allowed="account names")
        if name not in names:
            names.append(name)
    return names


def _legacy_pairs(root: Path, state: Mapping[str, Any] | None) -> list[tuple[str, str, Path]]:
    """The folders of the single-account layout, as (account, marketplace_id, folder)."""
    from .layout import legacy_account_name

    account = legacy_account_name(state)
    return [(account, mp_dir.name.split("=", 1)[1], mp_dir) for mp_dir in sorted(root.glob("marketplace_id=*"))
            if mp_dir.is_dir()]


def read_synced(path: str | os.PathLike[str], start: DateLike | None = None,
                end: DateLike | None = None, *, accounts: Any = None, marketplace: Any = None,
                today: DateLike | None = None, dtype_backend: str | None = None) -> pd.DataFrame:
    """Read a synced dataset back as one typed frame, oldest day first.

    Only the partitions asked for are opened (accounts, marketplaces and days are folders), and
    they are read through Arrow in one dataset scan.

    Parameters
    ----------
    path : str or path-like
        The directory given to :func:`sync`.
    start, end : DateLike, optional
        Keep only the days ``start`` → ``end`` (inclusive). Relative forms
        (``"yesterday"``, ``"today-7"``) count from ``today``, so they name the
        same days as in :func:`sync` and :func:`~amzv_pandas.read_report`.
    accounts : str or sequence of str, optional
        Keep only these accounts (their names; a ``Client`` counts as its ``name``). Default: all.
    marketplace : str or sequence of str, optional
        Keep only these marketplaces (country codes or ids). Default: all.
    today : DateLike, optional
        The date "today" means (absolute forms only). Default: today in the time
        zone of the marketplaces read, as :func:`sync` counts days; UTC today when they do
        not share one.
    dtype_backend : {"numpy_nullable", "pyarrow"}, optional
        As in :func:`~amzv_pandas.read_report` (``"pyarrow"``: ``pd.ArrowDtype`` columns straight
        from the Parquet files).

    Returns
    -------
    pandas.DataFrame
        ``account`` (the account's name) first, then the report's columns and dtypes as
        :func:`~amzv_pandas.read_report` returns them, with ``marketplaceId`` (each row's
        marketplace id, as in a multi-marketplace :func:`~amzv_pandas.read_report`); no row when
        no synced day falls in the range. ``df.attrs["amzv"]`` describes the sync.

    Raises
    ------
    SyncError
        ``path`` was never synced (it does not exist, or holds neither a sync state nor
        day partitions), as :func:`sync_history` does.
    ConfigurationError
        ``accounts`` names an account the dataset does not hold (with a did-you-mean), or
        ``marketplace`` an unknown marketplace.
    CachePathError
        ``path`` is a file, unreadable, or has a NUL or over-long component.
    """
    from .._util.checks import check_readable_dir, did_you_mean
    from .layout import DATASET_FILE, iter_pairs

    path = check_readable_dir(path, "path")
    backend = check_dtype_backend(dtype_backend)
    wanted_accounts = _names(accounts, "accounts")
    wanted_mps = None
    if marketplace is not None:
        from .._specs.marketplaces import resolve_marketplaces

        wanted_mps = [m.marketplace_id for m in resolve_marketplaces(marketplace, limit=None)]
    root = Path(path)
    meta = root / META_DIR
    legacy_state = load_state(meta) if (meta / "state.json").exists() else None
    if not root.exists():
        raise SyncError(f"{root} does not exist; run amzv.sync() first")
    pairs = list(iter_pairs(root)) + _legacy_pairs(root, legacy_state)
    known = {a for a, _, _ in pairs} | {a for a, _, _ in iter_pairs(meta)}
    if legacy_state is not None:
        from .layout import legacy_account_name

        known.add(legacy_account_name(legacy_state))
    if not meta.exists() and not pairs:
        raise SyncError(f"{root} holds no synced dataset (no {META_DIR} folder, no partitions); run amzv.sync() "
                        "first, or check the path")
    if wanted_accounts is not None:
        unknown = [a for a in wanted_accounts if a not in known]
        if unknown:
            hint = did_you_mean(unknown[0], known)
            msg = (f"accounts={unknown!r}: not in the dataset {root}"
                   + (f" (did you mean {hint[0]!r}?)" if hint else "")
                   + f"; it holds {sorted(known) or 'no account yet'}")
            raise ConfigurationError(msg, parameter="accounts", value=accounts, allowed=sorted(known))
        pairs = [p for p in pairs if p[0] in wanted_accounts]
    if wanted_mps is not None:
        pairs = [p for p in pairs if p[1] in wanted_mps]
    from .sources import ALL_MARKETPLACES

    zone_mps = wanted_mps or sorted(({mp for _, mp, _ in pairs} | {mp for _, mp, _ in iter_pairs(meta)}
                                     | ({str(legacy_state["identity"].get("marketplace_id"))}
                                        if legacy_state else set())) - {ALL_MARKETPLACES})
    day0 = resolve_today(today, tz=_zone_of(zone_mps) if zone_mps else _dt.timezone.utc)
    lo = DateRange.parse(start).resolve(today=day0).start if start is not None else _dt.date.min
    hi = DateRange.parse(None, end).resolve(today=day0).end if end is not None else _dt.date.max
    files: list[tuple[_dt.date, str, str, Path]] = []
    for account, mp, folder in pairs:
        for day, part in existing_partitions(folder).items():
            if lo <= day <= hi:
                files.append((day, account, mp, part))
    files.sort()
    description = _read_description(meta / DATASET_FILE, legacy_state)
    if not files:
        from .sources import empty_frame

        # The columns a row would have: account and marketplaceId (the path's) first, as below.
        frame = empty_frame(description)
        frame = frame.drop(columns=[c for c in PARTITION_COLUMNS if c in frame.columns])
        frame.insert(0, "account", pd.Series([], dtype="str"))
        if "marketplaceId" not in frame.columns:
            frame.insert(1, "marketplaceId", pd.Series([], dtype="str"))
        frame = convert_frame(frame, backend)
    else:
        table = _read_partitions(files)
        frame = frame_to_pandas(table, backend)
    frame.attrs["amzv"] = {"sync": description, "path": str(root), "days": len(files),
                           "accounts": sorted({a for _, a, _, _ in files}),
                           "marketplace_ids": sorted({m for _, _, m, _ in files})}
    return frame


def _read_partitions(files: list[tuple[_dt.date, str, str, Path]]) -> Any:
    """One Arrow table of the partition files, with ``account`` and ``marketplace_id`` from their
    paths first, and the frame's pandas metadata kept (it restores Int64, Float64...).

    Each file is read whole by ``ParquetFile`` on a small thread pool (pyarrow releases the GIL),
    which is faster than a ``pyarrow.dataset`` scan of the same files and needs no import of
    it; ``concat_tables`` unifies the schemas, so a column added by a later run is kept.
    """
    import concurrent.futures as cf

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    with cf.ThreadPoolExecutor(max_workers=min(8, len(files))) as pool:
        tables = list(pool.map(lambda item: pq.ParquetFile(str(item[3])).read(), files))
    metadata = _merged_pandas_metadata([t.schema.metadata for t in tables])
    table = pa.concat_tables([t.replace_schema_metadata(None) for t in tables], promote_options="permissive")
    counts = np.array([t.num_rows for t in tables])
    for position, (name, values) in enumerate((("account", [f[1] for f in files]),
                                               ("marketplace_id", [f[2] for f in files]))):
        names = sorted(set(values))
        codes = np.repeat(np.array([names.index(v) for v in values], dtype=np.int32), counts)
        column = pa.DictionaryArray.from_arrays(codes, pa.array(names, pa.string())).cast(pa.string())
        table = table.add_column(position, name, column) if name not in table.column_names else table
    if "marketplaceId" in table.column_names:
        table = table.drop_columns(["marketplace_id"])
    else:
        table = table.rename_columns(["marketplaceId" if n == "marketplace_id" else n for n in table.column_names])
    return table.replace_schema_metadata(metadata)  # rename_columns drops it


def _merged_pandas_metadata(metadatas: list[Mapping[bytes, bytes] | None]) -> dict[bytes, bytes]:
    """The partitions' pandas metadata as one: every column any of them describes (the first
    description of a name wins), so a column a later run added keeps its dtype too."""
    distinct = list(dict.fromkeys(m.get(b"pandas") for m in metadatas if m and m.get(b"pandas")))
    if not distinct:
        return {}
    if len(distinct) == 1:  # the usual case: one run's schema throughout
        return {b"pandas": distinct[0]}
    merged = json.loads(distinct[0])
    seen = {c.get("name") for c in merged.get("columns", [])}
    for raw in distinct[1:]:
        for column in json.loads(raw).get("columns", []):
            if column.get("name") not in seen:
                seen.add(column.get("name"))
                merged["columns"].append(column)
    return {b"pandas": json.dumps(merged).encode()}


def _read_description(path: Path, legacy_state: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The dataset's report type and options (``dataset.json``, or a single-account state)."""
    import json as _json

    with contextlib.suppress(OSError, ValueError):
        data = _json.loads(path.read_text())
        if isinstance(data, dict) and "report_type" in data:
            return {"report_type": data["report_type"], "report_options": data.get("report_options") or {}}
    if legacy_state is not None:
        ident = legacy_state["identity"]
        return {"report_type": ident["report_type"], "report_options": ident.get("report_options") or {},
                "marketplace_id": ident.get("marketplace_id")}
    return None
