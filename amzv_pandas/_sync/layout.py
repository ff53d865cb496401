"""Where a dataset keeps what: one folder per account × marketplace, and the single-account layout before it.

::

    PATH/account=acme-de/marketplace_id=A1PA6795UKMFR9/day=2026-11-01/part-0.parquet
    PATH/_amzv_sync/dataset.json                                 report type + options of the dataset
    PATH/_amzv_sync/account=acme-de/marketplace_id=A1PA6795UKMFR9/
        state.json  history.jsonl  lock  tmp/                   one pair's own backfill state, runs, lock

Every account × marketplace pair (a *pair*) is synced on its own: its own state, history,
lock and temp folder, so pairs run side by side (threads, processes, Dask workers) without
sharing a file. The partition columns live only in the path (see :mod:`.store`). A Vendor
Analytics query answers every marketplace of its account at once, so its pair is the account ×
``ALL`` (``_amzv_sync/account=A/marketplace_id=ALL/``; :data:`~amzv_pandas._sync.sources.ALL_MARKETPLACES`)
and its rows go to each marketplace's folder (:mod:`.vendor_analytics`).

The single-account layout (``PATH/marketplace_id=.../day=...`` with ``PATH/_amzv_sync/state.json``)
is still read as it is, its rows belonging to the account recorded in its state; the next
:func:`~amzv_pandas._sync.sync.sync` moves it under ``account=NAME/`` (:func:`migrate_legacy`),
a step that a kill at any moment leaves to be finished by the next run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..exceptions import ConfigurationError, SyncError
from .lock import SyncLock
from .sources import ALL_MARKETPLACES
from .store import (HISTORY_FILE, META_DIR, STATE_FILE, checkpoint, fsync_dir, load_state, write_atomic)

__all__ = ["DATASET_FILE", "LAYOUT_VERSION", "check_account_name", "legacy_account_name", "account_name",
           "pair_data_dir",
           "pair_meta_dir", "iter_pairs", "is_legacy", "prepare_dataset", "migrate_legacy"]

DATASET_FILE = "dataset.json"
LAYOUT_VERSION = 2

#: Account names become a path component that every engine reads back as text, unquoted.
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_account_name(name: Any, parameter: str = "accounts") -> str:
    """``name`` if it can be a Hive partition value as it is (letters, digits, ``.``, ``_``, ``-``)."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        msg = (f"{parameter}: the account name {name!r:.80} cannot name a dataset partition; use 1-128 letters, "
               "digits, '.', '_' or '-', starting with a letter or digit (give the account a \"name\")")
        raise ConfigurationError(msg, parameter=parameter, value=name, allowed="[A-Za-z0-9][A-Za-z0-9._-]*")
    return name


def legacy_account_name(state: Mapping[str, Any] | None) -> str:
    """The account the rows of a single-account dataset belong to: its profile name, else its key."""
    key = str((state or {}).get("account") or "default")
    name = key[len("profile-"):] if key.startswith("profile-") else key
    return name if _NAME_RE.fullmatch(name) else "default"


def account_name(client: Any) -> str:
    """The name an account's rows are filed under: ``client.name``, else its profile or its key."""
    name = getattr(client, "name", None)
    if name is None:
        name = legacy_account_name({"account": getattr(client, "account_key", None)})
    return check_account_name(name)


def pair_data_dir(root: Path, account: str, marketplace_id: str) -> Path:
    return root / f"account={account}" / f"marketplace_id={marketplace_id}"


def pair_meta_dir(root: Path, account: str, marketplace_id: str) -> Path:
    return root / META_DIR / f"account={account}" / f"marketplace_id={marketplace_id}"


def _scan(folder: Path, key: str) -> Iterator[tuple[str, Path]]:
    """``(value, path)`` of each ``key=value`` folder in ``folder``."""
    prefix = key + "="
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in sorted(entries, key=lambda e: e.name):
        if entry.name.startswith(prefix) and entry.is_dir():
            yield entry.name[len(prefix):], Path(entry.path)


def iter_pairs(base: Path) -> Iterator[tuple[str, str, Path]]:
    """``(account, marketplace_id, folder)`` of every ``account=/marketplace_id=`` folder under ``base``."""
    for account, acc_dir in _scan(base, "account"):
        for mp, mp_dir in _scan(acc_dir, "marketplace_id"):
            yield account, mp, mp_dir


def is_legacy(root: Path) -> bool:
    """Whether ``root`` still holds (part of) a single-account dataset."""
    return (root / META_DIR / STATE_FILE).exists() or any(True for _ in _scan(root, "marketplace_id"))


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    payload = json.dumps(data, indent=1, sort_keys=True).encode()
    write_atomic(path, lambda fh: fh.write(payload), path.parent / "tmp", point="dataset-tmp")


def prepare_dataset(root: Path, identity: Mapping[str, Any], legacy_owner: str | None) -> None:
    """Claim ``root`` for a report type and options, or refuse a dataset that holds another.

    A single-account dataset is moved under ``account=legacy_owner`` first; with
    ``legacy_owner=None`` (a worker that must not decide) such a dataset is refused.
    """
    meta = root / META_DIR
    meta.mkdir(parents=True, exist_ok=True)
    if is_legacy(root):
        if legacy_owner is None:
            raise SyncError(f"{root} holds a single-account dataset that was not moved to the account layout yet; "
                            "run amzv.sync() on it once from the machine that calls it")
        migrate_legacy(root, legacy_owner)
    want = {"layout": LAYOUT_VERSION, "report_type": identity["report_type"],
            "report_options": dict(identity["report_options"])}
    path = meta / DATASET_FILE
    have = _read_dataset(path)
    if have is None:
        _write_json(path, want)  # concurrent first runs of one dataset write the same bytes
        have = _read_dataset(path) or want
    diffs = [f"{k}: {have.get(k)!r} there, {want[k]!r} asked" for k in ("report_type", "report_options")
             if have.get(k) != want[k]]
    if diffs:
        raise SyncError(f"{root} holds a different sync ({'; '.join(diffs)}); use another path for this report "
                        "and options")


def _read_dataset(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise SyncError(f"{path} is unreadable ({exc}); move it away to rebuild it") from None
    if not isinstance(data, dict) or "report_type" not in data:
        raise SyncError(f"{path} is not an amzv_pandas dataset description")
    return data


def migrate_legacy(root: Path, account: str) -> None:
    """Move a single-account dataset under ``account=ACCOUNT/`` (idempotent; resumable after a kill).

    A state of every marketplace (``marketplace_id`` ``ALL``, one Vendor Analytics query per window)
stays one pair, ``marketplace_id=ALL``; any other becomes one pair per marketplace folder.
Order: the pair's state and history are copied first, then each marketplace folder is renamed
    (one atomic rename), and the old state and history are removed last; while the old state
    exists, the next run redoes what is missing. Runs under the dataset-wide lock
    ``_amzv_sync/lock`` (the lock the single-account code took).
    """
    meta = root / META_DIR
    with SyncLock(meta, uuid.uuid4().hex[:12]):
        state = load_state(meta)
        mp_dirs = list(_scan(root, "marketplace_id"))
        marketplaces = [mp for mp, _ in mp_dirs]
        if state is not None:
            mp_id = state["identity"].get("marketplace_id")
            if mp_id == ALL_MARKETPLACES:
                marketplaces = [mp_id]  # one state for every marketplace folder (a Vendor Analytics sync)
            elif mp_id and mp_id not in marketplaces:
                marketplaces.append(mp_id)
            want = {"layout": LAYOUT_VERSION, "report_type": state["identity"]["report_type"],
                    "report_options": dict(state["identity"].get("report_options") or {})}
            if _read_dataset(meta / DATASET_FILE) is None:
                _write_json(meta / DATASET_FILE, want)
            checkpoint("migrate-dataset")
            history = meta / HISTORY_FILE
            for mp in marketplaces:
                pair_meta = pair_meta_dir(root, account, mp)
                if not (pair_meta / STATE_FILE).exists():
                    if history.exists():
                        raw = history.read_bytes()
                        write_atomic(pair_meta / HISTORY_FILE, lambda fh: fh.write(raw), pair_meta / "tmp",
                                     point="migrate-tmp")
                    pair_state = {**state, "identity": {**state["identity"], "marketplace_id": mp},
                                  "account_name": account}
                    _write_json(pair_meta / STATE_FILE, pair_state)
            checkpoint("migrate-state")
        for mp, src in mp_dirs:
            dest = pair_data_dir(root, account, mp)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if not dest.exists():
                os.replace(src, dest)
            else:  # a folder of both layouts (cannot happen unless edited by hand): move day by day
                for day_dir in sorted(src.iterdir()):
                    if not (dest / day_dir.name).exists():
                        os.replace(day_dir, dest / day_dir.name)
                with contextlib.suppress(OSError):
                    src.rmdir()
            fsync_dir(dest.parent)
            checkpoint("migrate-move")
        fsync_dir(root)
        for name in (STATE_FILE, HISTORY_FILE):
            with contextlib.suppress(FileNotFoundError):
                (meta / name).unlink()
        fsync_dir(meta)
