"""One report per marketplace, for the types Amazon allows only one marketplace per report.

``read_report(..., marketplace=["US", "CA"])`` for a vendor analytics type (the registry's
``single_marketplace``) plans one read per marketplace (every plan is made, and so checked,
before the first call), runs them together on a few threads of the same client — they share
its token and its rate limiters, so the account's quotas hold — and joins the frames with a
``marketplaceId`` column. One progress bar counts the windows of all of them.
"""

from __future__ import annotations

import concurrent.futures as cf
from typing import Any, Callable, Sequence

import pandas as pd

from .._parsers.arrow import convert_frame
from .._util.progress import SharedProgress
from .drive import resume_hint
from .run import Run

__all__ = ["read_per_marketplace", "get_per_marketplace", "MARKETPLACE_COLUMN", "join_marketplaces"]

#: The column naming each row's marketplace (Amazon's field name).
MARKETPLACE_COLUMN = "marketplaceId"
#: Marketplaces read at once; each read runs its own few windows.
MAX_MARKETPLACE_WORKERS = 8


def read_per_marketplace(runs: Sequence[Run], read: Callable[[Run, Any], pd.DataFrame], progress_bar_type: Any,
                         backend: str | None) -> pd.DataFrame:
    """``read(run, bar)`` for each one-marketplace run, concurrently; the frames joined in order.

    The first error (in the marketplaces' order) is raised once every read has ended, so each
    finished marketplace is in the cache and the same call again resumes the others.
    """
    shared: SharedProgress | None = None
    if progress_bar_type is None:
        parts: list[Any] = [None] * len(runs)
    elif hasattr(progress_bar_type, "part"):  # a part of a bigger call's bar (many accounts)
        parts = [progress_bar_type.part(r.plan.marketplaces[0].country_code) for r in runs]
    else:
        shared = SharedProgress(progress_bar_type, desc=runs[0].rt.name)
        parts = [shared.part(r.plan.marketplaces[0].country_code) for r in runs]
    pool = cf.ThreadPoolExecutor(max_workers=min(MAX_MARKETPLACE_WORKERS, len(runs)),
                                 thread_name_prefix="amzv-marketplace")
    futures = [pool.submit(read, run, part) for run, part in zip(runs, parts)]
    try:
        pending = set(futures)
        while pending:  # in slices, as drive() waits: a KeyboardInterrupt raised in this thread is heard
            _, pending = cf.wait(pending, timeout=0.2)
    except KeyboardInterrupt:
        for run in runs:
            run.stop.set()
            run.close_downloads()
        ids = [w.report_id for run in runs for w in run.plan.windows if w.report_id and not w.done]
        raise KeyboardInterrupt(f"stopped waiting for {runs[0].rt.name}; " + resume_hint(runs[0], ids)) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        if shared is not None:
            shared.close()
    for fut in futures:
        exc = fut.exception()
        if exc is not None:
            raise exc
    frames = [(run.plan.marketplaces[0].marketplace_id, fut.result()) for run, fut in zip(runs, futures)]
    return join_marketplaces(frames, backend)


def get_per_marketplace(codes: Sequence[str], get: Callable[[str, Any], pd.DataFrame], progress_bar_type: Any,
                        desc: str, backend: str | None) -> pd.DataFrame:
    """``get(code, bar)`` (one marketplace's newest report) for each marketplace, concurrently, joined."""
    from .._specs.marketplaces import get_marketplace

    shared: SharedProgress | None = None
    if progress_bar_type is None:
        parts: list[Any] = [None] * len(codes)
    elif hasattr(progress_bar_type, "part"):
        parts = [progress_bar_type.part(c) for c in codes]
    else:
        shared = SharedProgress(progress_bar_type, desc=desc)
        parts = [shared.part(c) for c in codes]
    try:
        with cf.ThreadPoolExecutor(max_workers=min(MAX_MARKETPLACE_WORKERS, len(codes)),
                                   thread_name_prefix="amzv-marketplace") as pool:
            futures = [pool.submit(get, code, part) for code, part in zip(codes, parts)]
            cf.wait(futures)
    finally:
        if shared is not None:
            shared.close()
    for fut in futures:
        exc = fut.exception()
        if exc is not None:
            raise exc
    return join_marketplaces([(get_marketplace(c).marketplace_id, f.result()) for c, f in zip(codes, futures)],
                             backend)


def join_marketplaces(frames: Sequence[tuple[str, pd.DataFrame]], backend: str | None) -> pd.DataFrame:
    """The frames of several marketplaces, each row with its ``marketplaceId``, and merged ``attrs``."""
    dtype: Any = "str"
    if backend == "pyarrow":
        import pyarrow as pa

        dtype = pd.ArrowDtype(pa.string())
    parts = []
    for mid, frame in frames:
        part = convert_frame(frame, backend)
        part = part.drop(columns=[MARKETPLACE_COLUMN]) if MARKETPLACE_COLUMN in part.columns else part.copy(deep=False)
        part.insert(0, MARKETPLACE_COLUMN, pd.Series([mid] * len(part), index=part.index, dtype=dtype))
        part.attrs = {}
        parts.append(part)
    non_empty = [p for p in parts if len(p)] or parts[:1]
    out = pd.concat(non_empty, ignore_index=True) if len(non_empty) > 1 else non_empty[0].reset_index(drop=True)
    metas = [f.attrs.get("amzv", {}) for _, f in frames]
    first = metas[0]
    out.attrs["amzv"] = {
        **first,
        "report_ids": [i for m in metas for i in m.get("report_ids", [])],
        "document_ids": [i for m in metas for i in m.get("document_ids", [])],
        "marketplace_ids": [mid for mid, _ in frames],
        "data_start": min((m["data_start"] for m in metas if m.get("data_start")), default=first.get("data_start")),
        "data_end": max((m["data_end"] for m in metas if m.get("data_end")), default=first.get("data_end")),
        "from_cache": all(m.get("from_cache", False) for m in metas),
        "windows": [{**w, "marketplace_id": mid} for (mid, _), m in zip(frames, metas) for w in m.get("windows", [])],
    }
    return out
