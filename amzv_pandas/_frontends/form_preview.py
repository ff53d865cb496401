"""The form's result: one summary line and a capped, scrollable preview of the frame.

The whole frame rendered by pandas made a 30-row search ~3,000 px tall, wrapped ``item_name``
over six lines and dates as ``2026-11-/23`` (issue 12). The preview shows the first
:data:`PREVIEW_ROWS` rows in a box of bounded height (the CSS is the form's ``STYLE``), never
wraps a cell, cuts long text with the full value in the cell's ``title`` (shown on hover), and
prints dates as dates.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Sequence

import pandas as pd

__all__ = ["PREVIEW_ROWS", "MAX_CELL_CHARS", "ResultSummary", "summarize", "preview_html", "plural"]

PREVIEW_ROWS = 50
MAX_CELL_CHARS = 48


def plural(n: int, word: str) -> str:
    """``1 row``, ``2 rows``, ``1,204 rows``."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


@dataclass(frozen=True)
class ResultSummary:
    """What a run returned, in one line: shape, report type, date range, ids, cache.

    ``str()`` is the plain line; in a notebook it renders as the same line in HTML.
    """

    rows: int
    columns: int
    operation: str
    report_type: str | None = None
    start: str | None = None
    end: str | None = None
    ids: Sequence[str] = field(default_factory=tuple)
    id_kind: str = "report"
    from_cache: bool | None = None

    def parts(self) -> list[str]:
        out = [f"{plural(self.rows, 'row')} × {plural(self.columns, 'column')}"]
        out.append(self.report_type or self.operation)
        if self.start and self.end:
            out.append(self.start if self.start == self.end else f"{self.start} to {self.end}")
        if self.ids:
            shown = ", ".join(self.ids[:3]) + (f" (+{len(self.ids) - 3} more)" if len(self.ids) > 3 else "")
            out.append(f"{self.id_kind} {shown}" if len(self.ids) == 1 else f"{self.id_kind}s {shown}")
        if self.from_cache is not None:
            out.append("from the cache" if self.from_cache else "fresh from Amazon")
        return out

    def __str__(self) -> str:
        return " · ".join(self.parts())

    def _repr_html_(self) -> str:
        return f'<div class="amzv-summary">{html.escape(str(self), quote=False)}</div>'


def summarize(frame: pd.DataFrame, operation: str, call: dict[str, Any] | None = None) -> ResultSummary:
    """The summary of ``frame`` returned by ``operation`` for keyword arguments ``call``."""
    call = call or {}
    meta = frame.attrs.get("amzv") if isinstance(frame.attrs.get("amzv"), dict) else {}
    ids = [str(i) for i in meta.get("report_ids") or ()]
    kind = "report"
    if not ids and meta.get("query_ids"):
        ids, kind = [str(i) for i in meta["query_ids"]], "query"
    if not ids and meta.get("report_id"):
        ids = [str(meta["report_id"])]
    start = meta.get("data_start") or meta.get("start") or _text(call.get("start"))
    end = meta.get("data_end") or meta.get("end") or _text(call.get("end")) or start
    cached = meta.get("from_cache")
    return ResultSummary(rows=len(frame), columns=frame.shape[1], operation=operation,
                         report_type=meta.get("report_type") or call.get("report_type"),
                         start=_text(start), end=_text(end), ids=tuple(ids), id_kind=kind,
                         from_cache=cached if isinstance(cached, bool) else None)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _cell(value: Any, as_date: bool) -> tuple[str, str]:
    """(shown text, full text) of one cell."""
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return "", ""
    if isinstance(value, pd.Timestamp):
        full = value.date().isoformat() if as_date else value.isoformat()
    else:
        full = str(value)
    shown = full if len(full) <= MAX_CELL_CHARS else full[: MAX_CELL_CHARS - 1] + "…"
    return shown, full


def preview_html(frame: pd.DataFrame, rows: int = PREVIEW_ROWS) -> str:
    """The first ``rows`` rows of ``frame`` as a bounded, scrollable HTML table."""
    head = frame.head(rows)
    as_date = {}
    numeric = {}
    for name in head.columns:
        col = head[name]
        if pd.api.types.is_datetime64_any_dtype(col):
            times = col.dropna()
            as_date[name] = bool((times == times.dt.normalize()).all())
        numeric[name] = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    out = ['<div class="amzv-preview"><table><thead><tr><th></th>']
    out += [f"<th>{html.escape(str(c), quote=False)}</th>" for c in head.columns]
    out.append("</tr></thead><tbody>")
    for i, (_, values) in enumerate(head.iterrows()):
        out.append(f'<tr><td class="amzv-muted">{i}</td>')
        for name, value in zip(head.columns, values):
            shown, full = _cell(value, as_date.get(name, False))
            title = f' title="{html.escape(full, quote=True)}"' if shown != full else ""
            cls = ' class="amzv-num"' if numeric[name] else ""
            out.append(f"<td{cls}{title}>{html.escape(shown, quote=False)}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    if len(frame) > rows:
        out.append(f'<div class="amzv-muted">the first {rows} of {plural(len(frame), "row")}; '
                   f"the whole frame is <code>form.result</code></div>")
    return "".join(out)
