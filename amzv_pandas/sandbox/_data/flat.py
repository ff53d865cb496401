"""Flat-file (TSV) report documents, generated as large encoded byte blocks.

Speed comes from templates.  Listing/inventory rows cycle over the seller's
SKUs; the rows of one ~8,400-row block differ from those of the next only in
the block number (in SKU suffixes and listing ids), so a block is rendered once
with a NUL marker, encoded, split on it, and every later block is a single
``bytes.join`` of the segments.  The orders files (:mod:`.flat_orders`) use
the same listings pool, headers and codecs.

Like Amazon's, the files are unquoted: fields never hold tabs or line breaks
but may hold double quotes anywhere (``Mug 12" Tall``, or a description that
*starts* with a quote), which breaks parsers that honour CSV quoting.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterator, Sequence
from zoneinfo import ZoneInfo

from ..._specs.marketplaces import Marketplace
from .catalog import Catalog, Product
from .pools import DESCRIPTIONS, DESCRIPTIONS_JP, ITEM_NOTES
from .util import UTC, Rng, as_utc, h64, money, price_in

__all__ = ["FlatFiles", "FLAT_HEADERS", "ORDER_TYPES", "ListingPool", "codec_for", "content_type_for",
           "header_line"]

_MARK = "\x00"
_BLOCK_ROWS = 8192
_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

FLAT_HEADERS: dict[str, list[str]] = {
    "GET_MERCHANT_LISTINGS_ALL_DATA": [
        "item-name", "item-description", "listing-id", "seller-sku", "price", "quantity", "open-date", "image-url",
        "item-is-marketplace", "product-id-type", "zshop-shipping-fee", "item-note", "item-condition",
        "zshop-category1", "zshop-browse-path", "zshop-storefront-feature", "asin1", "asin2", "asin3",
        "will-ship-internationally", "expedited-shipping", "zshop-boldface", "product-id",
        "bid-for-featured-placement", "add-delete", "pending-quantity", "fulfillment-channel",
        "merchant-shipping-group", "status"],
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL": [
        "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
        "fulfillment-channel", "sales-channel", "order-channel", "url", "ship-service-level", "product-name", "sku",
        "asin", "item-status", "quantity", "currency", "item-price", "item-tax", "shipping-price", "shipping-tax",
        "gift-wrap-price", "gift-wrap-tax", "item-promotion-discount", "ship-promotion-discount", "ship-city",
        "ship-state", "ship-postal-code", "ship-country", "promotion-ids", "is-business-order",
        "purchase-order-number", "price-designation"],
    "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA": [
        "sku", "fnsku", "asin", "product-name", "condition", "your-price", "mfn-listing-exists",
        "mfn-fulfillable-quantity", "afn-listing-exists", "afn-warehouse-quantity", "afn-fulfillable-quantity",
        "afn-unsellable-quantity", "afn-reserved-quantity", "afn-total-quantity", "per-unit-volume",
        "afn-inbound-working-quantity", "afn-inbound-shipped-quantity", "afn-inbound-receiving-quantity",
        "afn-researching-quantity", "afn-reserved-future-supply", "afn-future-supply-buyable"],
    "GET_AFN_INVENTORY_DATA": [
        "seller-sku", "fulfillment-channel-sku", "asin", "condition-type", "Warehouse-Condition-code",
        "Quantity Available"],
}
# The active-listings report is the all-listings report without "status" (and inactive rows).
FLAT_HEADERS["GET_MERCHANT_LISTINGS_DATA"] = FLAT_HEADERS["GET_MERCHANT_LISTINGS_ALL_DATA"][:-1]
FLAT_HEADERS["GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"] = \
    FLAT_HEADERS["GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"]
GENERIC_HEADER = ["report-type", "marketplace-id", "seller-sku", "asin", "item-name", "quantity", "snapshot-date"]

_CONTENT_TYPES = {"cp1252": "text/plain;charset=Cp1252", "cp932": "text/plain;charset=Shift_JIS",
                  "utf-8": "text/plain;charset=UTF-8"}
ORDER_TYPES = ("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
               "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL")


def codec_for(m: Marketplace, report_type: str | None = None) -> str:
    """The Python codec of a flat file: the marketplace's (cp1252 NA/EU, cp932 JP, else utf-8).

    Order reports are UTF-8 except in Japan (as the report-type registry has it).
    """
    if report_type in ORDER_TYPES and m.country_code != "JP":
        return "utf-8"
    return m.encoding if m.encoding in _CONTENT_TYPES else "utf-8"


def content_type_for(m: Marketplace, report_type: str | None = None) -> str:
    """The Content-Type (with charset) a flat file is served with."""
    return _CONTENT_TYPES[codec_for(m, report_type)]


def header_line(columns: Sequence[str]) -> str:
    """The header line of a flat file."""
    return "\t".join(columns) + "\n"


def _b36(n: int, width: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = _B36[r] + out
    return out.rjust(width, "0")


def _cycle_sku(sku: str, j: int, block: str, sub: int) -> str:
    """The SKU of a later cycle's listing of pool entry ``j``: unique, and (nearly always) <= 40 characters."""
    if len(sku) <= 28:
        return f"{sku}-R{block}.{sub}"
    return f"{sku[:22]}-{j}-R{block}.{sub}"  # the pool index keeps truncated SKUs apart


def _encodable(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
        return True
    except UnicodeEncodeError:
        return False


class ListingPool:
    """The built-in seller's listings that can appear in one marketplace's files (in one codec)."""

    def __init__(self, catalog: Catalog, m: Marketplace, codec: str) -> None:
        self.m = m
        self.codec = codec
        self.jp = m.country_code == "JP"
        entries: list[tuple[str, Product]] = []
        for sku, asin in catalog.seller_skus(catalog.sellers[0]).items():
            p = catalog.by_asin[asin]
            title = p.title_jp if self.jp else p.title
            if p.sold_in(m) and _encodable(sku + title + (p.brand.name_jp if self.jp else p.brand.name), self.codec):
                entries.append((sku, p))
        self.entries = entries
        self.titles = [p.title_jp if self.jp else p.title for _, p in entries]
        self._amounts: dict[tuple[int, int], tuple[str, str, str]] = {}
        tz = ZoneInfo(m.timezone)
        self.open_dates: list[str] = []
        self.prices: list[int] = []
        for k, (sku, p) in enumerate(entries):
            rng = Rng(catalog.seed, "listing", sku)
            opened = datetime(p.release_date.year, p.release_date.month, p.release_date.day,
                              rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), tzinfo=UTC).astimezone(tz)
            self.open_dates.append(self._open_date(opened))
            self.prices.append(price_in(p.price_usd, m.currency))

    def _open_date(self, dt: datetime) -> str:
        # Amazon prints open-date in the marketplace's local style and zone name.
        zone = dt.tzname() or "UTC"
        if self.m.region == "NA":
            return dt.strftime("%Y-%m-%d %H:%M:%S ") + zone
        if self.jp:
            return dt.strftime("%Y/%m/%d %H:%M:%S ") + zone
        return dt.strftime("%d/%m/%Y %H:%M:%S ") + zone

    def price_text(self, cents: int) -> str:
        return str(cents // 100) if self.m.currency == "JPY" else money(cents)

    @property
    def zero(self) -> str:
        return "0" if self.m.currency == "JPY" else "0.00"

    @property
    def shipping(self) -> str:
        return self.price_text(50000 if self.m.currency == "JPY" else 499)

    def order_amounts(self, j: int, qty: int) -> tuple[str, str, str]:
        """(item-price, item-tax, item-promotion-discount) texts of ``qty`` units of entry ``j``."""
        key = (j, qty)
        if key not in self._amounts:
            cents = self.prices[j] * qty
            vat = 0.0725 if self.m.region == "NA" else 0.19 / 1.19 if self.m.region == "EU" else 0.10 / 1.10
            self._amounts[key] = (self.price_text(cents), self.price_text(round(cents * vat)),
                                  "-" + self.price_text(cents // 10))
        return self._amounts[key]


def _cyclic_blocks(total: int, pool_size: int, render: Callable[[int, int, str, bool], str | None],
                   codec: str) -> Iterator[bytes]:
    """Stream ``total`` rows cycling over a pool of ``pool_size`` entries.

    Row ``i`` uses pool entry ``j = i % P`` in sub-cycle ``s`` of block ``b``;
    ``render(j, s, b_text, first_cycle)`` returns the row (with its newline) or
    None to leave it out.  Full blocks after the first reuse one template.
    """
    if total <= 0 or pool_size <= 0:
        return
    per = max(1, -(-_BLOCK_ROWS // pool_size))  # cycles per block
    block = per * pool_size
    segments: list[bytes] | None = None
    for b in range(-(-total // block)):
        lo, hi = b * block, min(total, (b + 1) * block)
        if b == 0 or hi - lo < block:
            rows = (render(i % pool_size, (i - lo) // pool_size, str(b), i < pool_size) for i in range(lo, hi))
            yield "".join(r for r in rows if r).encode(codec)
            continue
        if segments is None:
            rows = (render(r % pool_size, r // pool_size, _MARK, False) for r in range(block))
            segments = "".join(r for r in rows if r).encode(codec).split(_MARK.encode(codec))
        yield str(b).encode("ascii").join(segments)


class FlatFiles:
    """Listings, inventory and generic flat-file documents of the built-in seller account."""

    def __init__(self, catalog: Catalog, seed: int, flat_rows: int) -> None:
        self.catalog = catalog
        self.seed = seed
        self.flat_rows = flat_rows
        self._pools: dict[str, ListingPool] = {}

    def pool(self, m: Marketplace, report_type: str | None = None) -> ListingPool:
        """The listings of ``m`` whose text the codec of ``report_type``'s files can encode (kept)."""
        codec = codec_for(m, report_type)
        key = f"{m.country_code}:{codec}"
        if key not in self._pools:
            self._pools[key] = ListingPool(self.catalog, m, codec)
        return self._pools[key]

    # -- listings -----------------------------------------------------------------

    def listings(self, m: Marketplace, active_only: bool) -> Iterator[bytes]:
        pool = self.pool(m)
        report = "GET_MERCHANT_LISTINGS_DATA" if active_only else "GET_MERCHANT_LISTINGS_ALL_DATA"
        yield header_line(FLAT_HEADERS[report]).encode(pool.codec)
        channel = {"NA": "AMAZON_NA", "EU": "AMAZON_EU", "FE": "AMAZON_FE"}[m.region]
        descs = DESCRIPTIONS_JP if pool.jp else DESCRIPTIONS
        static: list[tuple[str, ...]] = []
        for j, (sku, p) in enumerate(pool.entries):
            h = h64(self.seed, "listing-row", sku)
            fba = h % 3 == 0
            if p.isbn13:
                pid_type, pid = "2", p.isbn10 or p.isbn13
            elif h % 5 == 1:
                pid_type, pid = "4", p.ean
            elif p.upc and m.region == "NA" and h % 5 == 2:
                pid_type, pid = "3", p.upc
            else:
                pid_type, pid = "1", p.asin
            image = f"https://m.media-amazon.com/images/I/{_b36(h >> 8, 10)}L.jpg" if h % 4 == 0 else ""
            note = "" if pool.jp else ITEM_NOTES[(h >> 3) % len(ITEM_NOTES)]
            mmdd = f"{p.release_date.month:02d}{p.release_date.day:02d}"
            static.append((pool.titles[j], descs[(h >> 5) % len(descs)], mmdd, sku, pool.open_dates[j], image, pid_type, note, p.asin, pid,
                           channel if fba else "DEFAULT", "" if fba else "Migrated Template",
                           "1" if h % 13 == 0 else "", "N" if (h >> 9) % 4 == 0 else "", str(h % 97)))
        jp = pool.jp

        def render(j: int, s: int, b: str, first: bool) -> str | None:
            (name, desc, mmdd, sku, opened, image, pid_type, note, asin, pid, fchannel, group, intl, expedited,
             hv) = static[j]
            k = int(hv) + 31 * s
            status = "Inactive" if k % 13 == 5 else ("Incomplete" if k % 61 == 7 else "Active")
            if active_only and status != "Active":
                return None
            cents = pool.prices[j]
            if not first:  # later cycles: more listings of the same products, prices drift a little
                cents = cents + (k % 7 - 3) * (100 if jp else 10)
                sku = _cycle_sku(sku, j, b, s)
            qty = "" if fchannel != "DEFAULT" else str(k % 40)
            lid = f"{mmdd}{_b36(j, 4)}{_b36(s, 2)}{b}"
            cols = [name, desc, lid, sku, pool.price_text(cents), qty, opened, image, "y", pid_type, "", note, "11",
                    "", "", "", asin, "", "", intl, expedited, "", pid, "", "", str(k % 3 if k % 11 == 0 else 0),
                    fchannel, group]
            if not active_only:
                cols.append(status)
            return "\t".join(cols) + "\n"

        yield from _cyclic_blocks(self.flat_rows, len(static), render, pool.codec)

    # -- FBA inventory ---------------------------------------------------------------

    def myi(self, m: Marketplace) -> Iterator[bytes]:
        pool = self.pool(m)
        yield header_line(FLAT_HEADERS["GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"]).encode(pool.codec)
        fnskus = [self._fnsku(sku, p) for sku, p in pool.entries]

        def render(j: int, s: int, b: str, first: bool) -> str | None:
            sku, p, h = self._cycle_entry(pool, "myi", j, s, b, first)
            fulfillable = h % 400
            unsellable = (h >> 9) % 7 if (h >> 3) % 5 == 0 else 0
            reserved = (h >> 12) % 25
            warehouse = fulfillable + unsellable + reserved
            working, shipped, receiving = (h >> 17) % 30, (h >> 22) % 60, (h >> 27) % 20
            researching = 1 if (h >> 33) % 50 == 0 else 0
            volume = f"{0.02 + ((h >> 35) % 150) / 100:.2f}"
            mfn = (h >> 40) % 10 == 0
            return "\t".join((
                sku, fnskus[j], p.asin, pool.titles[j], "New", pool.price_text(pool.prices[j]),
                "Yes" if mfn else "No", str((h >> 44) % 20) if mfn else "", "Yes", str(warehouse), str(fulfillable),
                str(unsellable), str(reserved), str(warehouse + working + shipped + receiving), volume, str(working),
                str(shipped), str(receiving), str(researching), "0", "0")) + "\n"

        yield from _cyclic_blocks(self.flat_rows, len(pool.entries), render, pool.codec)

    def afn(self, m: Marketplace) -> Iterator[bytes]:
        pool = self.pool(m)
        yield header_line(FLAT_HEADERS["GET_AFN_INVENTORY_DATA"]).encode(pool.codec)
        fnskus = [self._fnsku(sku, p) for sku, p in pool.entries]

        def render(j: int, s: int, b: str, first: bool) -> str | None:
            sku, p, h = self._cycle_entry(pool, "afn", j, s, b, first)
            code = "UNSELLABLE" if h % 7 == 0 else "SELLABLE"
            condition = "UsedLikeNew" if (h >> 4) % 23 == 0 else "NewItem"
            return f"{sku}\t{fnskus[j]}\t{p.asin}\t{condition}\t{code}\t{(h >> 8) % (12 if code == 'UNSELLABLE' else 500)}\n"

        yield from _cyclic_blocks(self.flat_rows, len(pool.entries), render, pool.codec)

    def _cycle_entry(self, pool: ListingPool, salt: str, j: int, s: int, b: str,
                     first: bool) -> tuple[str, Product, int]:
        """(SKU, product, row hash) of pool entry ``j`` in sub-cycle ``s`` of block ``b``."""
        sku, p = pool.entries[j]
        h = h64(self.seed, salt, sku, s)  # hashed on the pool SKU, so every cycle's numbers differ
        return (sku if first else _cycle_sku(sku, j, b, s)), p, h

    def _fnsku(self, sku: str, p: Product) -> str:
        h = h64(self.seed, "fnsku", sku)
        # Amazon labels some items with their ASIN instead of an X00 FNSKU.
        return p.asin if h % 4 == 0 else "X00" + _b36(h >> 4, 7)[-7:]

    # -- generic --------------------------------------------------------------------

    def generic(self, m: Marketplace, report_type: str, created: datetime) -> Iterator[bytes]:
        pool = self.pool(m)
        yield header_line(GENERIC_HEADER).encode(pool.codec)
        snapshot = as_utc(created).date().isoformat()
        clean_type = report_type.replace("\t", " ").replace("\n", " ")

        def render(j: int, s: int, b: str, first: bool) -> str | None:
            sku, p = pool.entries[j]
            if not first:
                sku = _cycle_sku(sku, j, b, s)
            qty = h64(self.seed, "generic", j, s) % 250
            return f"{clean_type}\t{m.marketplace_id}\t{sku}\t{p.asin}\t{pool.titles[j]}\t{qty}\t{snapshot}\n"

        yield from _cyclic_blocks(min(self.flat_rows, 1000), len(pool.entries), render, pool.codec)
