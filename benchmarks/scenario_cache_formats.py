"""Scenario 8 — cache frame formats side by side (issue 15, point 1): see ``cache_formats.py``.

Per frame (the 2M-row listings flat file and the 730k-row vendor-sales JSON frame; small:
100k and 30 x 200): for every format the on-disk size against today's Parquet and the
fresh-process reload (integrity check included) against the cold parse, medians.
Targets apply to ``split`` — what ``_cache/entry.py`` stores for these frames (it stores
memory-mapped IPC, ``ipc_crc32``, only when that is at most 2.5x the split file): reload
≤ 0.1x cold, size ≤ 2.5x today's (the previous version's) Parquet.
"""

from __future__ import annotations

from _harness import Row

NAME = "cache_formats"
TITLE = "cache frame formats: size vs Parquet, fresh-process reload vs cold parse"
REPEATS = {"small": 1, "full": 3}


def run(size: str, log) -> tuple[list[Row], list[str]]:
    import cache_formats

    res = cache_formats.measure(size, REPEATS[size], log=lambda m: log("    " + m))
    rows: list[Row] = []
    notes: list[str] = []
    for frame, out in res.items():
        for fmt, f in out["formats"].items():
            target = fmt == "split"
            rows.append(Row(NAME, f"{frame} {fmt}: reload vs cold", f["wall_s"], out["cold_s"], "s",
                            "<=" if target else None, 0.1 if target else None,
                            details={"digest_s": f["digest_s"], "rows": out["rows"]}))
            rows.append(Row(NAME, f"{frame} {fmt}: on-disk vs Parquet", f["size"],
                            out["formats"]["parquet"]["size"], "MiB", "<=" if target else None,
                            2.5 if target else None))
            if not f["verified"]:
                notes.append(f"{frame} {fmt}: the integrity check failed on an undamaged file")
    return rows, notes
