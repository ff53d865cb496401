"""The sandbox catalog: a seeded universe of coffee-shop products.

Rules a test can rely on (see also :mod:`amzv_pandas.sandbox.data`):

* Item ``i`` (position in :attr:`Catalog.asins`) belongs to category
  ``CATEGORIES[i % 10]``; the keyword ``coffee`` matches exactly the items with
  ``i % 10 < 7`` (70 %), ``tea`` those with ``i % 10`` in (7, 8) (20 %).
* Variation families: in categories beans, mugs and tumblers the items
  ``b, b+10, ..., b+40`` (``b = 50*k + c``) form a family whose first member is
  the ``VARIATION_PARENT`` (when at least three members exist).
* Every item is sold in every marketplace, except kettles with ``i % 20 == 17``
  outside the vendor set, which are sold in the NA region (US, CA, MX, BR) only.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Iterable, Sequence

from ..._specs.marketplaces import Marketplace
from .catalog_sections import ItemSections
from .products import (
    ASIN_CHARS,
    CYCLE_SUFFIX,
    IDENTIFIER_TYPES,
    INCLUDED_DATA,
    MAX_SKU_LENGTH,
    NA_COUNTRIES,
    InvalidSKUs,
    Product,
    families,
    sku_problem,
    tokens,
)
from .pools import (
    AUTHORS,
    BEAN_SIZES,
    BOOK_TITLES,
    CATEGORIES,
    COLORS,
    LINES,
    LINES_JP,
    MUG_SIZES,
    ORIGINS,
    ROASTS,
    TUMBLER_SIZES,
)
from .util import Rng, ean_check, is_japanese, locale_of, marketplace_or_none

__all__ = ["Catalog", "Product", "InvalidSKUs", "sku_problem", "INCLUDED_DATA", "IDENTIFIER_TYPES"]


class Catalog(ItemSections):
    """The catalog universe, its seller SKUs and the search index."""

    def __init__(self, seed: int, n_asins: int, vendor_asins: int) -> None:
        self.seed = seed
        n = max(1, n_asins)
        # Grow the universe until it holds ``vendor_asins`` buyable items.
        while True:
            parent_of, children = families(n)
            if n - len(children) >= vendor_asins:
                break
            n += max(1, (vendor_asins - (n - len(children))))
        self.n = n
        rng = Rng(seed, "asins")
        seen: set[str] = set()
        asins: list[str] = []
        while len(asins) < n:
            a = "B0" + rng.chars(ASIN_CHARS, 8)
            if a not in seen:
                seen.add(a)
                asins.append(a)
        self.asins = asins
        buyable = [i for i in range(n) if i not in children]
        self.vendor_indices: list[int] = buyable[:vendor_asins]
        vendor_set = set(self.vendor_indices)
        self.products: list[Product] = [
            self._make(i, parent_of.get(i), children.get(i, ()), i in vendor_set) for i in range(n)]
        self.by_asin = {p.asin: p for p in self.products}
        self._index_identifiers()
        self._make_sellers()

    # -- universe -------------------------------------------------------------

    def _make(self, i: int, parent: int | None, children: tuple[int, ...], vendor: bool) -> Product:
        cat = CATEGORIES[i % 10]
        # Family members share brand, line and base facts: seed them by the family.
        fam = parent if parent is not None else i
        frng = Rng(self.seed, "family", fam)
        rng = Rng(self.seed, "item", i)
        brand = frng.choice(cat.brands)
        line_i = frng.next64() % len(LINES)
        line, line_jp = LINES[line_i], LINES_JP[line_i]
        origin = frng.choice(ORIGINS)
        roast = frng.choice(ROASTS)
        member = 0 if parent is None else (i - fam) // 10  # 1..4 for children
        is_parent = bool(children)
        color: tuple[str, str] | None = None
        size: tuple[str, str] | None = None
        style: str | None = None
        classification = "VARIATION_PARENT" if is_parent else "BASE_PRODUCT"
        package_quantity = 1
        contributors: tuple[tuple[str, str], ...] = ()
        b, bj = brand.name, brand.name_jp
        key = cat.key
        if key == "beans":
            sz = BEAN_SIZES[(member - 1) % len(BEAN_SIZES)] if member else frng.choice(BEAN_SIZES)
            style = f"{roast[0]} Roast"
            if is_parent:
                title = f"{b} {line} Whole Bean Coffee, {origin[0]}, {roast[0]} Roast"
                title_jp = f"{bj} {line_jp} コーヒー豆 {origin[1]} {roast[1]}"
            else:
                size = sz
                title = f"{b} {line} Whole Bean Coffee, {origin[0]}, {roast[0]} Roast, {sz[0]}"
                title_jp = f"{bj} {line_jp} コーヒー豆 {origin[1]} {roast[1]} {sz[1]}"
        elif key == "ground":
            style = f"{roast[0]} Roast"
            if (i // 10) % 5 == 2:
                classification = "PRODUCT_BUNDLE"
                package_quantity = 4
                title = f"{b} Ground Coffee Sampler Gift Set, 4 × 250 g – {roast[0]} Roast Collection"
                title_jp = f"{bj} コーヒー粉 ギフトセット 250g×4 {roast[1]}"
            else:
                sz = rng.choice(BEAN_SIZES)
                size = sz
                title = f"{b} {line} Ground Coffee, {origin[0]}, {roast[0]} Roast – {sz[0]}"
                title_jp = f"{bj} {line_jp} コーヒー粉 {origin[1]} {roast[1]} {sz[1]}"
        elif key == "maker":
            color = rng.choice(COLORS)
            w, h = rng.randint(8, 12), rng.randint(12, 16)
            title = f'{b} {line} 12-Cup Drip Coffee Maker, Programmable, {w}" x {h}" – {color[0]}'
            title_jp = f"{bj} {line_jp} コーヒーメーカー 12杯 {color[1]}"
        elif key == "grinder":
            color = rng.choice(COLORS)
            steps = rng.choice((15, 18, 24, 40))
            title = f"{b} {line} Burr Coffee Grinder with {steps} Grind Settings – {color[0]}"
            title_jp = f"{bj} {line_jp} 電動コーヒーミル {steps}段階 {color[1]}"
        elif key == "mug":
            oz, ml, inch = frng.choice(MUG_SIZES)
            if is_parent:
                title = f"{b} {line} Coffee Mug, {oz}"
                title_jp = f"{bj} {line_jp} マグカップ {ml}ml"
            else:
                color = COLORS[(member + line_i) % len(COLORS)] if member else rng.choice(COLORS)
                title = f'{b} {line} Coffee Mug {oz}, {inch}" Tall – {color[0]}'
                title_jp = f"{bj} {line_jp} マグカップ {ml}ml {color[1]}"
            size = (oz, f"{ml}ml")
        elif key == "filters":
            count = rng.choice((40, 100, 200, 600))
            num = rng.choice((2, 4, 6))
            title = f"{b} #{num} Cone Coffee Filters, Unbleached, {count} Count"
            title_jp = f"{bj} コーヒーフィルター {num}号 無漂白 {count}枚"
            size = (f"{count} Count", f"{count}枚")
        elif key == "book":
            t_en, sub, t_jp = rng.choice(BOOK_TITLES)
            title = f"{t_en}: {sub}"
            title_jp = t_jp
            author = rng.choice(AUTHORS)
            contributors = (author,)
        elif key == "kettle":
            color = rng.choice(COLORS)
            vol = rng.choice(("0.8", "1.0", "1.2"))
            title = f"{b} {line} Gooseneck Tea Kettle {vol} L, Stainless Steel – {color[0]}"
            title_jp = f"{bj} {line_jp} ケトル 細口 {vol}L ステンレス {color[1]}"
        elif key == "herbal":
            count = rng.choice((20, 30, 50))
            title = f"{b} Herbal Tea Digestive – Tisana Digestiva, {count} Filters"
            title_jp = f"{bj} ハーブティー ダイジェスティブ {count}包"
            package_quantity = 1
        else:  # tumbler
            oz, ml, inch = TUMBLER_SIZES[(member - 1) % len(TUMBLER_SIZES)] if member else frng.choice(TUMBLER_SIZES)
            if is_parent:
                title = f"{b} {line} Travel Tumbler, Vacuum Insulated"
                title_jp = f"{bj} {line_jp} タンブラー 真空断熱"
            else:
                color = COLORS[(member * 3 + line_i) % len(COLORS)] if member else rng.choice(COLORS)
                size = (oz, f"{ml}ml")
                title = f'{b} {line} Travel Tumbler {oz}, {inch}" Tall, Vacuum Insulated – {color[0]}'
                title_jp = f"{bj} {line_jp} タンブラー {ml}ml 真空断熱 {color[1]}"
        # Identifiers: about half carry a UPC (then EAN = "0" + UPC).
        upc = isbn13 = minsan = None
        if key == "book":
            core = "978" + "".join(str(rng.randint(0, 9)) for _ in range(9))
            isbn13 = ean = core + ean_check(core)
        elif rng.random() < 0.5:
            core = str(rng.randint(0, 8)) + "".join(str(rng.randint(0, 9)) for _ in range(10))
            upc = core + ean_check(core)
            ean = "0" + upc
        else:
            prefix = rng.choice(("400", "401", "340", "800", "841", "570", "730", "450", "490"))
            core = prefix + "".join(str(rng.randint(0, 9)) for _ in range(9))
            ean = core + ean_check(core)
        if key == "herbal":
            minsan = "9" + "".join(str(rng.randint(0, 9)) for _ in range(8))
        lo, hi = cat.price_usd
        price = (rng.randint(lo, hi) // 100) * 100 + 99
        dlo, dhi = cat.demand
        demand = dlo * (dhi / dlo) ** rng.random()  # log-uniform
        model = f"{cat.sku_code[:2]}-{rng.randint(1000, 9999)}{rng.choice('ABKSX')}"
        release = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3400))
        na_only = key == "kettle" and i % 20 == 17 and not vendor
        return Product(
            index=i, asin=self.asins[i], cat=cat, brand=brand, title=title, title_jp=title_jp,
            classification=classification, parent=parent, children=children, color=color, size=size,
            style=style, model_number=model, release_date=release, price_usd=price, demand=demand,
            ean=ean, upc=upc, isbn13=isbn13, minsan=minsan, na_only=na_only,
            tokens=tokens(title, brand.name, title_jp, brand.name_jp),
            contributors=contributors, package_quantity=package_quantity,
        )

    def _index_identifiers(self) -> None:
        idx: dict[str, dict[str, int]] = {t: {} for t in ("EAN", "GTIN", "UPC", "ISBN", "MINSAN")}
        for p in self.products:
            idx["EAN"][p.ean] = p.index
            idx["GTIN"][p.gtin] = p.index
            if p.upc:
                idx["UPC"][p.upc] = p.index
            if p.isbn13:
                idx["ISBN"][p.isbn13] = p.index
                idx["ISBN"][p.isbn10 or ""] = p.index
            if p.minsan:
                idx["MINSAN"][p.minsan] = p.index
        self._ident = idx

    # -- sellers and SKUs -------------------------------------------------------

    def _make_sellers(self) -> None:
        rng = Rng(self.seed, "sellers")
        codes: list[str] = []
        while len(codes) < 6:
            code = (rng.chars("ABCDEFGHJKLMNPQRSTUVWXYZ", 3) + rng.chars("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", 2)
                    if len(codes) < 3 else "A" + rng.chars(ASIN_CHARS, 13))
            if code not in codes:
                codes.append(code)
        self.sellers = codes
        skus: dict[str, dict[str, str]] = {}
        own: dict[str, str] = {}
        for p in self.products:
            if not p.buyable:
                continue
            sku = self._sku_for(p)
            own[sku] = p.asin
            if p.index % 7 == 0:
                fba = sku + "-FBA" if len(sku) <= MAX_SKU_LENGTH - 4 else sku[: MAX_SKU_LENGTH - 4] + "-FBA"
                own[fba] = p.asin
        skus[codes[0]] = own
        buyable = [p for p in self.products if p.buyable]
        for s, code in enumerate(codes[1:], start=1):
            srng = Rng(self.seed, "seller-skus", code)
            theirs: dict[str, str] = {}
            for k in range(max(5, self.n // 10)):
                theirs[f"{code[:4]}-{k:05d}"] = srng.choice(buyable).asin
            if s == 1:  # the same SKU strings as the built-in account, other ASINs
                for sku in list(own)[:5]:
                    theirs[sku] = srng.choice(buyable).asin
            skus[code] = theirs
        for table in skus.values():
            for sku in table:
                assert sku_problem(sku) is None, sku
        self._skus = skus
        self._prefix_index: dict[str, dict[str, list[str]]] = {}

    def _sku_for(self, p: Product) -> str:
        i, cat = p.index, p.cat
        if i % 29 == 7:
            return f"珈琲-{cat.sku_code}-{i:05d}"
        if i % 17 == 3:
            return f"{('Café', 'Größe', 'Señor', 'Crème')[i % 4]}-{cat.sku_code}-{i:05d}"
        if i % 13 == 5:
            variant = (p.color[0] if p.color else "STD").upper()
            return f"{cat.sku_code},{variant},{i:05d}"
        if i % 31 == 11:
            return f"{p.brand.code}-{cat.sku_code}-{i:05d}-".ljust(MAX_SKU_LENGTH, "X")
        if i % 11 == 4:
            return f"{p.brand.code.lower()}/{cat.sku_code.lower()}.v2 {i:05d}"
        return f"{p.brand.code[:3]}-{cat.sku_code}-{i:05d}"

    def seller_skus(self, seller_id: str | None) -> dict[str, str]:
        return dict(self._skus.get(seller_id or "", {}))

    def _sku_table(self, seller_id: str | None) -> dict[str, str]:
        return self._skus.get(seller_id or "", {})

    def resolve_sku(self, seller_id: str | None, sku: str) -> str | None:
        """The ASIN of one of the seller's SKUs, including the extra listings that large
        flat files cycle through (``<sku>-R<block>.<n>`` or ``<sku[:22]>-<j>-R<block>.<n>``):
        every SKU a listings report shows can be looked up, as on Amazon."""
        table = self._sku_table(seller_id)
        asin = table.get(sku)
        if asin is not None or not table:
            return asin
        base, cut = CYCLE_SUFFIX.subn("", sku)
        if not cut:
            return None
        if base in table:
            return table[base]
        prefix = base.rsplit("-", 1)[0]
        if len(prefix) != 22:
            return None
        index = self._prefix_index.get(seller_id or "")
        if index is None:
            index = {}
            for known in table:
                index.setdefault(known[:22], []).append(known)
            self._prefix_index[seller_id or ""] = index
        asins = {table[owner] for owner in index.get(prefix, [])}
        return asins.pop() if len(asins) == 1 else None  # e.g. a SKU and its -FBA twin

    # -- lookups -------------------------------------------------------------------

    def product(self, asin: str) -> Product | None:
        return self.by_asin.get(asin)

    def vendor_products(self) -> list[Product]:
        return [self.products[i] for i in self.vendor_indices]

    def title_for(self, p: Product, m: Marketplace, locale: str | None = None) -> str:
        loc = locale or locale_of(m)
        return p.title_jp if is_japanese(loc) else p.title

    # -- search ---------------------------------------------------------------------

    def search(self, marketplace_id: str, *, keywords: Sequence[str] | None = None,
               identifiers: Sequence[str] | None = None, identifiers_type: str | None = None,
               seller_id: str | None = None, brand_names: Sequence[str] | None = None,
               classification_ids: Sequence[str] | None = None) -> tuple[list[str], dict[str, Any]]:
        m = marketplace_or_none(marketplace_id)
        if identifiers and keywords:
            raise ValueError("identifiers cannot be combined with keywords")
        if not identifiers and not keywords:
            raise ValueError("either keywords or identifiers is required")
        if m is None:
            return [], {"brands": [], "classifications": []}
        found: list[Product]
        if identifiers:
            found = self._by_identifiers(m, list(identifiers), (identifiers_type or "").upper(), seller_id)
        else:
            wanted = [tokens(k) for k in keywords or ()]
            wanted = [w for w in wanted if w]
            found = [p for p in self.products if p.sold_in(m) and all(w <= p.tokens for w in wanted)]
            if brand_names:
                names = {b.casefold() for b in brand_names}
                found = [p for p in found if p.brand.name.casefold() in names or p.brand.name_jp.casefold() in names]
            if classification_ids:
                ids = set(classification_ids)
                found = [p for p in found if any(cid in ids for cid, _ in p.cat.browse)]
        return [p.asin for p in found], self._refinements(found, m)

    def _by_identifiers(self, m: Marketplace, identifiers: list[str], kind: str,
                        seller_id: str | None) -> list[Product]:
        if kind not in IDENTIFIER_TYPES:
            raise ValueError(f"identifiersType must be one of {', '.join(IDENTIFIER_TYPES)}")
        hits: list[Product] = []
        if kind == "SKU":
            if not seller_id:
                raise ValueError("sellerId is required when identifiersType is SKU")
            table = self._sku_table(seller_id)
            whole = ",".join(identifiers)
            # Amazon tries the comma-joined raw value as well as each piece; when the
            # whole value is a known SKU its comma-split pieces are not validated.
            if len(identifiers) > 1 and self.resolve_sku(seller_id, whole) is not None:
                candidates = [whole] + identifiers
            else:
                bad = [s for s in identifiers if sku_problem(s) is not None]
                if bad:
                    raise InvalidSKUs(bad)
                candidates = identifiers
            for sku in candidates:
                asin = self.resolve_sku(seller_id, sku)
                p = self.by_asin.get(asin) if asin else None
                if p is not None:
                    hits.append(p)
        elif kind == "ASIN":
            hits = [self.by_asin[a] for a in identifiers if a in self.by_asin]
        elif kind == "JAN":
            hits = [self.products[self._ident["EAN"][v]] for v in identifiers if v in self._ident["EAN"]]
            hits = [p for p in hits if m.country_code == "JP"]
        else:
            table = self._ident[kind]
            hits = [self.products[table[v]] for v in identifiers if v in table]
            if kind == "UPC":
                hits = [p for p in hits if m.country_code in NA_COUNTRIES]
            elif kind == "MINSAN":
                hits = [p for p in hits if m.country_code == "IT"]
        out: list[Product] = []
        seen: set[int] = set()
        for p in hits:
            if p.index not in seen and p.sold_in(m):
                seen.add(p.index)
                out.append(p)
        return out

    def _refinements(self, found: Iterable[Product], m: Marketplace) -> dict[str, Any]:
        brands: dict[str, int] = {}
        classes: dict[tuple[str, str], int] = {}
        jp = m.country_code == "JP"
        for p in found:
            name = p.brand.name_jp if jp else p.brand.name
            brands[name] = brands.get(name, 0) + 1
            leaf = p.cat.browse[-1]
            classes[leaf] = classes.get(leaf, 0) + 1
        return {
            "brands": [{"numberOfResults": n, "brandName": b}
                       for b, n in sorted(brands.items(), key=lambda kv: (-kv[1], kv[0]))],
            "classifications": [{"numberOfResults": n, "displayName": name, "classificationId": cid}
                                for (cid, name), n in sorted(classes.items(), key=lambda kv: (-kv[1], kv[0]))],
        }

    # -- items ------------------------------------------------------------------------

    def item(self, asin: str, marketplace_ids: Sequence[str], included_data: Sequence[str],
             locale: str | None = None) -> dict[str, Any] | None:
        p = self.by_asin.get(asin)
        if p is None:
            return None
        mps = [m for m in (marketplace_or_none(mid) for mid in marketplace_ids) if m is not None and p.sold_in(m)]
        if not mps:
            return None
        wanted = [d for d in INCLUDED_DATA if d in set(included_data or ("summaries",))] or ["summaries"]
        item: dict[str, Any] = {"asin": p.asin}
        for section in wanted:
            if section == "attributes":
                attrs: dict[str, list[dict[str, Any]]] = {}
                for m in mps:
                    for name, values in self._attributes(p, m, locale).items():
                        attrs.setdefault(name, []).extend(values)
                item["attributes"] = attrs
            else:
                builder = getattr(self, "_" + section)
                item[section] = [builder(p, m, locale) for m in mps]
        return item
