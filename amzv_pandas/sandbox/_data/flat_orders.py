"""The seller's orders flat files (purchase-date and last-update reports), from day templates.

Orders exist on a fixed timeline.  Order rows of one day differ from another day's
only in three fixed-width fields (purchase date, update date, order-id day code), so
each (day layout, lag) group is rendered once with placeholders, encoded, and every
later day is the template with those fields patched in with numpy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterator, NamedTuple

import numpy as np

from ..._specs.marketplaces import Marketplace
from .flat import FLAT_HEADERS, ORDER_TYPES, FlatFiles, ListingPool, header_line
from .pools import ADDRESSES, DEFAULT_ADDRESSES
from .util import UTC, as_utc, day_number, from_day_number, mix

__all__ = ["OrderFiles"]

_SALES_CHANNELS = {"UK": "Amazon.co.uk", "JP": "Amazon.co.jp", "US": "Amazon.com", "CA": "Amazon.ca",
                   "MX": "Amazon.com.mx", "BR": "Amazon.com.br", "AU": "Amazon.com.au", "TR": "Amazon.com.tr",
                   "BE": "Amazon.com.be", "ZA": "Amazon.co.za"}
_ITEM_STATUS = {"Shipped": "Shipped", "Shipping": "Unshipped", "Cancelled": "Cancelled", "Pending": "Unshipped"}
_MAX_LAG = 2  # days from purchase to an order's last update
_ORDER_PREFIX = {"NA": ("111", "112", "113", "114"), "EU": ("302", "303", "304", "305", "028"),
                 "FE": ("249", "250", "503")}


class OrderFiles:
    """Orders documents of the built-in seller account, over the listings of ``files``."""

    def __init__(self, files: FlatFiles) -> None:
        self.files = files
        self.seed = files.seed
        self.flat_rows = files.flat_rows
        self._plans: dict[int, list[tuple[int, int, int, int, int]]] = {}
        self._lags: dict[int, set[int]] = {}
        self._order_templates: dict[tuple[str, int, int], _OrderTemplate] = {}

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
        pool = self.files.pool(m, ORDER_TYPES[0])
        codec = pool.codec
        yield header_line(FLAT_HEADERS[ORDER_TYPES[0]]).encode(codec)
        for chunk in self._order_chunks(pool, as_utc(start), min(as_utc(end), as_utc(created)), as_utc(created),
                                        by_last_update):
            if chunk:
                yield chunk

    def has_orders(self, m: Marketplace, start: datetime, end: datetime, created: datetime,
                   by_last_update: bool) -> bool:
        """Whether any order row falls in the range (the CANCELLED rule), without rendering rows."""
        pool = self.files.pool(m, ORDER_TYPES[0])
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

    def _order_row(self, pool: ListingPool, variant: int, o: int, item: int, sec: int, delta: int, id_code: str,
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

    def _order_template(self, pool: ListingPool, variant: int, lag: int) -> _OrderTemplate:
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

    def _order_chunks(self, pool: ListingPool, start: datetime, end: datetime, created: datetime,
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
