"""Planning a sync: its budget, the createReport quota it needs, and its windows over the missing days.

Pure functions: :func:`parse_budget` reads ``budget=``, :func:`quota_seconds` replays the
client's token bucket on a simulated clock (see :mod:`amzv_pandas._sync.sync`, "Window size"),
:func:`target_units` lists a range's whole periods and :func:`plan_windows` groups the
missing ones into windows, newest first.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any, Sequence

from .._specs.dates import iter_days, iter_periods, split_range
from ..exceptions import ConfigurationError

__all__ = ["parse_budget", "quota_seconds", "plan_windows", "target_units", "MAX_BUDGET_S"]

_ONE_DAY = _dt.timedelta(days=1)



#: Longest budget accepted (a year); beyond, timedelta overflows and None ("no limit") is meant.
MAX_BUDGET_S = 366 * 86400
BUDGET_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)", re.I)


def parse_budget(budget: Any) -> _dt.timedelta | None:
    """``None``, a timedelta, seconds, or text such as ``"2h"``, ``"1h30m"``, ``"45m"``, ``"90s"``."""
    if budget is None:
        return None
    if isinstance(budget, _dt.timedelta):
        value = budget
    elif isinstance(budget, (int, float)) and not isinstance(budget, bool):
        if not math.isfinite(budget) or abs(budget) > MAX_BUDGET_S:
            msg = f"budget={budget!r} is not a usable number of seconds; use None for no limit"
            raise ConfigurationError(msg, parameter="budget", value=budget, allowed=f"0 < seconds <= {MAX_BUDGET_S}")
        value = _dt.timedelta(seconds=float(budget))
    elif isinstance(budget, str) and re.fullmatch(r"\s*(?:\d+(?:\.\d+)?\s*[dhms]\s*)+", budget, re.I):
        unit = {"d": 86400, "h": 3600, "m": 60, "s": 1}
        seconds = sum(float(n) * unit[u.lower()] for n, u in BUDGET_RE.findall(budget))
        if seconds > MAX_BUDGET_S:
            msg = f"budget={budget!r} is longer than {MAX_BUDGET_S // 86400} days; use None for no limit"
            raise ConfigurationError(msg, parameter="budget", value=budget, allowed=f"0 < seconds <= {MAX_BUDGET_S}")
        value = _dt.timedelta(seconds=seconds)
    else:
        msg = f"budget={budget!r} is not a duration; use a timedelta, seconds, or text like '2h', '1h30m', '45m'"
        raise ConfigurationError(msg, parameter="budget", value=budget, allowed="timedelta, seconds, '2h'")
    if value <= _dt.timedelta(0):
        msg = f"budget={budget!r} must be positive"
        raise ConfigurationError(msg, parameter="budget", value=budget, allowed="> 0")
    return value


def quota_seconds(windows: int, *, rate: float = 0.0167, burst: int = 15) -> float:
    """Seconds the createReport quota needs before the last of ``windows`` requests may be sent.

    Replays the client's own token bucket on a simulated clock (see the module docstring).
    """
    from .._transport.ratelimit import TokenBucket

    now = [0.0]
    bucket = TokenBucket(rate, burst, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    for _ in range(windows):
        bucket.acquire()
    return now[0]




def plan_windows(missing_units: Sequence[tuple[_dt.date, _dt.date]], period: str, max_units: int,
          ) -> list[tuple[_dt.date, _dt.date]]:
    """Windows over the missing units: newest run first, each run split newest first."""
    runs: list[list[tuple[_dt.date, _dt.date]]] = []
    for unit in sorted(missing_units):
        if runs and runs[-1][-1][1] + _ONE_DAY == unit[0]:
            runs[-1].append(unit)
        else:
            runs.append([unit])
    windows: list[tuple[_dt.date, _dt.date]] = []
    for run in reversed(runs):
        if period == "DAY":
            windows += split_range(run[0][0], run[-1][1], period="DAY", max_days=max_units, newest_first=True)
        else:
            windows += split_range(run[0][0], run[-1][1], period=period, max_periods=max_units,
                                   newest_first=True)
    return windows



def target_units(start: _dt.date, end: _dt.date, period: str) -> list[tuple[_dt.date, _dt.date]]:
    if period == "DAY":
        return [(d, d) for d in iter_days(start, end)]
    return list(iter_periods(start, end, period))
