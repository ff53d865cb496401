"""UTC instants: the current one, Amazon's ISO 8601 spelling, and lenient parsing.

Stdlib and pandas only, no package import: it is meant to become (part of) the foundations'
time helpers (``amzv_pandas._util.time``); until then the specs, the planner and the run
read their clock from here.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pandas as pd

__all__ = ["utc_now", "iso_utc", "parse_utc", "same_instant"]


def utc_now() -> _dt.datetime:
    """The current instant, timezone-aware UTC."""
    return _dt.datetime.now(_dt.timezone.utc)


def iso_utc(ts: _dt.datetime) -> str:
    """``ts`` as Amazon writes instants: ``2024-03-01T00:00:00Z`` (whole seconds, UTC)."""
    return ts.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(value: Any) -> _dt.datetime | None:
    """A UTC datetime from an ISO string or date-like (naive means UTC); None when unreadable."""
    if not value:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    if ts is pd.NaT:
        return None
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.to_pydatetime()


def same_instant(a: Any, b: Any) -> bool:
    """Whether two instants (in any spelling) are within a second of each other."""
    ta, tb = parse_utc(a), parse_utc(b)
    return ta is not None and tb is not None and abs((ta - tb).total_seconds()) < 1.0
