"""The Vendor Analytics data behind the sandbox's Data Kiosk: the graphql path and the direct JSONL writer agree."""

from __future__ import annotations

import io
import json
from datetime import date

import pyarrow.json as pj
import pytest

from amzv_pandas.sandbox._data.datakiosk_graphql import check_query, execute
from amzv_pandas.sandbox._data.sandbox_data import SandboxData
from amzv_pandas.sandbox._data.vendor_analytics import (LEAVES, VIEW_GROUPS, AnalyticsModel, Period, clip_periods,
                                                         generate_document)

TODAY = date(2026, 12, 4)


def _selection(group: str) -> str:
    tree: dict = {}
    for path, kind, _ in LEAVES[group]:
        head, _, tail = path.rpartition(".")
        (tree.setdefault(head, {}) if head else tree)[tail] = kind

    def emit(node: dict) -> str:
        return " ".join(f"{k} {{ {emit(v)} }}" if isinstance(v, dict)
                        else k + (" { amount currencyCode }" if v == "amount" else "") for k, v in node.items())
    return f"{group} {{ {emit(tree)} }}"


@pytest.mark.parametrize("view, aggregate_by, start, end", [
    ("manufacturingView", "DAY", "2026-10-05", "2026-10-05"),
    ("sourcingView", "WEEK", "2026-10-04", "2026-10-17"),
    ("manufacturingView", "MONTH", "2026-09-01", "2026-10-31"),
])
def test_generate_document_equals_the_executed_query(view, aggregate_by, start, end):
    groups = [g for g in VIEW_GROUPS[view] if g != "forecasting"]
    selection = " ".join(_selection(g) for g in groups)
    query = (f'{{ analytics_vendorAnalytics_2024_09_30 {{ {view}(aggregateBy: {aggregate_by}, startDate: "{start}", '
             f'endDate: "{end}") {{ startDate endDate marketplaceId totals {{ {selection} }} metrics {{ groupByKey '
             f'{{ asin }} metrics {{ {selection} }} }} }} }} }}')
    data = SandboxData(0)
    model = AnalyticsModel(data._vendor_model, str(data.sellers[0]))
    checked = check_query(query, TODAY)
    lines, errors = execute(checked, model, clip_periods(checked.start, checked.end, aggregate_by), ["ATVPDKIKX0DER"])
    assert errors is None and lines
    text = b"".join(generate_document(start, end, asins=50, aggregate_by=aggregate_by, view=view, groups=groups))
    assert [json.loads(line) for line in text.splitlines()] == lines


def test_generated_documents_read_with_pyarrow_json():
    text = b"".join(generate_document("2026-09-01", "2026-09-30", asins=30))
    table = pj.read_json(io.BytesIO(text))
    assert table.num_rows == 30
    assert set(table.column_names) == {"startDate", "endDate", "marketplaceId", "totals", "metrics"}
    assert len(table.column("metrics")[0]) == 30  # one group per ASIN


def test_clip_periods():
    assert clip_periods(date(2026, 9, 2), date(2026, 9, 30), "WEEK") == [
        Period(date(2026, 9, 6), date(2026, 9, 12)), Period(date(2026, 9, 13), date(2026, 9, 19)),
        Period(date(2026, 9, 20), date(2026, 9, 26))]
    assert clip_periods(date(2026, 8, 15), date(2026, 10, 20), "MONTH") == [Period(date(2026, 9, 1), date(2026, 9, 30))]
    assert clip_periods(date(2026, 9, 2), date(2026, 9, 4), "WEEK") == []
    assert len(clip_periods(date(2026, 9, 2), date(2026, 9, 4), "DAY")) == 3
