"""The sections of a catalogItems 2022-04-01 ``Item`` (summaries, identifiers, images, ...), per marketplace.

A mixin of :class:`~.catalog.Catalog`: ``Catalog.item`` calls ``_<section>(product,
marketplace, locale)`` for each includedData section asked.
"""

from __future__ import annotations

from typing import Any

from ..._specs.marketplaces import Marketplace
from .products import NA_COUNTRIES, Product
from .pools import FEATURES, FEATURES_JP
from .util import Rng, domain_of, is_japanese, locale_of, money, price_in

__all__ = ["ItemSections"]

_IMG_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+-"
_BESTSELLER_SLUG = {"Grocery": "grocery", "Kitchen": "kitchen", "Books": "books",
                    "Health & Personal Care": "hpc"}
_REPLENISHMENT = ("BASIC_REPLENISHMENT",) * 6 + ("NEW_PRODUCT", "LIMITED_REPLENISHMENT", "OBSOLETE",
                                                 "PLANNED_REPLENISHMENT")


class ItemSections:
    """Builders of the item sections; the catalog provides ``seed``."""

    seed: int

    def _summaries(self, p: Product, m: Marketplace, locale: str | None) -> dict[str, Any]:
        jp = is_japanese(locale or locale_of(m))
        leaf_id, leaf_name = p.cat.browse[-1]
        s: dict[str, Any] = {
            "marketplaceId": m.marketplace_id,
            "adultProduct": False,
            "autographed": False,
            "brand": p.brand.name_jp if jp else p.brand.name,
            "browseClassification": {"displayName": leaf_name, "classificationId": leaf_id},
        }
        if p.color:
            s["color"] = p.color[1] if jp else p.color[0]
        if p.contributors:
            s["contributors"] = [{"role": {"displayName": "著者" if jp else "Author", "value": "author"},
                                  "value": a[1] if jp else a[0]} for a in p.contributors]
        s.update({
            "itemClassification": p.classification,
            "itemName": p.title_jp if jp else p.title,
            "manufacturer": p.brand.manufacturer,
            "memorabilia": False,
            "modelNumber": p.model_number,
            "packageQuantity": p.package_quantity,
            "partNumber": p.model_number + ("-JP" if m.country_code == "JP" else ""),
            "releaseDate": p.release_date.isoformat(),
        })
        if p.size:
            s["size"] = p.size[1] if jp else p.size[0]
        if p.style:
            s["style"] = p.style
        s.update({
            "tradeInEligible": p.cat.key == "book",
            "websiteDisplayGroup": p.cat.display_group,
            "websiteDisplayGroupName": p.cat.display_group_name,
        })
        return s

    def _identifiers(self, p: Product, m: Marketplace, locale: str | None) -> dict[str, Any]:
        ids = [{"identifierType": "EAN", "identifier": p.ean}, {"identifierType": "GTIN", "identifier": p.gtin}]
        if p.isbn13:
            ids.append({"identifierType": "ISBN", "identifier": p.isbn10 or ""})
        if p.upc and m.country_code in NA_COUNTRIES:
            ids.append({"identifierType": "UPC", "identifier": p.upc})
        if m.country_code == "JP":
            ids.append({"identifierType": "JAN", "identifier": p.ean})
        if p.minsan and m.country_code == "IT":
            ids.append({"identifierType": "MINSAN", "identifier": p.minsan})
        return {"marketplaceId": m.marketplace_id, "identifiers": ids}

    def _images(self, p: Product, m: Marketplace, locale: str | None) -> dict[str, Any]:
        rng = Rng(self.seed, "images", p.index)
        variants = ["MAIN"] + [f"PT{k:02d}" for k in range(1, rng.randint(2, 6) + 1)]
        if p.parent is not None:
            variants.append("SWCH")
        images = []
        for v in variants:
            big = rng.choice(((1500, 1500), (2560, 1707), (2000, 2000), (1707, 2560)))
            small = (500, max(1, round(500 * big[0] / big[1])))  # (width, height)
            for width, height in (big, small):
                images.append({"variant": v,
                               "link": f"https://m.media-amazon.com/images/I/{rng.chars(_IMG_CHARS, 10)}L.jpg",
                               "height": height, "width": width})
        return {"marketplaceId": m.marketplace_id, "images": images}

    def _productTypes(self, p: Product, m: Marketplace, locale: str | None) -> dict[str, Any]:
        return {"marketplaceId": m.marketplace_id, "productType": p.cat.product_type}

    def _salesRanks(self, p: Product, m: Marketplace, locale: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"marketplaceId": m.marketplace_id}
        if not p.buyable:  # Amazon ranks the children, not the parent
            out["classificationRanks"] = []
            out["displayGroupRanks"] = []
            return out
        rng = Rng(self.seed, "rank", p.index, m.country_code)
        leaf_id, leaf_name = p.cat.browse[-1]
        slug = _BESTSELLER_SLUG[p.cat.display_group_name]
        rank = 1 + int(4000 / (p.demand + 0.5) * (0.5 + rng.random()))
        out["classificationRanks"] = [{
            "classificationId": leaf_id, "title": leaf_name,
            "link": f"http://www.{domain_of(m)}/gp/bestsellers/{slug}/{leaf_id}", "rank": rank}]
        out["displayGroupRanks"] = [{
            "websiteDisplayGroup": p.cat.display_group, "title": p.cat.display_group_name,
            "link": f"http://www.{domain_of(m)}/gp/bestsellers/{slug}", "rank": rank * rng.randint(8, 60)}]
        return out

    def _classifications(self, p: Product, m: Marketplace, locale: str | None) -> dict[str, Any]:
        node: dict[str, Any] | None = None
        for cid, name in p.cat.browse:  # root first: wrap each level around its parent
            node = {"displayName": name, "classificationId": cid, **({"parent": node} if node else {})}
        return {"marketplaceId": m.marketplace_id, "classifications": [node]}

    def _dims(self, p: Product, m: Marketplace) -> tuple[dict[str, Any], dict[str, Any]]:
        rng = Rng(self.seed, "dims", p.index)
        h, l, w = (v * rng.uniform(0.85, 1.15) for v in p.cat.dims_in)
        lb = p.cat.weight_lb * rng.uniform(0.8, 1.2) * p.package_quantity
        imperial = m.country_code == "US"

        def dim(v_in: float) -> dict[str, Any]:
            return ({"unit": "inches", "value": round(v_in, 2)} if imperial
                    else {"unit": "centimeters", "value": round(v_in * 2.54, 2)})

        def wt(v_lb: float) -> dict[str, Any]:
            return ({"unit": "pounds", "value": round(v_lb, 2)} if imperial
                    else {"unit": "kilograms", "value": round(v_lb * 0.45359237, 3)})

        item = {"height": dim(h), "length": dim(l), "weight": wt(lb), "width": dim(w)}
        package = {"height": dim(h * 1.1 + 0.5), "length": dim(l * 1.1 + 0.5), "weight": wt(lb * 1.15 + 0.1),
                   "width": dim(w * 1.1 + 0.5)}
        return item, package

    def _dimensions(self, p: Product, m: Marketplace, locale: str | None) -> dict[str, Any]:
        item, package = self._dims(p, m)
        return {"marketplaceId": m.marketplace_id, "item": item, "package": package}

    def _variation_theme(self, p: Product) -> dict[str, Any]:
        v = p.cat.variation or "SIZE"
        attrs = {"SIZE": ["size"], "COLOR": ["color"], "SIZE/COLOR": ["color", "size"]}[v]
        theme = {"SIZE": "SIZE_NAME", "COLOR": "COLOR_NAME", "SIZE/COLOR": "SIZE_NAME/COLOR_NAME"}[v]
        return {"attributes": attrs, "theme": theme}

    def _relationships(self, p: Product, m: Marketplace, locale: str | None) -> dict[str, Any]:
        rels: list[dict[str, Any]] = []
        if p.children:
            kids = [self.asins[c] for c in p.children if self.products[c].sold_in(m)]
            rels.append({"childAsins": kids, "type": "VARIATION", "variationTheme": self._variation_theme(p)})
        elif p.parent is not None:
            rels.append({"parentAsins": [self.asins[p.parent]], "type": "VARIATION",
                         "variationTheme": self._variation_theme(p)})
        return {"marketplaceId": m.marketplace_id, "relationships": rels}

    def _vendorDetails(self, p: Product, m: Marketplace, locale: str | None) -> dict[str, Any]:
        rng = Rng(self.seed, "vendor", p.index)
        return {
            "marketplaceId": m.marketplace_id,
            "brandCode": p.brand.code,
            "manufacturerCode": self.sellers[0],
            "manufacturerCodeParent": self.sellers[0],
            "productCategory": {"displayName": p.cat.product_category[1], "value": p.cat.product_category[0]},
            "productGroup": p.cat.product_group,
            "productSubcategory": {"displayName": p.cat.product_subcategory[1],
                                   "value": p.cat.product_subcategory[0]},
            "replenishmentCategory": rng.choice(_REPLENISHMENT),
        }

    def _attributes(self, p: Product, m: Marketplace, locale: str | None) -> dict[str, list[dict[str, Any]]]:
        loc = locale or locale_of(m)
        jp = is_japanese(loc)
        mid = m.marketplace_id

        def text(v: str) -> list[dict[str, Any]]:
            return [{"language_tag": loc, "value": v, "marketplace_id": mid}]

        def plain(v: Any) -> list[dict[str, Any]]:
            return [{"value": v, "marketplace_id": mid}]

        item, package = self._dims(p, m)
        rng = Rng(self.seed, "attrs", p.index)
        feats = FEATURES_JP if jp else FEATURES
        picks = sorted({rng.next64() % len(feats) for _ in range(4)})
        cents = price_in(p.price_usd, m.currency)
        attrs: dict[str, list[dict[str, Any]]] = {
            "item_name": text(p.title_jp if jp else p.title),
            "brand": text(p.brand.name_jp if jp else p.brand.name),
            "manufacturer": text(p.brand.manufacturer),
            "bullet_point": [{"language_tag": loc, "value": feats[k], "marketplace_id": mid} for k in picks],
            "model_number": plain(p.model_number),
            "part_number": plain(p.model_number),
            "list_price": [{"currency": m.currency, "value": float(money(cents)), "marketplace_id": mid}],
            "item_weight": [{**item["weight"], "marketplace_id": mid}],
            "item_dimensions": [{"height": item["height"], "length": item["length"], "width": item["width"],
                                 "marketplace_id": mid}],
            "item_package_dimensions": [{"height": package["height"], "length": package["length"],
                                         "width": package["width"], "marketplace_id": mid}],
            "item_package_weight": [{**package["weight"], "marketplace_id": mid}],
            "number_of_items": plain(p.package_quantity),
            "item_type_keyword": plain(p.cat.item_type_keyword),
            "recommended_browse_nodes": plain(p.cat.browse[-1][0]),
            "externally_assigned_product_identifier": [{"type": "ean", "value": p.ean, "marketplace_id": mid}],
            "product_site_launch_date": plain(f"{p.release_date.isoformat()}T08:00:01.000Z"),
            "supplier_declared_dg_hz_regulation": plain("not_applicable"),
        }
        if p.color:
            attrs["color"] = text(p.color[1] if jp else p.color[0])
        if p.size:
            attrs["size"] = text(p.size[1] if jp else p.size[0])
        if p.contributors:
            attrs["author"] = [{"language_tag": loc, "value": a[1] if jp else a[0], "marketplace_id": mid}
                               for a in p.contributors]
        if p.cat.key in ("beans", "ground"):
            attrs["coffee_roast_type"] = text(p.style or "Medium Roast")
        return attrs
