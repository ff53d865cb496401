"""Assembling a read's frames: windows in date order, one RangeIndex, ``df.attrs["amzv"]``."""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from .run import Run

__all__ = ["assemble", "SORT_COLUMNS"]




SORT_COLUMNS = ("startDate", "startTime", "startDateTime")


def assemble(run: Run, frames: Mapping[int, pd.DataFrame]) -> pd.DataFrame:
    windows = run.plan.windows
    if len(windows) == 1:
        df = frames[0]
    else:
        parts = [frames[w.index] for w in windows]
        non_empty = [p for p in parts if len(p)] or parts[:1]
        df = pd.concat(non_empty, ignore_index=True)
        sort_by = next((c for c in SORT_COLUMNS if c in df.columns), None)
        if sort_by is not None:
            df = df.sort_values(sort_by, kind="stable", ignore_index=True)
    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index(drop=True)
    df.attrs["amzv"] = {
        "report_type": run.rt.name,
        "report_ids": [w.report_id for w in windows if w.report_id],
        "document_ids": [w.document_id for w in windows if w.document_id],
        "marketplace_ids": run.marketplace_ids,
        "report_options": dict(run.plan.options),
        "section": run.plan.section,
        "data_start": run.plan.data_start,
        "data_end": run.plan.data_end,
        "from_cache": all(w.from_cache for w in windows),
        "windows": [
            {"start": w.label_start, "end": w.label_end, "report_id": w.report_id, "document_id": w.document_id,
             "status": "DONE" if w.status in ("CACHED", "DONE") else w.status, "from_cache": w.from_cache,
             "rows": w.rows}
            for w in windows
        ],
    }
    return df
