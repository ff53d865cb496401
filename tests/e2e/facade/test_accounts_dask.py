"""``executor=`` a Dask cluster's executor: two sandbox accounts read in two worker processes give
the frame the in-process run gives, and no secret is in the task graph or any task's repr."""

from __future__ import annotations

import concurrent.futures as cf
import time
from typing import Any

import pandas as pd
import pytest

import amzv_pandas as amzv

distributed = pytest.importorskip("distributed")

SALES = "GET_VENDOR_SALES_REPORT"
START, END = "2026-10-01", "2026-10-06"


class RecordingExecutor(cf.Executor):
    """Passes tasks to a Dask executor and records what a task carries: its repr and, right after
    each submit, the scheduler's view of every task (key, run spec)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.inner = client.get_executor()
        self.seen: list[str] = []
        self.graph: list[str] = []
        self.submitted = 0

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.seen.append(repr(fn) + repr(args) + repr(kwargs))
        future = self.inner.submit(fn, *args, **kwargs)
        self.submitted += 1
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the scheduler registers a task shortly after submit
            tasks = self.client.run_on_scheduler(_scheduler_tasks)
            if len(tasks) >= self.submitted or future.done():
                break
            time.sleep(0.02)
        self.graph.extend(tasks)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait)


def _scheduler_tasks(dask_scheduler: Any) -> list[str]:
    out = []
    for key, ts in dask_scheduler.tasks.items():
        spec = getattr(ts, "run_spec", None)
        out.append(f"{key!r} {spec!r} {getattr(spec, 'args', ())!r} {getattr(spec, 'kwargs', {})!r}")
    return out


def test_a_dask_cluster_reads_two_accounts_like_the_local_run(make_sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("AMZV_POLL_INTERVAL", "0.05")  # set before the workers start: they inherit it
    sb = make_sandbox(speed=1000, processing_seconds=300.0, accounts=2)

    def accounts(cache: str) -> list[dict[str, Any]]:
        return [sb.account_options(k, cache_dir=str(tmp_path / cache)) for k in (1, 2)]

    local = amzv.read_report(SALES, START, END, accounts=accounts("local"), progress_bar_type=None)
    sb.reset_stats()
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        executor = RecordingExecutor(client)
        remote = amzv.read_report(SALES, START, END, accounts=accounts("dask"), executor=executor,
                                  progress_bar_type=None)
    pd.testing.assert_frame_equal(remote, local)
    assert remote.groupby("account").size().to_dict() == {"sandbox-1": 300, "sandbox-2": 300}
    # the workers really fetched (their own cache), one report per account
    assert sb.stats()["calls"]["createReport"] == 2
    secrets = [sb.account_credentials(k).refresh_token for k in (1, 2)] + [sb.credentials.client_secret]
    assert len(executor.seen) == 2 and any("account_task" in t and "sandbox-2" in t for t in executor.seen)
    assert executor.graph and all("_call" in t for t in executor.graph)
    shown = executor.seen + executor.graph
    assert not [text for text in shown for secret in secrets if secret in text]
