"""Data Kiosk Vendor Analytics numbers: per-(group, period) metrics of both views, and fast JSONL.

Everything starts from the vendor's per-(ASIN, day) numbers of :class:`~.vendor.VendorModel`
(the same functions the vendor report documents use), so Data Kiosk and the reports agree
where they overlap: ``shippedOrders.shippedUnitsWithRevenue`` of an ASIN on a day is that
day's ``shippedUnits``/``shippedRevenue`` of GET_VENDOR_SALES_REPORT, ``traffic.glanceViews``
the traffic report's, and so on. A few metrics the reports lack (sales discount, contra COGS,
lost featured offer, in-transit inventory) are seeded per (ASIN, day) the same way.

Days are reduced to periods (flows summed, stocks taken on the last day), then ASINs to
groups (every component summed), and only then are ratios derived, so a group's or the
totals' flows are exactly the sums of their ASINs' and ratios are ratios of those sums.
Money is kept in integer cents until it is written.

:func:`generate_document` writes a large JSONL data document directly (Arrow string joins,
no per-row Python) for benchmarks; the sandbox's service executes queries through
:mod:`.datakiosk_graphql`, which reads the same :class:`AnalyticsModel`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .util import FX, day_number, h64, period_bounds, period_end, uniform_np
from .vendor_json import decimal_texts, int_texts, money_texts, render_rows

__all__ = ["AnalyticsModel", "LEAVES", "NOT_DAILY", "Period", "clip_periods", "generate_document"]

#: Days computed at once in a block (keeps ASIN x day arrays small for 2,000 ASINs).
_BLOCK_DAYS = 64
_SALES, _INV = "GET_VENDOR_SALES_REPORT", "GET_VENDOR_INVENTORY_REPORT"
#: Components that are stocks: a period takes the value of its last day.
_STOCKS = ("sellable", "sellableCost", "unsellable", "unsellableCost", "aged", "agedCost", "unhealthy",
           "unhealthyCost", "openPurchaseOrderUnits", "unfilledCustomerOrderedUnits", "transitSellable",
           "transitUnsellable", "requestedLast")

# Leaf metrics: (path, kind, derivation). kind: long | amount | float4 | float1 | string.
# A derivation is a component name, or (op, a, b) with op "ratio" (a/b), "per_unit" (cents a/b)
# or "nppm"; ratios with a zero denominator are null, like metrics Amazon does not have.
LEAVES: dict[str, tuple[tuple[str, str, Any], ...]] = {
    "orders": (
        ("netOrderedGMS", "amount", ("sub", "orderedRevenue", "returnsValue")),
        ("netShipmentGMS", "amount", ("sub", "shippedRevenue", "returnsValue")),
        ("orderedUnitsWithRevenue.units", "long", "orderedUnits"),
        ("orderedUnitsWithRevenue.value", "amount", "orderedRevenue"),
        ("unfilledOrderedUnits", "long", "unfilledCustomerOrderedUnits"),
    ),
    "shippedOrders": (
        ("averageSellingPrice", "amount", ("per_unit", "shippedRevenue", "shippedUnits")),
        ("shippedUnitsWithRevenue.units", "long", "shippedUnits"),
        ("shippedUnitsWithRevenue.value", "amount", "shippedRevenue"),
    ),
    "costs": (
        ("averageSalesDiscount", "amount", ("per_unit", "salesDiscount", "shippedUnits")),
        ("contraCogs", "amount", "contraCogs"),
        ("contraCogsPerUnit", "amount", ("per_unit", "contraCogs", "shippedUnits")),
        ("netPPM", "float4", ("nppm", None, None)),
        ("salesDiscount", "amount", "salesDiscount"),
        ("shippedCogs", "amount", "shippedCogs"),
    ),
    "traffic": (
        ("glanceViews", "long", "gv"),
        ("lostFeaturedOffer", "float4", ("ratio", "lostGv", "gv")),
    ),
    "productAvailability": (
        ("aged90DaysSellableInventory.units", "long", "aged"),
        ("aged90DaysSellableInventory.value", "amount", "agedCost"),
        ("sellThroughRate", "float4", ("ratio", "shipped_net", "stockIn")),
        ("sellableInTransitInventory", "long", "transitSellable"),
        ("sellableOnHandInventory.units", "long", "sellable"),
        ("sellableOnHandInventory.value", "amount", "sellableCost"),
        ("sourceableROOS", "float4", ("ratio", "gv_oos", "gv")),
        ("ultraFastTrack", "float4", ("uft", None, None)),
        ("unhealthyInventory.units", "long", "unhealthy"),
        ("unhealthyInventory.value", "amount", "unhealthyCost"),
        ("unsellableInTransitInventory", "long", "transitUnsellable"),
        ("unsellableOnHandInventory.units", "long", "unsellable"),
        ("unsellableOnHandInventory.value", "amount", "unsellableCost"),
    ),
    "sourcing": (
        ("confirmedUnits", "long", "confirmed"),
        ("mostRecentSubmitted", "long", "requestedLast"),
        ("netReceived.units", "long", "netReceivedInventoryUnits"),
        ("netReceived.value", "amount", "netReceivedInventoryCost"),
        ("openPurchaseOrderQuantity", "long", "openPurchaseOrderUnits"),
        ("overallVendorLeadTime", "float1", ("ratio", "lead", "ndays")),
        ("procurableProductOOS", "float4", ("ratio", "gv_oos", "gv")),
        ("receivedFillRate", "float4", ("ratio", "received", "confirmed")),
        ("vendorConfirmationRate", "float4", ("ratio", "confirmed", "requested")),
    ),
    "customerSatisfaction": (
        ("customerReturns", "long", "customerReturns"),
    ),
}
#: Metric groups of each view (SDL: SourcingViewMetrics has no orders, traffic or forecasting).
VIEW_GROUPS = {
    "manufacturingView": ("costs", "customerSatisfaction", "forecasting", "orders", "productAvailability",
                          "shippedOrders", "sourcing", "traffic"),
    "sourcingView": ("costs", "customerSatisfaction", "productAvailability", "shippedOrders", "sourcing"),
}
#: "Not Available for Daily/Custom Time selections" (SDL): null for DAY.
NOT_DAILY = ("unhealthyInventory",)
FORECAST_WEEKS = 4
_RETURN_TOPICS = ("Arrived damaged", "Not as described", "Wrong size", "Changed mind", "Better price elsewhere",
                  "Quality below expectations", "Missing parts", "Late delivery", "Taste", "Packaging")


@dataclass(frozen=True)
class Period:
    """One line of a view: a whole day, week (Sunday-Saturday) or calendar month."""

    start: date
    end: date


def clip_periods(start: date, end: date, aggregate_by: str) -> list[Period]:
    """The whole periods inside ``start..end``.

    WEEK and MONTH ranges are clipped the way the dataset does it: a start inside a period
    moves to the next period's first day, an end inside one to the previous period's last day.
    """
    if aggregate_by != "DAY":
        first = start if _period_start(start, aggregate_by) == start else period_end(start, aggregate_by) + timedelta(1)
        last = end if period_end(end, aggregate_by) == end else _period_start(end, aggregate_by) - timedelta(1)
        start, end = first, last
    if start > end:
        return []
    return [Period(a, b) for a, b in period_bounds(start, end, aggregate_by)]


def _period_start(d: date, period: str) -> date:
    if period == "WEEK":
        return d - timedelta(days=(d.weekday() + 1) % 7)  # weeks start on Sunday
    if period == "MONTH":
        return d.replace(day=1)
    return d


class AnalyticsModel:
    """Vendor Analytics numbers over a :class:`~.vendor.VendorModel`.

    Parameters
    ----------
    vendor : VendorModel
        The vendor's ASINs and per-day numbers.
    vendor_code : str
        ``groupByKey.vendorCode`` of every ASIN.
    """

    def __init__(self, vendor: Any, vendor_code: str) -> None:
        self.vendor = vendor
        self.vendor_code = vendor_code
        self.products = vendor.catalog.vendor_products()
        self._all_asins = vendor.catalog.asins

    @property
    def n_asins(self) -> int:
        return len(self.vendor.asins)

    # -- numbers ----------------------------------------------------------------------------------

    def components(self, view: str, periods: Sequence[Period], currency: str) -> dict[str, np.ndarray]:
        """Per-(ASIN, period) components of ``view``, shape ``(A, P)``; money in cents of ``currency``."""
        if currency not in FX:
            raise KeyError(currency)
        out: dict[str, list[np.ndarray]] = {}
        # Blocks of consecutive periods keep the ASIN x day arrays small.
        block: list[Period] = []
        for p in list(periods) + [None]:  # type: ignore[list-item]
            if p is not None and (not block or (p.end - block[0].start).days < _BLOCK_DAYS):
                block.append(p)
                continue
            if block:
                for name, arr in self._block(view, block, currency).items():
                    out.setdefault(name, []).append(arr)
            block = [p] if p is not None else []
        return {k: np.concatenate(v, axis=1) for k, v in out.items()}

    def _block(self, view: str, periods: list[Period], currency: str) -> dict[str, np.ndarray]:
        d0, d1 = periods[0].start, periods[-1].end
        days = [(d0 + timedelta(i),) * 2 for i in range((d1 - d0).days + 1)]
        opts = {"distributorView": "SOURCING" if view == "sourcingView" else "MANUFACTURING"}
        model = self.vendor
        sales = model._group_components(_SALES, days, opts, currency)
        inv = model._group_components(_INV, days, opts, currency)
        keys = model.keys
        t = np.arange(day_number(d0), day_number(d1) + 1, dtype=np.int64)[None, :]

        def u(name: str) -> np.ndarray:
            return uniform_np(keys, t, h64("datakiosk", name))

        cells = dict(sales)
        cells.update({k: v for k, v in inv.items() if k not in ("sellable_first", "ndays")})
        price = model.prices(currency)
        cells["returnsValue"] = cells["customerReturns"] * price
        cells["salesDiscount"] = np.rint(cells["shippedRevenue"] * 0.06 * u("discount")).astype(np.int64)
        cells["contraCogs"] = np.rint(cells["shippedCogs"] * 0.08 * u("ccogs")).astype(np.int64)
        cells["lostGv"] = np.floor(cells["gv"] * 0.2 * u("lost")).astype(np.int64)
        cells["transitSellable"] = np.floor(cells["confirmed"] * 0.5 * u("transit")).astype(np.int64)
        cells["transitUnsellable"] = np.floor(cells["transitSellable"] * 0.02).astype(np.int64)
        cells["requestedLast"] = cells["requested"]
        cells["ndays"] = np.ones_like(cells["gv"])
        starts = np.array([(p.start - d0).days for p in periods], dtype=np.int64)
        ends = np.array([(p.end - d0).days for p in periods], dtype=np.int64)
        comps: dict[str, np.ndarray] = {}
        for name, arr in cells.items():
            comps[name] = arr[:, ends] if name in _STOCKS else np.add.reduceat(arr, starts, axis=1)
        comps["stockIn"] = np.maximum(cells["sellable"][:, starts], 0) + comps["received"]
        return comps

    @staticmethod
    def reduce(comps: dict[str, np.ndarray], codes: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
        """Sum ASIN rows into groups: ``codes[i]`` is the group of ASIN ``i``; shape ``(G, P)``."""
        out = {}
        for name, arr in comps.items():
            acc = np.zeros((n_groups, arr.shape[1]), dtype=arr.dtype)
            np.add.at(acc, codes, arr)
            out[name] = acc
        return out

    @staticmethod
    def leaf(c: dict[str, np.ndarray], kind: str, how: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """A leaf metric's values (cents for amounts) and its null mask (None: never null)."""
        if isinstance(how, str):
            return c[how], None
        op, a, b = how
        with np.errstate(divide="ignore", invalid="ignore"):
            if op == "sub":
                return c[a] - c[b], None
            if op == "per_unit":
                den = c[b]
                return np.rint(c[a] / np.maximum(den, 1)).astype(np.int64), den <= 0
            if op == "nppm":
                rev = c["shippedRevenue"]
                num = rev - c["shippedCogs"] + c["contraCogs"] - c["salesDiscount"]
                return np.round(num / np.maximum(rev, 1), 4), rev <= 0
            if op == "uft":
                return np.round(1.0 - c["oos_days"] / np.maximum(c["ndays"], 1), 4), c["ndays"] <= 0
            den = c[b]
            places = 1 if kind == "float1" else 4
            return np.round(c[a] / np.where(den > 0, den, 1), places), den <= 0

    def forecast(self, periods: Sequence[Period], codes: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
        """Weekly demand forecasts after each period: arrays of shape ``(G, P, FORECAST_WEEKS)``."""
        model = self.vendor
        firsts = [p.end + timedelta(days=1 + (5 - p.end.weekday()) % 7) for p in periods]  # next Sunday
        t = np.array([[day_number(f) + 7 * k for k in range(FORECAST_WEEKS)] for f in firsts], dtype=np.int64)
        mean = np.floor(model.demand[:, :, None] * 7 * (0.85 + 0.3 * uniform_np(
            model.keys, t.reshape(1, -1), h64("datakiosk", "forecast")).reshape(len(model.asins), *t.shape)))
        stats = {"mean": mean, "p70": np.floor(mean * 1.15), "p80": np.floor(mean * 1.25), "p90": np.floor(mean * 1.4)}
        out = {}
        for name, arr in stats.items():
            acc = np.zeros((n_groups, len(periods), FORECAST_WEEKS), dtype=np.int64)
            np.add.at(acc, codes, arr.astype(np.int64))
            out[name] = acc
        out["first"] = np.array(firsts, dtype="datetime64[D]")
        return out

    # -- group-by attributes ------------------------------------------------------------------

    def attribute(self, name: str, currency: str) -> list[Any]:
        """``groupByKey.<name>`` of every vendor ASIN (None when the catalog has no value)."""
        asins = self._all_asins
        out: list[Any] = []
        for p in self.products:
            if name == "msrp":
                cents = int(self.vendor.prices(currency)[len(out), 0] * 1.25) // 100 * 100 + 99
                out.append({"amount": cents / 100, "currencyCode": currency})
                continue
            value = {
                "asin": p.asin, "binding": p.cat.product_type.replace("_", " ").title(), "brand": p.brand.name,
                "brandCode": p.brand.code, "color": p.color[0] if p.color else None, "ean": p.ean,
                "isbn13": p.isbn13, "manufacturerCode": p.brand.code, "modelNumber": p.model_number,
                "parentAsin": asins[p.parent] if p.parent is not None else p.asin,
                "prepInstructions": None, "prepInstructionsPerformedBy": None,
                "productGroup": p.cat.product_group, "productTitle": p.title,
                "releaseDate": p.release_date.isoformat(), "replenishmentCategory": "BASIC_REPLENISHMENT",
                "upc": p.upc, "vendorCode": self.vendor_code,
            }.get(name)
            out.append(value)
        return out

    def return_topics(self, i: int) -> str:
        """A JSON text of return topics for ASIN ``i`` (the SDL types them as String)."""
        key = int(self.vendor.keys[i, 0])
        picks = [(_RETURN_TOPICS[(key >> (4 * k)) % len(_RETURN_TOPICS)], round(0.4 / (k + 1), 3)) for k in range(3)]
        return json.dumps([{"topic": t, "occurrencePercentage": s} for t, s in picks])


# -- direct JSONL (benchmarks) --------------------------------------------------------------------


def _join(parts: Sequence[str | pa.Array]) -> pa.Array:
    """Element-wise concatenation of literal strings and string arrays of one length."""
    args = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar("", pa.string()))


def _leaf_texts(values: np.ndarray, null: np.ndarray | None, kind: str, currency: str) -> list[str | pa.Array]:
    if kind == "long":
        parts = int_texts(values)
    elif kind == "amount":
        parts = ['{"amount":', *money_texts(values), f',"currencyCode":"{currency}"}}']
    else:
        parts = decimal_texts(values, 10 if kind == "float1" else 10_000)
    if null is None or not null.any():
        return parts
    return [pc.if_else(pa.array(null), pa.scalar("null"), _join(parts))]


def _tree(group: str) -> dict[str, Any]:
    """``LEAVES[group]`` as nested ``{name: leaf | {name: leaf}}`` in SDL order."""
    tree: dict[str, Any] = {}
    for path, kind, how in LEAVES[group]:
        head, _, tail = path.rpartition(".")
        (tree.setdefault(head, {}) if head else tree)[tail] = (kind, how)
    return tree


def _metrics_parts(c: dict[str, np.ndarray], groups: Sequence[str], currency: str, daily: bool,
                   n: int) -> list[str | pa.Array]:
    """The JSON text parts of ``metrics`` objects for ``n`` rows of flattened components ``c``."""
    parts: list[str | pa.Array] = []

    def emit(tree: dict[str, Any]) -> None:
        parts.append("{")
        for i, (name, node) in enumerate(tree.items()):
            parts.append(("," if i else "") + f'"{name}":')
            if isinstance(node, dict):
                if daily and name in NOT_DAILY:
                    parts.append("null")
                else:
                    emit(node)
                continue
            values, null = AnalyticsModel.leaf(c, *node)
            parts.extend(_leaf_texts(values.reshape(n), None if null is None else null.reshape(n), node[0], currency))
        parts.append("}")

    parts.append("{")
    for gi, group in enumerate(groups):
        parts.append(("," if gi else "") + f'"{group}":')
        emit(_tree(group))
    parts.append("}")
    return parts


def generate_document(start: date | str, end: date | str, *, asins: int = 2000, aggregate_by: str = "DAY",
                      seed: int = 0, view: str = "manufacturingView", groups: Sequence[str] | None = None,
                      currency: str = "USD", marketplace_id: str = "ATVPDKIKX0DER",
                      vendor_code: str | None = None) -> Iterator[bytes]:
    """Stream a Data Kiosk JSONL data document (one line per period) for benchmarks.

    Equivalent to the document the sandbox serves for a query selecting ``startDate``,
    ``endDate``, ``marketplaceId``, every scalar metric of ``groups`` in ``totals`` and
    ``metrics { groupByKey { asin } metrics { ... } }``, but written column-wise with Arrow
    (a 2-year DAY x 2,000-ASIN document takes seconds, not minutes).

    Parameters
    ----------
    start, end : date or ISO str
        Range (clipped to whole periods for WEEK/MONTH).
    asins : int
        Number of vendor ASINs (groups per line).
    aggregate_by : {"DAY", "WEEK", "MONTH"}
    seed : int
        Data seed, as ``sandbox.serve(seed=)``.
    view : {"manufacturingView", "sourcingView"}
    groups : sequence of str, optional
        Metric groups to include (default: every scalar group of the view, no forecasting).
    currency, marketplace_id, vendor_code : str
        Amount currency, the lines' marketplace and ``groupByKey`` vendor code.

    Yields
    ------
    bytes
        One JSONL line (UTF-8, newline-terminated) at a time.
    """
    from .sandbox_data import SandboxData

    start = date.fromisoformat(start) if isinstance(start, str) else start
    end = date.fromisoformat(end) if isinstance(end, str) else end
    data = SandboxData(seed, vendor_asins=asins)
    model = AnalyticsModel(data._vendor_model, vendor_code or str(data.sellers[0]))
    chosen = [g for g in (groups or VIEW_GROUPS[view]) if g != "forecasting"]
    unknown = set(chosen) - set(VIEW_GROUPS[view])
    if unknown:
        raise ValueError(f"groups {sorted(unknown)} are not in {view}; use {VIEW_GROUPS[view]}")
    periods = clip_periods(start, end, aggregate_by)
    n = model.n_asins
    asin_heads = pa.array([f',{{"groupByKey":{{"asin":"{a}"}},"metrics":' for a in model.vendor.asins])
    daily = aggregate_by == "DAY"
    step = max(1, _BLOCK_DAYS // {"DAY": 1, "WEEK": 7, "MONTH": 31}[aggregate_by])
    for lo in range(0, len(periods), step):
        block = periods[lo:lo + step]
        comps = model.components(view, block, currency)
        totals = {k: v.sum(axis=0, keepdims=True) for k, v in comps.items()}
        for j, p in enumerate(block):
            col = {k: v[:, j] for k, v in comps.items()}
            total = render_rows(_metrics_parts({k: v[:, j] for k, v in totals.items()}, chosen, currency, daily, 1))
            body = render_rows([asin_heads, *_metrics_parts(col, chosen, currency, daily, n), "}"])
            head = (f'{{"startDate":"{p.start}","endDate":"{p.end}","marketplaceId":"{marketplace_id}",'
                    f'"totals":').encode()
            yield head + total + b',"metrics":[' + body[1:] + b"]}\n"  # one line at a time: bounded memory
