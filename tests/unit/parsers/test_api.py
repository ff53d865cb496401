"""Document parsers, tested on checked-in payloads (every schema example) and small TSV fixtures."""

from __future__ import annotations

import gzip
import io
import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from amzv_pandas.exceptions import AmzvWarning, ConfigurationError, ParseError
from amzv_pandas._parsers.api import (
    charset_from_content_type,
    error_details,
    list_sections,
    parse_flat_file,
    parse_vendor_json,
    sniff_format,
)
from amzv_pandas._specs.fatal import classify_fatal
from amzv_pandas._specs.registry import get_report_type

DATA = Path(__file__).resolve().parents[2] / "data"  # tests/data
EXAMPLES = sorted(DATA.glob("*.example*.json"))


def _cases():
    for path in EXAMPLES:
        doc = json.loads(path.read_bytes())
        for section in list_sections(doc):
            yield pytest.param(path, doc["reportSpecification"]["reportType"], section,
                               id=f"{path.stem}-{section}")


def test_every_schema_example_is_checked_in():
    schemas = Path(__file__).resolve().parents[3] / "amzv_pandas" / "sandbox" / "spapi" / "report-schemas"
    expected = sum(len(json.loads(p.read_text())["examples"]) for p in schemas.glob("*.json"))
    assert len(EXAMPLES) == expected == 12


@pytest.mark.parametrize(("path", "report_type", "section"), list(_cases()))
def test_examples_parse_to_the_registry_columns(path, report_type, section):
    rt = get_report_type(report_type)
    doc = json.loads(path.read_bytes())
    df = parse_vendor_json(path, report_type=report_type, section=section)
    expected = rt.section_columns(section)
    assert list(df.columns) == list(expected)
    assert {c: str(t) for c, t in df.dtypes.items()} == {c: str(t) for c, t in expected.items()}
    # one row per leaf entry
    leaf_rows = doc[section] if section in doc else None
    if leaf_rows is not None:
        assert len(df) == len(leaf_rows)
    assert len(df) > 0
    # The pyarrow path (path/bytes) and the json.loads path (dict) agree exactly.
    pd.testing.assert_frame_equal(df, parse_vendor_json(doc, report_type=report_type, section=section))
    pd.testing.assert_frame_equal(df, parse_vendor_json(io.BytesIO(path.read_bytes()), report_type=report_type,
                                                        section=section))
    assert df["marketplaceId"].eq("ATVPDKIKX0DER").all()


def test_sales_values_money_and_spec_columns():
    df = parse_vendor_json(DATA / "vendorSalesReport.example0.json", report_type="GET_VENDOR_SALES_REPORT")
    first = df.iloc[0]
    assert first["asin"] == "B123456789"
    assert first["startDate"] == pd.Timestamp("2021-06-06") and first["endDate"] == pd.Timestamp("2021-06-12")
    assert first["orderedRevenue_amount"] == 1000.0 and first["orderedRevenue_currency"] == "USD"
    assert df["orderedRevenue_amount"].dtype == "Float64"
    assert df["shippedUnits"].dtype == "Int64" and df["shippedUnits"].sum() == 10
    assert (first["reportPeriod"], first["distributorView"], first["sellingProgram"]) == ("WEEK", "MANUFACTURING",
                                                                                          "RETAIL")
    assert first["lastUpdatedDate"] == pd.Timestamp("2021-06-20")
    agg = parse_vendor_json(DATA / "vendorSalesReport.example0.json", report_type="GET_VENDOR_SALES_REPORT",
                            section="salesAggregate")
    assert "asin" not in agg.columns and agg["shippedRevenue_amount"].tolist() == [200.0, 0.0]


def test_fields_absent_from_a_document_are_all_na_not_missing():
    # SOURCING has no orderedRevenue/orderedUnits; FRESH has no customerReturns.
    sourcing = parse_vendor_json(DATA / "vendorSalesReport.example2.json", report_type="GET_VENDOR_SALES_REPORT")
    assert sourcing["orderedRevenue_amount"].isna().all() and sourcing["orderedUnits"].isna().all()
    fresh = parse_vendor_json(DATA / "vendorSalesReport.example1.json", report_type="GET_VENDOR_SALES_REPORT")
    assert fresh["customerReturns"].isna().all()
    assert fresh["sellingProgram"].eq("FRESH").all()


def test_two_windows_concatenate_cleanly():
    frames = [
        parse_vendor_json(DATA / f"vendorSalesReport.example{i}.json", report_type="GET_VENDOR_SALES_REPORT")
        for i in range(3)
    ]
    both = pd.concat(frames, ignore_index=True)
    assert len(both) == 4 + 1 + 2
    assert both.dtypes.equals(frames[0].dtypes)
    assert both.groupby("distributorView")["shippedUnits"].sum().to_dict() == {"MANUFACTURING": 20, "SOURCING": 10}
    empty = get_report_type("GET_VENDOR_SALES_REPORT").empty_frame()
    assert pd.concat([empty, frames[0]], ignore_index=True).dtypes.equals(frames[0].dtypes)


def test_real_time_times_are_utc_and_revenue_is_a_number():
    df = parse_vendor_json(DATA / "vendorRealTimeSalesReport.example0.json",
                           report_type="GET_VENDOR_REAL_TIME_SALES_REPORT")
    assert str(df["startTime"].dtype) == "datetime64[us, UTC]"
    assert df["startTime"].iloc[0] == pd.Timestamp("2022-04-20T20:00:00Z")
    assert df["orderedRevenue"].dtype == "Float64" and df["orderedRevenue"].sum() == pytest.approx(452.63)
    assert df["currencyCode"].eq("USD").all()
    assert "lastUpdatedDate" not in df.columns


def test_forecast_and_margin_are_floats():
    fc = parse_vendor_json(DATA / "vendorForecastingReport.example0.json", report_type="GET_VENDOR_FORECASTING_REPORT")
    assert len(fc) == 27 and fc["p90ForecastUnits"].dtype == "Float64"
    assert fc["forecastGenerationDate"].iloc[0] == pd.Timestamp("2021-06-06")
    nppm = parse_vendor_json(DATA / "vendorNetPureProductMarginReport.example0.json",
                             report_type="GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT")
    assert nppm["netPureProductMargin"].tolist() == [0.1234] * 4


def test_nested_coupons_flatten_with_parent_fields_repeated():
    path = DATA / "vendorCouponReport.example0.json"
    asins = parse_vendor_json(path, report_type="GET_COUPON_PERFORMANCE_REPORT")
    assert asins["asin"].tolist() == ["B08XJWMYR5", "B07Z7XTQKZ"]
    assert asins["campaignId"].tolist() == ["AMZHYHN65T7OH"] * 2        # already named: kept
    assert asins["couponId"].tolist() == ["A2NW32V27GZS2T"] * 2
    assert asins["coupon_name"].tolist() == ["Product $40 Off"] * 2     # ambiguous: prefixed
    assert asins["discountAmount"].tolist() == [10.0, 4.99]
    assert asins["campaign_isSubscribeAndSave"].dtype == "boolean"
    assert asins["coupon_startDateTime"].iloc[0] == pd.Timestamp("2021-11-26T05:59:59Z")
    assert asins["campaignStartDateFrom"].iloc[0] == "2021-11-01T15:33:26Z"
    coupons = parse_vendor_json(path, report_type="GET_COUPON_PERFORMANCE_REPORT", section="coupons")
    assert len(coupons) == 1 and coupons["name"].iloc[0] == "Product $40 Off" and "asin" not in coupons
    campaigns = parse_vendor_json(path, report_type="GET_COUPON_PERFORMANCE_REPORT", section="campaigns")
    assert campaigns["totalClips"].tolist() == [13]


def test_parent_without_children_is_kept_once():
    doc = json.loads((DATA / "vendorCouponReport.example0.json").read_bytes())
    extra = dict(doc["campaigns"][0], campaignId="EMPTY", coupons=[])
    doc["campaigns"].append(extra)
    df = parse_vendor_json(doc, report_type="GET_COUPON_PERFORMANCE_REPORT")
    assert df["campaignId"].tolist() == ["AMZHYHN65T7OH", "AMZHYHN65T7OH", "EMPTY"]
    assert pd.isna(df["asin"].iloc[2]) and pd.isna(df["coupon_clips"].iloc[2])


def test_promotions_flatten_included_products():
    df = parse_vendor_json(DATA / "promotionReport.example0.json", report_type="GET_PROMOTION_PERFORMANCE_REPORT")
    row = df.iloc[0]
    assert (row["promotionId"], row["asin"], row["productUnitsSold"]) == ("16913551269", "B08755Z2ND", 20)
    assert row["promotion_revenue"] == 32917.01 and row["productRevenue"] == 16371.85


def test_pretty_printed_document_parses_the_same():
    doc = json.loads((DATA / "vendorInventoryReport.example0.json").read_bytes())
    compact = parse_vendor_json(json.dumps(doc).encode(), report_type="GET_VENDOR_INVENTORY_REPORT")
    pretty = parse_vendor_json(json.dumps(doc, indent=4).encode(), report_type="GET_VENDOR_INVENTORY_REPORT")
    pd.testing.assert_frame_equal(compact, pretty)
    assert compact["sellableOnHandInventoryCost_amount"].notna().all()


def test_integer_written_as_float_falls_back_and_keeps_int64():
    doc = json.loads((DATA / "vendorTrafficReport.example0.json").read_bytes())
    doc["trafficByAsin"][0]["glanceViews"] = 100.0
    df = parse_vendor_json(json.dumps(doc).encode(), report_type="GET_VENDOR_TRAFFIC_REPORT")
    assert df["glanceViews"].dtype == "Int64" and df["glanceViews"].tolist() == [100, 250]


def test_unknown_section_names_the_available_ones():
    with pytest.raises(ConfigurationError) as err:
        parse_vendor_json(DATA / "vendorSalesReport.example0.json", report_type="GET_VENDOR_SALES_REPORT",
                          section="byAsin")
    assert "salesAggregate, salesByAsin" in str(err.value)
    assert err.value.parameter == "section"


def test_wrong_document_and_invalid_json_raise_parse_errors():
    with pytest.raises(ParseError, match="salesByAsin") as err:
        parse_vendor_json(b'{"errorDetails": "This report type requires the reportPeriod reportOption"}',
                          report_type="GET_VENDOR_SALES_REPORT")
    assert "errorDetails" in str(err.value)
    with pytest.raises(ParseError, match="not valid JSON") as err:
        parse_vendor_json(b'{"reportSpecification": {,\n', report_type="GET_VENDOR_SALES_REPORT")
    assert err.value.line == 1


def test_unknown_type_infers_dtypes():
    doc = json.loads((DATA / "vendorSalesReport.example0.json").read_bytes())
    df = parse_vendor_json(doc, report_type="GET_VENDOR_SOMETHING_NEW")
    assert len(df) == 4  # picked salesByAsin
    assert df["shippedCogs_amount"].dtype == "Float64" and df["shippedUnits"].dtype == "Int64"
    assert str(df["startDate"].dtype) == "datetime64[us]"
    assert df["reportPeriod"].eq("WEEK").all()
    with pytest.raises(ConfigurationError) as err:
        parse_vendor_json(doc, report_type="GET_VENDOR_SOMETHING_NEW", section="nope")
    assert err.value.allowed == ["salesAggregate", "salesByAsin"]


def test_list_sections():
    assert list_sections(DATA / "vendorSalesReport.example0.json") == ["salesAggregate", "salesByAsin"]
    assert list_sections(json.loads((DATA / "vendorCouponReport.example0.json").read_bytes())) == [
        "campaigns", "coupons", "asins"]


# ---------------------------------------------------------------------------------------------
# flat files

LISTINGS = get_report_type("GET_MERCHANT_LISTINGS_ALL_DATA").flat_file_dtypes()
ORDERS = get_report_type("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL").flat_file_dtypes()


def test_stray_quotes_read_without_quoting():
    df = parse_flat_file(DATA / "listings_embedded_quotes.tsv", quotechar=None, dtypes=LISTINGS)
    assert df["item-name"].tolist() == ['Pizza Stone 12" round', '"Best" Mug 11oz', '"Holiday Gift Set, 3 pcs',
                                        "Cable 6' long", "Plain Hat"]
    assert df["price"].dtype == "Float64" and pd.isna(df["price"].iloc[3])
    assert df["quantity"].dtype == "Int64" and df["quantity"].sum() == 25
    assert df["open-date"].iloc[0] == pd.Timestamp("2019-06-14 14:51:44", tz="UTC")  # 07:51:44 PDT
    same = parse_flat_file(DATA / "listings_embedded_quotes.tsv", quotechar="\0", dtypes=LISTINGS)
    pd.testing.assert_frame_equal(df, same)


def test_stray_quote_with_quoting_names_the_line():
    with pytest.raises(ParseError) as err:
        parse_flat_file(DATA / "listings_embedded_quotes.tsv", quotechar='"', dtypes=LISTINGS)
    assert err.value.line == 4
    assert "line 4" in str(err.value) and "quotechar=None" in str(err.value)
    assert "Holiday Gift Set" in str(err.value)


def test_quoted_ledger_needs_quoting():
    dtypes = get_report_type("GET_LEDGER_DETAIL_VIEW_DATA").flat_file_dtypes()
    df = parse_flat_file(DATA / "ledger_detail_quoted.tsv", quotechar='"', dtypes=dtypes)
    assert df["Title"].tolist() == ['Pan, 12" wide\tnon-stick', "Mug"]
    assert df["Quantity"].tolist() == [-1, 24] and df["Quantity"].dtype == "Int64"
    assert df["Reason"].isna().all()  # "" is an empty cell too
    # Without quoting the tab inside the quoted title splits the row: why quotechar is per report.
    with pytest.raises(ParseError) as err:
        parse_flat_file(DATA / "ledger_detail_quoted.tsv", quotechar=None)
    assert err.value.line == 2 and "expected 12 fields, got 13" in str(err.value)


def test_cp1252():
    df = parse_flat_file(DATA / "listings_cp1252.tsv", quotechar=None, encoding="cp1252", dtypes=LISTINGS)
    assert df["item-name"].iloc[0] == "Café „Déjà vu“ – €5 mug"
    assert df["seller-sku"].iloc[0] == "SKU-É"
    # Amazon's "ISO-8859-1" means cp1252 (latin-1 would turn „“–€ into control characters).
    latin = parse_flat_file(DATA / "listings_cp1252.tsv", quotechar=None, encoding="ISO-8859-1")
    assert latin["item-name"].iloc[0] == "Café „Déjà vu“ – €5 mug"


def test_wrong_encoding_says_which_codec_to_pass():
    with pytest.raises(ParseError, match="encoding='cp1252'"):
        parse_flat_file(DATA / "listings_cp1252.tsv", quotechar=None, dtypes=LISTINGS)
    with pytest.raises(ParseError, match="not valid utf-8"):
        parse_flat_file(DATA / "listings_cp1252.tsv", quotechar=None)


@pytest.mark.parametrize("encoding", ["cp932", "Shift_JIS", "x-sjis"])
def test_cp932_japanese(encoding):
    df = parse_flat_file(DATA / "listings_cp932.tsv", quotechar=None, encoding=encoding,
                         dtypes={"価格": "Int64", "数量": "int"})
    assert list(df.columns) == ["商品名", "出品者SKU", "価格", "数量", "ASIN 1"]
    assert df["商品名"].tolist() == ["テスト商品 ～ 髙橋の急須①", "日本茶 100g"]
    assert df["価格"].tolist()[0] == 1980 and pd.isna(df["価格"].iloc[1])


def test_empty_cells_are_na_and_dtypes_apply():
    df = parse_flat_file(DATA / "orders_empty_cells.tsv", quotechar=None, dtypes=ORDERS)
    assert str(df["purchase-date"].dtype) == "datetime64[us, UTC]"
    assert df["purchase-date"].tolist()[1] == pd.Timestamp("2024-01-06T07:30:00Z")  # -08:00 -> UTC
    assert df["quantity"].dtype == "Int64" and pd.isna(df["quantity"].iloc[1])
    assert df["item-price"].dtype == "Float64" and pd.isna(df["item-price"].iloc[1])
    assert df["is-business-order"].dtype == "boolean" and df["is-business-order"].tolist()[2] is True
    assert pd.isna(df["product-name"].iloc[1]) and pd.isna(df["last-updated-date"].iloc[1])
    assert df["product-name"].iloc[2] == "NA" and df["ship-city"].iloc[2] == "NA"  # only "" is missing
    assert df["sku"].dtype == "str"


def test_gzip_path_bytes_and_file_like(tmp_path):
    raw = (DATA / "orders_empty_cells.tsv").read_bytes()
    expected = parse_flat_file(DATA / "orders_empty_cells.tsv", quotechar=None, dtypes=ORDERS)
    gz = tmp_path / "doc.bin"
    gz.write_bytes(gzip.compress(raw))
    pd.testing.assert_frame_equal(parse_flat_file(gz, quotechar=None, dtypes=ORDERS, compression="gzip"), expected)
    named = tmp_path / "doc.tsv.gz"
    named.write_bytes(gzip.compress(raw))
    pd.testing.assert_frame_equal(parse_flat_file(named, quotechar=None, dtypes=ORDERS), expected)
    pd.testing.assert_frame_equal(parse_flat_file(gzip.compress(raw), quotechar=None, dtypes=ORDERS), expected)
    pd.testing.assert_frame_equal(parse_flat_file(io.BytesIO(raw), quotechar=None, dtypes=ORDERS), expected)


def test_column_that_does_not_convert_is_kept_as_text_with_a_warning():
    with pytest.warns(AmzvWarning, match="price") as record:
        df = parse_flat_file(b"sku\tprice\tquantity\nA\t12,99\t3\n", dtypes={"price": "float", "quantity": "int"})
    assert len(record) == 1 and "12,99" in str(record[0].message)
    assert df["price"].tolist() == ["12,99"] and df["quantity"].dtype == "Int64"


def test_flat_file_without_dtypes_uses_nullable_types():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = parse_flat_file(b"a\tb\tc\n1\t2.5\tx\n\t\t\n")
    assert [str(t) for t in df.dtypes] == ["Int64", "Float64", "str"]
    assert df.isna().sum().tolist() == [1, 1, 1]


def test_bad_arguments():
    with pytest.raises(ConfigurationError) as err:
        parse_flat_file(b"a\n1\n", quotechar="''")
    assert err.value.parameter == "quotechar"
    with pytest.raises(ConfigurationError) as err:
        parse_flat_file(b"a\n1\n", encoding="klingon")
    assert err.value.parameter == "encoding"
    with pytest.raises(ConfigurationError) as err:
        parse_flat_file(b"a\n1\n", dtypes={"a": "complex128"})
    assert err.value.parameter == "dtypes"


# ---------------------------------------------------------------------------------------------
# helpers


@pytest.mark.parametrize(("head", "expected"), [
    (b'{"reportSpecification"', "json"), (b"\xef\xbb\xbf  \n[{", "json"), ("  {", "json"),
    (b"item-name\tseller-sku\n", "tsv"), (b"", "tsv"),
])
def test_sniff_format(head, expected):
    assert sniff_format(head) == expected


@pytest.mark.parametrize(("header", "expected"), [
    ("text/plain;charset=Cp1252", "cp1252"),
    ("text/tab-separated-values; charset=windows-1252", "cp1252"),
    ("text/plain; charset=ISO-8859-1", "cp1252"),
    ("text/plain;charset=Shift_JIS", "cp932"),
    ("text/plain; charset=x-sjis", "cp932"),
    ('text/plain; charset="UTF-8"', "utf-8"),
    ("application/json", None),
    (None, None),
    ("text/plain; charset=nonsense-42", None),
])
def test_charset_from_content_type(header, expected):
    assert charset_from_content_type(header) == expected


OPTIONS_TEXT = ("This report type requires the reportPeriod, distributorView, sellingProgram reportOption to be "
                "specified. Please review the document for this report type on GitHub, provide a value for this "
                "reportOption in your request, and try again.")


def test_error_details_reads_amazon_documents():
    doc = json.dumps({"errorDetails": OPTIONS_TEXT}, indent=2).encode()
    assert error_details(doc) == OPTIONS_TEXT
    assert error_details(gzip.compress(doc)) == OPTIONS_TEXT
    assert error_details(b"  Requested report data is not yet available.\n") == "Requested report data is not yet available."
    assert error_details(b'{"errors": [{"code": "InvalidInput", "message": "Invalid marketplace"}]}') == \
        "Invalid marketplace"
    assert error_details(b"") is None and error_details(None) is None


@pytest.mark.parametrize(("text", "category", "fix_mentions"), [
    (OPTIONS_TEXT, "options", "Specify reportPeriod, distributorView, sellingProgram"),
    ("Invalid reportPeriod value specified: FORTNIGHT.", "options", "reportPeriod"),
    ("For reportPeriod WEEK the dataStartTime must correspond to the first day of the week (Sunday).", "options",
     "Sunday"),
    ("The report data for the requested date range is not yet available. Please try again later.", "not_available",
     "72 hours"),
    ("Requested data is unavailable", "not_available", "End the range earlier"),
    ("The selling partner does not have the Brand Analytics role required to request this report.", "permission",
     "Brand Analytics"),
    ("Access denied: you are not authorized to request this report type.", "permission", "role"),
    ("Invalid marketplace ID A2EUQ1WTGCTBG2 for this vendor account.", "marketplace", "marketplace"),
    ("Something went wrong.", "unknown", "retry"),
    (None, "unknown", "retry"),
])
def test_classify_fatal(text, category, fix_mentions):
    got, fix = classify_fatal(text)
    assert got == category
    assert fix_mentions in fix
