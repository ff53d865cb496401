"""The report-type registry: data integrity against the schemas, option validation, windows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from amzv_pandas.exceptions import ConfigurationError
from amzv_pandas._specs.registry import (
    REPORT_TYPES,
    ReportOption,
    ReportType,
    get_report_type,
    report_types,
)

SCHEMAS = Path(__file__).resolve().parents[3] / "amzv_pandas" / "sandbox" / "spapi" / "report-schemas"

VENDOR = [
    "GET_VENDOR_SALES_REPORT", "GET_VENDOR_INVENTORY_REPORT", "GET_VENDOR_TRAFFIC_REPORT",
    "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT", "GET_VENDOR_FORECASTING_REPORT",
    "GET_VENDOR_REAL_TIME_SALES_REPORT", "GET_VENDOR_REAL_TIME_INVENTORY_REPORT",
    "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT", "GET_COUPON_PERFORMANCE_REPORT", "GET_PROMOTION_PERFORMANCE_REPORT",
]
SELLER = [
    "GET_MERCHANT_LISTINGS_ALL_DATA", "GET_MERCHANT_LISTINGS_DATA",
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
    "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", "GET_AFN_INVENTORY_DATA",
]


def _schema_for(name: str) -> dict:
    for path in SCHEMAS.glob("*.json"):
        schema = json.loads(path.read_text())
        if schema["examples"][0]["reportSpecification"]["reportType"] == name:
            return schema
    raise LookupError(name)


def _resolve(node: dict, schema: dict) -> dict:
    if "$ref" in node:
        return schema["definitions"][node["$ref"].rsplit("/", 1)[-1]]
    return node


@pytest.mark.parametrize("name", VENDOR + SELLER)
def test_every_required_type_is_registered(name):
    rt = REPORT_TYPES[name]
    assert rt.name == name and rt.known
    assert rt.title and rt.description
    assert rt.family == ("vendor" if name in VENDOR else "seller")
    assert rt.format == ("json" if name in VENDOR else "tsv")


@pytest.mark.parametrize("name", VENDOR)
def test_sections_and_fields_match_the_schema(name):
    """Every row array and every field of the schema is in the registry (and nothing else)."""
    schema = _schema_for(name)
    rt = get_report_type(name)
    top_arrays = [k for k, v in schema["properties"].items() if _resolve(v, schema).get("type") == "array"]
    assert {s.levels[0].key for s in rt.sections} == set(top_arrays)
    for sec in rt.sections:
        node = schema
        for level in sec.levels:
            array = _resolve(_resolve(node, schema)["properties"][level.key], schema)
            node = _resolve(array["items"], schema)
            scalars = [k for k, v in node["properties"].items() if _resolve(v, schema).get("type") != "array"]
            assert [f.name for f in level.fields] == scalars, (sec.name, level.key)
            for f in level.fields:
                prop = _resolve(node["properties"][f.name], schema)
                expected = {"integer": "int", "number": "float", "boolean": "bool"}.get(prop.get("type"))
                if prop.get("type") == "object":
                    expected = "money"
                elif prop.get("format") == "date-time":
                    expected = "datetime"
                elif prop.get("format") == "date" or f.name in ("startDate", "endDate"):
                    expected = "date"
                elif prop.get("type") == "string":
                    expected = "str"
                assert f.kind == expected, (name, f.name)


@pytest.mark.parametrize("name", VENDOR)
def test_option_values_match_the_schema(name):
    schema = _schema_for(name)
    rt = get_report_type(name)
    opts = _resolve(schema["properties"]["reportSpecification"], schema)["properties"].get("reportOptions")
    schema_opts = _resolve(opts, schema).get("properties", {}) if opts else {}
    assert set(rt.option_names) == set(schema_opts)
    for opt_name, prop in schema_opts.items():
        assert rt.option(opt_name).allowed == (tuple(prop["enum"]) if "enum" in prop else None)


def test_vendor_sales_defaults_and_inventory_programs():
    sales = get_report_type("GET_VENDOR_SALES_REPORT")
    assert sales.validate_options(None) == {
        "reportPeriod": "DAY", "distributorView": "MANUFACTURING", "sellingProgram": "RETAIL",
    }
    assert all(o.required for o in sales.options)
    assert get_report_type("GET_VENDOR_INVENTORY_REPORT").option("sellingProgram").allowed == ("RETAIL", "FRESH")
    assert sales.default_section == "salesByAsin"
    assert get_report_type("GET_VENDOR_FORECASTING_REPORT").date_range == "none"
    assert get_report_type("GET_VENDOR_REAL_TIME_SALES_REPORT").date_range == "datetime"
    coupons = get_report_type("GET_COUPON_PERFORMANCE_REPORT")
    assert coupons.date_range == "options"
    assert coupons.range_options == ("campaignStartDateFrom", "campaignStartDateTo")


def test_registry_is_immutable_data():
    rt = get_report_type("GET_VENDOR_SALES_REPORT")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rt.title = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        REPORT_TYPES["X"] = rt  # type: ignore[index]
    assert hash(rt) == hash(get_report_type("get_vendor_sales_report"))


def test_validate_options_normalises_values():
    rt = get_report_type("GET_VENDOR_SALES_REPORT")
    out = rt.validate_options({"sellingProgram": "fresh", "reportPeriod": "week"})
    assert out == {"reportPeriod": "WEEK", "distributorView": "MANUFACTURING", "sellingProgram": "FRESH"}
    assert list(out) == ["reportPeriod", "distributorView", "sellingProgram"]  # Amazon's order


def test_validate_options_without_defaults_reports_missing_required():
    rt = get_report_type("GET_VENDOR_SALES_REPORT")
    with pytest.raises(ConfigurationError) as err:
        rt.validate_options({"reportPeriod": "MONTH"}, fill_defaults=False)
    assert err.value.parameter == "distributorView"
    assert "distributorView" in str(err.value) and "sellingProgram" in str(err.value)
    assert err.value.allowed == ("MANUFACTURING", "SOURCING")


def test_bad_value_names_option_value_and_allowed():
    rt = get_report_type("GET_VENDOR_INVENTORY_REPORT")
    with pytest.raises(ConfigurationError) as err:
        rt.validate_options({"sellingProgram": "BUSINESS"})
    exc = err.value
    assert (exc.parameter, exc.value, exc.allowed) == ("sellingProgram", "BUSINESS", ("RETAIL", "FRESH"))
    assert "BUSINESS" in str(exc) and "RETAIL, FRESH" in str(exc)


def test_unknown_option_is_rejected_with_a_hint():
    rt = get_report_type("GET_VENDOR_TRAFFIC_REPORT")
    with pytest.raises(ConfigurationError) as err:
        rt.validate_options({"reportperiod": "DAY"})
    assert err.value.parameter == "reportperiod"
    assert err.value.allowed == ["reportPeriod"]
    assert "did you mean 'reportPeriod'" in str(err.value)


@pytest.mark.parametrize("value", [["MONTH"], {"x": 1}, None, b"DAY"])
def test_values_that_are_not_single_strings_are_rejected(value):
    rt = get_report_type("GET_VENDOR_SALES_REPORT")
    with pytest.raises(ConfigurationError) as err:
        rt.validate_options({"reportPeriod": value})
    assert err.value.parameter == "reportPeriod"
    assert "not a single value" in str(err.value)


def test_report_options_must_be_a_mapping():
    # python-amazon-sp-api #624: a list of dicts was sent and the report went FATAL.
    rt = get_report_type("GET_VENDOR_SALES_REPORT")
    with pytest.raises(ConfigurationError) as err:
        rt.validate_options([{"reportPeriod": "MONTH"}])  # type: ignore[arg-type]
    assert err.value.parameter == "report_options"
    assert "mapping" in str(err.value)


def test_datetime_and_boolean_options_become_strings():
    coupons = get_report_type("GET_COUPON_PERFORMANCE_REPORT")
    out = coupons.validate_options({
        "campaignStartDateFrom": dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "campaignStartDateTo": "2024-01-31",
    })
    assert out == {"campaignStartDateFrom": "2024-01-01T10:00:00Z", "campaignStartDateTo": "2024-01-31T00:00:00Z"}
    with pytest.raises(ConfigurationError) as err:
        coupons.validate_options({"campaignStartDateFrom": "2024-01-01"})
    assert err.value.parameter == "campaignStartDateTo"
    with pytest.raises(ConfigurationError, match="not a date-time"):
        coupons.validate_options({"campaignStartDateFrom": "soon", "campaignStartDateTo": "2024-01-31"})
    listings = get_report_type("GET_MERCHANT_LISTINGS_ALL_DATA")
    assert listings.validate_options({"custom": True}) == {"custom": "true"}
    with pytest.raises(ConfigurationError):
        listings.validate_options({"custom": "maybe"})
    assert ReportOption("n", kind="string").validate(15) == "15"


def test_unknown_type_is_generic_and_accepts_any_option():
    rt = get_report_type("GET_SOMETHING_NEW")
    assert isinstance(rt, ReportType)
    assert (rt.known, rt.format, rt.family) == (False, "auto", "unknown")
    assert rt.validate_options({"anything": 3, "flag": False}) == {"anything": "3", "flag": "false"}
    assert rt.section_columns() == {}
    assert rt.max_window() is None
    with pytest.raises(ConfigurationError):
        get_report_type("")


def test_query_date_type_variants():
    by_date = get_report_type("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL")
    assert by_date.resolve_query_date_type("last_updated") == "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
    assert by_date.resolve_query_date_type("created") == by_date.name
    assert by_date.resolve_query_date_type(None) == by_date.name
    with pytest.raises(ConfigurationError) as err:
        by_date.resolve_query_date_type("shipped")
    assert err.value.allowed == ["created", "last_updated"]
    with pytest.raises(ConfigurationError, match="no query date type variants") as err:
        get_report_type("GET_VENDOR_SALES_REPORT").resolve_query_date_type("created")
    assert err.value.parameter == "query_date_type"


def test_max_window_per_period():
    sales = get_report_type("GET_VENDOR_SALES_REPORT")
    assert sales.max_window("DAY") == (15, "DAY")
    assert sales.max_window("week") == (7, "WEEK")
    assert sales.max_window("MONTH") == (15, "MONTH")
    assert sales.max_window("QUARTER") == (4, "QUARTER")
    assert sales.max_window("YEAR") == (2, "YEAR")
    assert sales.max_window() == (15, "DAY")  # the default reportPeriod
    with pytest.raises(ConfigurationError):
        sales.max_window("FORTNIGHT")
    assert get_report_type("GET_VENDOR_REAL_TIME_INVENTORY_REPORT").max_window() == (24, "HOUR")
    assert get_report_type("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL").max_window() == (30, "DAY")
    assert get_report_type("GET_VENDOR_FORECASTING_REPORT").max_window() is None


def test_lags_lookbacks_alignment_and_quoting():
    assert get_report_type("GET_VENDOR_SALES_REPORT").publication_lag == dt.timedelta(days=3)
    nppm = get_report_type("GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT")
    assert nppm.publication_lag == dt.timedelta(days=7)
    assert nppm.lookback_days == 1460 and nppm.aligned and nppm.week_start == "SUNDAY"
    assert get_report_type("GET_MERCHANT_LISTINGS_ALL_DATA").quotechar is None
    assert get_report_type("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL").quotechar is None
    assert get_report_type("GET_LEDGER_DETAIL_VIEW_DATA").quotechar == '"'
    listings = get_report_type("GET_MERCHANT_LISTINGS_ALL_DATA")
    assert listings.encoding_for("JP") == "cp932"
    assert listings.encoding_for("A1VC38T7YXB528") == "cp932"  # Japan's marketplace id
    assert listings.encoding_for("DE") == "cp1252"


def test_section_columns_and_empty_frame():
    rt = get_report_type("GET_VENDOR_SALES_REPORT")
    cols = rt.section_columns()
    assert list(cols)[:3] == ["startDate", "endDate", "asin"]
    assert cols["shippedCogs_amount"] == "Float64" and cols["shippedUnits"] == "Int64"
    assert str(cols["lastUpdatedDate"]) == "datetime64[us]"
    assert "asin" not in rt.section_columns("salesAggregate")
    with pytest.raises(ConfigurationError) as err:
        rt.section_columns("sales")
    assert err.value.allowed == ["salesAggregate", "salesByAsin"]
    empty = rt.empty_frame()
    assert empty.empty and list(empty.columns) == list(cols)
    assert empty.dtypes["customerReturns"] == "Int64"
    flat = get_report_type("GET_AFN_INVENTORY_DATA").empty_frame()
    assert list(flat.columns)[-1] == "Quantity Available" and flat.dtypes["Quantity Available"] == "Int64"


def test_report_types_frame():
    df = report_types()
    assert set(VENDOR + SELLER) <= set(df["name"])
    assert {"name", "title", "family", "format", "options", "default_section", "sections", "max_range",
            "lookback_days", "publication_lag_hours", "description"} <= set(df.columns)
    row = df.set_index("name").loc["GET_VENDOR_SALES_REPORT"]
    assert row["default_section"] == "salesByAsin"
    assert "reportPeriod=DAY*" in row["options"] and "DAY: 15 DAY" in row["max_range"]
    assert row["publication_lag_hours"] == 72
    assert df["lookback_days"].dtype == "Int64"
    assert set(report_types("seller")["family"]) == {"seller"}
    assert len(df) == len(REPORT_TYPES)
    assert isinstance(df, pd.DataFrame)
