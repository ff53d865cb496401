"""get_catalog_items / search_catalog_items / df.amzv.enrich against a recording fake client."""

from __future__ import annotations

import json
import math
import sys
import types
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pytest

import amzv_pandas._frontends.accessor as accessor
from amzv_pandas._catalog import api as catalog
from amzv_pandas._catalog.api import get_catalog_items, search_catalog_items
from amzv_pandas.exceptions import (
    AmzvWarning,
    BadRequest,
    ConfigurationError,
    InvalidSKUError,
    MissingItemsWarning,
)
from amzv_pandas._specs.marketplaces import get_marketplace

US = "ATVPDKIKX0DER"
PATH = "/catalog/2022-04-01/items"


class FakeClient:
    """Records every request and answers with ``handler(params)`` (which may raise)."""

    def __init__(self, handler: Callable[[dict[str, Any]], dict[str, Any]], *, cache_dir: Path | None = None,
                 account_key: str = "profile-test") -> None:
        self.handler = handler
        self.requests: list[dict[str, Any]] = []
        self.cache_dir = cache_dir or Path("/nonexistent-amzv-test")
        self.account_key = account_key

    def resolve_marketplace(self, marketplace: Any = None) -> Any:
        return get_marketplace(marketplace or "US")

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None) -> dict:
        assert (method, path) == ("GET", PATH)
        self.requests.append(dict(params or {}))
        return self.handler(dict(params or {}))


def item(asin: str, *, sku: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "asin": asin,
        "summaries": [{"marketplaceId": US, "itemName": f"Item {asin}", "brand": "Acme"}],
    }
    if sku is not None:
        out["identifiers"] = [{"marketplaceId": US, "identifiers": [{"identifierType": "SKU", "identifier": sku}]}]
    return out


def invalid_input() -> BadRequest:
    return BadRequest(400, [{"code": "InvalidInput", "message": "Invalid Input"}], request_id="rid-1")


def lookup_handler(known_asins: set[str] | None = None, *, sku_to_asin: dict[str, str] | None = None,
                   invalid: set[str] = frozenset(), sku_identifiers: bool = True) -> Callable:
    """Amazon's identifier search: unknown ids absent; one invalid SKU fails the whole request."""

    def handler(params: dict[str, Any]) -> dict[str, Any]:
        ids = params["identifiers"]
        assert len(ids) <= catalog.MAX_IDENTIFIERS, "Too many 'identifiers' provided."
        if params["identifiersType"] == "SKU":
            assert params.get("sellerId")
            if any(i in invalid for i in ids):
                raise invalid_input()
            items = [item(sku_to_asin[s], sku=s if sku_identifiers else None) for s in ids if s in sku_to_asin]
        else:
            items = [item(a) for a in ids if known_asins is None or a in known_asins]
        return {"numberOfResults": len(items), "items": items}

    return handler


def asins(n: int, start: int = 0) -> list[str]:
    return [f"B{i:09d}" for i in range(start, start + n)]


@pytest.fixture(autouse=True)
def _fresh_enrich_memory() -> None:
    accessor.clear_enrich_cache()


# ------------------------------------------------------------------ model-derived constants

def test_limits_match_the_model() -> None:
    model = json.loads((Path(catalog.__file__).parent.parent / "sandbox/spapi/models/catalogItems_2022-04-01.json")
                       .read_text())
    params = {p["name"]: p for p in model["paths"][PATH]["get"]["parameters"]}
    assert catalog.MAX_IDENTIFIERS == params["identifiers"]["maxItems"] == 20
    assert catalog.MAX_KEYWORDS == params["keywords"]["maxItems"]
    assert catalog.PAGE_SIZE == params["pageSize"]["maximum"]
    assert list(catalog.INCLUDED_DATA) == params["includedData"]["items"]["enum"]
    assert list(catalog.IDENTIFIER_TYPES) == params["identifiersType"]["enum"]
    assert set(catalog.SECTION_COLUMNS) == set(catalog.INCLUDED_DATA)


# ------------------------------------------------------------------ get_catalog_items: ASINs

def test_thousand_asins_in_fifty_calls_in_order() -> None:
    wanted = asins(1000)
    client = FakeClient(lookup_handler())
    df = get_catalog_items(wanted + wanted[:30], client=client, progress_bar_type=None)  # duplicates asked once
    assert len(client.requests) == 50
    sent = [a for r in client.requests for a in r["identifiers"]]
    assert sorted(sent) == sorted(wanted)  # each once
    first = client.requests[0]
    assert first["identifiersType"] == "ASIN" and first["pageSize"] == 20
    assert first["marketplaceIds"] == [US] and first["includedData"] == ["summaries"]
    assert df["asin"].tolist() == wanted
    assert list(df.columns[:2]) == ["asin", "marketplace_id"] and (df["marketplace_id"] == US).all()
    assert df.attrs["amzv"]["operation"] == "get_catalog_items"
    assert df.attrs["amzv"]["number_of_results"] == 1000 and df.attrs["amzv"]["missing"] == []


def test_single_asin_string_and_comma_string() -> None:
    client = FakeClient(lookup_handler())
    one = get_catalog_items("B000000001", client=client, progress_bar_type=None)
    assert one["asin"].tolist() == ["B000000001"] and client.requests[0]["identifiers"] == ["B000000001"]
    two = get_catalog_items("B000000001, B000000002", client=client, progress_bar_type=None)
    assert two["asin"].tolist() == ["B000000001", "B000000002"] and len(client.requests) == 2


def test_missing_asins_are_warned_and_recorded() -> None:
    wanted = asins(25)
    client = FakeClient(lookup_handler(known_asins=set(wanted) - {wanted[3], wanted[22]}))
    with pytest.warns(MissingItemsWarning, match=f"2 item.*{wanted[3]}, {wanted[22]}"):
        df = get_catalog_items(wanted, client=client, progress_bar_type=None)
    assert df.attrs["amzv"]["missing"] == [wanted[3], wanted[22]]
    assert len(df) == 23 and wanted[3] not in set(df["asin"])


def test_progress_bar_over_batches() -> None:
    class Bar:
        def __init__(self) -> None:
            self.n, self.closed = 0, False

        def update(self, n: float = 1) -> None:
            self.n += n

        def close(self) -> None:
            self.closed = True

    bar = Bar()
    get_catalog_items(asins(45), client=FakeClient(lookup_handler()), progress_bar_type=bar)
    assert (bar.n, bar.closed) == (3, True)


def test_empty_lookup_has_columns_and_sends_nothing() -> None:
    client = FakeClient(lookup_handler())
    df = get_catalog_items([], included_data=["summaries", "salesRanks"], client=client)
    assert client.requests == []
    assert list(df.columns) == list(catalog.catalog_columns(["summaries", "salesRanks"]))


# ------------------------------------------------------------------ get_catalog_items: SKUs

def test_skus_need_seller_id() -> None:
    client = FakeClient(lookup_handler())
    with pytest.raises(ConfigurationError, match="seller_id is required with skus") as info:
        get_catalog_items(skus=["a"], client=client)
    assert info.value.parameter == "seller_id" and client.requests == []


def test_sku_lookup_pairs_skus_and_keeps_comma_skus_whole() -> None:
    mapping = {f"sku-{i}": f"B{i:09d}" for i in range(30)} | {"RED, MEDIUM": "B999999999"}
    client = FakeClient(lookup_handler(sku_to_asin=mapping))
    skus = [f"sku-{i}" for i in range(30)] + ["RED, MEDIUM", "unknown-sku"]
    with pytest.warns(MissingItemsWarning, match="not found.*unknown-sku"):
        df = get_catalog_items(skus=skus, seller_id="A1SELLER", on_invalid_sku="skip", client=client,
                               progress_bar_type=None)
    assert list(df.columns[:3]) == ["asin", "marketplace_id", "sku"]
    assert dict(zip(df["sku"], df["asin"])) == mapping
    # the comma SKU goes alone (Amazon would count it as two identifiers in a batch)
    assert ["RED, MEDIUM"] in [r["identifiers"] for r in client.requests]
    assert all(r["sellerId"] == "A1SELLER" and r["identifiersType"] == "SKU" for r in client.requests)
    assert "identifiers" in client.requests[0]["includedData"]  # asked to pair SKUs...
    assert "ean" not in df.columns  # ...but not shown when not asked for
    assert df.attrs["amzv"]["missing"] == ["unknown-sku"]


def test_sku_string_is_comma_delimited() -> None:
    client = FakeClient(lookup_handler(sku_to_asin={"a": "B1", "b": "B2"}))
    df = get_catalog_items(skus="a, b", seller_id="S", client=client, progress_bar_type=None)
    assert client.requests[0]["identifiers"] == ["a", "b"] and sorted(df["sku"]) == ["a", "b"]


def test_unpairable_skus_are_reported_not_guessed() -> None:
    # no SKU identifiers in the response: two SKUs, two items, no way to tell which is which
    client = FakeClient(lookup_handler(sku_to_asin={"a": "B1", "b": "B2"}, sku_identifiers=False))
    with pytest.warns(AmzvWarning, match="could not be paired"):
        df = get_catalog_items(skus=["a", "b"], seller_id="S", client=client, progress_bar_type=None)
    assert df["sku"].isna().all() and sorted(df["asin"]) == ["B1", "B2"]
    assert df.attrs["amzv"]["unmatched_skus"] == ["a", "b"] and df.attrs["amzv"]["missing"] == []


@pytest.mark.parametrize("bad_index", range(20))
def test_one_invalid_sku_isolated_within_bound(bad_index: int) -> None:
    skus = [f"sku-{i}" for i in range(20)]
    bad = skus[bad_index]
    client = FakeClient(lookup_handler(sku_to_asin={s: f"B{i:09d}" for i, s in enumerate(skus)}, invalid={bad}))
    with pytest.warns(AmzvWarning, match=f"1 invalid seller SKU.*{bad}"):
        df = get_catalog_items(skus=skus, seller_id="S", on_invalid_sku="skip", client=client,
                               progress_bar_type=None)
    extra = len(client.requests) - 1
    assert extra <= 2 * 1 * math.ceil(math.log2(20))  # the documented bound: 10
    assert df.attrs["amzv"]["invalid_skus"] == [bad]
    assert sorted(df["sku"]) == sorted(s for s in skus if s != bad)
    # no valid SKU was fetched by two successful calls
    ok = [s for r in client.requests if bad not in r["identifiers"] for s in r["identifiers"]]
    assert sorted(ok) == sorted(s for s in skus if s != bad)


def test_invalid_skus_raise_after_checking_every_batch() -> None:
    skus = [f"sku-{i}" for i in range(50)]
    bad = ["sku-3", "sku-4", "sku-27", "sku-49"]
    client = FakeClient(lookup_handler(sku_to_asin={s: f"B{i:09d}" for i, s in enumerate(skus)}, invalid=set(bad)))
    with pytest.raises(InvalidSKUError) as info:
        get_catalog_items(skus=skus, seller_id="S1", client=client, progress_bar_type=None)
    err = info.value
    assert sorted(err.skus) == sorted(bad) and err.seller_id == "S1"
    assert all(s in str(err) for s in bad)
    sent = {s for r in client.requests for s in r["identifiers"]}
    assert sent == set(skus)  # every batch was checked
    assert len(err.frame) == 46  # the valid SKUs' rows travel with the error
    # k invalid in a batch of n cost at most 2*k*ceil(log2 n) extra calls per batch
    bound = sum(2 * k * math.ceil(math.log2(n)) for k, n in [(2, 20), (1, 20), (1, 10)])
    assert len(client.requests) - 3 <= bound


def test_unknown_skus_raise_like_the_connector_naming_every_one() -> None:
    # "Warn About Invalid SKUs" stops the import: unknown SKUs (no item) raise as rejected ones do
    skus = [f"sku-{i}" for i in range(45)]
    known = {s: f"B{i:09d}" for i, s in enumerate(skus) if i not in (2, 30, 44)}
    client = FakeClient(lookup_handler(sku_to_asin=known, invalid={"sku-21"}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # raises, without a warning first
        with pytest.raises(InvalidSKUError) as info:
            get_catalog_items(skus=skus, seller_id="S1", client=client, progress_bar_type=None)
    err = info.value
    assert err.rejected == ["sku-21"] and err.not_found == ["sku-2", "sku-30", "sku-44"]  # from all 3 batches
    assert err.skus == err.rejected + err.not_found
    assert {s for r in client.requests for s in r["identifiers"]} == set(skus)  # every batch checked first
    assert sorted(err.frame["sku"]) == sorted(set(known) - {"sku-21"})  # the valid rows travel with it
    text = str(err)
    assert all(s in text for s in err.skus) and 'on_invalid_sku="skip"' in text and "Skip Invalid SKUs" in text


def test_skip_names_rejected_and_unknown_skus_in_one_missing_items_warning() -> None:
    client = FakeClient(lookup_handler(sku_to_asin={"a": "B1", "x": "B2"}, invalid={"INVALID-1"}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = get_catalog_items(skus=["a", "INVALID-1", "nope"], seller_id="S", on_invalid_sku="skip",
                               client=client, progress_bar_type=None)
    assert [w.category for w in caught] == [MissingItemsWarning]
    assert "INVALID-1" in str(caught[0].message) and "nope" in str(caught[0].message)
    assert df["sku"].tolist() == ["a"]
    assert df.attrs["amzv"]["invalid_skus"] == ["INVALID-1"] and df.attrs["amzv"]["missing"] == ["nope"]


def test_invalid_sku_message_caps_the_list_but_keeps_every_sku() -> None:
    err = InvalidSKUError([], not_found=[f"s{i}" for i in range(500)], seller_id="S")
    assert len(err.skus) == 500 and "and 480 more" in str(err) and len(str(err)) < 600
    assert err.code is None and err.frame is None  # nothing Amazon rejected


def test_one_sku_per_line_keeps_commas() -> None:
    mapping = {"FILT,STD,00005": "B1", "b": "B2"}
    client = FakeClient(lookup_handler(sku_to_asin=mapping))
    df = get_catalog_items(skus="FILT,STD,00005\n b \n\n", seller_id="S", client=client, progress_bar_type=None)
    assert dict(zip(df["sku"], df["asin"])) == mapping
    assert ["FILT,STD,00005"] in [r["identifiers"] for r in client.requests]


def test_comma_sku_keeps_only_the_item_that_names_it() -> None:
    # Amazon also answers each comma-split piece: "STD" being another SKU must not become a FILT,STD row
    def handler(params: dict[str, Any]) -> dict[str, Any]:
        assert params["identifiers"] == ["FILT,STD,00005"]
        return {"items": [item("B0PIECE000", sku="STD"), item("B0WHOLE000", sku="FILT,STD,00005")]}

    df = get_catalog_items(skus=["FILT,STD,00005"], seller_id="S", client=FakeClient(handler),
                           progress_bar_type=None)
    assert df[["asin", "sku"]].values.tolist() == [["B0WHOLE000", "FILT,STD,00005"]]


def test_connector_wording_for_invalid_sku_policy() -> None:
    client = FakeClient(lookup_handler(sku_to_asin={"a": "B1"}, invalid={"x"}))
    with pytest.warns(AmzvWarning, match="invalid seller SKU"):
        df = get_catalog_items(skus=["a", "x"], seller_id="S", on_invalid_sku="Skip Invalid SKUs", client=client)
    assert df["sku"].tolist() == ["a"]
    with pytest.raises(InvalidSKUError):
        get_catalog_items(skus=["a", "x"], seller_id="S", on_invalid_sku="Warn About Invalid SKUs", client=client)


def test_other_bad_requests_are_not_mistaken_for_invalid_skus() -> None:
    def handler(params: dict[str, Any]) -> dict[str, Any]:
        raise BadRequest(400, [{"code": "InvalidArgument", "message": "nope"}])

    client = FakeClient(handler)
    with pytest.raises(BadRequest, match="nope"):
        get_catalog_items(skus=["a", "b"], seller_id="S", client=client)
    assert len(client.requests) == 1  # no splitting


def test_all_skus_come_from_the_listings_report(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple] = []

    def read_report(report_type: str, **kwargs: Any) -> pd.DataFrame:
        calls.append((report_type, kwargs.get("marketplace"), kwargs.get("client")))
        return pd.DataFrame({"seller-sku": ["s1", "s2", "s2", None], "asin1": ["B1", "B2", "B2", None]})

    monkeypatch.setitem(sys.modules, "amzv_pandas._reports.api", types.SimpleNamespace(read_report=read_report))
    # no SKU identifiers in the response: pairs come from the report's asin1
    client = FakeClient(lookup_handler(sku_to_asin={"s1": "B1", "s2": "B2"}, sku_identifiers=False))
    df = get_catalog_items(skus="all", seller_id="S", client=client, progress_bar_type=None)
    assert calls == [("GET_MERCHANT_LISTINGS_ALL_DATA", US, client)]
    assert client.requests[0]["identifiers"] == ["s1", "s2"]
    assert dict(zip(df["sku"], df["asin"])) == {"s1": "B1", "s2": "B2"}


@pytest.mark.parametrize(
    ("kwargs", "parameter", "match"),
    [
        ({"asins": ["B1"], "skus": ["a"], "seller_id": "S"}, "skus", "either asins or skus"),
        ({}, "asins", "needs asins"),
        ({"skus": ["a"], "seller_id": "S", "on_invalid_sku": "ignore"}, "on_invalid_sku", "'raise' or 'skip'"),
        ({"asins": ["B1"], "included_data": ["summary"]}, "included_data", "allowed values are"),
        ({"asins": ["B1"], "marketplace": ["US", "DE"]}, "marketplace", "exactly one marketplace"),
        ({"asins": ["B1"], "progress_bar_type": "fancy"}, "progress_bar_type", "not allowed"),
        ({"asins": 42}, "asins", "comma-delimited string or a list"),
    ],
)
def test_get_validation_before_any_call(kwargs: dict, parameter: str, match: str) -> None:
    client = FakeClient(lookup_handler())
    with pytest.raises(ConfigurationError, match=match) as info:
        get_catalog_items(client=client, **kwargs)
    assert info.value.parameter == parameter
    assert client.requests == []


# ------------------------------------------------------------------ search_catalog_items

def search_handler(total: int, *, reported: int | None = None) -> Callable:
    """Keyword search over ``total`` results, 20 a page, with opaque page tokens."""

    def handler(params: dict[str, Any]) -> dict[str, Any]:
        assert params["pageSize"] == 20
        start = int(params.get("pageToken", "tok-0").split("-")[1])
        page = [item(f"S{i:09d}") for i in range(start, min(start + 20, total))]
        out: dict[str, Any] = {"numberOfResults": reported if reported is not None else total, "items": page,
                               "refinements": {"brands": [{"brandName": "Acme", "numberOfResults": total}]}}
        if start + 20 < total:
            out["pagination"] = {"nextToken": f"tok-{start + 20}"}
        return out

    return handler


def test_search_pages_with_filters_repeated() -> None:
    client = FakeClient(search_handler(95))
    df = search_catalog_items("samsung, tv", brand_names="Acme", max_results=None, client=client,
                              progress_bar_type=None)
    assert len(client.requests) == 5 and len(df) == 95
    assert df["asin"].is_unique
    assert [r.get("pageToken") for r in client.requests] == [None, "tok-20", "tok-40", "tok-60", "tok-80"]
    assert all(r["keywords"] == ["samsung", "tv"] and r["brandNames"] == ["Acme"] for r in client.requests)
    meta = df.attrs["amzv"]
    assert meta["operation"] == "search_catalog_items" and meta["marketplace_id"] == US
    assert meta["number_of_results"] == 95 and meta["truncated"] is False
    assert meta["refinements"]["brands"][0]["brandName"] == "Acme"


def test_search_stops_at_max_results_without_warning() -> None:
    client = FakeClient(search_handler(95))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = search_catalog_items(["coffee"], max_results=30, client=client, progress_bar_type=None)
    assert len(client.requests) == 2 and len(df) == 30
    assert df.attrs["amzv"]["truncated"] is True and df.attrs["amzv"]["capped"] is False


@pytest.mark.parametrize("max_results", [None, 5000])
def test_search_cap_of_1000_is_warned(max_results: int | None) -> None:
    client = FakeClient(search_handler(5000))
    with pytest.warns(AmzvWarning, match="at most 1000 catalog results; this search has 5000"):
        df = search_catalog_items("tv", max_results=max_results, client=client, progress_bar_type=None)
    assert len(client.requests) == 50 and len(df) == 1000
    assert df.attrs["amzv"]["truncated"] is True and df.attrs["amzv"]["capped"] is True


def test_search_progress_bar_over_pages() -> None:
    class Bar:
        n = 0

        def update(self, n: float = 1) -> None:
            self.n += n

        def close(self) -> None:
            pass

    bar = Bar()
    search_catalog_items("tv", max_results=None, client=FakeClient(search_handler(65)), progress_bar_type=bar)
    assert bar.n == 4
    single = Bar()
    search_catalog_items("tv", client=FakeClient(search_handler(5)), progress_bar_type=single)
    assert single.n == 0  # one page: no bar


def test_search_by_identifiers_keeps_list_elements_whole() -> None:
    client = FakeClient(lambda p: {"numberOfResults": 1, "items": [item("B1")]})
    df = search_catalog_items(identifiers=["RED, MEDIUM", "x"], identifiers_type="sku", seller_id="S",
                              client=client, progress_bar_type=None)
    sent = client.requests[0]
    assert sent["identifiers"] == ["RED, MEDIUM", "x"] and sent["identifiersType"] == "SKU"
    assert sent["sellerId"] == "S" and "keywords" not in sent
    assert df["asin"].tolist() == ["B1"]


def test_search_empty_result_has_columns() -> None:
    client = FakeClient(lambda p: {"numberOfResults": 0, "items": []})
    df = search_catalog_items("nothing", included_data=["summaries", "images"], client=client)
    assert len(df) == 0 and df.attrs["amzv"]["number_of_results"] == 0
    assert list(df.columns) == list(catalog.catalog_columns(["summaries", "images"]))


def test_vendor_details_error_surfaces_as_is() -> None:
    err = BadRequest(400, [{"code": "InvalidInput", "message": "vendorDetails is only available to vendors"}],
                     request_id="req-42", operation="searchCatalogItems")

    def handler(params: dict[str, Any]) -> dict[str, Any]:
        raise err

    with pytest.raises(BadRequest) as info:
        search_catalog_items("tv", included_data=["vendorDetails"], client=FakeClient(handler))
    assert info.value is err and "only available to vendors" in str(info.value) and "req-42" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "parameter", "match"),
    [
        ({"keywords": "tv", "identifiers": ["B1"]}, "identifiers", "not both"),
        ({}, "keywords", "needs keywords"),
        ({"identifiers": ["B1"]}, "identifiers_type", "identifiers_type is required"),
        ({"identifiers": ["B1"], "identifiers_type": "FNSKU"}, "identifiers_type", "allowed: 'ASIN', 'EAN'"),
        ({"keywords": "tv", "identifiers_type": "ASIN"}, "identifiers_type", "needs identifiers"),
        ({"keywords": "tv", "marketplace": "US,DE"}, "marketplace", "exactly one marketplace"),
        ({"keywords": "tv", "marketplace": ["US", "DE"]}, "marketplace", "exactly one marketplace"),
        ({"keywords": "tv", "included_data": ["summaries", "offers"]}, "included_data",
         "allowed values are attributes, classifications, dimensions"),
        ({"identifiers": ["B1"], "identifiers_type": "ASIN", "brand_names": "Acme"}, "brand_names", "keyword"),
        ({"identifiers": ["B1"], "identifiers_type": "ASIN", "classification_ids": ["1"]}, "classification_ids",
         "keyword"),
        ({"identifiers": ["B1"], "identifiers_type": "ASIN", "keywords_locale": "en_US"}, "keywords_locale",
         "keyword"),
        ({"keywords": [f"w{i}" for i in range(21)]}, "keywords", "21 words given, Amazon accepts at most 20"),
        ({"identifiers": [f"B{i}" for i in range(21)], "identifiers_type": "ASIN"}, "identifiers",
         "21 given.*use get_catalog_items"),
        ({"identifiers": ["s"], "identifiers_type": "SKU"}, "seller_id", "seller_id is required"),
        ({"keywords": "tv", "max_results": 0}, "max_results", "max_results=0"),
        ({"keywords": "tv", "max_results": -5}, "max_results", "an int >= 1"),
        ({"keywords": "tv", "max_results": 2.5}, "max_results", "an int >= 1"),
        ({"keywords": " , "}, "keywords", "holds no word"),
    ],
)
def test_search_validation_before_any_call(kwargs: dict, parameter: str, match: str) -> None:
    client = FakeClient(search_handler(10))
    with pytest.raises(ConfigurationError, match=match) as info:
        search_catalog_items(client=client, **kwargs)
    assert info.value.parameter == parameter
    assert client.requests == []


# ------------------------------------------------------------------ df.amzv.enrich

def test_enrich_keeps_order_and_index_and_fetches_each_asin_once(tmp_path: Path) -> None:
    wanted = asins(25)
    client = FakeClient(lookup_handler(known_asins=set(wanted) - {wanted[5]}), cache_dir=tmp_path)
    sales = pd.DataFrame(
        {"asin": [wanted[24], wanted[0], None, wanted[24], wanted[5]] + wanted[1:5] + wanted[6:24],
         "units": range(27)},
        index=pd.Index([f"r{i}" for i in range(27)][::-1], name="row"),
    )
    with pytest.warns(MissingItemsWarning):
        out = sales.amzv.enrich(client=client, progress_bar_type=None)
    assert len(client.requests) == 2  # 25 distinct ASINs: 20 + 5
    assert sorted(a for r in client.requests for a in r["identifiers"]) == sorted(wanted)
    assert out.index.equals(sales.index) and out["units"].tolist() == list(range(27))
    assert out["item_name"].iloc[0] == f"Item {wanted[24]}" and out["item_name"].iloc[3] == f"Item {wanted[24]}"
    assert pd.isna(out["item_name"].iloc[2]) and pd.isna(out["item_name"].iloc[4])  # no ASIN / not found
    assert out["brand"].dtype == "str" and "marketplace_id" not in out.columns

    # same session: memory, no call (the missing ASIN is not asked again either)
    again = sales.amzv.enrich(client=client, progress_bar_type=None)
    assert len(client.requests) == 2
    pd.testing.assert_frame_equal(again, out)

    # new session, same account: the Parquet cache answers
    accessor.clear_enrich_cache()
    fresh = FakeClient(lookup_handler(), cache_dir=tmp_path)
    from_disk = sales.amzv.enrich(client=fresh, progress_bar_type=None)
    assert fresh.requests == []
    pd.testing.assert_frame_equal(from_disk, out)
    files = list((tmp_path / "catalog").iterdir())
    assert len(files) == 1 and files[0].suffix == ".parquet"  # no temp file left behind

    # a new ASIN costs one call for that ASIN only
    more = pd.DataFrame({"asin": [wanted[0], "B777777777"]})
    more.amzv.enrich(client=fresh, progress_bar_type=None)
    assert [r["identifiers"] for r in fresh.requests] == [["B777777777"]]


def test_enrich_cache_ttl_and_keys(tmp_path: Path) -> None:
    frame = pd.DataFrame({"asin": ["B1", "B2"]})
    client = FakeClient(lookup_handler(), cache_dir=tmp_path)
    frame.amzv.enrich(client=client, progress_bar_type=None)
    frame.amzv.enrich(client=client, cache_ttl=timedelta(0), progress_bar_type=None)  # expired: refetch
    assert len(client.requests) == 2
    frame.amzv.enrich(client=client, included_data=["summaries", "images"], progress_bar_type=None)
    assert len(client.requests) == 3  # other included_data, other cache entry
    other = FakeClient(lookup_handler(), cache_dir=tmp_path, account_key="profile-other")
    frame.amzv.enrich(client=other, progress_bar_type=None)
    assert len(other.requests) == 1  # another account never sees this one's cache


def test_enrich_attributes_roundtrip_through_disk(tmp_path: Path) -> None:
    def handler(params: dict[str, Any]) -> dict[str, Any]:
        return {"items": [{"asin": "B1", "attributes": {"color": [{"value": "red"}]}}]}

    frame = pd.DataFrame({"asin": ["B1"]})
    first = frame.amzv.enrich(included_data="attributes", client=FakeClient(handler, cache_dir=tmp_path))
    accessor.clear_enrich_cache()
    second = frame.amzv.enrich(included_data="attributes", client=FakeClient(handler, cache_dir=tmp_path))
    assert first["attributes"].iloc[0] == second["attributes"].iloc[0] == {"color": [{"value": "red"}]}


def test_enrich_name_clash_gets_suffix(tmp_path: Path) -> None:
    frame = pd.DataFrame({"asin": ["B1"], "brand": ["mine"]})
    out = frame.amzv.enrich(client=FakeClient(lookup_handler(), cache_dir=tmp_path), progress_bar_type=None)
    assert out["brand"].tolist() == ["mine"] and out["brand_catalog"].tolist() == ["Acme"]


def test_enrich_names_missing_asin_column() -> None:
    client = FakeClient(lookup_handler())
    with pytest.raises(ConfigurationError, match="asin_col='ASIN' is not a column") as info:
        pd.DataFrame({"asin": ["B1"]}).amzv.enrich(asin_col="ASIN", client=client)
    assert info.value.parameter == "asin_col" and client.requests == []


def test_importing_the_accessor_does_not_import_catalog() -> None:
    import subprocess

    code = ("import sys, pandas as pd, amzv_pandas._frontends.accessor; "
            "assert hasattr(pd.DataFrame(), 'amzv'); "
            "bad = [m for m in ('amzv_pandas._catalog.api', 'amzv_pandas._transport.http', 'pyarrow.parquet') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
