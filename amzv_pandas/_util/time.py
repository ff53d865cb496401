"""UTC instants: the current one, Amazon's ISO 8601 spelling, and lenient parsing.

The package's one clock: the specs, the report layer, the cache and sync all read "now"
from :func:`utc_now` (modules that need a test seam keep a module-level alias of it, e.g.
``amzv_pandas._specs.date_grammar._now_utc``). Stdlib only at import time; pandas is
imported by :func:`parse_utc` when it is first called.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

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
    import pandas as pd  # the lenient parser Amazon's spellings need (Z, offsets, fractions)

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
