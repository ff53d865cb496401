"""Flat-file (TSV) report documents, generated as large encoded byte blocks.

Speed comes from templates.  Listing/inventory rows cycle over the seller's
SKUs; the rows of one ~8,400-row block differ from those of the next only in
the block number (in SKU suffixes and listing ids), so a block is rendered once
with a NUL marker, encoded, split on it, and every later block is a single
``bytes.join`` of the segments.  Order rows of one day differ from another
day's only in three fixed-width fields (purchase date, update date, order-id
day code), which are patched into an encoded day template with numpy.

Like Amazon's, the files are unquoted: fields never hold tabs or line breaks
but may hold double quotes anywhere (``Mug 12" Tall``, or a description that
*starts* with a quote), which breaks parsers that honour CSV quoting.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable, Iterator, NamedTuple, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from ..._specs.marketplaces import Marketplace
from .catalog import Catalog, Product
from .pools import ADDRESSES, DEFAULT_ADDRESSES, DESCRIPTIONS, DESCRIPTIONS_JP, ITEM_NOTES
from .util import UTC, Rng, as_utc, day_number, from_day_number, h64, mix, money, price_in

__all__ = ["FlatFiles", "FLAT_HEADERS", "content_type_for", "codec_for"]

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
_SALES_CHANNELS = {"UK": "Amazon.co.uk", "JP": "Amazon.co.jp", "US": "Amazon.com", "CA": "Amazon.ca",
                   "MX": "Amazon.com.mx", "BR": "Amazon.com.br", "AU": "Amazon.com.au", "TR": "Amazon.com.tr",
                   "BE": "Amazon.com.be", "ZA": "Amazon.co.za"}
_ITEM_STATUS = {"Shipped": "Shipped", "Shipping": "Unshipped", "Cancelled": "Cancelled", "Pending": "Unshipped"}
_MAX_LAG = 2  # days from purchase to an order's last update
_ORDER_PREFIX = {"NA": ("111", "112", "113", "114"), "EU": ("302", "303", "304", "305", "028"),
                 "FE": ("249", "250", "503")}


_ORDER_TYPES = ("GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
                "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL")


def codec_for(m: Marketplace, report_type: str | None = None) -> str:
    """The Python codec of a flat file: the marketplace's (cp1252 NA/EU, cp932 JP, else utf-8).

    Order reports are UTF-8 except in Japan (as the report-type registry has it).
    """
    if report_type in _ORDER_TYPES and m.country_code != "JP":
        return "utf-8"
    return m.encoding if m.encoding in _CONTENT_TYPES else "utf-8"


def content_type_for(m: Marketplace, report_type: str | None = None) -> str:
    """The Content-Type (with charset) a flat file is served with."""
    return _CONTENT_TYPES[codec_for(m, report_type)]


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


class _Pool:
    """The built-in seller's listings that can appear in one marketplace's files."""

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
    """Flat-file documents of the built-in seller account."""

    def __init__(self, catalog: Catalog, seed: int, flat_rows: int) -> None:
        self.catalog = catalog
        self.seed = seed
        self.flat_rows = flat_rows
        self._pools: dict[str, _Pool] = {}
        self._plans: dict[int, list[tuple[int, int, int, int, int]]] = {}
        self._lags: dict[int, set[int]] = {}
        self._order_templates: dict[tuple[str, int, int], _OrderTemplate] = {}

    def pool(self, m: Marketplace, report_type: str | None = None) -> _Pool:
        codec = codec_for(m, report_type)
        key = f"{m.country_code}:{codec}"
        if key not in self._pools:
            self._pools[key] = _Pool(self.catalog, m, codec)
        return self._pools[key]

    @staticmethod
    def _header(columns: Sequence[str]) -> str:
        return "\t".join(columns) + "\n"

    # -- listings -----------------------------------------------------------------

    def listings(self, m: Marketplace, active_only: bool) -> Iterator[bytes]:
        pool = self.pool(m)
        report = "GET_MERCHANT_LISTINGS_DATA" if active_only else "GET_MERCHANT_LISTINGS_ALL_DATA"
        yield self._header(FLAT_HEADERS[report]).encode(pool.codec)
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
        yield self._header(FLAT_HEADERS["GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"]).encode(pool.codec)
        fnskus = [self._fnsku(sku, p) for sku, p in pool.entries]

        def render(j: int, s: int, b: str, first: bool) -> str | None:
            sku, p = pool.entries[j]
            h = h64(self.seed, "myi", sku, s)
            if not first:
                sku = _cycle_sku(sku, j, b, s)
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
        yield self._header(FLAT_HEADERS["GET_AFN_INVENTORY_DATA"]).encode(pool.codec)
        fnskus = [self._fnsku(sku, p) for sku, p in pool.entries]

        def render(j: int, s: int, b: str, first: bool) -> str | None:
            sku, p = pool.entries[j]
            h = h64(self.seed, "afn", sku, s)
            if not first:
                sku = _cycle_sku(sku, j, b, s)
            code = "UNSELLABLE" if h % 7 == 0 else "SELLABLE"
            condition = "UsedLikeNew" if (h >> 4) % 23 == 0 else "NewItem"
            return f"{sku}\t{fnskus[j]}\t{p.asin}\t{condition}\t{code}\t{(h >> 8) % (12 if code == 'UNSELLABLE' else 500)}\n"

        yield from _cyclic_blocks(self.flat_rows, len(pool.entries), render, pool.codec)

    def _fnsku(self, sku: str, p: Product) -> str:
        h = h64(self.seed, "fnsku", sku)
        # Amazon labels some items with their ASIN instead of an X00 FNSKU.
        return p.asin if h % 4 == 0 else "X00" + _b36(h >> 4, 7)[-7:]

    # -- generic --------------------------------------------------------------------

    def generic(self, m: Marketplace, report_type: str, created: datetime) -> Iterator[bytes]:
        pool = self.pool(m)
        yield self._header(GENERIC_HEADER).encode(pool.codec)
        snapshot = as_utc(created).date().isoformat()
        clean_type = report_type.replace("\t", " ").replace("\n", " ")

        def render(j: int, s: int, b: str, first: bool) -> str | None:
            sku, p = pool.entries[j]
            if not first:
                sku = _cycle_sku(sku, j, b, s)
            qty = h64(self.seed, "generic", j, s) % 250
            return f"{clean_type}\t{m.marketplace_id}\t{sku}\t{p.asin}\t{pool.titles[j]}\t{qty}\t{snapshot}\n"

        yield from _cyclic_blocks(min(self.flat_rows, 1000), len(pool.entries), render, pool.codec)

    # -- orders -----------------------------------------------------------------------

    @property
    def rows_per_day(self) -> int:
        """Order rows per UTC day: ``flat_rows`` spread over 30 days."""
        return max(1, round(self.flat_rows / 30))

    def orders(self, m: Marketplace, start: datetime, end: datetime, created: datetime,
               by_last_update: bool) -> Iterator[bytes]:
        """Order item rows whose purchase (or last update) falls in ``start..end``.

        Orders exist on a fixed timeline (``rows_per_day`` item rows per UTC day,
        every 9th row a second item of the previous order).  Each order is last
        updated 5 minutes to ~1.2 days after purchase; an order whose update lies
        after ``created`` is shown as it was then: Pending, updated 5 minutes in.
        """
        pool = self.pool(m, _ORDER_TYPES[0])
        codec = pool.codec
        yield self._header(FLAT_HEADERS[_ORDER_TYPES[0]]).encode(codec)
        for chunk in self._order_chunks(pool, as_utc(start), min(as_utc(end), as_utc(created)), as_utc(created),
                                        by_last_update):
            if chunk:
                yield chunk

    def has_orders(self, m: Marketplace, start: datetime, end: datetime, created: datetime,
                   by_last_update: bool) -> bool:
        """Whether any order row falls in the range (the CANCELLED rule), without rendering rows."""
        pool = self.pool(m, _ORDER_TYPES[0])
        if not pool.entries:
            return False
        for _ in self._order_selection(as_utc(start), as_utc(end), as_utc(created), by_last_update):
            return True
        return False

    def _variant(self, day: int) -> int:
        # Two alternating day layouts give variety; big files use one (its template is costly).
        return day % 2 if self.rows_per_day <= 2000 else 0

    def _day_plan(self, variant: int) -> list[tuple[int, int, int, int, int]]:
        """Rows of one day: (order number, item number, purchase second, update delta seconds, lag days)."""
        if variant in self._plans:
            return self._plans[variant]
        n = self.rows_per_day
        extra_items = sum(1 for r in range(1, n) if r % 9 == 8)
        orders_in_day = max(1, n - extra_items)
        plan = []
        o, item = -1, 0
        for r in range(n):
            if r % 9 == 8 and r > 0:
                item += 1
            else:
                o, item = o + 1, 0
            sec = (o * 86400) // orders_in_day
            h = mix(self.seed, variant, o)
            # Most orders change state within ~1.5 days; a few within the hour.
            delta = 300 + (h % 3) * 43200 + (h >> 8) % 14400 if h % 10 else 300 + (h >> 8) % 3600
            plan.append((o, item, sec, delta, (sec + delta) // 86400))
        self._plans[variant] = plan
        self._lags[variant] = {row[4] for row in plan}
        return plan

    def _order_row(self, pool: _Pool, variant: int, o: int, item: int, sec: int, delta: int, id_code: str,
                   pdate: str, udate: str, utime: str | None = None, pending: bool = False) -> str:
        m = pool.m
        h = mix(self.seed, 7, variant, o, item)
        j = (o * 7 + variant * 13 + item * 5) % len(pool.entries)
        sku, p = pool.entries[j]
        prefixes = _ORDER_PREFIX[m.region]
        order_id = f"{prefixes[o % len(prefixes)]}-{id_code}-{(o * 104729 + variant * 7) % 10_000_000:07d}"
        ptime = f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"
        if utime is None:
            u = (sec + delta) % 86400
            utime = f"{u // 3600:02d}:{u // 60 % 60:02d}:{u % 60:02d}"
        fba = h % 3 != 0
        r = (h >> 4) % 100
        status = "Pending" if pending else ("Shipped" if r < 72 else "Shipping" if r < 82
                                            else "Cancelled" if r < 90 else "Pending")
        qty = 1 + (h >> 12) % 3 if (h >> 11) % 4 == 0 else 1
        if status == "Pending":  # Amazon leaves prices empty until an order is confirmed
            amounts: tuple[str, ...] = ("",) * 4
            promo_text = ""
        else:
            item_price, item_tax, promo_text = pool.order_amounts(j, qty)
            amounts = (item_price, item_tax, pool.zero if fba else pool.shipping, pool.zero)
            if (h >> 16) % 9:
                promo_text = ""
        addr_pool = ADDRESSES.get(m.country_code, DEFAULT_ADDRESSES)
        city, state, postal = addr_pool[(h >> 20) % len(addr_pool)]
        business = (h >> 24) % 15 == 0
        return "\t".join((
            order_id, "", f"{pdate}T{ptime}+00:00", f"{udate}T{utime}+00:00", status,
            "Amazon" if fba else "Merchant", _SALES_CHANNELS.get(m.country_code, "Amazon." + m.country_code.lower()),
            "", "", "Expedited" if (h >> 28) % 6 == 0 else "Standard", pool.titles[j], sku, p.asin,
            _ITEM_STATUS[status], "0" if status == "Cancelled" else str(qty), m.currency, *amounts, "", "",
            promo_text, "", city, state, postal, "GB" if m.country_code == "UK" else m.country_code,
            f"Coupon {(h >> 32) % 90000 + 10000}" if promo_text else "", "true" if business else "false",
            f"PO-{(h >> 36) % 100000:05d}" if business and (h >> 40) % 2 else "",
            "BusinessPrice" if business else "")) + "\n"

    def _order_selection(self, start: datetime, end: datetime, created: datetime,
                         by_last_update: bool) -> Iterator[tuple[int, int, list[int] | None, list[int]]]:
        """Yield (day, lag, template rows or None for all, rows to render as pending) per non-empty group."""
        end = min(end, created)
        if end < start:
            return
        s_day, e_day = day_number(start.date()), day_number(end.date())
        first_day = s_day - (_MAX_LAG if by_last_update else 0)
        for d in range(first_day, e_day + 1):
            plan = self._day_plan(self._variant(d))
            day_start = datetime(*from_day_number(d).timetuple()[:3], tzinfo=UTC)
            for lag in range(_MAX_LAG + 1):
                u_day = d + lag
                if by_last_update:
                    # An update after `created` shows as one 5 minutes after purchase, so a
                    # group updated after the range may still land in it.
                    if u_day < s_day or (u_day > e_day and day_start + timedelta(days=lag + 1) <= created):
                        continue
                    whole = s_day < u_day < e_day
                elif d < s_day or d > e_day:
                    continue
                else:
                    whole = s_day < d < e_day
                if whole and day_start + timedelta(days=lag + 1) <= created:
                    if lag in self._lags[self._variant(d)]:
                        yield d, lag, None, []
                    continue
                keep: list[int] = []
                pending: list[int] = []
                for idx, (o, item, sec, delta, row_lag) in enumerate(plan):
                    if row_lag != lag:
                        continue
                    purchased = day_start + timedelta(seconds=sec)
                    updated = purchased + timedelta(seconds=delta)
                    late = updated > created
                    if late:
                        updated = min(purchased + timedelta(seconds=300), created)
                    stamp = updated if by_last_update else purchased
                    if start <= stamp <= end and purchased <= created:
                        (pending if late else keep).append(idx)
                if keep or pending:
                    yield d, lag, keep, pending

    def _order_template(self, pool: _Pool, variant: int, lag: int) -> _OrderTemplate:
        key = (f"{pool.m.country_code}:{pool.codec}", variant, lag)
        if key not in self._order_templates:
            plan = self._day_plan(variant)
            idxs = [i for i, row in enumerate(plan) if row[4] == lag]
            chunks: list[bytes] = []
            starts, pos_id, pos_p, pos_u = [0], [], [], []
            offset = 0
            for i in idxs:
                o, item, sec, delta, _ = plan[i]
                text = self._order_row(pool, variant, o, item, sec, delta, "\x00", "\x00", "\x00")
                a, b, c, d = text.encode(pool.codec).split(b"\x00")
                # Fixed-width placeholders: the day code (7), purchase date (10), update date (10).
                for piece, width, positions in ((a, 7, pos_id), (b, 10, pos_p), (c, 10, pos_u)):
                    chunks.append(piece)
                    offset += len(piece)
                    positions.append(offset)
                    chunks.append(b"0" * width)
                    offset += width
                chunks.append(d)
                offset += len(d)
                starts.append(offset)
            self._order_templates[key] = _OrderTemplate(
                idxs, np.frombuffer(b"".join(chunks), dtype=np.uint8), np.array(starts, dtype=np.int64),
                np.array(pos_id, dtype=np.int64), np.array(pos_p, dtype=np.int64), np.array(pos_u, dtype=np.int64))
        return self._order_templates[key]

    def _order_chunks(self, pool: _Pool, start: datetime, end: datetime, created: datetime,
                      by_last_update: bool) -> Iterator[bytes]:
        if not pool.entries:
            return
        codec = pool.codec
        for d, lag, keep, pending in self._order_selection(start, end, created, by_last_update):
            variant = self._variant(d)
            id_code = f"{(d * 7919 + 1234567) % 10_000_000:07d}"
            pdate = from_day_number(d).isoformat()
            t = self._order_template(pool, variant, lag)
            out = b""
            if keep is None or keep:
                buf = t.text.copy()  # patch the day's values into the fixed-width slots
                for positions, value in ((t.pos_id, id_code), (t.pos_p, pdate),
                                         (t.pos_u, from_day_number(d + lag).isoformat())):
                    v = np.frombuffer(value.encode("ascii"), dtype=np.uint8)
                    buf[positions[:, None] + np.arange(len(v))[None, :]] = v[None, :]
                raw = buf.tobytes()
                if keep is None:
                    out = raw
                else:
                    pos = {i: k for k, i in enumerate(t.idxs)}
                    bounds = t.starts
                    out = b"".join(raw[bounds[k]:bounds[k + 1]] for k in (pos[i] for i in keep))
            if pending:
                plan = self._day_plan(variant)
                day_start = datetime(*from_day_number(d).timetuple()[:3], tzinfo=UTC)
                late_rows = []
                for i in pending:
                    o, item, sec, delta, _ = plan[i]
                    updated = min(day_start + timedelta(seconds=sec + 300), created)
                    late_rows.append(self._order_row(pool, variant, o, item, sec, delta, id_code, pdate,
                                                     updated.date().isoformat(), updated.strftime("%H:%M:%S"),
                                                     pending=True))
                out += "".join(late_rows).encode(codec)
            yield out


class _OrderTemplate(NamedTuple):
    idxs: list[int]          # plan rows in this (variant, lag) group
    text: np.ndarray         # encoded rows with fixed-width placeholders (uint8)
    starts: np.ndarray       # byte offset of each row (+ the end)
    pos_id: np.ndarray       # offsets of the order-id day code (7 bytes)
    pos_p: np.ndarray        # offsets of the purchase date (10 bytes)
    pos_u: np.ndarray        # offsets of the last-update date (10 bytes)
