"""Query building and validation before any call (issue 14: metric catalogue, did-you-mean, date rules)."""

from __future__ import annotations

import datetime as dt

import pytest

from amzv_pandas._datakiosk.api import vendor_analytics_metrics
from amzv_pandas._specs.datakiosk.build import clip_range, plan_query
from amzv_pandas._specs.datakiosk.catalogue import metric_catalogue
from amzv_pandas._specs.datakiosk.schema import MAX_QUERY_CHARS, check_query, two_years_back
from amzv_pandas.exceptions import ConfigurationError

TODAY = dt.date(2026, 12, 4)


def plan(start="2026-09-01", end="2026-09-30", **kw):
    return plan_query(start, end, today=TODAY, **kw)


def test_catalogue_comes_from_the_sdl():
    cat = vendor_analytics_metrics()
    assert set(cat["view"]) == {"manufacturing", "sourcing"}
    row = cat[(cat.view == "manufacturing") & (cat.path == "orders.orderedUnitsWithRevenue.units")].iloc[0]
    assert row["type"] == "Long" and row["retention"] == "P30D" and row["retention_days"] == 30
    assert "ordered units" in row["description"].lower()
    assert cat[cat.path == "costs.netPPM"]["type"].iloc[0] == "Float"
    assert cat[cat.path.str.startswith("forecasting.")]["list_valued"].all()
    assert not (cat.view == "sourcing").pipe(lambda m: cat[m].path.str.startswith("orders.")).any()


def test_groups_paths_and_prefixes_select_leaves():
    p = plan(metrics=["orders", "traffic.glanceViews", "costs.netPPM"])
    paths = [m.path for m in p.metrics]
    assert "orders.orderedUnitsWithRevenue.value" in paths and "traffic.glanceViews" in paths
    assert "traffic.lostFeaturedOffer" not in paths
    assert 'manufacturingView(startDate: "2026-09-01", endDate: "2026-09-30", aggregateBy: DAY)' in p.text
    assert "groupByKey {\n          asin" in p.text
    check_query(p.text)  # graphql-core validates what we built
    prefix = plan(metrics="orders.orderedUnitsWithRevenue")
    assert [m.path for m in prefix.metrics] == ["orders.orderedUnitsWithRevenue.units",
                                                "orders.orderedUnitsWithRevenue.value"]


def test_metrics_none_selects_every_scalar_metric_but_daily_inventory_over_several_days():
    p = plan(metrics=None)
    assert not any(m.in_list for m in p.metrics)
    assert not any(m.group == "productAvailability" for m in p.metrics)
    assert p.skipped and all(s.startswith("productAvailability.") for s in p.skipped)
    one_day = plan("2026-09-01", "2026-09-01")
    assert any(m.group == "productAvailability" for m in one_day.metrics)
    assert len(plan(metrics=None, view="sourcing").metrics) < len(one_day.metrics)


@pytest.mark.parametrize("kw, parameter, hint", [
    ({"metrics": ["ordrs"]}, "metrics", "did you mean 'orders'"),
    ({"metrics": ["traffic.glanceView"]}, "metrics", "did you mean 'traffic.glanceViews'"),
    ({"metrics": ["orders"], "view": "sourcing"}, "metrics", "view='manufacturing'"),
    ({"group_by": ["asn"]}, "group_by", "did you mean 'asin'"),
    ({"view": "manufactoring"}, "view", "did you mean 'manufacturing'"),
    ({"aggregate_by": "YEAR"}, "aggregate_by", "'DAY', 'WEEK', 'MONTH'"),
    ({"currency": "dollars"}, "currency", "ISO 4217"),
    ({"totals": "yes"}, "totals", "True"),
    ({"metrics": ["productAvailability"]}, "metrics", "same start and end"),
])
def test_bad_arguments_name_the_parameter(kw, parameter, hint):
    with pytest.raises(ConfigurationError) as info:
        plan(**kw)
    assert info.value.parameter == parameter
    assert hint in str(info.value)


def test_date_rules():
    earliest = two_years_back(TODAY)
    assert earliest == dt.date(2024, 12, 4)
    plan(str(earliest), str(earliest))
    with pytest.raises(ConfigurationError, match="two years") as info:
        plan(str(earliest - dt.timedelta(days=1)), "2025-01-10")
    assert info.value.parameter == "start"
    with pytest.raises(ConfigurationError, match="future") as info:
        plan("2026-12-01", "2026-12-05")
    assert info.value.parameter == "end"
    with pytest.raises(ConfigurationError) as info:
        plan("2026-09-30", "2026-09-01")
    assert info.value.parameter == "start"
    rel = plan_query("today-10", "today-4", today=TODAY)
    assert (rel.start, rel.end) == (dt.date(2026, 11, 24), dt.date(2026, 11, 30))
    assert two_years_back(dt.date(2028, 2, 29)) == dt.date(2026, 2, 28)


def test_week_and_month_are_clipped_to_whole_periods():
    # 2026-09-02 is a Wednesday: the first whole week starts Sunday 2026-09-06.
    assert clip_range(dt.date(2026, 9, 2), dt.date(2026, 9, 30), "WEEK") == (dt.date(2026, 9, 6),
                                                                             dt.date(2026, 9, 26))
    assert clip_range(dt.date(2026, 8, 15), dt.date(2026, 11, 20), "MONTH") == (dt.date(2026, 9, 1),
                                                                                dt.date(2026, 10, 31))
    p = plan("2026-09-02", "2026-09-30", aggregate_by="WEEK")
    assert 'startDate: "2026-09-06", endDate: "2026-09-26", aggregateBy: WEEK' in p.text
    with pytest.raises(ConfigurationError, match="no whole week") as info:
        plan("2026-09-02", "2026-09-05", aggregate_by="WEEK")
    assert info.value.parameter == "start"


def test_totals_select_totals_only():
    p = plan(metrics="orders", totals=True)
    assert "totals {" in p.text and "groupByKey" not in p.text


def test_currency_is_sent():
    assert 'currencyCode: "EUR"' in plan(metrics="orders", currency="eur").text


@pytest.mark.parametrize("query, where, words", [
    ("query { analytics_vendorAnalytics_2024_09_30 { manufacturingView(", "line 1", "Syntax Error"),
    ("query {\n  analytics_vendorAnalytics_2024_09_30 {\n    manufacturingView(startDate: \"2026-01-01\", "
     "endDate: \"2026-01-02\", aggregateBy: DAY) { nope } } }", "line 3", "Cannot query field 'nope'"),
    ("query { analytics_vendorAnalytics_2024_09_30 { manufacturingView(startDate: \"2026-01-01\") "
     "{ startDate } } }", "line 1", "endDate"),
    ("query { analytics_vendorAnalytic_2024_09_30 { x } }", "line 1",
     "did you mean 'analytics_vendorAnalytics_2024_09_30'"),
    ("query { __schema { types { name } } }", "", "introspection"),
    ("query { analytics_vendorAnalytics_2024_09_30 { "
     "a: manufacturingView(startDate: \"2026-01-01\", endDate: \"2026-01-02\", aggregateBy: DAY) { startDate } "
     "b: sourcingView(startDate: \"2026-01-01\", endDate: \"2026-01-02\", aggregateBy: DAY) { startDate } } }",
     "", "only one view"),
    ("", "", "non-empty"),
])
def test_malformed_queries_are_refused_with_line_and_column(query, where, words):
    with pytest.raises(ConfigurationError) as info:
        check_query(query)
    assert info.value.parameter == "query"
    assert where in str(info.value) and words in str(info.value)


def test_query_length_limit_counts_after_whitespace_removal():
    base = ("query { analytics_vendorAnalytics_2024_09_30 { manufacturingView(startDate: \"2026-01-01\", "
            "endDate: \"2026-01-02\", aggregateBy: DAY) { startDate %s } } }")
    padded = base % (" " * 20000)  # whitespace does not count
    check_query(padded)
    long = base % " ".join(f"a{i}: endDate" for i in range(MAX_QUERY_CHARS // 10))
    with pytest.raises(ConfigurationError, match="8000"):
        check_query(long)


def test_every_metric_of_both_views_builds_a_valid_query():
    for view in ("manufacturing", "sourcing"):
        groups = sorted({m.group for m in metric_catalogue(view)})
        p = plan("2026-09-01", "2026-09-01", view=view, metrics=groups, group_by=["asin", "brand", "msrp"])
        assert len(p.metrics) == len(metric_catalogue(view))
