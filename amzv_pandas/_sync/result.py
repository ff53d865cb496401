"""What one sync run did: :class:`SyncResult` (its text and HTML views for notebooks)."""

from __future__ import annotations

import datetime as _dt
import html
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SyncResult"]



@dataclass
class SyncResult:
    """What one :func:`sync` run did.

    Attributes
    ----------
    path : str
        The dataset directory.
    report_type, marketplace_id : str
        For several marketplaces, ``marketplace_id`` lists them (comma-separated).
    status : str
        ``"complete"`` (nothing left to fetch), ``"partial"`` (the budget ran out
        with days left), ``"failed"`` (some windows failed; retried next run).
    days_added : int
        Days that became done in this run (with rows or empty).
    days_remaining : int
        Final days of ``start`` → ``end`` still missing (0 once the dataset covers them).
    days_pending : int
        Days of the range inside the publication lag, fetched once final.
    rows_added : int
    failures : dict of datetime.date to str
        Each day of a failed window → Amazon's reason (keyed by ``(account, marketplace_id,
        day)`` when the result covers several pairs).
    windows : list of dict
        Every window tried, in order: ``start``, ``end``, ``status``
        (``"done"``, ``"empty"``, ``"failed"``), ``rows``, ``reason``.
    calls : dict of str to int
        SP-API calls made by this run, per operationId.
    elapsed : datetime.timedelta
    account : str, optional
        The account's name (for several accounts, their names, comma-separated).
    pairs : list of SyncResult
        One result per account × marketplace when there are several (empty for one).
    """

    path: str
    report_type: str
    marketplace_id: str
    status: str
    days_added: int
    days_remaining: int
    days_pending: int
    rows_added: int
    failures: dict[_dt.date, str]
    windows: list[dict[str, Any]]
    calls: dict[str, int]
    elapsed: _dt.timedelta
    account: str | None = None
    pairs: list["SyncResult"] = field(default_factory=list)

    def _lines(self) -> list[tuple[str, str]]:
        secs = self.elapsed.total_seconds()
        return [
            ("status", self.status),
            ("report", f"{self.report_type} ({self.marketplace_id})"),
            *([("account", self.account)] if self.account else []),
            ("path", self.path),
            ("windows", f"{len(self.windows)} tried, "
                        f"{sum(w['status'] == 'failed' for w in self.windows)} failed"),
            ("days added", f"{self.days_added} ({self.rows_added} rows)"),
            ("days remaining", str(self.days_remaining)),
            ("days pending", f"{self.days_pending} (inside the publication lag)"),
            ("calls", f"{sum(self.calls.values())} " + (
                "(" + ", ".join(f"{k} {v}" for k, v in sorted(self.calls.items())) + ")" if self.calls else "")),
            ("elapsed", f"{secs:.1f} s"),
        ]

    def __repr__(self) -> str:
        body = "\n".join(f"  {k:<15}{v}" for k, v in self._lines())
        fails = ""
        if self.failures:
            shown = list(self.failures.items())[:5]
            fails = "\n  failures:\n" + "\n".join(f"    {d}: {r}" for d, r in shown)
            if len(self.failures) > 5:
                fails += f"\n    ... {len(self.failures) - 5} more"
        pairs = "".join(f"\n    {p.account}/{p.marketplace_id}: {p.status}, {p.days_added} days added, "
                        f"{p.days_remaining} remaining" for p in self.pairs)
        return f"<SyncResult\n{body}{fails}" + (f"\n  pairs:{pairs}" if pairs else "") + ">"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
                       f"{html.escape(v)}</td></tr>" for k, v in self._lines())
        if self.failures:
            items = "".join(f"<li>{d}: {html.escape(r)}</li>" for d, r in list(self.failures.items())[:20])
            rows += f"<tr><th style='text-align:left'>failures</th><td><ul>{items}</ul></td></tr>"
        return f"<table><caption>SyncResult</caption>{rows}</table>"
