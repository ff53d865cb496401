"""Driving a run: windows on a small thread pool, the progress bar and the timeout on the main thread.

:func:`drive` submits the windows to at most :data:`MAX_WORKERS` threads and waits in short
slices, rendering :class:`Progress` and enforcing the timeout; Ctrl-C and a timeout name the
report ids that keep processing (the same call resumes them). Warnings raised in workers
are re-issued here, in the caller's thread.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
import warnings
from typing import Any, Callable, Sequence

import pandas as pd

from .._util.progress import get_progress_bar
from ..exceptions import ReportTimeout
from .answers import Stopped, empty_frame
from .plan import Window
from .run import Run

__all__ = ["drive", "Progress", "resume_hint", "MAX_WORKERS"]

#: Concurrent windows; createReport itself is paced by the client.
MAX_WORKERS = 4



class Progress:
    """One bar for the whole read, updated from the main thread only."""

    def __init__(self, progress_bar_type: Any, rt_name: str, windows: list[Window]) -> None:
        self.windows = windows
        # A part of a call's shared bar counts windows, never one window's bytes.
        self.single = len(windows) == 1 and not hasattr(progress_bar_type, "add_total")
        self.t0 = time.monotonic()
        self.rt_name = rt_name
        self.bar = get_progress_bar(progress_bar_type, desc=rt_name, total=None if self.single else len(windows),
                                    unit="it" if self.single else "window")
        if self.bar is not None and hasattr(self.bar, "add_total"):  # a part of a call's shared bar
            self.bar.add_total(len(windows))
        self.counted = sum(1 for w in windows if w.done)
        self.bytes_mode = False
        self.bytes_shown = 0
        if self.bar is not None and self.counted and not self.single:
            self.bar.update(self.counted)

    def _desc(self, text: str) -> None:
        if self.bar is not None and hasattr(self.bar, "set_description_str"):
            self.bar.set_description_str(text, refresh=False)

    def render(self) -> None:
        if self.bar is None:
            return
        elapsed = time.monotonic() - self.t0
        if self.single:
            w = self.windows[0]
            if w.status in ("DOWNLOADING", "DONE") and w.bytes_total is not None and not self.bytes_mode:
                self.bytes_mode = True
                if hasattr(self.bar, "reset"):
                    self.bar.unit, self.bar.unit_scale, self.bar.unit_divisor = "B", True, 1024
                    self.bar.reset(total=w.bytes_total)
            self._desc(f"{self.rt_name} {w.report_id or ''} {w.status} ({elapsed:.0f}s)".replace("  ", " "))
            if self.bytes_mode and w.bytes_done > self.bytes_shown:
                self.bar.update(w.bytes_done - self.bytes_shown)
                self.bytes_shown = w.bytes_done
            elif hasattr(self.bar, "refresh"):
                self.bar.refresh()
            return
        counts: dict[str, int] = {}
        for w in self.windows:
            if not w.done:
                counts[w.status] = counts.get(w.status, 0) + 1
        states = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        self._desc(f"{self.rt_name} [{states or 'done'}] ({elapsed:.0f}s)")
        finished = sum(1 for w in self.windows if w.done)
        if finished > self.counted:
            self.bar.update(finished - self.counted)
            self.counted = finished
        elif hasattr(self.bar, "refresh"):
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.render()
            self.bar.close()


def resume_hint(run: Run, ids: Sequence[str]) -> str:
    shown = ", ".join(repr(i) for i in ids) or "none created yet"
    return (f"report id(s) {shown} keep processing at Amazon: run the same read_report() call again to resume "
            f"polling them (no new report is created), or fetch one later with amzv.get_report(report_id)")


def drive(
    run: Run,
    todo: list[Window],
    timeout: float | None,
    progress_bar_type: Any,
    work: Callable[[Window], pd.DataFrame] | None = None,
) -> dict[int, pd.DataFrame]:
    """Run the windows in a small thread pool; the main thread renders progress and enforces timeout."""
    frames: dict[int, pd.DataFrame] = {}
    if not todo:
        return frames
    progress = Progress(progress_bar_type, run.rt.name, run.plan.windows)
    pool = cf.ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(todo)), thread_name_prefix="amzv-report")
    futures = {pool.submit(_work, run, w, work or run.run_window): w for w in todo}
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        pending = set(futures)
        while pending:
            done, pending = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                w = futures[fut]
                exc = fut.exception()
                if exc is not None:
                    raise exc
                frames[w.index] = fut.result()
                w.done = True
            progress.render()
            if pending and deadline is not None and time.monotonic() >= deadline:
                waiting = [w for w in todo if not w.done]
                ids = [w.report_id for w in waiting if w.report_id]
                msg = (f"{run.rt.name}: still {', '.join(sorted({w.status for w in waiting}))} after {timeout:g}s; "
                       + resume_hint(run, ids))
                raise ReportTimeout(msg, report_id=ids, report_type=run.rt.name,
                                    processing_status=waiting[0].status if waiting else None)
    except KeyboardInterrupt:
        run.stop.set()
        ids = [w.report_id for w in todo if w.report_id and not w.done]
        raise KeyboardInterrupt(f"stopped waiting for {run.rt.name}; " + resume_hint(run, ids)) from None
    finally:
        run.stop.set()
        # Workers blocked in a download read return once it is closed; waits use stop.wait.
        run.close_downloads()
        pool.shutdown(wait=False, cancel_futures=True)
        progress.close()
        for message, category in run.pending_warnings:
            warnings.warn(message, category, stacklevel=4)
        run.pending_warnings.clear()
    return frames


def _work(run: Run, w: Window, work: Callable[[Window], pd.DataFrame]) -> pd.DataFrame:
    try:
        frame = work(w)
    except Stopped:
        return empty_frame(run.rt, run.plan.section)
    w.rows = len(frame)
    return frame
