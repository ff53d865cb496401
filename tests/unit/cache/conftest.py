"""Helpers the cache tests share: pick the format ``write_frame`` stores, write an old-format frame."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa

#: Formats ``write_frame`` picks from, and the Parquet frames of earlier versions (only read).
WRITTEN_FORMATS = ("split", "arrow")
READ_FORMATS = WRITTEN_FORMATS + ("parquet",)


def force_format(monkeypatch, fmt: str) -> None:
    """Make ``write_frame`` store ``fmt`` (``"split"`` or ``"arrow"``) whatever the sizes."""
    from amzv_pandas._cache import entry as entry_mod

    monkeypatch.setattr(entry_mod, "IPC_MAX_SIZE_RATIO", float("inf") if fmt == "arrow" else 0.0)


def legacy_parquet_frame(entry, variant: str, frame: pd.DataFrame, *, digest: bool = True) -> Path:
    """Write ``frame`` exactly as an earlier version did (Parquet lz4, BLAKE2b in the sidecar)."""
    import pyarrow.parquet as pq

    from amzv_pandas._cache.entry import _write_meta

    path = entry.path / f"frame-{variant}.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, compression="lz4",
                   use_dictionary=False, write_page_checksum=True)
    record = {"size": path.stat().st_size, "parser_version": "x", "format": "parquet", "rows": len(frame),
              "written_at": "2026-11-27T00:00:00+00:00"}
    if digest:
        record["blake2b"] = hashlib.blake2b(path.read_bytes(), digest_size=32).hexdigest()
    meta = json.loads(entry.meta_path.read_text())
    meta["frames"] = {variant: record}
    _write_meta(entry.meta_path, meta)
    return path


def write_frame_as(entry, variant: str, frame: pd.DataFrame, fmt: str, monkeypatch) -> Path:
    """Store ``frame`` in ``fmt`` (a written format, or ``"parquet"`` as an earlier version); its path."""
    if fmt == "parquet":
        return legacy_parquet_frame(entry, variant, frame)
    force_format(monkeypatch, fmt)
    entry.write_frame(variant, frame)
    path = entry.frame_path(variant)
    assert path.suffix == "." + fmt
    return path


def decode_unchecked(path: Path) -> pd.DataFrame:
    """The frame in ``path`` decoded with no checksum check (what a damaged file silently gives)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pandas()
    if path.suffix == ".split":
        from amzv_pandas._cache import split_frame

        return split_frame.decode(pa.py_buffer(path.read_bytes())).to_pandas()
    import pyarrow.ipc

    return pyarrow.ipc.open_file(str(path)).read_all().to_pandas()
