"""The sandbox data layer: determinism, Amazon's shapes (validated against the models and
report schemas), search and SKU rules, report outcomes, documents and their encodings."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amzv_pandas.sandbox import data as data_module
from amzv_pandas.sandbox.data import Document, InvalidSKUs, Outcome, SandboxData, sku_problem

SPAPI = Path(data_module.__file__).parent / "spapi"
US, DE, JP, IT, IE = "ATVPDKIKX0DER", "A1PA6795UKMFR9", "A1VC38T7YXB528", "APJ6JRA9NG5V4", "A28R8C7NBKEWEA"
UTC = timezone.utc
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
ALL_SECTIONS = ["attributes", "classifications", "dimensions", "identifiers", "images", "productTypes",
                "relationships", "salesRanks", "summaries", "vendorDetails"]
SALES_OPTS = {"reportPeriod": "DAY", "distributorView": "MANUFACTURING", "sellingProgram": "RETAIL"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def sd() -> SandboxData:
    return SandboxData(0)


# -- schema helpers ---------------------------------------------------------------------------


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()  # "date" is built in; "date-time" needs an extra package
    checker.checks("date-time")(_is_datetime)
    return checker


@lru_cache(maxsize=None)
def _item_validator() -> jsonschema.Draft4Validator:
    model = json.loads((SPAPI / "models" / "catalogItems_2022-04-01.json").read_text(encoding="utf-8"))
    # Swagger 2.0 definitions are JSON Schema draft 4; resolve #/definitions/... against them.
    schema = {"$ref": "#/definitions/Item", "definitions": model["definitions"]}
    return jsonschema.Draft4Validator(schema, format_checker=_format_checker())


@lru_cache(maxsize=None)
def _report_validator(name: str) -> jsonschema.Draft7Validator:
    schema = json.loads((SPAPI / "report-schemas" / f"{name}.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=_format_checker())


def _validate(validator: jsonschema.protocols.Validator, instance: object) -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_validators_reject_wrong_shapes():
    # the validators must be able to fail, or the schema tests below prove nothing
    with pytest.raises(AssertionError):
        _validate(_item_validator(), {"asin": "B000000000", "images": [{"marketplaceId": US}]})
    with pytest.raises(AssertionError):
        _validate(_report_validator("vendorTrafficReport"),
                  {"reportSpecification": {}, "trafficAggregate": [], "trafficByAsin": []})
    assert not _is_datetime("2025-01-01") and _is_datetime("2025-01-01T00:00:00Z")


# -- interface and determinism ------------------------------------------------------------


def test_universe_shapes(sd):
    assert len(sd.asins) == 300 == len(set(sd.asins))
    assert all(re.fullmatch(r"B0[0-9A-Z]{8}", a) for a in sd.asins)
    assert len(sd.sellers) == len(set(sd.sellers)) >= 2
    assert len(sd.vendor_asins) == 50 and set(sd.vendor_asins) <= set(sd.asins)
    assert US in sd.account_marketplaces and IE not in sd.account_marketplaces  # IE has no Vendor Central


def test_same_seed_same_data_other_seed_other_data(sd):
    again = SandboxData(0)
    assert again.asins == sd.asins and again.sellers == sd.sellers
    assert again.seller_skus(again.sellers[0]) == sd.seller_skus(sd.sellers[0])
    assert again.catalog_item(sd.asins[7], US, ALL_SECTIONS) == sd.catalog_item(sd.asins[7], US, ALL_SECTIONS)
    other = SandboxData(1)
    assert other.asins != sd.asins and other.sellers[0] != sd.sellers[0]


def test_documents_are_deterministic_and_re_iterable(sd):
    def digest(doc: Document) -> str:
        return hashlib.sha256(b"".join(doc.chunks())).hexdigest()

    kwargs = dict(created=NOW)
    sales = sd.report_document("GET_VENDOR_SALES_REPORT", [US], utc(2025, 5, 1), utc(2025, 5, 10), SALES_OPTS, **kwargs)
    flat = sd.report_document("GET_MERCHANT_LISTINGS_ALL_DATA", [US], None, None, {}, **kwargs)
    for doc in (sales, flat):
        chunks = list(doc.chunks())
        assert chunks and all(isinstance(c, bytes) for c in chunks)
        assert digest(doc) == digest(doc)  # chunks() restarts the stream
    twin = SandboxData(0)
    assert digest(sales) == digest(twin.report_document("GET_VENDOR_SALES_REPORT", [US], utc(2025, 5, 1),
                                                        utc(2025, 5, 10), SALES_OPTS, **kwargs))
    assert digest(flat) == digest(twin.report_document("GET_MERCHANT_LISTINGS_ALL_DATA", [US], None, None, {},
                                                       **kwargs))


def test_universe_grows_to_hold_the_vendor_asins():
    sd = SandboxData(3, n_asins=10, vendor_asins=40)
    assert len(sd.vendor_asins) == len(set(sd.vendor_asins)) == 40
    assert set(sd.vendor_asins) <= set(sd.asins) and len(sd.asins) >= 40


def test_error_document(sd):
    body = sd.error_document('needs "reportPeriod"')
    assert body.startswith(b'{"errorDetails": ')
    assert json.loads(body) == {"errorDetails": 'needs "reportPeriod"'}


# -- catalog items --------------------------------------------------------------------------


def _sample_indices(sd: SandboxData) -> list[int]:
    # every category, variation parents/children, a bundle, books and herbal teas
    return list(range(0, 60)) + [61, 120, 208]


@pytest.mark.parametrize("marketplace", [US, DE, JP, IT])
def test_items_validate_against_the_model(sd, marketplace):
    validator = _item_validator()
    for i in _sample_indices(sd):
        item = sd.catalog_item(sd.asins[i], marketplace, ALL_SECTIONS)
        if item is None:  # NA-only items
            assert marketplace != US
            continue
        _validate(validator, item)
        assert set(item) == {"asin", *ALL_SECTIONS}
        for section in ALL_SECTIONS[1:]:
            assert [e["marketplaceId"] for e in item[section]] == [marketplace]
        assert all(v["marketplace_id"] == marketplace for values in item["attributes"].values() for v in values)


def test_item_sections_look_like_amazons(sd):
    item = sd.catalog_item(sd.asins[10], US, ALL_SECTIONS)  # a whole-bean coffee, a variation child
    summary = item["summaries"][0]
    assert summary["itemClassification"] == "BASE_PRODUCT" and "coffee" in summary["itemName"].lower()
    for key in ("brand", "manufacturer", "modelNumber", "size", "releaseDate", "websiteDisplayGroup",
                "websiteDisplayGroupName", "browseClassification"):
        assert summary[key], key
    date.fromisoformat(summary["releaseDate"])
    depth, node = 0, item["classifications"][0]["classifications"][0]
    while "parent" in node:
        depth, node = depth + 1, node["parent"]
    assert depth >= 3 and node["displayName"] == "Grocery & Gourmet Food"
    dims = item["dimensions"][0]
    assert {d["unit"] for d in dims["item"].values()} <= {"inches", "pounds"}
    assert set(dims["package"]) == {"height", "length", "weight", "width"}
    variants = [img["variant"] for img in item["images"][0]["images"]]
    assert variants[0] == "MAIN" and "PT01" in variants and "SWCH" in variants
    ranks = item["salesRanks"][0]
    assert ranks["classificationRanks"][0]["rank"] < ranks["displayGroupRanks"][0]["rank"]
    assert item["productTypes"][0]["productType"] == "COFFEE"
    rel = item["relationships"][0]["relationships"][0]
    parent = rel["parentAsins"][0]
    assert rel["type"] == "VARIATION" and rel["variationTheme"]["theme"] == "SIZE_NAME"
    parent_item = sd.catalog_item(parent, US, ["summaries", "relationships", "salesRanks"])
    assert parent_item["summaries"][0]["itemClassification"] == "VARIATION_PARENT"
    assert item["asin"] in parent_item["relationships"][0]["relationships"][0]["childAsins"]
    assert parent_item["salesRanks"][0]["classificationRanks"] == []  # parents are not ranked
    vendor = item["vendorDetails"][0]
    assert vendor["manufacturerCode"] == sd.sellers[0] and vendor["productCategory"]["value"]
    assert DE in {e["marketplaceId"] for e in sd.catalog_item(item["asin"], [US, DE], ["images"])["images"]}


def _check_digit_ok(code: str) -> bool:
    digits = [int(c) for c in code]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def test_identifiers_per_marketplace(sd):
    for i in range(40):
        asin = sd.asins[i]
        us = {x["identifierType"]: x["identifier"] for x in sd.catalog_item(asin, US, ["identifiers"])
              ["identifiers"][0]["identifiers"]}
        jp = {x["identifierType"]: x["identifier"] for x in sd.catalog_item(asin, JP, ["identifiers"])
              ["identifiers"][0]["identifiers"]}
        assert len(us["EAN"]) == 13 and _check_digit_ok(us["EAN"]) and us["GTIN"] == "0" + us["EAN"]
        assert "JAN" not in us and jp["JAN"] == us["EAN"] and "UPC" not in jp
        if "UPC" in us:
            assert us["EAN"] == "0" + us["UPC"] and _check_digit_ok(us["UPC"])
        if i % 10 == 6:  # books
            assert re.fullmatch(r"\d{9}[\dX]", us["ISBN"]) and us["EAN"].startswith("978")
        it = {x["identifierType"] for x in sd.catalog_item(asin, IT, ["identifiers"])["identifiers"][0]["identifiers"]}
        assert ("MINSAN" in it) == (i % 10 == 8)  # Italian pharmacy code of the herbal teas


def test_texts_have_non_ascii_quotes_and_japanese(sd):
    names = [sd.catalog_item(a, US, [])["summaries"][0]["itemName"] for a in sd.asins[:100]]
    assert any(ord(c) > 127 for n in names for c in n)
    assert any('"' in n for n in names)  # e.g. Mug 12 oz, 4" Tall
    jp = sd.catalog_item(sd.asins[2], JP, ["summaries"])["summaries"][0]
    assert re.search(r"[\u30a0-\u30ff]", jp["itemName"]) and re.search(r"[\u30a0-\u30ff]", jp["brand"])
    en = sd.catalog_item(sd.asins[2], JP, ["summaries"], locale="en_US")["summaries"][0]
    assert "Coffee Maker" in en["itemName"] and not re.search(r"[\u3040-\u30ff]", en["itemName"])


def test_unknown_or_unsold_items_are_none(sd):
    assert sd.catalog_item("B0NOTREAL0", US, []) is None
    assert sd.catalog_item(sd.asins[0], "NOT_A_MARKETPLACE", []) is None
    na_only = [a for i, a in enumerate(sd.asins) if i % 20 == 17 and a not in sd.vendor_asins]
    assert na_only
    assert sd.catalog_item(na_only[0], US, []) is not None and sd.catalog_item(na_only[0], DE, []) is None


# -- search ------------------------------------------------------------------------------


def test_keyword_share_is_predictable():
    big = SandboxData(0, n_asins=1500)
    asins, refinements = big.search_catalog(US, keywords=["coffee"])
    assert len(asins) == 1050 > 1000  # exactly the items with index % 10 < 7
    assert asins == [a for i, a in enumerate(big.asins) if i % 10 < 7]
    assert sum(b["numberOfResults"] for b in refinements["brands"]) == 1050
    assert sum(c["numberOfResults"] for c in refinements["classifications"]) == 1050
    tea, _ = big.search_catalog(US, keywords=["Tea"])
    assert len(tea) == 300


def test_all_keywords_must_match_case_insensitively(sd):
    mugs, _ = sd.search_catalog(US, keywords=["COFFEE", "mug"])
    assert mugs
    for asin in mugs:
        name = sd.catalog_item(asin, US, [])["summaries"][0]["itemName"].lower()
        assert "coffee" in name and "mug" in name
    cafe, _ = sd.search_catalog(US, keywords=["CAFÉ", "brûlée"])
    assert cafe and all(sd.catalog_item(a, US, [])["summaries"][0]["brand"] == "Café Brûlée" for a in cafe)
    assert sd.search_catalog(US, keywords=["coffee", "zzzznotaword"])[0] == []
    jp, _ = sd.search_catalog(JP, keywords=["マグカップ"])  # Japanese titles are searchable too
    assert set(jp) == set(mugs)


def test_brand_and_classification_filters(sd):
    everything, refinements = sd.search_catalog(US, keywords=["coffee"])
    brand = refinements["brands"][0]
    by_brand, _ = sd.search_catalog(US, keywords=["coffee"], brand_names=[brand["brandName"]])
    assert len(by_brand) == brand["numberOfResults"] and set(by_brand) <= set(everything)
    node = refinements["classifications"][0]
    by_node, _ = sd.search_catalog(US, keywords=["coffee"], classification_ids=[node["classificationId"]])
    assert len(by_node) == node["numberOfResults"]
    # an ancestor browse node covers its whole subtree
    grocery, _ = sd.search_catalog(US, keywords=["coffee"], classification_ids=["16310101"])
    assert set(grocery) == {a for i, a in enumerate(sd.asins) if i % 10 in (0, 1)}


def test_search_by_every_identifier_type(sd):
    def ident(asin: str, mid: str, kind: str) -> str | None:
        ids = sd.catalog_item(asin, mid, ["identifiers"])["identifiers"][0]["identifiers"]
        return next((x["identifier"] for x in ids if x["identifierType"] == kind), None)

    upc_asin = next(a for a in sd.asins if ident(a, US, "UPC"))
    book, herbal = sd.asins[6], sd.asins[8]
    ean13 = ident(book, US, "EAN")
    cases = [
        (US, "ASIN", [sd.asins[5], sd.asins[3]], [sd.asins[5], sd.asins[3]]),
        (US, "EAN", [ident(sd.asins[1], US, "EAN")], [sd.asins[1]]),
        (US, "GTIN", [ident(sd.asins[2], US, "GTIN")], [sd.asins[2]]),
        (US, "UPC", [ident(upc_asin, US, "UPC")], [upc_asin]),
        (US, "ISBN", [ident(book, US, "ISBN"), ean13], [book]),
        (JP, "JAN", [ident(sd.asins[4], JP, "JAN")], [sd.asins[4]]),
        (IT, "MINSAN", [ident(herbal, IT, "MINSAN")], [herbal]),
        (US, "JAN", [ident(sd.asins[4], JP, "JAN")], []),  # JAN codes are a Japanese identifier
        (DE, "UPC", [ident(upc_asin, US, "UPC")], []),
        (US, "ASIN", ["B0NOTREAL0", sd.asins[0], sd.asins[0]], [sd.asins[0]]),
    ]
    for mid, kind, identifiers, expected in cases:
        found, _ = sd.search_catalog(mid, identifiers=identifiers, identifiers_type=kind)
        assert found == expected, (mid, kind)
    sku, asin = next(iter(sd.seller_skus(sd.sellers[0]).items()))
    assert sd.search_catalog(US, identifiers=[sku], identifiers_type="SKU", seller_id=sd.sellers[0])[0] == [asin]


@pytest.mark.parametrize("kwargs", [
    {},
    {"keywords": ["coffee"], "identifiers": ["B000000000"], "identifiers_type": "ASIN"},
    {"identifiers": ["X"], "identifiers_type": "ISIN"},
    {"identifiers": ["X"], "identifiers_type": "SKU"},
])
def test_search_rejects_bad_requests(sd, kwargs):
    with pytest.raises(ValueError):
        sd.search_catalog(US, **kwargs)


# -- SKUs -----------------------------------------------------------------------------------


def test_seller_skus(sd):
    skus = sd.seller_skus(sd.sellers[0])
    assert 0.9 * 300 <= len(skus) <= 1.2 * 300
    assert all(sku_problem(s) is None for s in skus) and set(skus.values()) <= set(sd.asins)
    assert any(not s.isascii() for s in skus) and any("," in s for s in skus)
    assert any(len(s) == 40 for s in skus) and any(" " in s for s in skus)
    parents = {a for a in sd.asins if sd.catalog_item(a, US, [])["summaries"][0]["itemClassification"]
               == "VARIATION_PARENT"}
    assert parents and not parents & set(skus.values())  # parents are not buyable
    assert sd.seller_skus("NOSUCHSELLER") == {}
    other = sd.seller_skus(sd.sellers[1])
    shared = set(other) & set(skus)
    assert shared and any(other[s] != skus[s] for s in shared)  # SKUs are per seller


@pytest.mark.parametrize("sku, invalid", [
    ("", True), ("x" * 41, True), ("x" * 40, False), (" LEAD", True), ("TRAIL ", True), ("TAB\tIN", True),
    ("NUL\x00", True), ("INVALID-1", True), ("INVALIDATED", True), ("invalid-lower", False),
    ("MY INVALID", False), ("Café-Crème-01", False), ("A,B,C", False), ("珈琲-01", False),
])
def test_sku_problem(sku, invalid):
    assert (sku_problem(sku) is not None) == invalid


def test_invalid_sku_fails_the_batch_unknown_skus_are_absent(sd):
    seller = sd.sellers[0]
    skus = list(sd.seller_skus(seller).items())
    (s1, a1), (s2, a2) = skus[0], skus[1]
    with pytest.raises(InvalidSKUs) as info:
        sd.search_catalog(US, identifiers=[s1, "INVALID-7", " padded"], identifiers_type="SKU", seller_id=seller)
    assert info.value.skus == ["INVALID-7", " padded"]
    found, _ = sd.search_catalog(US, identifiers=[s1, "NOSUCHSKU", s2], identifiers_type="SKU", seller_id=seller)
    assert found == [a1, a2]
    assert sd.search_catalog(US, identifiers=[s1], identifiers_type="SKU", seller_id=sd.sellers[3])[0] == []


def test_sku_with_commas_is_tried_whole(sd):
    seller = sd.sellers[0]
    sku, asin = next((s, a) for s, a in sd.seller_skus(seller).items() if "," in s)
    pieces = sku.split(",")  # what the server hands over after splitting the csv parameter
    assert sd.search_catalog(US, identifiers=pieces, identifiers_type="SKU", seller_id=seller)[0] == [asin]
    # with another SKU in the batch the joined value is no SKU: the pieces alone are unknown
    other, other_asin = next((s, a) for s, a in sd.seller_skus(seller).items() if "," not in s)
    found, _ = sd.search_catalog(US, identifiers=[other, *pieces], identifiers_type="SKU", seller_id=seller)
    assert found == [other_asin]


# -- report outcomes ----------------------------------------------------------------------------

SALES = "GET_VENDOR_SALES_REPORT"
WEEK = (utc(2025, 5, 4), utc(2025, 5, 10))  # Sunday..Saturday


def outcome(sd: SandboxData, report_type: str, start, end, options, mids=(US,), now=NOW) -> Outcome:
    result = sd.report_outcome(report_type, list(mids), start, end, dict(options), now)
    assert isinstance(result, Outcome) and result.status in ("DONE", "FATAL", "CANCELLED")
    assert (result.error_details is None) == (result.status != "FATAL")
    return result


def test_missing_options_are_named_in_amazons_words(sd):
    details = outcome(sd, SALES, *WEEK, {}).error_details
    assert details == ("This report type requires the reportPeriod, distributorView, sellingProgram reportOption "
                       "to be specified. Please review the document for this report type on GitHub, provide a "
                       "value for this reportOption in your request, and try again.")
    partial = outcome(sd, SALES, *WEEK, {"reportPeriod": "WEEK"}).error_details
    assert partial.startswith("This report type requires the distributorView, sellingProgram reportOption")
    assert "reportPeriod" not in partial.split("reportOption")[0].replace("requires the", "")
    traffic = outcome(sd, "GET_VENDOR_TRAFFIC_REPORT", *WEEK, {}).error_details
    assert traffic.startswith("This report type requires the reportPeriod reportOption")


@pytest.mark.parametrize("report_type, options, needle", [
    (SALES, {**SALES_OPTS, "reportPeriod": "WEEKLY"}, "'WEEKLY' is not valid for the reportPeriod"),
    (SALES, {**SALES_OPTS, "distributorView": "RETAIL"}, "distributorView"),
    ("GET_VENDOR_INVENTORY_REPORT", {**SALES_OPTS, "sellingProgram": "BUSINESS"}, "'BUSINESS'"),
    (SALES, {**SALES_OPTS, "ParentReferenceId": "1"}, "does not support the ParentReferenceId reportOption"),
])
def test_bad_option_values(sd, report_type, options, needle):
    result = outcome(sd, report_type, *WEEK, options)
    assert result.status == "FATAL" and needle in result.error_details


@pytest.mark.parametrize("period, start, end, status", [
    ("WEEK", (2025, 5, 4), (2025, 5, 10), "DONE"),
    ("WEEK", (2025, 5, 5), (2025, 5, 10), "FATAL"),   # starts on a Monday
    ("WEEK", (2025, 5, 4), (2025, 5, 9), "FATAL"),    # ends on a Friday
    ("MONTH", (2025, 3, 1), (2025, 4, 30), "DONE"),
    ("MONTH", (2025, 3, 2), (2025, 4, 30), "FATAL"),
    ("QUARTER", (2024, 10, 1), (2025, 3, 31), "DONE"),
    ("QUARTER", (2024, 11, 1), (2025, 3, 31), "FATAL"),
    ("YEAR", (2023, 1, 1), (2024, 12, 31), "DONE"),
    ("YEAR", (2023, 1, 1), (2024, 12, 30), "FATAL"),
    ("DAY", (2025, 5, 3), (2025, 5, 17), "DONE"),     # 15 days
    ("DAY", (2025, 5, 3), (2025, 5, 18), "FATAL"),    # 16 days
    ("WEEK", (2025, 1, 5), (2025, 2, 22), "DONE"),    # 7 weeks
    ("WEEK", (2025, 1, 5), (2025, 3, 1), "FATAL"),    # 8 weeks
    ("MONTH", (2024, 1, 1), (2025, 3, 31), "DONE"),   # 15 months
    ("QUARTER", (2024, 1, 1), (2025, 3, 31), "FATAL"),  # 5 quarters
    ("YEAR", (2022, 1, 1), (2024, 12, 31), "FATAL"),  # 3 years
    ("DAY", (2025, 5, 10), (2025, 5, 9), "FATAL"),
])
def test_period_alignment_and_span(sd, period, start, end, status):
    result = outcome(sd, SALES, utc(*start), utc(*end, 23, 59), {**SALES_OPTS, "reportPeriod": period})
    assert result.status == status, result.error_details
    if status == "FATAL":
        assert re.search(r"align|spans|after the dataEndTime", result.error_details)


def test_dates_are_read_as_written(sd):
    tokyo = timezone(timedelta(hours=9))
    start, end = datetime(2025, 5, 4, 0, 30, tzinfo=tokyo), datetime(2025, 5, 10, 23, 0, tzinfo=tokyo)
    # 2025-05-04 00:30 in Tokyo is still Saturday in UTC: the date part counts, not the instant
    assert outcome(sd, SALES, start, end, {**SALES_OPTS, "reportPeriod": "WEEK"}).status == "DONE"
    doc = sd.report_document(SALES, [US], start, end, {**SALES_OPTS, "reportPeriod": "WEEK"}, created=NOW)
    spec = json.loads(doc.read())["reportSpecification"]
    assert (spec["dataStartTime"], spec["dataEndTime"]) == ("2025-05-04", "2025-05-10")


def test_alignment_message_explains(sd):
    details = outcome(sd, SALES, utc(2025, 5, 5), utc(2025, 5, 10), {**SALES_OPTS, "reportPeriod": "WEEK"}).error_details
    assert "dataStartTime 2025-05-05 (Monday)" in details and "must be a Sunday" in details


@pytest.mark.parametrize("report_type, lag_days", [
    (SALES, 3), ("GET_VENDOR_INVENTORY_REPORT", 3), ("GET_VENDOR_TRAFFIC_REPORT", 3),
    ("GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT", 7),
])
def test_publication_lag(sd, report_type, lag_days):
    options = {k: v for k, v in SALES_OPTS.items()
               if k in sd.analytics_rules()[report_type]["options"]}
    # NOW is 2025-06-15 05:00 in Los Angeles: day D is out once D+1 00:00 + lag has passed.
    last_ok = date(2025, 6, 15) - timedelta(days=lag_days + 1)
    ok = outcome(sd, report_type, utc(*last_ok.timetuple()[:3]), utc(*last_ok.timetuple()[:3]), options)
    assert ok.status == "DONE", ok.error_details
    late = last_ok + timedelta(days=1)
    result = outcome(sd, report_type, utc(*late.timetuple()[:3]), utc(*late.timetuple()[:3]), options)
    assert result.status == "FATAL" and result.error_details.startswith("The requested data is not yet available")
    assert str(last_ok) in result.error_details


def test_lookback_and_marketplaces(sd):
    old = outcome(sd, SALES, utc(2021, 6, 1), utc(2021, 6, 2), SALES_OPTS)
    assert old.status == "FATAL" and "1460 days" in old.error_details
    recent = outcome(sd, SALES, utc(2021, 6, 20), utc(2021, 6, 21), SALES_OPTS)
    assert recent.status == "DONE"
    for mids, needle in (((IE,), "A28R8C7NBKEWEA is not valid"), ((US, DE), "exactly one marketplaceId"),
                         (("NOPE",), "NOPE is not valid")):
        result = outcome(sd, SALES, *WEEK, SALES_OPTS, mids=mids)
        assert result.status == "FATAL" and needle in result.error_details
    assert outcome(sd, SALES, *WEEK, SALES_OPTS, mids=(JP,)).status == "DONE"
    # seller flat files: any real marketplace (a seller may sell where no Vendor Central exists)
    assert outcome(sd, "GET_MERCHANT_LISTINGS_ALL_DATA", None, None, {}, mids=(IE,)).status == "DONE"
    assert outcome(sd, "GET_MERCHANT_LISTINGS_ALL_DATA", None, None, {}, mids=("NOPE",)).status == "FATAL"


def test_forecast_outcomes(sd):
    rt = "GET_VENDOR_FORECASTING_REPORT"
    assert outcome(sd, rt, None, None, {"sellingProgram": "RETAIL"}).status == "DONE"
    assert "requires the sellingProgram reportOption" in outcome(sd, rt, None, None, {}).error_details
    assert outcome(sd, rt, None, None, {"sellingProgram": "BUSINESS"}).status == "FATAL"


@pytest.mark.parametrize("report_type, start, end, status, needle", [
    ("GET_VENDOR_REAL_TIME_TRAFFIC_REPORT", NOW - timedelta(hours=5), NOW - timedelta(minutes=61), "DONE", None),
    ("GET_VENDOR_REAL_TIME_TRAFFIC_REPORT", NOW - timedelta(hours=5), NOW - timedelta(minutes=59), "FATAL",
     "at least 60 minutes"),
    ("GET_VENDOR_REAL_TIME_INVENTORY_REPORT", NOW - timedelta(hours=167), NOW - timedelta(hours=150), "DONE", None),
    ("GET_VENDOR_REAL_TIME_INVENTORY_REPORT", NOW - timedelta(hours=169), NOW - timedelta(hours=150), "FATAL",
     "168 hours"),
    ("GET_VENDOR_REAL_TIME_INVENTORY_REPORT", NOW - timedelta(hours=30), NOW - timedelta(hours=5), "FATAL",
     "24 hours"),
    ("GET_VENDOR_REAL_TIME_INVENTORY_REPORT", NOW - timedelta(hours=3), NOW + timedelta(hours=3), "DONE", None),
    ("GET_VENDOR_REAL_TIME_SALES_REPORT", NOW - timedelta(hours=26), NOW - timedelta(hours=2), "DONE", None),
    # the registry's longest real-time request is 24 hours (the client splits longer ranges)
    ("GET_VENDOR_REAL_TIME_SALES_REPORT", NOW - timedelta(hours=30), NOW - timedelta(hours=2), "FATAL", "24 hours"),
    # no full hour inside the range: no data
    ("GET_VENDOR_REAL_TIME_SALES_REPORT", NOW - timedelta(minutes=50), NOW - timedelta(minutes=10), "CANCELLED", None),
    ("GET_VENDOR_REAL_TIME_SALES_REPORT", NOW + timedelta(hours=1), NOW + timedelta(hours=5), "CANCELLED", None),
    ("GET_VENDOR_REAL_TIME_SALES_REPORT", NOW - timedelta(hours=2), NOW - timedelta(hours=3), "FATAL", "earlier"),
])
def test_real_time_outcomes(sd, report_type, start, end, status, needle):
    result = outcome(sd, report_type, start, end, {})
    assert result.status == status, result.error_details
    if needle:
        assert needle in result.error_details


@pytest.mark.parametrize("report_type, names", [
    ("GET_COUPON_PERFORMANCE_REPORT", ("campaignStartDateFrom", "campaignStartDateTo")),
    ("GET_PROMOTION_PERFORMANCE_REPORT", ("promotionStartDateFrom", "promotionStartDateTo")),
])
def test_coupon_and_promotion_outcomes(sd, report_type, names):
    def opts(lo: str, hi: str) -> dict[str, str]:
        return {names[0]: lo, names[1]: hi}

    assert outcome(sd, report_type, None, None, opts("2025-01-01T00:00:00Z", "2025-03-31T00:00:00Z")).status == "DONE"
    missing = outcome(sd, report_type, None, None, {names[0]: "2025-01-01T00:00:00Z"})
    assert f"requires the {names[1]} reportOption" in missing.error_details
    assert "ISO 8601" in outcome(sd, report_type, None, None, opts("yesterday", "2025-03-31T00:00:00Z")).error_details
    assert outcome(sd, report_type, None, None, opts("2025-03-31T00:00:00Z", "2025-01-01T00:00:00Z")).status == "FATAL"
    too_old = outcome(sd, report_type, None, None, opts("2023-06-01T00:00:00Z", "2023-06-30T00:00:00Z"))
    assert "two years" in too_old.error_details
    # campaigns start every few days with deterministic gaps: a two-hour window is (nearly always) empty,
    # and a window after `now` has no campaigns yet
    empty = [outcome(sd, report_type, None, None, opts(f"2025-02-{d:02d}T00:00:00Z", f"2025-02-{d:02d}T02:00:00Z"))
             for d in range(1, 15)]
    assert sum(o.status == "CANCELLED" for o in empty) >= 10
    assert outcome(sd, report_type, None, None, opts("2025-07-01T00:00:00Z", "2025-08-01T00:00:00Z")).status \
        == "CANCELLED"


def test_flat_file_outcomes(sd):
    orders = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
    assert outcome(sd, orders, utc(2025, 1, 2), utc(2025, 1, 3), {}).status == "DONE"
    # ~17 order rows a day (500 per 30 days): a one-second window holds none
    assert outcome(sd, orders, utc(2025, 1, 2, 0, 0, 1), utc(2025, 1, 2, 0, 0, 2), {}).status == "CANCELLED"
    assert outcome(sd, orders, NOW + timedelta(days=1), NOW + timedelta(days=2), {}).status == "CANCELLED"
    for rt in ("GET_MERCHANT_LISTINGS_ALL_DATA", "GET_AFN_INVENTORY_DATA", "GET_SOMETHING_NEW"):
        assert outcome(sd, rt, None, None, {}).status == "DONE"


# -- vendor documents ---------------------------------------------------------------------------

SCHEMA_CASES = [
    ("GET_VENDOR_SALES_REPORT", "vendorSalesReport", SALES_OPTS),
    ("GET_VENDOR_SALES_REPORT", "vendorSalesReport",
     {"reportPeriod": "WEEK", "distributorView": "SOURCING", "sellingProgram": "FRESH"}),
    ("GET_VENDOR_SALES_REPORT", "vendorSalesReport",
     {"reportPeriod": "MONTH", "distributorView": "MANUFACTURING", "sellingProgram": "BUSINESS"}),
    ("GET_VENDOR_INVENTORY_REPORT", "vendorInventoryReport", SALES_OPTS),
    ("GET_VENDOR_INVENTORY_REPORT", "vendorInventoryReport",
     {"reportPeriod": "WEEK", "distributorView": "SOURCING", "sellingProgram": "FRESH"}),
    ("GET_VENDOR_TRAFFIC_REPORT", "vendorTrafficReport", {"reportPeriod": "QUARTER"}),
    ("GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT", "vendorNetPureProductMarginReport", {"reportPeriod": "DAY"}),
    ("GET_VENDOR_FORECASTING_REPORT", "vendorForecastingReport", {"sellingProgram": "RETAIL"}),
    ("GET_VENDOR_REAL_TIME_SALES_REPORT", "vendorRealTimeSalesReport", {}),
    ("GET_VENDOR_REAL_TIME_TRAFFIC_REPORT", "vendorRealTimeTrafficReport", {}),
    ("GET_VENDOR_REAL_TIME_INVENTORY_REPORT", "vendorRealTimeInventoryReport", {}),
    ("GET_COUPON_PERFORMANCE_REPORT", "vendorCouponReport",
     {"campaignStartDateFrom": "2024-10-01T00:00:00Z", "campaignStartDateTo": "2025-03-31T23:59:59Z"}),
    ("GET_PROMOTION_PERFORMANCE_REPORT", "promotionReport",
     {"promotionStartDateFrom": "2024-10-01T00:00:00Z", "promotionStartDateTo": "2025-03-31T23:59:59Z"}),
]


def _doc(sd, report_type, options, start=None, end=None, mids=(US,), created=NOW) -> tuple[Document, dict]:
    doc = sd.report_document(report_type, list(mids), start, end, dict(options), created=created)
    assert doc.content_type == "application/json"
    return doc, json.loads(doc.read().decode("utf-8"))


def _range_for(report_type: str, options: dict) -> tuple[datetime, datetime]:
    if "REAL_TIME" in report_type:
        return NOW - timedelta(hours=6, minutes=30), NOW - timedelta(hours=1)
    return {"DAY": (utc(2025, 5, 1), utc(2025, 5, 10)), "WEEK": (utc(2025, 4, 6), utc(2025, 5, 10)),
            "MONTH": (utc(2025, 1, 1), utc(2025, 4, 30)), "QUARTER": (utc(2024, 7, 1), utc(2025, 3, 31))
            }.get(options.get("reportPeriod", "DAY"))


@pytest.mark.parametrize("report_type, schema, options", SCHEMA_CASES,
                         ids=[f"{c[0]}-{'-'.join(c[2].values())[:30]}" for c in SCHEMA_CASES])
def test_vendor_documents_match_their_schemas(sd, report_type, schema, options):
    start, end = _range_for(report_type, options)
    _, body = _doc(sd, report_type, options, start, end)
    _validate(_report_validator(schema), body)
    spec = body["reportSpecification"]
    assert spec["reportType"] == report_type and spec["marketplaceIds"] == [US]
    arrays = [k for k in body if k != "reportSpecification"]
    assert all(body[k] for k in arrays), "every row array holds rows"
    if "reportPeriod" in options:
        assert spec["reportOptions"] == options
        assert (spec["dataStartTime"], spec["dataEndTime"]) == (str(start.date()), str(end.date()))
        assert spec["lastUpdatedDate"] == "2025-06-15"
    if report_type == "GET_VENDOR_REAL_TIME_SALES_REPORT":
        assert spec["reportOptions"] == {"currencyCode": "USD"}
        assert len(body["reportData"]) == 5 * len(sd.vendor_asins)  # the full hours inside the range


def test_amounts_use_the_marketplace_currency(sd):
    _, body = _doc(sd, SALES, SALES_OPTS, utc(2025, 5, 1), utc(2025, 5, 2), mids=(JP,))
    assert {r["shippedRevenue"]["currencyCode"] for r in body["salesByAsin"]} == {"JPY"}
    _, de = _doc(sd, SALES, SALES_OPTS, utc(2025, 5, 1), utc(2025, 5, 2), mids=(DE,))
    assert de["salesAggregate"][0]["shippedRevenue"]["currencyCode"] == "EUR"


def test_rows_per_period_and_asin(sd):
    _, body = _doc(sd, SALES, {**SALES_OPTS, "reportPeriod": "WEEK"}, utc(2025, 4, 6), utc(2025, 5, 10))
    assert [(r["startDate"], r["endDate"]) for r in body["salesAggregate"]] == [
        ("2025-04-06", "2025-04-12"), ("2025-04-13", "2025-04-19"), ("2025-04-20", "2025-04-26"),
        ("2025-04-27", "2025-05-03"), ("2025-05-04", "2025-05-10")]
    by_asin = body["salesByAsin"]
    assert len(by_asin) == 5 * len(sd.vendor_asins)
    assert [r["asin"] for r in by_asin[:len(sd.vendor_asins)]] == sd.vendor_asins
    starts = [r["startDate"] for r in body["salesAggregate"]]
    assert {(r["startDate"], r["asin"]) for r in by_asin} == {(s, a) for s in starts for a in sd.vendor_asins}


def _key_rows(rows: list[dict]) -> dict:
    return {(r["startDate"], r.get("asin")): r for r in rows}


def test_split_windows_give_identical_daily_rows(sd):
    _, whole = _doc(sd, SALES, SALES_OPTS, utc(2025, 5, 1), utc(2025, 5, 14))
    _, first = _doc(sd, SALES, SALES_OPTS, utc(2025, 5, 1), utc(2025, 5, 7))
    _, second = _doc(sd, SALES, SALES_OPTS, utc(2025, 5, 8, 13), utc(2025, 5, 14, 2))  # time parts are ignored
    for section in ("salesAggregate", "salesByAsin"):
        assert _key_rows(whole[section]) == {**_key_rows(first[section]), **_key_rows(second[section])}
    # an overlapping window created on another day agrees too
    _, overlap = _doc(sd, SALES, SALES_OPTS, utc(2025, 5, 5), utc(2025, 5, 9), created=NOW + timedelta(days=9))
    whole_rows = _key_rows(whole["salesByAsin"])
    assert all(whole_rows[k] == r for k, r in _key_rows(overlap["salesByAsin"]).items())


@settings(max_examples=8, deadline=None)
@given(split=st.integers(min_value=1, max_value=13), seed=st.integers(min_value=0, max_value=3))
def test_split_windows_property(split, seed):
    sd = _small(seed)
    start = date(2025, 3, 2)
    cut = start + timedelta(days=split)
    end = start + timedelta(days=13)
    opts = {"reportPeriod": "DAY"}

    def rows(a: date, b: date) -> dict:
        doc = sd.report_document("GET_VENDOR_TRAFFIC_REPORT", [US], utc(*a.timetuple()[:3]), utc(*b.timetuple()[:3]),
                                 opts, created=NOW)
        return _key_rows(json.loads(doc.read())["trafficByAsin"])

    assert rows(start, end) == {**rows(start, cut - timedelta(days=1)), **rows(cut, end)}


@lru_cache(maxsize=None)
def _small(seed: int) -> SandboxData:
    return SandboxData(seed, n_asins=40, vendor_asins=12)


def _amount(row: dict, field: str) -> int:
    return round(row[field]["amount"] * 100)


def test_periods_aggregate_the_daily_rows(sd):
    _, days = _doc(sd, SALES, SALES_OPTS, utc(2025, 5, 4), utc(2025, 5, 10))
    _, week = _doc(sd, SALES, {**SALES_OPTS, "reportPeriod": "WEEK"}, *WEEK)
    for asin in sd.vendor_asins[:10] + [None]:
        day_rows = [r for r in (days["salesByAsin"] if asin else days["salesAggregate"]) if r.get("asin") == asin]
        week_row = next(r for r in (week["salesByAsin"] if asin else week["salesAggregate"]) if r.get("asin") == asin)
        assert len(day_rows) == 7
        for field in ("shippedUnits", "orderedUnits", "customerReturns"):
            assert week_row[field] == sum(r[field] for r in day_rows)
        for field in ("shippedRevenue", "shippedCogs", "orderedRevenue"):
            assert _amount(week_row, field) == sum(_amount(r, field) for r in day_rows)
    # the aggregate is the sum over the vendor's ASINs
    assert days["salesAggregate"][0]["shippedUnits"] == sum(
        r["shippedUnits"] for r in days["salesByAsin"] if r["startDate"] == "2025-05-04")


def test_inventory_stocks_are_last_day_flows_are_sums(sd):
    inv = "GET_VENDOR_INVENTORY_REPORT"
    _, days = _doc(sd, inv, SALES_OPTS, *WEEK)
    _, week = _doc(sd, inv, {**SALES_OPTS, "reportPeriod": "WEEK"}, *WEEK)
    for asin in sd.vendor_asins[:10]:
        day_rows = [r for r in days["inventoryByAsin"] if r["asin"] == asin]
        week_row = next(r for r in week["inventoryByAsin"] if r["asin"] == asin)
        assert week_row["netReceivedInventoryUnits"] == sum(r["netReceivedInventoryUnits"] for r in day_rows)
        assert week_row["sellableOnHandInventoryUnits"] == day_rows[-1]["sellableOnHandInventoryUnits"]
        assert week_row["openPurchaseOrderUnits"] == day_rows[-1]["openPurchaseOrderUnits"]
    assert {"procurableProductOutOfStockRate", "uft", "receiveFillRate"} <= set(week["inventoryAggregate"][0])
    assert "uft" not in week["inventoryByAsin"][0]


def test_traffic_and_margin_periods(sd):
    _, days = _doc(sd, "GET_VENDOR_TRAFFIC_REPORT", {"reportPeriod": "DAY"}, utc(2025, 3, 1), utc(2025, 3, 15))
    _, month = _doc(sd, "GET_VENDOR_TRAFFIC_REPORT", {"reportPeriod": "MONTH"}, utc(2025, 3, 1), utc(2025, 3, 31))
    # day rows of the first half of March are part of the month's total
    assert month["trafficAggregate"][0]["glanceViews"] > sum(r["glanceViews"] for r in days["trafficAggregate"])
    _, nppm = _doc(sd, "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT", {"reportPeriod": "WEEK"}, *WEEK)
    assert all(0 <= r["netPureProductMargin"] <= 1 for r in nppm["netPureProductMarginByAsin"])


def test_option_dependent_fields(sd):
    _, sourcing = _doc(sd, SALES, {**SALES_OPTS, "distributorView": "SOURCING"}, *WEEK)
    assert not any("orderedUnits" in r or "orderedRevenue" in r for r in sourcing["salesByAsin"])
    _, fresh = _doc(sd, SALES, {**SALES_OPTS, "sellingProgram": "FRESH"}, *WEEK)
    assert not any("customerReturns" in r for r in fresh["salesByAsin"])
    _, manufacturing = _doc(sd, SALES, SALES_OPTS, *WEEK)
    assert all({"orderedUnits", "customerReturns"} <= set(r) for r in manufacturing["salesByAsin"])
    # sourced units are a share of the manufactured ones
    assert sum(r["shippedUnits"] for r in sourcing["salesAggregate"]) <= sum(
        r["shippedUnits"] for r in manufacturing["salesAggregate"])


def test_real_time_documents(sd):
    start, end = utc(2025, 6, 14, 8, 30), utc(2025, 6, 14, 12, 0)
    _, body = _doc(sd, "GET_VENDOR_REAL_TIME_SALES_REPORT", {}, start, end)
    hours = sorted({r["startTime"] for r in body["reportData"]})
    assert hours == ["2025-06-14T09:00:00Z", "2025-06-14T10:00:00Z", "2025-06-14T11:00:00Z"]
    assert body["reportSpecification"]["dataStartTime"] == "2025-06-14T08:30:00Z"
    # hours overlapping two requests agree
    _, later = _doc(sd, "GET_VENDOR_REAL_TIME_SALES_REPORT", {}, utc(2025, 6, 14, 10), utc(2025, 6, 14, 14))
    first = {(r["startTime"], r["asin"]): r for r in body["reportData"]}
    shared = [r for r in later["reportData"] if (r["startTime"], r["asin"]) in first]
    assert len(shared) == 2 * len(sd.vendor_asins)
    assert all(first[(r["startTime"], r["asin"])] == r for r in shared)
    # hours not over yet at creation are left out
    _, inventory = _doc(sd, "GET_VENDOR_REAL_TIME_INVENTORY_REPORT", {}, NOW - timedelta(hours=2),
                        NOW + timedelta(hours=3))
    assert max(r["endTime"] for r in inventory["reportData"]) == "2025-06-15T12:00:00Z"


def test_coupon_and_promotion_documents_are_consistent(sd):
    options = {"campaignStartDateFrom": "2025-01-01T00:00:00Z", "campaignStartDateTo": "2025-03-31T00:00:00Z"}
    _, coupons = _doc(sd, "GET_COUPON_PERFORMANCE_REPORT", options)
    assert coupons["reportSpecification"]["reportOptions"] == options
    for campaign in coupons["campaigns"]:
        assert "2025-01-01" <= campaign["coupons"][0]["startDateTime"] <= "2025-03-31"
        assert campaign["totalClips"] == sum(c["clips"] for c in campaign["coupons"])
        assert campaign["vendorCode"] == sd.sellers[0]
        assert all(a["asin"] in sd.vendor_asins for c in campaign["coupons"] for a in c["asins"])
    options = {"promotionStartDateFrom": "2025-01-01T00:00:00Z", "promotionStartDateTo": "2025-03-31T00:00:00Z"}
    _, promos = _doc(sd, "GET_PROMOTION_PERFORMANCE_REPORT", options)
    for promo in promos["promotions"]:
        assert promo["unitsSold"] == sum(p["productUnitsSold"] for p in promo["includedProducts"])


def test_forecast_document(sd):
    _, body = _doc(sd, "GET_VENDOR_FORECASTING_REPORT", {"sellingProgram": "RETAIL"})
    rows = body["forecastByAsin"]
    assert len(rows) == 26 * len(sd.vendor_asins)
    assert {r["forecastGenerationDate"] for r in rows} == {"2025-06-15"}  # the latest Sunday
    assert all(r["meanForecastUnits"] <= r["p70ForecastUnits"] <= r["p80ForecastUnits"] <= r["p90ForecastUnits"]
               for r in rows)


def test_large_vendor_documents_stream_in_chunks():
    sd = SandboxData(0, vendor_asins=400)
    doc = sd.report_document(SALES, [US], utc(2025, 1, 1), utc(2025, 3, 31), SALES_OPTS, created=NOW)
    sizes = [len(c) for c in doc.chunks()]
    assert len(sizes) >= 3 and max(sizes) < sum(sizes) / 2  # streamed, never one buffer
    rows = b"".join(doc.chunks()).count(b'"asin": "')
    assert rows == 90 * 400


# -- flat files -------------------------------------------------------------------------------------

LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
ORDERS_BY_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
ORDERS_BY_UPDATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"

HEADERS = {
    LISTINGS: "item-name\titem-description\tlisting-id\tseller-sku\tprice\tquantity\topen-date\timage-url\t"
              "item-is-marketplace\tproduct-id-type\tzshop-shipping-fee\titem-note\titem-condition\tzshop-category1\t"
              "zshop-browse-path\tzshop-storefront-feature\tasin1\tasin2\tasin3\twill-ship-internationally\t"
              "expedited-shipping\tzshop-boldface\tproduct-id\tbid-for-featured-placement\tadd-delete\t"
              "pending-quantity\tfulfillment-channel\tmerchant-shipping-group\tstatus",
    ORDERS_BY_DATE: "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\t"
                    "fulfillment-channel\tsales-channel\torder-channel\turl\tship-service-level\tproduct-name\tsku\t"
                    "asin\titem-status\tquantity\tcurrency\titem-price\titem-tax\tshipping-price\tshipping-tax\t"
                    "gift-wrap-price\tgift-wrap-tax\titem-promotion-discount\tship-promotion-discount\tship-city\t"
                    "ship-state\tship-postal-code\tship-country\tpromotion-ids\tis-business-order\t"
                    "purchase-order-number\tprice-designation",
    "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA":
        "sku\tfnsku\tasin\tproduct-name\tcondition\tyour-price\tmfn-listing-exists\tmfn-fulfillable-quantity\t"
        "afn-listing-exists\tafn-warehouse-quantity\tafn-fulfillable-quantity\tafn-unsellable-quantity\t"
        "afn-reserved-quantity\tafn-total-quantity\tper-unit-volume\tafn-inbound-working-quantity\t"
        "afn-inbound-shipped-quantity\tafn-inbound-receiving-quantity\tafn-researching-quantity\t"
        "afn-reserved-future-supply\tafn-future-supply-buyable",
    "GET_AFN_INVENTORY_DATA": "seller-sku\tfulfillment-channel-sku\tasin\tcondition-type\tWarehouse-Condition-code\t"
                              "Quantity Available",
}


def _tsv(doc: Document, codec: str) -> list[list[str]]:
    text = doc.read().decode(codec)  # strict: any byte the codec cannot decode fails the test
    assert text.endswith("\n") and "\r" not in text
    return [line.split("\t") for line in text[:-1].split("\n")]


@pytest.mark.parametrize("report_type", [LISTINGS, "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA",
                                         "GET_AFN_INVENTORY_DATA"])
def test_flat_files_have_amazons_columns_and_flat_rows_rows(sd, report_type):
    doc = sd.report_document(report_type, [US], None, None, {}, created=NOW)
    assert doc.content_type == "text/plain;charset=Cp1252"
    rows = _tsv(doc, "cp1252")
    assert "\t".join(rows[0]) == HEADERS[report_type]
    assert len(rows) - 1 == 500 and {len(r) for r in rows} == {len(rows[0])}
    skus = [r[rows[0].index("seller-sku" if "seller-sku" in rows[0] else "sku")] for r in rows[1:]]
    assert len(set(skus)) == len(skus)
    assert set(skus[:200]) <= set(sd.seller_skus(sd.sellers[0]))
    assert any("" in r[1:] for r in rows[1:]) or report_type == "GET_AFN_INVENTORY_DATA"


def test_listings_have_stray_quotes_non_ascii_and_empty_cells(sd):
    rows = _tsv(sd.report_document(LISTINGS, [US], None, None, {}, created=NOW), "cp1252")[1:]
    names, descriptions = [r[0] for r in rows], [r[1] for r in rows]
    assert any(re.search(r'\d" ', n) for n in names)  # Mug 12 oz, 4" Tall: an unquoted inch mark
    assert any(d.startswith('"') and not d.endswith('"') for d in descriptions)  # breaks CSV quoting
    assert any(not n.isascii() for n in names) and any(d == "" for d in descriptions)
    parsed = list(csv.reader(io.StringIO("\n".join("\t".join(r) for r in rows)), delimiter="\t",
                             quoting=csv.QUOTE_NONE))
    assert parsed == rows
    naive = list(csv.reader(io.StringIO("\n".join("\t".join(r) for r in rows)), delimiter="\t"))
    assert naive != rows  # the quotes really do trip a quote-honouring parser


def test_active_listings_are_the_active_rows_without_status(sd):
    every = _tsv(sd.report_document(LISTINGS, [US], None, None, {}, created=NOW), "cp1252")
    active = _tsv(sd.report_document("GET_MERCHANT_LISTINGS_DATA", [US], None, None, {}, created=NOW), "cp1252")
    assert active[0] == every[0][:-1]
    assert {r[-1] for r in every[1:]} >= {"Active", "Inactive"}
    assert active[1:] == [r[:-1] for r in every[1:] if r[-1] == "Active"]


def test_japanese_flat_files_are_shift_jis(sd):
    doc = sd.report_document(LISTINGS, [JP], None, None, {}, created=NOW)
    assert doc.content_type == "text/plain;charset=Shift_JIS"
    raw = doc.read()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp932")
    assert raw.decode("shift_jis") == text  # no cp932-only characters: either codec works
    rows = [line.split("\t") for line in text.splitlines()[1:]]
    assert len(rows) == 500 and all(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", r[0]) for r in rows)
    assert any("珈琲" in r[3] for r in rows)  # Japanese SKUs are listed in Japan
    us_skus = {line.split("\t")[3] for line in _tsv_lines(sd, US)}
    assert not any("珈琲" in s for s in us_skus)  # ...but not in a Cp1252 file


def _tsv_lines(sd: SandboxData, mid: str) -> list[str]:
    return sd.report_document(LISTINGS, [mid], None, None, {}, created=NOW).read().decode("cp1252").splitlines()[1:]


def test_codecs_per_marketplace_and_report(sd):
    de = sd.report_document(LISTINGS, [DE], None, None, {}, created=NOW).read()
    assert "ü".encode("cp1252") in de
    with pytest.raises(UnicodeDecodeError):
        de.decode("utf-8")
    orders = sd.report_document(ORDERS_BY_DATE, [DE], utc(2025, 1, 1), utc(2025, 1, 31), {}, created=NOW)
    assert orders.content_type == "text/plain;charset=UTF-8"
    assert "München".encode("utf-8") in orders.read() or "ü".encode("utf-8") in orders.read()
    pl = sd.report_document(LISTINGS, ["A1C3SOZRARQ6R3"], None, None, {}, created=NOW)
    assert pl.content_type == "text/plain;charset=UTF-8"
    pl.read().decode("utf-8")


def test_unknown_report_types_get_a_generic_tsv(sd):
    doc = sd.report_document("GET_SOMETHING_NEW", [US], None, None, {}, created=NOW)
    rows = _tsv(doc, "cp1252")
    assert rows[0][:3] == ["report-type", "marketplace-id", "seller-sku"]
    assert len(rows) > 1 and all(r[0] == "GET_SOMETHING_NEW" for r in rows[1:])


def _orders(sd: SandboxData, report_type: str, start: datetime, end: datetime, created: datetime = NOW,
            mid: str = US) -> list[list[str]]:
    rows = _tsv(sd.report_document(report_type, [mid], start, end, {}, created=created), "utf-8")
    assert "\t".join(rows[0]) == HEADERS[ORDERS_BY_DATE] and {len(r) for r in rows} == {32}
    return rows[1:]


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_orders_by_date_and_by_update_select_different_rows(sd):
    start, end = utc(2025, 3, 1), utc(2025, 3, 4, 12)
    by_date = _orders(sd, ORDERS_BY_DATE, start, end)
    by_update = _orders(sd, ORDERS_BY_UPDATE, start, end)
    assert by_date and by_update
    assert all(start <= _stamp(r[2]) <= end for r in by_date)
    assert all(start <= _stamp(r[3]) <= end for r in by_update)
    assert all(_stamp(r[3]) >= _stamp(r[2]) for r in by_date + by_update)
    assert any(_stamp(r[2]) < start for r in by_update)  # bought before, updated inside the range
    assert {tuple(r) for r in by_date} != {tuple(r) for r in by_update}
    ids = [r[0] for r in by_date]
    assert all(re.fullmatch(r"\d{3}-\d{7}-\d{7}", i) for i in ids)
    assert len(set(ids)) < len(ids)  # multi-item orders repeat the order id
    # ~500 rows per 30 days
    assert 50 <= len(_orders(sd, ORDERS_BY_DATE, utc(2025, 2, 1), utc(2025, 2, 6, 23, 59, 59))) <= 120


def test_orders_split_windows_agree(sd):
    a, b, c = utc(2025, 3, 1, 6), utc(2025, 3, 3, 17, 30), utc(2025, 3, 6, 9)
    for report_type in (ORDERS_BY_DATE, ORDERS_BY_UPDATE):
        whole = sorted(map(tuple, _orders(sd, report_type, a, c)))
        parts = sorted(map(tuple, _orders(sd, report_type, a, b) + _orders(sd, report_type, b + timedelta(seconds=1), c)))
        assert whole == parts


def test_recent_orders_are_shown_as_of_creation(sd):
    created = utc(2025, 6, 10, 12)
    rows = _orders(sd, ORDERS_BY_DATE, utc(2025, 6, 8), utc(2025, 6, 12), created=created)
    assert rows and all(_stamp(r[2]) <= created and _stamp(r[3]) <= created for r in rows)
    late = [r for r in rows if _stamp(r[2]) > created - timedelta(hours=3)]
    assert late and all(r[4] == "Pending" or _stamp(r[3]) <= created for r in late)
    assert any(r[4] == "Pending" and r[16] == "" for r in rows)  # pending orders carry no prices yet


def test_japanese_orders(sd):
    doc = sd.report_document(ORDERS_BY_DATE, [JP], utc(2025, 3, 1), utc(2025, 3, 5), {}, created=NOW)
    assert doc.content_type == "text/plain;charset=Shift_JIS"
    assert doc.read().decode("shift_jis") == doc.read().decode("cp932")
    rows = _tsv(doc, "cp932")[1:]
    assert rows and {r[15] for r in rows} == {"JPY"} and any("都" in r[25] or "府" in r[25] for r in rows)
    assert all(not r[16] or r[16].isdigit() for r in rows)  # whole yen


def test_large_flat_files_count_rows():
    big = SandboxData(0, flat_rows=60_000)  # seven 8,400-row blocks, six of them from the template
    doc = big.report_document(LISTINGS, [US], None, None, {}, created=NOW)
    chunks = list(doc.chunks())
    data = b"".join(chunks)
    assert len(chunks) > 3 and data.count(b"\n") == 60_001
    lines = data.decode("cp1252").split("\n")[1:-1]
    assert {line.count("\t") for line in lines} == {28}
    skus = [line.split("\t")[3] for line in lines]
    assert len(set(skus)) == 60_000  # block templates keep SKUs unique
    orders = SandboxData(0, flat_rows=30 * 3000)  # 3,000 rows a day: the template path
    rows = _orders(orders, ORDERS_BY_DATE, utc(2025, 3, 1, 12), utc(2025, 3, 3, 12))
    assert abs(len(rows) - 2 * 3000) <= 10
    assert len({(r[0], r[11]) for r in rows}) == len(rows)
    assert all(utc(2025, 3, 1, 12) <= _stamp(r[2]) <= utc(2025, 3, 3, 12) for r in rows)
