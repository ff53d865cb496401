"""Cancel, against a sandbox whose reports take minutes: Run in a thread, Cancel stops polling within
seconds, the report id is kept and a second Run resumes it (no second createReport)."""

from __future__ import annotations

import html
import time
from typing import Any

import pytest

pytest.importorskip("ipywidgets")

from amzv_pandas._frontends.widgets import ReportForm  # noqa: E402


@pytest.fixture(scope="module")
def sandbox_options() -> dict[str, Any]:
    return {"speed": 1, "processing_seconds": 600}


def _wait(predicate: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_cancel_stops_within_seconds_and_run_resumes_the_same_report(client: Any, sb: Any) -> None:
    form = ReportForm.from_call("read_report", report_type="GET_VENDOR_SALES_REPORT", marketplace="US",
                                start="today-12", end="today-6", client=client)
    form.progress_bar_type = None
    thread = form.run_async()
    assert thread is not None
    assert _wait(lambda: sb.stats()["calls"].get("getReport", 0) >= 1, 20)  # polling
    t0 = time.monotonic()
    assert form.cancel()
    thread.join(10)
    assert not thread.running and time.monotonic() - t0 < 5
    text = html.unescape(form._message.value)
    assert "Cancelled: report '" in text and "press Run again" in text
    assert form.result is None and form.error is None and not form.run_button.disabled
    polls = sb.stats()["calls"].get("getReport", 0)
    time.sleep(1.0)
    assert sb.stats()["calls"].get("getReport", 0) <= polls + 1  # polling has stopped
    # Run again: the same report is polled, none created
    thread = form.run_async()
    assert _wait(lambda: sb.stats()["calls"].get("getReport", 0) > polls + 1, 20)
    assert sb.stats()["calls"].get("createReport") == 1
    form.cancel()
    thread.join(10)
    assert not thread.running


def test_cancel_of_a_many_marketplace_read_stops_every_report(client: Any, sb: Any) -> None:
    form = ReportForm.from_call("read_report", report_type="GET_VENDOR_SALES_REPORT", marketplace=["US", "CA"],
                                start="today-14", end="today-13", client=client)
    form.progress_bar_type = None
    thread = form.run_async()
    assert thread is not None
    assert _wait(lambda: sb.stats()["calls"].get("createReport", 0) >= 2, 20)
    t0 = time.monotonic()
    assert form.cancel()
    thread.join(10)
    assert not thread.running and time.monotonic() - t0 < 5
    text = html.unescape(form._message.value)
    assert "Cancelled: reports '" in text and "resume polling them" in text
    polls = sb.stats()["calls"].get("getReport", 0)
    time.sleep(1.0)
    assert sb.stats()["calls"].get("getReport", 0) <= polls + 2  # every marketplace's polling stopped


def test_cancel_of_a_vendor_analytics_query_within_seconds(client: Any, sb: Any) -> None:
    form = ReportForm.from_call("read_vendor_analytics", start="today-10", end="today-8", metrics=["orders"],
                                client=client)
    form.progress_bar_type = None
    thread = form.run_async()
    assert thread is not None
    assert _wait(lambda: sb.stats()["calls"].get("getQuery", 0) >= 1, 20)
    t0 = time.monotonic()
    assert form.cancel()
    thread.join(10)
    assert not thread.running and time.monotonic() - t0 < 5
    assert "Cancelled: query '" in html.unescape(form._message.value)
