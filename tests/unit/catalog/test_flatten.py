"""Pure flattening of Catalog Items ``Item`` objects (no client, no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from amzv_pandas._catalog import api as catalog
from amzv_pandas._catalog.api import INCLUDED_DATA, catalog_columns, expand_attributes, flatten_items
from amzv_pandas.exceptions import ConfigurationError

MODEL = Path(catalog.__file__).parent.parent / "sandbox" / "spapi" / "models" / "catalogItems_2022-04-01.json"
US = "ATVPDKIKX0DER"
DE = "A1PA6795UKMFR9"


def _static(operation_path: str) -> dict:
    model = json.loads(MODEL.read_text())
    op = model["paths"][operation_path]["get"]
    return op["responses"]["200"]["x-amzn-api-sandbox"]["static"][0]["response"]


@pytest.fixture(scope="module")
def search_example() -> dict:
    return _static("/catalog/2022-04-01/items")


@pytest.fixture(scope="module")
def item_example() -> dict:
    return _static("/catalog/2022-04-01/items/{asin}")


ALL_BUT_ATTRIBUTES = [s for s in INCLUDED_DATA if s != "attributes"]


def test_static_search_example_every_section(search_example: dict) -> None:
    df = flatten_items(search_example["items"], ALL_BUT_ATTRIBUTES, marketplace_id=US)
    assert len(df) == 1
    row = df.iloc[0]
    assert list(df.columns[:2]) == ["asin", "marketplace_id"]
    assert row["asin"] == "B07N4M94X4" and row["marketplace_id"] == US
    # summaries
    assert row["item_name"].startswith("Samsung QN82Q60RAFXZA")
    assert (row["brand"], row["manufacturer"], row["model_number"]) == ("SAMSUNG", "Samsung", "QN82Q60RAFXZA")
    assert (row["color"], row["size"], row["style"]) == ("Black", "82-Inch", "TV only")
    assert row["package_quantity"] == 1
    assert row["item_classification"] == "BASE_PRODUCT"
    assert row["website_display_group_name"] == "Home Theater"
    assert (row["browse_classification"], row["browse_classification_id"]) == ("QLED TVs", "21489946011")
    assert pd.isna(row["release_date"]) and pd.isna(row["adult_product"])
    # identifiers: one column per type
    assert (row["ean"], row["gtin"], row["upc"]) == ("0887276302195", "00887276302195", "887276302195")
    assert pd.isna(row["isbn"]) and pd.isna(row["other_identifiers"])
    # images: the largest MAIN image; count of distinct variants (MAIN, PT01..PT08)
    assert row["main_image_url"] == "https://m.media-amazon.com/images/I/91uohwV+k3L.jpg"
    assert (row["main_image_width"], row["main_image_height"]) == (2560, 1707)
    assert row["image_count"] == 9
    # salesRanks
    assert (row["display_group_rank"], row["display_group_rank_title"]) == (72855, "Electronics")
    assert (row["classification_rank"], row["classification_rank_title"]) == (113, "QLED TVs")
    # dimensions
    assert row["item_height"] == pytest.approx(41.4) and row["item_height_unit"] == "inches"
    assert row["package_weight"] == pytest.approx(62.142) and row["package_weight_unit"] == "kilograms"
    # classifications: root-to-leaf path
    assert row["classification_paths"] == "Electronics > Television & Video > Televisions > QLED TVs"
    assert row["classification_ids"] == "21489946011"
    # productTypes, relationships, vendorDetails
    assert row["product_type"] == "TELEVISION"
    assert row["parent_asins"] == "B08J7TQ9FL" and pd.isna(row["child_asins"])
    assert row["variation_theme"] == "SIZE_NAME/COLOR_NAME" and row["variation_attributes"] == "color,size"
    assert (row["brand_code"], row["manufacturer_code"]) == ("SAMF9", "SAMF9")
    assert (row["product_category"], row["product_category_code"]) == ("Televisions", "50400100")
    assert (row["product_subcategory"], row["product_subcategory_code"]) == ("Plasma TVs", "50400120")
    assert (row["product_group"], row["replenishment_category"]) == ("Home Entertainment", "OBSOLETE")


def test_static_get_item_example_matches_search(search_example: dict, item_example: dict) -> None:
    a = flatten_items(search_example["items"], ALL_BUT_ATTRIBUTES, marketplace_id=US)
    b = flatten_items([item_example], ALL_BUT_ATTRIBUTES)  # marketplace found in the sections
    assert b["marketplace_id"].tolist() == [US]
    pd.testing.assert_frame_equal(a, b)


def test_dtypes_follow_schema(search_example: dict) -> None:
    df = flatten_items(search_example["items"], INCLUDED_DATA, marketplace_id=US)
    expected = catalog_columns(INCLUDED_DATA)
    assert list(df.columns) == list(expected)
    assert {c: str(t) for c, t in df.dtypes.items()} == expected
    assert df["package_quantity"].dtype == "Int64"
    assert df["item_height"].dtype == "Float64"
    assert df["adult_product"].dtype == "boolean"
    assert df["release_date"].dtype == "datetime64[ns]"
    assert df["attributes"].dtype == object


@pytest.mark.parametrize("included", [["summaries"], INCLUDED_DATA, ["images", "salesRanks"]])
def test_empty_result_has_full_column_set(search_example: dict, included: list[str]) -> None:
    empty = flatten_items([], included)
    full = flatten_items(search_example["items"], included, marketplace_id=US)
    assert len(empty) == 0
    assert list(empty.columns) == list(full.columns) == list(catalog_columns(included))
    assert (empty.dtypes == full.dtypes).all()
    both = pd.concat([empty, full], ignore_index=True)
    assert (both.dtypes == full.dtypes).all()


def test_column_order_ignores_included_data_order() -> None:
    a = flatten_items([], ["salesRanks", "summaries", "images"])
    b = flatten_items([], "images,summaries, salesranks")  # str, any case
    assert list(a.columns) == list(b.columns)
    assert a.columns[2] == "item_name"  # summaries first


def test_unknown_included_data_lists_allowed() -> None:
    with pytest.raises(ConfigurationError, match="allowed values are attributes, classifications") as info:
        flatten_items([], ["summaries", "offers"])
    assert info.value.parameter == "included_data" and "'offers'" in str(info.value)


HAND_ITEM = {
    "asin": "B000TEST01",
    "summaries": [
        {"marketplaceId": US, "itemName": "Book", "releaseDate": "2020-05-17", "packageQuantity": 2,
         "adultProduct": False, "autographed": True, "tradeInEligible": True,
         "contributors": [{"value": "Jane Doe", "role": {"value": "author", "displayName": "Author"}},
                          {"value": "Joe Roe", "role": {"value": "illustrator"}}]},
        {"marketplaceId": DE, "itemName": "Buch", "adultProduct": True},
    ],
    "identifiers": [{"marketplaceId": US, "identifiers": [
        {"identifierType": "EAN", "identifier": "111"}, {"identifierType": "EAN", "identifier": "222"},
        {"identifierType": "ISBN", "identifier": "0306406152"}, {"identifierType": "SKU", "identifier": "my-sku"},
    ]}],
    "images": [{"marketplaceId": US, "images": [
        {"variant": "PT01", "link": "https://x/pt01.jpg", "height": 3000, "width": 3000},
        {"variant": "MAIN", "link": "https://x/small.jpg", "height": 100, "width": 100},
        {"variant": "MAIN", "link": "https://x/big.jpg", "height": 900, "width": 800},
    ]}],
    "salesRanks": [{"marketplaceId": US,
                    "classificationRanks": [{"classificationId": "1", "title": "A", "rank": 50},
                                            {"classificationId": "2", "title": "B", "rank": 7}],
                    "displayGroupRanks": [{"websiteDisplayGroup": "book_display_on_website", "title": "Books",
                                           "rank": 1234}]}],
    "dimensions": [{"marketplaceId": US, "item": {"weight": {"unit": "pounds", "value": 1}}}],
    "classifications": [{"marketplaceId": US, "classifications": [
        {"displayName": "Leaf1", "classificationId": "10", "parent": {"displayName": "Root", "classificationId": "1"}},
        {"displayName": "Leaf2", "classificationId": "20"},
    ]}],
    "productTypes": [{"marketplaceId": US, "productType": "ABIS_BOOK"}],
    "relationships": [{"marketplaceId": US, "relationships": [
        {"type": "VARIATION", "childAsins": ["C1", "C2"], "variationTheme": {"attributes": ["color"], "theme": "COLOR"}},
        {"type": "PACKAGE_HIERARCHY", "parentAsins": ["P9"]},
    ]}],
    "vendorDetails": [{"marketplaceId": US, "brandCode": "BC", "replenishmentCategory": "NEW_PRODUCT"}],
    "attributes": {"item_name": [{"value": "Book", "marketplace_id": US, "language_tag": "en_US"}]},
}


def test_hand_made_item_values_and_types() -> None:
    df = flatten_items([HAND_ITEM], INCLUDED_DATA, marketplace_id=US)
    row = df.iloc[0]
    assert row["release_date"] == pd.Timestamp("2020-05-17")
    assert row["package_quantity"] == 2
    assert row["adult_product"] is False or row["adult_product"] == False  # noqa: E712 (numpy bool)
    assert bool(row["autographed"]) and pd.isna(row["memorabilia"])
    assert row["contributors"] == "Jane Doe (Author); Joe Roe (illustrator)"
    assert row["ean"] == "111,222" and row["isbn"] == "0306406152"
    assert row["other_identifiers"] == "SKU:my-sku"
    assert row["main_image_url"] == "https://x/big.jpg" and row["image_count"] == 2
    assert row["classification_rank"] == 7 and row["classification_rank_id"] == "2"
    assert row["display_group"] == "book_display_on_website"
    assert row["item_weight"] == 1.0 and row["item_weight_unit"] == "pounds"
    assert pd.isna(row["item_height"]) and pd.isna(row["package_weight_unit"])
    assert row["classification_ids"] == "10,20"
    assert row["classification_paths"] == "Root > Leaf1 | Leaf2"
    assert row["child_asins"] == "C1,C2" and row["variation_theme"] == "COLOR"
    assert row["package_parent_asins"] == "P9" and pd.isna(row["parent_asins"])
    assert row["brand_code"] == "BC" and pd.isna(row["product_category"])
    assert row["attributes"] == HAND_ITEM["attributes"]


def test_one_row_per_marketplace_without_filter() -> None:
    df = flatten_items([HAND_ITEM], ["summaries", "productTypes"])
    assert df["marketplace_id"].tolist() == [US, DE]
    assert df["item_name"].tolist() == ["Book", "Buch"]
    assert df["adult_product"].tolist() == [False, True]
    # the DE row has no productTypes entry: empty, not borrowed from US
    assert df["product_type"].iloc[0] == "ABIS_BOOK" and pd.isna(df["product_type"].iloc[1])


def test_marketplace_filter_gives_one_row_even_without_data() -> None:
    df = flatten_items([HAND_ITEM, {"asin": "B0BARE0000"}], ["summaries"], marketplace_id=DE)
    assert df["asin"].tolist() == ["B000TEST01", "B0BARE0000"]
    assert df["item_name"].iloc[0] == "Buch" and pd.isna(df["item_name"].iloc[1])
    assert df["marketplace_id"].tolist() == [DE, DE]


def test_expand_attributes() -> None:
    items = [
        {"asin": "A1", "attributes": {
            "item_name": [{"value": "Name DE", "marketplace_id": DE}, {"value": "Name US", "marketplace_id": US}],
            "number_of_items": [{"value": 3, "marketplace_id": US}],
            "item_package_dimensions": [{"length": {"unit": "cm", "value": 2}, "marketplace_id": US}],
        }},
        {"asin": "A2", "attributes": {"item_name": [{"value": "Other"}]}},
        {"asin": "A3"},
    ]
    df = flatten_items(items, ["attributes"], marketplace_id=US)
    df.index = pd.Index([10, 20, 30])
    out = expand_attributes(df, ["item_name", "number_of_items", "item_package_dimensions"])
    assert list(out.index) == [10, 20, 30]
    assert out["attr_item_name"].tolist()[:2] == ["Name US", "Other"]  # the row's marketplace first
    assert pd.isna(out["attr_item_name"].iloc[2])
    assert out["attr_number_of_items"].dtype == "Int64" and out["attr_number_of_items"].iloc[0] == 3
    assert out["attr_item_package_dimensions"].iloc[0]["length"] == {"unit": "cm", "value": 2}
    assert "attributes" in out.columns and "attr_item_name" not in df.columns  # a copy
    every = expand_attributes(df, prefix="")
    assert {"item_name", "number_of_items", "item_package_dimensions"} <= set(every.columns)


def test_expand_attributes_needs_the_column() -> None:
    df = flatten_items([], ["summaries"])
    with pytest.raises(ConfigurationError, match="column='attributes'") as info:
        expand_attributes(df, ["item_name"])
    assert info.value.parameter == "column"
