"""JSONL -> flat typed frame: every metric group and type, forecasts long, totals, paging, gzip, empty."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pandas as pd
import pytest

from amzv_pandas._datakiosk import flatten
from amzv_pandas._datakiosk.flatten import empty_frame, parse_documents
from amzv_pandas._specs.datakiosk.build import plan_query
from amzv_pandas._specs.datakiosk.catalogue import Node, metric_catalogue, selection_tree
from amzv_pandas._specs.datakiosk.schema import check_query
from amzv_pandas.exceptions import ParseError

from .fake import jsonl, line

TODAY = dt.date(2026, 12, 4)
EXPECTED_DTYPE = {"Long": "Int64", "Int": "Int64", "Float": "Float64", "String": "str", "Date": "datetime64[us]"}


def value(node: Node, i: int):
    """A JSON value for ``node`` (forecasts: two weeks)."""
    if node.children is not None:
        one = {c.key: value(c, i) for c in node.children}
        return [one, {**one, "weekNumber": 2}] if node.is_list else one
    return {"Long": 10 + i, "Int": 1, "Float": 0.25, "String": f"s{i}", "Date": "2026-09-06"}.get(node.type, "x")


def document(tree: Node, days: int, groups: int) -> bytes:
    grouped = next(c for c in tree.children if c.key == "metrics")
    lines = []
    for d in range(days):
        rows = [{c.key: value(c, g) for c in grouped.children} for g in range(groups)]
        lines.append(line(f"2026-09-{d + 1:02d}", rows))
    return jsonl(*lines)


@pytest.mark.parametrize("view", ["manufacturing", "sourcing"])
def test_every_metric_group_and_type(view):
    groups = sorted({m.group for m in metric_catalogue(view)})
    p = plan_query("2026-09-01", "2026-09-01", view=view, metrics=groups, group_by=["asin", "msrp"], today=TODAY)
    tree = selection_tree(p.checked)
    df = parse_documents([document(tree, 1, 3)], tree)
    forecasts = 2 if view == "manufacturing" else 1
    assert len(df) == 3 * forecasts
    assert str(df["startDate"].dtype) == "datetime64[us]" and df["marketplaceId"].dtype == "str"
    assert df["asin"].dtype == "str"
    assert df["msrp_amount"].dtype == "Float64" and df["msrp_currency"].dtype == "str"
    for m in p.metrics:
        col = m.path.replace(".", "_")
        if m.type == "Amount":
            assert df[col + "_amount"].dtype == "Float64", col
            assert df[col + "_currency"].dtype == "str", col
            assert (df[col + "_currency"] == "s0").any() or df[col + "_currency"].notna().all()
        else:
            assert str(df[col].dtype) == EXPECTED_DTYPE[m.type], (col, df[col].dtype)
    assert not any(df[c].map(lambda v: isinstance(v, (list, dict))).any() for c in df.columns if df[c].dtype == object)
    if view == "manufacturing":
        assert list(df["forecasting_weekNumber"]) == [1, 2] * 3
        assert df["forecasting_startDate"].iloc[0] == pd.Timestamp("2026-09-06")
    # an empty answer has exactly the same columns and dtypes
    empty = empty_frame(tree)
    assert list(empty.columns) == list(df.columns) and empty.dtypes.equals(df.dtypes) and len(empty) == 0


def test_values_nulls_and_pages():
    p = plan_query("2026-09-01", "2026-09-02", metrics=["orders.orderedUnitsWithRevenue", "traffic", "forecasting"],
                   today=TODAY)
    tree = selection_tree(p.checked)
    amt = {"amount": 12.5, "currencyCode": "EUR"}
    g1 = {"groupByKey": {"asin": "A1"}, "metrics": {"orders": {"orderedUnitsWithRevenue": {"units": 3, "value": amt}},
                                                    "traffic": {"glanceViews": 7, "lostFeaturedOffer": None},
                                                    "forecasting": None}}
    g2 = {"groupByKey": {"asin": "A2"}, "metrics": {"orders": None, "traffic": {"glanceViews": None},
                                                    "forecasting": [{"weekNumber": 1, "startDate": "2026-09-06",
                                                                     "endDate": "2026-09-12",
                                                                     "demand": {"mean": 4, "p70": 5, "p80": None,
                                                                                "p90": 9}}]}}
    page1 = jsonl(line("2026-09-01", [g1, g2]))
    page2 = gzip.compress(jsonl(line("2026-09-02", [g1]), line("2026-09-03", [])))
    df = parse_documents([page1, page2], tree)
    assert list(df["asin"]) == ["A1", "A2", "A1"]  # a period without groups gives no row
    assert df["orders_orderedUnitsWithRevenue_units"].tolist()[:2] == [3, pd.NA]
    assert df["orders_orderedUnitsWithRevenue_value_amount"].iloc[0] == 12.5
    assert df["orders_orderedUnitsWithRevenue_value_currency"].iloc[0] == "EUR"
    assert pd.isna(df["forecasting_weekNumber"].iloc[0]) and df["forecasting_demand_p90"].iloc[1] == 9
    assert df["startDate"].tolist() == [pd.Timestamp("2026-09-01")] * 2 + [pd.Timestamp("2026-09-02")]


def test_totals_rows_are_per_period():
    p = plan_query("2026-09-06", "2026-09-19", aggregate_by="WEEK", metrics="orders", totals=True, today=TODAY)
    tree = selection_tree(p.checked)
    tot = {"orders": {"netOrderedGMS": {"amount": 1.0, "currencyCode": "USD"}, "unfilledOrderedUnits": 5}}
    doc = jsonl(json.dumps({"startDate": "2026-09-06", "endDate": "2026-09-12", "marketplaceId": "M", "totals": tot}),
                json.dumps({"startDate": "2026-09-13", "endDate": "2026-09-19", "marketplaceId": "M", "totals": tot}))
    df = parse_documents([doc], tree)
    assert len(df) == 2 and "orders_netOrderedGMS_amount" in df and df["orders_unfilledOrderedUnits"].sum() == 10
    assert df["endDate"].iloc[1] == pd.Timestamp("2026-09-19")


def test_generic_query_with_aliases_and_fragments():
    q = """query { analytics_vendorAnalytics_2024_09_30 {
      sourcingView(startDate: "2026-09-01", endDate: "2026-09-01", aggregateBy: DAY) {
        day: startDate
        metrics { groupByKey { ...K } metrics { traffic: sourcing { confirmedUnits } } }
      } } }
      fragment K on GroupByAttributes { vendorCode }"""
    tree = selection_tree(check_query(q))
    doc = jsonl(json.dumps({"day": "2026-09-01", "metrics": [{"groupByKey": {"vendorCode": "V1"},
                                                               "metrics": {"traffic": {"confirmedUnits": 4}}}]}))
    df = parse_documents([doc], tree)
    assert df.to_dict("records") == [{"day": pd.Timestamp("2026-09-01"), "vendorCode": "V1",
                                      "traffic_confirmedUnits": 4}]


def test_long_lines_grow_the_block(monkeypatch):
    monkeypatch.setattr(flatten, "BLOCK_SIZE", 1024)
    p = plan_query("2026-09-01", "2026-09-01", metrics="traffic", today=TODAY)
    tree = selection_tree(p.checked)
    groups = [{"groupByKey": {"asin": f"A{i}"}, "metrics": {"traffic": {"glanceViews": i}}} for i in range(500)]
    df = parse_documents([jsonl(line("2026-09-01", groups))], tree)
    assert len(df) == 500 and df["traffic_glanceViews"].sum() == sum(range(500))


def test_a_document_of_another_shape_is_a_parse_error():
    p = plan_query("2026-09-01", "2026-09-01", metrics="traffic", today=TODAY)
    tree = selection_tree(p.checked)
    with pytest.raises(ParseError, match="JSON Lines"):
        parse_documents([b'{"startDate": 5, "metrics": "x"}\n'], tree)


def test_gzip_pages_expand_within_the_limits(tmp_path):
    from amzv_pandas._util.limits import DocumentLimits
    from amzv_pandas.exceptions import DocumentTooLargeError

    p = plan_query("2026-09-01", "2026-09-01", metrics="traffic", today=TODAY)
    tree = selection_tree(p.checked)
    groups = [{"groupByKey": {"asin": f"A{i}"}, "metrics": {"traffic": {"glanceViews": i}}} for i in range(2000)]
    path = tmp_path / "page.jsonl.gz"
    path.write_bytes(gzip.compress(jsonl(line("2026-09-01", groups))))
    assert len(parse_documents([path], tree)) == 2000
    with pytest.raises(DocumentTooLargeError):
        parse_documents([path], tree, DocumentLimits(max_expanded_bytes=10_000))
    plain = tmp_path / "page.jsonl"
    plain.write_bytes(jsonl(line("2026-09-01", groups)))
    with pytest.raises(DocumentTooLargeError):
        parse_documents([plain], tree, DocumentLimits(max_expanded_bytes=10_000))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(ParseError, match="cut or corrupt"):
        parse_documents([cut], tree)
