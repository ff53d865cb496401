"""What the report run reads from Amazon's answers, and the signals between its threads.

Pure checks of a getReport answer (:func:`check_report_answer`), of a document's echoed
options against the request (:func:`options_mismatch`), of whether a DONE report is worth
reusing (:func:`done_reusable`); the two exceptions a window's worker raises
(:class:`Stopped`, :class:`Rejected`); small file and frame helpers the run modules share.
"""

from __future__ import annotations

import datetime as _dt
import logging
from typing import Any, Mapping

import pandas as pd

from .._specs.registry import ReportType
from .._util.time import same_instant, utc_now
from ..exceptions import ConfigurationError, ParseError

__all__ = ["API", "TERMINAL", "STATUSES", "REUSE_FRESH", "Stopped", "Rejected", "check_report_answer",
           "option_equal", "options_mismatch", "close_download", "done_reusable", "empty_frame"]

logger = logging.getLogger("amzv_pandas._reports.run")

#: The Reports API's path prefix.
API = "/reports/2021-06-30"

#: processingStatus values after which a report changes no more.
TERMINAL = frozenset({"DONE", "FATAL", "CANCELLED"})

#: A DONE report whose data was not final when it was made is reused only this soon after.
REUSE_FRESH = _dt.timedelta(minutes=15)


class Stopped(Exception):
    """The main thread asked the workers to stop (timeout, Ctrl-C, another window failed)."""




class Rejected(Exception):
    """A report found for a window (adopted or recorded) is not the one asked for."""

    def __init__(self, report_id: str, reason: str, *, quiet: bool = False) -> None:
        super().__init__(f"report {report_id}: {reason}")
        self.report_id = report_id
        self.reason = reason
        self.quiet = quiet


#: processingStatus values of the reports model.
STATUSES = frozenset({"IN_QUEUE", "IN_PROGRESS", "DONE", "FATAL", "CANCELLED"})


def check_report_answer(report: Any, report_id: str) -> str:
    """The processingStatus of a getReport answer, or a ParseError saying what is wrong."""
    where = f"the getReport answer for report {report_id}"
    if not isinstance(report, Mapping):
        raise ParseError(f"{where} is not a JSON object (got {type(report).__name__})")
    got = report.get("reportId")
    if got is None:
        raise ParseError(f"{where} has no reportId")
    if str(got) != report_id:
        shown = repr(got) if len(repr(got)) <= 80 else repr(got)[:77] + "..."
        raise ParseError(f"{where} describes another report ({shown})")
    status = report.get("processingStatus")
    if status is None:
        raise ParseError(f"{where} has no processingStatus")
    if not isinstance(status, str):
        raise ParseError(f"{where} has a processingStatus that is not a string: {status!r}"[:300])
    if status not in STATUSES:
        shown = status if len(status) <= 40 else status[:37] + "..."
        raise ParseError(f"{where} has an unknown processingStatus {shown!r}; expected one of "
                         f"{', '.join(sorted(STATUSES))}")
    return status


def option_equal(sent: str, echoed: Any) -> bool:
    if not isinstance(echoed, (str, int, float)) or isinstance(echoed, bool):
        return False
    a, b = str(sent).strip(), str(echoed).strip()
    if a.casefold() == b.casefold():
        return True
    # Date-time options may come back in another spelling (".000Z", "+00:00").
    return any(c.isdigit() for c in a) and "-" in a and same_instant(a, b)


def options_mismatch(sent: Mapping[str, str], echoed: Mapping[str, Any]) -> str | None:
    """What differs between the options sent and a document's echo of them, or None.

    Every option sent (registry defaults included) must come back equal. Echoed options
    that were not sent are not compared: Amazon echoes defaults of its own (the real-time
    sales report's ``currencyCode``), which this library cannot predict.
    """
    for name, value in sent.items():
        if name not in echoed:
            return f"its document does not echo reportOptions.{name}"
        if not option_equal(value, echoed[name]):
            return f"it was made with {name}={str(echoed[name])[:60]!r}, not {value!r}"
    return None


def close_download(download: Any) -> None:
    """Close a download from another thread so that a read blocked in it returns."""
    try:
        download.close()
    except Exception as exc:  # closing is best effort: the worker notices the stop either way
        logger.debug("closing a download failed: %s", exc)


def done_reusable(created: _dt.datetime | None, final_at: _dt.datetime | None) -> bool:
    """A DONE report is worth reusing when it was made from final data, or very recently."""
    if created is None:
        return False
    if final_at is not None and created >= final_at:
        return True
    return utc_now() - created <= REUSE_FRESH


def empty_frame(rt: ReportType, section: str | None) -> pd.DataFrame:
    try:
        return rt.empty_frame(section)
    except ConfigurationError:
        return pd.DataFrame()
