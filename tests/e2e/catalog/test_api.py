"""Catalog functions end to end against the built-in sandbox (real HTTP on 127.0.0.1).

Skipped until the sandbox's data module exists. The sandbox's catalog has
"Coffee" in 70 % of titles, so the keyword ``coffee`` always has many pages.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("amzv_pandas.sandbox.data")

import amzv_pandas._frontends.accessor as accessor  # noqa: E402
from amzv_pandas import sandbox  # noqa: E402
from amzv_pandas._catalog.api import catalog_columns, get_catalog_items, search_catalog_items  # noqa: E402
from amzv_pandas.exceptions import ConfigurationError, MissingItemsWarning  # noqa: E402

OP = "searchCatalogItems"


@pytest.fixture(scope="module")
def sandbox_options() -> dict[str, Any]:
    return {"speed": 50}


@pytest.fixture()
def client_options(tmp_path: Path) -> dict[str, Any]:
    return {"marketplace": "US", "cache_dir": tmp_path}


@pytest.fixture()
def client(client: Any) -> Any:
    accessor.clear_enrich_cache()
    return client


def calls(sb: Any) -> int:
    return sb.stats()["calls"].get(OP, 0)


def requests_made(sb: Any, resent: Any, resent_before: int = 0) -> int:
    """Distinct searchCatalogItems requests: the sandbox's count less the client's re-sends (a 429 under load).

    ``resent_before``: the re-sends logged before the test's ``sb.reset_stats()``, which the
    sandbox's count no longer holds.
    """
    return calls(sb) - (resent(OP) - resent_before)


def test_search_pages_up_to_max_results(sb: Any, client: Any, resent: Any) -> None:
    df = search_catalog_items("coffee", max_results=45, client=client, progress_bar_type=None)
    assert len(df) == 45 and df["asin"].is_unique
    assert requests_made(sb, resent) == 3  # pages of 20
    assert df.attrs["amzv"]["truncated"] is True
    assert list(df.columns) == list(catalog_columns(["summaries"]))
    assert df["item_name"].str.contains("coffee", case=False).all()


def test_search_everything_respects_the_cap(sb: Any, client: Any, resent: Any) -> None:
    df = search_catalog_items("coffee", max_results=None, client=client, progress_bar_type=None)
    total = df.attrs["amzv"]["number_of_results"]
    assert len(df) == min(total, 1000)
    pages = math.ceil(len(df) / 20)
    assert pages <= calls(sb) <= pages + resent(OP)


def test_lookup_batches_and_reports_missing(sb: Any, client: Any, resent: Any) -> None:
    found = search_catalog_items("coffee", max_results=45, client=client, progress_bar_type=None)["asin"].tolist()
    sb.reset_stats()
    before = resent(OP)
    wanted = found[::-1] + ["B0NOTREAL0"] + found[:5]  # duplicates asked once
    with pytest.warns(MissingItemsWarning, match="B0NOTREAL0"):
        df = get_catalog_items(wanted, included_data=["summaries", "salesRanks", "dimensions"], client=client,
                               progress_bar_type=None)
    assert requests_made(sb, resent, before) == 3  # 46 distinct ids: 20 + 20 + 6
    assert df["asin"].tolist() == found[::-1]
    assert df.attrs["amzv"]["missing"] == ["B0NOTREAL0"]
    assert {c: str(t) for c, t in df.dtypes.items()} == catalog_columns(["summaries", "salesRanks", "dimensions"])


def test_enrich_fetches_each_asin_once(sb: Any, client: Any, resent: Any) -> None:
    found = search_catalog_items("coffee", max_results=25, client=client, progress_bar_type=None)["asin"].tolist()
    frame = pd.DataFrame({"asin": found + found[:10], "units": range(35)}, index=range(100, 135))
    sb.reset_stats()
    before = resent(OP)
    out = frame.amzv.enrich(client=client, progress_bar_type=None)
    assert requests_made(sb, resent, before) == 2
    assert out.index.equals(frame.index) and out["item_name"].notna().all()
    frame.amzv.enrich(client=client, progress_bar_type=None)
    assert requests_made(sb, resent, before) == 2  # cached


def test_validation_sends_nothing(sb: Any, client: Any) -> None:
    with pytest.raises(ConfigurationError):
        search_catalog_items("coffee", included_data=["offers"], client=client)
    with pytest.raises(ConfigurationError):
        search_catalog_items(identifiers=[f"B{i:09d}" for i in range(21)], identifiers_type="ASIN", client=client)
    assert calls(sb) == 0


ALL_SECTIONS = ("attributes", "classifications", "dimensions", "identifiers", "images", "productTypes",
                "relationships", "salesRanks", "summaries", "vendorDetails")


def _seller(sb: Any) -> str:
    return sb.data.sellers[0]


def test_every_section_flattened_with_its_dtypes(sb: Any, client: Any, resent: Any) -> None:
    asins = sb.data.asins[:30]
    df = get_catalog_items(asins, included_data=ALL_SECTIONS, client=client, progress_bar_type=None)
    expected = catalog_columns(list(ALL_SECTIONS))
    assert list(df.columns) == list(expected)
    for column, dtype in expected.items():
        if dtype in ("Int64", "Float64", "boolean"):
            assert str(df[column].dtype) == dtype, column
        elif str(dtype).startswith("datetime64"):
            assert str(df[column].dtype).startswith("datetime64"), column
    # every section brought data for at least one item
    for column in ("item_name", "main_image_url", "product_type", "brand_code"):
        assert df[column].notna().any(), column
    assert requests_made(sb, resent) == 2  # 30 ASINs in batches of 20


def test_skus_without_seller_id_use_the_accounts_own_selling_partner_id(sb: Any, tmp_path: Path) -> None:
    owned = dict(list(sb.data.seller_skus(_seller(sb)).items())[:5])
    with sb.client(marketplace="US", cache_dir=tmp_path) as c:  # the sandbox's own id, as a profile has it
        assert c.selling_partner_id == _seller(sb)
        df = get_catalog_items(skus=list(owned), client=c, progress_bar_type=None)
    assert dict(zip(df["sku"], df["asin"])) == owned
    with sb.client(marketplace="US", cache_dir=tmp_path) as c:
        c.selling_partner_id = None  # an account with no id saved anywhere
        before = sb.stats()["calls"].get(OP, 0)
        with pytest.raises(ConfigurationError, match="seller_id is required with skus") as info:
            get_catalog_items(skus=list(owned), client=c, progress_bar_type=None)
    assert info.value.parameter == "seller_id" and "AMZV_SELLING_PARTNER_ID" in str(info.value)
    assert sb.stats()["calls"].get(OP, 0) == before


def test_empty_result_has_the_full_column_set(sb: Any, client: Any) -> None:
    with pytest.warns(MissingItemsWarning):
        df = get_catalog_items(["B000000000"], included_data=ALL_SECTIONS, client=client, progress_bar_type=None)
    assert df.empty and list(df.columns) == list(catalog_columns(list(ALL_SECTIONS)))
    assert df.attrs["amzv"]["missing"] == ["B000000000"]


def test_skus_are_paired_with_their_items(sb: Any, client: Any, resent: Any) -> None:
    owned = dict(list(sb.data.seller_skus(_seller(sb)).items())[:45])
    df = get_catalog_items(skus=list(owned), seller_id=_seller(sb), client=client, progress_bar_type=None)
    assert "sku" in df.columns
    assert dict(zip(df["sku"], df["asin"])) == owned
    # batches of 20, except that a SKU holding commas goes alone (Amazon would split it)
    with_commas = sum("," in s for s in owned)
    assert requests_made(sb, resent) == math.ceil((len(owned) - with_commas) / 20) + with_commas


@pytest.mark.parametrize("policy", ["skip", "raise"])
def test_invalid_skus_both_policies(sb: Any, client: Any, policy: str) -> None:
    from amzv_pandas.exceptions import AmzvWarning, InvalidSKUError

    owned = list(sb.data.seller_skus(_seller(sb)))[:30]
    bad = ["INVALID-1", "INVALID-2"]
    skus = owned[:7] + [bad[0]] + owned[7:25] + [bad[1]] + owned[25:]
    if policy == "skip":
        with pytest.warns(AmzvWarning, match="INVALID-1"):
            df = get_catalog_items(skus=skus, seller_id=_seller(sb), on_invalid_sku="skip", client=client,
                                   progress_bar_type=None)
        assert sorted(df.attrs["amzv"]["invalid_skus"]) == bad
        assert set(df["sku"]) == set(owned)
    else:
        with pytest.raises(InvalidSKUError) as info:
            get_catalog_items(skus=skus, seller_id=_seller(sb), client=client, progress_bar_type=None)
        # every batch was checked before raising: both invalid SKUs, from two batches, are named
        assert sorted(info.value.skus) == bad
        assert "INVALID-1" in str(info.value) and "INVALID-2" in str(info.value)
    # two batches of 20 and 12, each split to isolate its bad SKU: far fewer than one call per SKU
    assert 2 < calls(sb) <= 2 + 2 * 2 * math.ceil(math.log2(20))


def test_unknown_sku_stops_the_lookup_naming_every_failed_sku(sb: Any, client: Any) -> None:
    # the connector's "Warn About Invalid SKUs": unknown (well-formed) SKUs stop it too, from every batch
    from amzv_pandas.exceptions import InvalidSKUError

    owned = list(sb.data.seller_skus(_seller(sb)))[:30]
    skus = owned[:5] + ["NO-SUCH-SKU-1"] + owned[5:25] + ["INVALID-1", "NO-SUCH-SKU-2"] + owned[25:]
    with pytest.raises(InvalidSKUError) as info:
        get_catalog_items(skus=skus, seller_id=_seller(sb), on_invalid_sku="Warn About Invalid SKUs",
                          client=client, progress_bar_type=None)
    err = info.value
    assert err.rejected == ["INVALID-1"] and err.not_found == ["NO-SUCH-SKU-1", "NO-SUCH-SKU-2"]
    assert all(s in str(err) for s in err.skus) and 'on_invalid_sku="skip"' in str(err)
    assert set(err.frame["sku"]) == set(owned) and err.frame["sku"].notna().all()
    with pytest.warns(MissingItemsWarning, match="NO-SUCH-SKU-2"):
        df = get_catalog_items(skus=skus, seller_id=_seller(sb), on_invalid_sku="skip", client=client,
                               progress_bar_type=None)
    assert set(df["sku"]) == set(owned) and df.attrs["amzv"]["missing"] == ["NO-SUCH-SKU-1", "NO-SUCH-SKU-2"]


COMMA_SKU = "FILT,STD,00005"


def test_a_sku_with_commas_comes_back_with_its_row(sb: Any, client: Any) -> None:
    seller = next(s for s in sb.data.sellers if COMMA_SKU in sb.data.seller_skus(s))
    asin = sb.data.seller_skus(seller)[COMMA_SKU]
    df = get_catalog_items(skus=[COMMA_SKU], seller_id=seller, client=client, progress_bar_type=None)
    assert df[["asin", "sku"]].values.tolist() == [[asin, COMMA_SKU]]
    # one SKU per line (how a text box gives them): the commas stay inside the SKU
    other = next(s for s in sb.data.seller_skus(seller) if "," not in s)
    df = get_catalog_items(skus=f"{COMMA_SKU}\n{other}\n", seller_id=seller, client=client, progress_bar_type=None)
    assert dict(zip(df["sku"], df["asin"])) == {COMMA_SKU: asin, other: sb.data.seller_skus(seller)[other]}
    assert df["sku"].notna().all() and not df.attrs["amzv"]["missing"]


def test_all_skus_from_the_listings_report(sb: Any, client: Any) -> None:
    import amzv_pandas as amzv

    df = get_catalog_items(skus="all", seller_id=_seller(sb), client=client, progress_bar_type=None)
    listings = amzv.read_report("GET_MERCHANT_LISTINGS_ALL_DATA", client=client, progress_bar_type=None)
    # every SKU of the listings report is looked up and paired with its item
    assert set(df["sku"]) == set(listings["seller-sku"])
    assert "missing" not in df.attrs["amzv"] or not df.attrs["amzv"]["missing"]
    stats = sb.stats()["calls"]
    assert stats["createReport"] == 1  # the merchant listings report, through read_report
    # a second call reuses the cached listings report: no new report
    get_catalog_items(skus="all", seller_id=_seller(sb), client=client, progress_bar_type=None)
    assert sb.stats()["calls"]["createReport"] == 1


def test_enrich_a_vendor_sales_frame(sb: Any, client: Any) -> None:
    import amzv_pandas as amzv

    sales = amzv.read_report("GET_VENDOR_SALES_REPORT", "today-20", "today-14", client=client,
                             progress_bar_type=None)
    sales.index = pd.RangeIndex(100, 100 + len(sales))
    before = calls(sb)
    out = sales.amzv.enrich(client=client)
    assert out.index.equals(sales.index) and (out["asin"] == sales["asin"]).all()
    assert out["item_name"].notna().all()
    assert calls(sb) - before == math.ceil(sales["asin"].nunique() / 20)


@pytest.fixture(scope="module")
def big_sb(make_sandbox: Any) -> Any:
    # 1,500 items: "coffee" matches 70 % of them, past the API's 1,000-result cap
    return make_sandbox(speed=50, n_asins=1500)


def test_the_1000_result_cap_on_the_sandbox(big_sb: Any, tmp_path: Path, resent: Any) -> None:
    from amzv_pandas.exceptions import AmzvWarning

    big_sb.reset_stats()
    with big_sb.client(marketplace="US", cache_dir=tmp_path) as c:
        with pytest.warns(AmzvWarning, match="1,?000"):
            df = search_catalog_items("coffee", max_results=None, client=c, progress_bar_type=None)
    assert df.attrs["amzv"]["number_of_results"] > 1000
    assert len(df) == 1000 and df["asin"].is_unique
    assert df.attrs["amzv"]["capped"] is True
    assert 50 <= big_sb.stats()["calls"][OP] <= 50 + resent(OP)  # pages of 20 up to the cap, not one more


def test_a_thousand_asins_in_fifty_calls_without_429s(big_sb: Any, tmp_path: Path, resent: Any) -> None:
    big_sb.reset_stats()
    asins = big_sb.data.asins[:1000]
    with big_sb.client(marketplace="US", cache_dir=tmp_path) as c:
        df = get_catalog_items(asins, client=c, progress_bar_type=None)
    stats = big_sb.stats()
    assert 50 <= stats["calls"][OP] <= 50 + resent(OP)
    assert stats["throttled"].get(OP, 0) <= 1
    found = set(df["asin"])
    assert found | set(df.attrs["amzv"]["missing"]) == set(asins)


def test_vendor_details_refused_for_a_seller_account_surfaces_amazons_message(tmp_path: Path) -> None:
    from amzv_pandas.exceptions import BadRequest

    with sandbox.serve(speed=50, account_type="seller") as seller_sb:
        with seller_sb.client(marketplace="US", cache_dir=tmp_path) as c:
            with pytest.raises(BadRequest) as info:
                search_catalog_items("coffee", included_data=("summaries", "vendorDetails"), client=c,
                                     progress_bar_type=None)
    err = info.value
    assert err.status_code == 400 and err.code and err.message and err.request_id
    assert "requires vendor access" in str(err)  # Amazon's own words, passed through
