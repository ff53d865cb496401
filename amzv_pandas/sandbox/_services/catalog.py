"""Catalog Items 2022-04-01 and Sellers v1 handlers over ``SandboxData``.

Validation messages copy the live service where it is known ("Too many
'identifiers' provided.", "Invalid combination of 'identifiers' and 'keywords'
provided.", the vendor-only ``vendorDetails`` refusal, the ``NOT_FOUND`` text).
"""

from __future__ import annotations

from typing import Any

from ..._specs.marketplaces import MARKETPLACES
from .._data.catalog import IDENTIFIER_TYPES, INCLUDED_DATA, InvalidSKUs
from .common import TokenCodec, check_marketplaces, int_param
from .request import ApiError, Request, Response, invalid_input

__all__ = ["CatalogService", "INCLUDED_DATA", "IDENTIFIER_TYPES"]

#: searchCatalogItems pages through at most this many results.
RESULT_CAP = 1000
_KEYWORD_ONLY = ("brandNames", "classificationIds", "keywordsLocale")
_LANGUAGES = {"US": "en_US", "CA": "en_CA", "MX": "es_MX", "BR": "pt_BR", "IE": "en_IE", "ES": "es_ES",
              "UK": "en_GB", "FR": "fr_FR", "BE": "fr_BE", "NL": "nl_NL", "DE": "de_DE", "IT": "it_IT",
              "SE": "sv_SE", "ZA": "en_ZA", "PL": "pl_PL", "EG": "ar_EG", "TR": "tr_TR", "SA": "ar_SA",
              "AE": "en_AE", "IN": "en_IN", "SG": "en_SG", "AU": "en_AU", "JP": "ja_JP"}


def _vendor_only() -> ApiError:
    return invalid_input("FORBIDDEN", "The includedData requested requires vendor access. "
                                      "Remove the requested includedData item and try again.")


class CatalogService:
    """Handlers for searchCatalogItems, getCatalogItem and the Sellers API.

    Parameters
    ----------
    data : SandboxData
    account_type : {"vendor", "seller"}
        Sellers may not ask for ``vendorDetails``.
    codec : TokenCodec
        Signs page tokens.
    """

    def __init__(self, data: Any, *, account_type: str, codec: TokenCodec) -> None:
        self.data = data
        self.account_type = account_type
        self.codec = codec

    # -- shared parameter rules ---------------------------------------------------------------

    def _included_data(self, req: Request) -> list[str]:
        values = req.query.array("includedData")
        if values is None:
            return ["summaries"]
        values = list(dict.fromkeys(v.strip() for v in values))
        bad = [v for v in values if v not in INCLUDED_DATA]
        if bad or not values:
            raise invalid_input("Invalid 'includedData' provided.",
                                f"{', '.join(bad) or '(empty)'} is not one of {', '.join(INCLUDED_DATA)}")
        if "vendorDetails" in values and self.account_type != "vendor":
            raise _vendor_only()
        return values

    @staticmethod
    def _marketplaces(req: Request, *, max_items: int | None) -> list[str]:
        values = req.query.array("marketplaceIds")
        values = [v.strip() for v in values or [] if v.strip()]
        if not values:
            raise invalid_input("Missing required 'marketplaceIds'.", "marketplaceIds is required")
        if max_items is not None and len(values) > max_items:
            raise invalid_input("Too many 'marketplaceIds' provided.",
                                f"marketplaceIds accepts at most {max_items} value(s)")
        check_marketplaces(values)
        return list(dict.fromkeys(values))

    # -- searchCatalogItems -------------------------------------------------------------------

    def search(self, req: Request) -> Response:
        q = req.query
        marketplace = self._marketplaces(req, max_items=1)[0]
        included = self._included_data(req)
        identifiers = [v for v in q.array("identifiers") or [] if v.strip()]
        keywords = [v for v in q.array("keywords") or [] if v.strip()]
        if identifiers and keywords:
            raise invalid_input("Invalid combination of 'identifiers' and 'keywords' provided.")
        if not identifiers and not keywords:
            raise invalid_input("Missing required 'identifiers' or 'keywords'.")
        id_type = q.one("identifiersType")
        seller_id = q.one("sellerId") or None
        brand_names = [v for v in q.array("brandNames") or [] if v.strip()] or None
        classification_ids = [v for v in q.array("classificationIds") or [] if v.strip()] or None
        if identifiers:
            if id_type == "SKU":
                # SKUs go to the data layer exactly as split: a SKU may hold commas or
                # spaces, and the data layer also tries the comma-joined value whole, as
                # Amazon does (amzn/selling-partner-api-docs#2295). Pieces still count
                # against the limit of 20 (selling-partner-api-models#2611).
                identifiers = q.array("identifiers") or []
            if len(identifiers) > 20:
                raise invalid_input("Too many 'identifiers' provided.")
            for name in _KEYWORD_ONLY:
                if q.one(name):
                    raise invalid_input(f"Invalid combination of 'identifiers' and '{name}' provided.")
            if not id_type:
                raise invalid_input("Missing required 'identifiersType'.",
                                    "identifiersType is required when identifiers are provided")
            if id_type not in IDENTIFIER_TYPES:
                raise invalid_input("Invalid 'identifiersType' provided.",
                                    f"identifiersType must be one of {', '.join(IDENTIFIER_TYPES)}")
            if id_type == "SKU" and not seller_id:
                raise invalid_input("Missing required 'sellerId'.", "sellerId is required when identifiersType is SKU")
        elif len(keywords) > 20:
            raise invalid_input("Too many 'keywords' provided.")
        size = int_param(q.one("pageSize"), "pageSize", 1, 20, default=10)
        fingerprint = [marketplace, identifiers, id_type if identifiers else None, seller_id, keywords,
                       brand_names, classification_ids, q.one("keywordsLocale")]
        offset = 0
        token = q.one("pageToken")
        if token:
            state = self.codec.decode(token)
            if state is None or state.get("op") != "searchCatalogItems" or state.get("q") != fingerprint:
                raise invalid_input("Invalid 'pageToken' provided.",
                                    "pageToken must come from a previous response to the same query")
            offset = int(state["offset"])
        asins, refinements = self._search_data(marketplace, keywords, identifiers, id_type, seller_id,
                                               brand_names, classification_ids)
        reachable = min(len(asins), RESULT_CAP)
        page = asins[offset:min(offset + size, reachable)]
        items = []
        # A SKU search names the seller: its SKUs for each item come back among the
        # item's identifiers, which is how a caller pairs the SKUs it asked with items.
        asked = set(identifiers) | {",".join(identifiers)} if identifiers and id_type == "SKU" else set()
        sku_of: dict[str, list[str]] = {}
        if asked and "identifiers" in included:
            for sku in asked:
                sku_asin = self.data.sku_asin(seller_id, sku)
                if sku_asin is not None:
                    sku_of.setdefault(sku_asin, []).append(sku)
        for asin in page:
            item = self.data.catalog_item(asin, marketplace, included, locale=q.one("locale"))
            if item is not None:
                for entry in item.get("identifiers", []) if asin in sku_of else ():
                    entry["identifiers"] = [*entry["identifiers"],
                                            *({"identifierType": "SKU", "identifier": k} for k in sku_of[asin])]
                items.append(item)
        pagination: dict[str, str] = {}
        if offset + size < reachable:
            pagination["nextToken"] = self.codec.encode(
                {"op": "searchCatalogItems", "q": fingerprint, "offset": offset + size})
        if offset > 0:
            pagination["previousToken"] = self.codec.encode(
                {"op": "searchCatalogItems", "q": fingerprint, "offset": max(0, offset - size)})
        body: dict[str, Any] = {"numberOfResults": len(asins)}
        if pagination:
            body["pagination"] = pagination
        body["refinements"] = {"brands": list(refinements.get("brands", [])),
                               "classifications": list(refinements.get("classifications", []))}
        body["items"] = items
        return Response(200, body)

    def _search_data(self, marketplace: str, keywords: list[str], identifiers: list[str], id_type: str | None,
                     seller_id: str | None, brand_names: list[str] | None,
                     classification_ids: list[str] | None) -> tuple[list[str], dict[str, Any]]:
        if identifiers:
            try:
                asins, refinements = self.data.search_catalog(
                    marketplace, identifiers=identifiers, identifiers_type=id_type, seller_id=seller_id)
            except InvalidSKUs:
                # One invalid SKU fails the whole request, without naming it.
                raise invalid_input("Invalid Input", "") from None
        else:
            asins, refinements = self.data.search_catalog(
                marketplace, keywords=keywords, brand_names=brand_names, classification_ids=classification_ids)
        return list(dict.fromkeys(asins)), refinements

    # -- getCatalogItem -----------------------------------------------------------------------

    def get_item(self, req: Request) -> Response:
        asin = req.path_params["asin"].strip()
        if not asin:
            raise invalid_input("Invalid 'asin' provided.", "asin is required")
        marketplaces = self._marketplaces(req, max_items=None)
        included = self._included_data(req)
        # One call for all marketplaces: each dataset then holds one entry per marketplace.
        item = self.data.catalog_item(asin, marketplaces, included, locale=req.query.one("locale"))
        if item is None:
            raise ApiError(404, "NOT_FOUND",
                           f"Requested item, {asin}, not found in marketplace(s) {','.join(marketplaces)}.")
        return Response(200, item)

    # -- Sellers API --------------------------------------------------------------------------

    def participations(self, req: Request) -> Response:
        return Response(200, {"payload": self._participation_list()})

    def account(self, req: Request) -> Response:
        if self.account_type == "vendor":
            # getAccount describes seller accounts; vendor grants are refused.
            raise ApiError(403, "Unauthorized", "Access to requested resource is denied.",
                           "The operation is not available to vendor accounts.")
        payload = {
            "marketplaceParticipationList": self._participation_list(),
            "businessType": "PRIVATE_LIMITED",
            "sellingPlan": "PROFESSIONAL",
            "business": {"name": "amzv sandbox seller",
                         "registeredBusinessAddress": {"addressLine1": "1 Sandbox Way", "countryCode": "US"}},
        }
        return Response(200, {"payload": payload})

    def _participation_list(self) -> list[dict[str, Any]]:
        vendor_ids = set(getattr(self.data, "account_marketplaces", ())) or {
            m.marketplace_id for m in MARKETPLACES if m.vendor_central}
        out = []
        for m in MARKETPLACES:
            if self.account_type == "vendor" and m.marketplace_id not in vendor_ids:
                continue
            host = m.seller_central
            if host.startswith("sellercentral-europe") and m.vendor_central:
                host = m.vendor_central
            domain = "www." + host.split(".", 1)[1]
            out.append({
                "marketplace": {
                    "id": m.marketplace_id,
                    "name": "Amazon." + domain.split("amazon.", 1)[1],
                    "countryCode": "GB" if m.country_code == "UK" else m.country_code,
                    "defaultCurrencyCode": m.currency,
                    "defaultLanguageCode": _LANGUAGES.get(m.country_code, "en_US"),
                    "domainName": domain,
                },
                "participation": {"isParticipating": True, "hasSuspendedListings": False},
                "storeName": "amzv sandbox store",
            })
        return out

