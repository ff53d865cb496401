"""Vendor report documents (JSON), generated with numpy and streamed with pyarrow.

Every daily number is a pure function of (seed, ASIN, day, options), so
overlapping or split windows agree exactly, and a WEEK/MONTH/QUARTER/YEAR row
is the sum of the DAY rows it covers (flows), the value of its last day
(stocks such as on-hand inventory) or a ratio of summed parts (rates).  Money
is computed in integer cents, so period sums are exact.

Rows are rendered column-wise (:mod:`.vendor_json`): numbers become Arrow string arrays and
``binary_join_element_wise`` glues each row; the data buffer of the result is
the JSON text of a whole block of rows, so no per-row Python code runs.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any, Iterator, Sequence

import numpy as np
import pyarrow as pa

from ..._specs.marketplaces import Marketplace
from .catalog import Catalog
from .util import (
    PERIODS,
    UTC,
    Rng,
    day_number,
    from_day_number,
    full_hours,
    h64,
    iso_z,
    period_bounds,
    price_in,
    uniform_np,
)
from .vendor_json import ROW_SEP, Rows, decimal_texts, int_texts, money_texts, render_rows

__all__ = ["VendorModel", "ANALYTICS_ARRAYS"]

_MAX_CELLS = 1 << 18          # ASIN x day cells computed at once
_ROWS_PER_CHUNK = 1 << 14     # rows rendered into one byte chunk


# Field specs: (json name, component key, kind); kind is int | money | rate (4 places) | dec1.
_SALES_FIELDS = [
    ("customerReturns", "customerReturns", "int"),
    ("orderedRevenue", "orderedRevenue", "money"),
    ("orderedUnits", "orderedUnits", "int"),
    ("shippedCogs", "shippedCogs", "money"),
    ("shippedRevenue", "shippedRevenue", "money"),
    ("shippedUnits", "shippedUnits", "int"),
]
_INV_AGG_ONLY = [
    ("procurableProductOutOfStockRate", "procurableProductOutOfStockRate", "rate"),
    ("uft", "uft", "rate"),
    ("receiveFillRate", "receiveFillRate", "rate"),
]
_INV_FIELDS = [
    ("vendorConfirmationRate", "vendorConfirmationRate", "rate"),
    ("netReceivedInventoryCost", "netReceivedInventoryCost", "money"),
    ("netReceivedInventoryUnits", "netReceivedInventoryUnits", "int"),
    ("openPurchaseOrderUnits", "openPurchaseOrderUnits", "int"),
    ("averageVendorLeadTimeDays", "averageVendorLeadTimeDays", "dec1"),
    ("sellThroughRate", "sellThroughRate", "rate"),
    ("unfilledCustomerOrderedUnits", "unfilledCustomerOrderedUnits", "int"),
    ("sellableOnHandInventoryCost", "sellableOnHandInventoryCost", "money"),
    ("sellableOnHandInventoryUnits", "sellableOnHandInventoryUnits", "int"),
    ("unsellableOnHandInventoryCost", "unsellableOnHandInventoryCost", "money"),
    ("unsellableOnHandInventoryUnits", "unsellableOnHandInventoryUnits", "int"),
    ("aged90PlusDaysSellableInventoryCost", "aged90PlusDaysSellableInventoryCost", "money"),
    ("aged90PlusDaysSellableInventoryUnits", "aged90PlusDaysSellableInventoryUnits", "int"),
    ("unhealthyInventoryCost", "unhealthyInventoryCost", "money"),
    ("unhealthyInventoryUnits", "unhealthyInventoryUnits", "int"),
]
_TRAFFIC_FIELDS = [("glanceViews", "glanceViews", "int")]
_NPPM_FIELDS = [("netPureProductMargin", "netPureProductMargin", "rate")]

ANALYTICS_ARRAYS = {
    "GET_VENDOR_SALES_REPORT": ("salesAggregate", "salesByAsin"),
    "GET_VENDOR_INVENTORY_REPORT": ("inventoryAggregate", "inventoryByAsin"),
    "GET_VENDOR_TRAFFIC_REPORT": ("trafficAggregate", "trafficByAsin"),
    "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT": ("netPureProductMarginAggregate", "netPureProductMarginByAsin"),
}
_PROGRAM_FACTOR = {"RETAIL": 1.0, "BUSINESS": 0.08, "FRESH": 0.25}
_WEEKDAY = np.array([0.95, 0.95, 1.0, 1.0, 1.05, 1.1, 1.15])  # Monday..Sunday


class VendorModel:
    """Per-ASIN parameters of the vendor's ASINs and the document generators."""

    def __init__(self, catalog: Catalog, seed: int) -> None:
        self.catalog = catalog
        self.seed = seed
        prods = catalog.vendor_products()
        self.asins = [p.asin for p in prods]
        self.asin_arr = pa.array(self.asins, pa.string())
        self.asin_quoted = pa.array([a + '"' for a in self.asins], pa.string())
        self.keys = np.array([h64(seed, "vendor", p.asin) for p in prods], dtype=np.uint64)[:, None]
        self.demand = np.array([p.demand for p in prods], dtype=np.float64)[:, None]
        self.price_usd = [p.price_usd for p in prods]
        params = []
        for p in prods:
            r = Rng(seed, "vendor-params", p.asin)
            params.append((r.uniform(0.5, 0.75), r.uniform(0.01, 0.08), r.uniform(8, 40), r.uniform(0.12, 0.42),
                           r.uniform(5, 21), r.uniform(0.8, 1.02), r.uniform(20, 60), r.uniform(0.0, 0.25),
                           r.uniform(0.7, 0.95)))
        cols = np.array(params, dtype=np.float64).reshape(len(prods), 9).T[:, :, None]
        (self.cogs_ratio, self.return_rate, self.gv_per_unit, self.margin, self.lead_days, self.conf_rate,
         self.stock_days, self.aged_frac, self.src_share) = cols
        self._price_cache: dict[str, np.ndarray] = {}

    # -- shared -----------------------------------------------------------------

    def prices(self, currency: str) -> np.ndarray:
        """Shelf price per ASIN in cents of ``currency`` (column vector)."""
        if currency not in self._price_cache:
            self._price_cache[currency] = np.array(
                [price_in(c, currency) for c in self.price_usd], dtype=np.int64)[:, None]
        return self._price_cache[currency]

    @staticmethod
    def _season(days: np.ndarray) -> np.ndarray:
        d = days.astype("datetime64[D]")
        doy = (d - d.astype("datetime64[Y]")).astype(np.int64)
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
        q4 = 1.0 + 0.35 * np.exp(-(((doy - 333) / 18.0) ** 2))  # late-November peak
        return _WEEKDAY[weekday] * q4 * (1.0 + 0.08 * np.sin(2 * np.pi * days / 365.25))

    def _cells(self, kind: str, sl: slice, days: np.ndarray, opts: dict[str, str],
               currency: str) -> dict[str, np.ndarray]:
        """Per-(ASIN, day) values for the ASINs ``sl`` and the day numbers ``days``."""
        keys = self.keys[sl]
        t = days[None, :]
        season = self._season(days)[None, :]
        program = opts.get("sellingProgram", "RETAIL")
        manufacturing = opts.get("distributorView", "MANUFACTURING") != "SOURCING"
        mean = self.demand[sl] * season * _PROGRAM_FACTOR.get(program, 1.0)
        price = self.prices(currency)[sl]
        out: dict[str, np.ndarray] = {}

        def u(name: str) -> np.ndarray:
            return uniform_np(keys, t, h64(name, program))

        units_m = np.floor(mean * (0.4 + 1.2 * u("ship"))).astype(np.int64)
        units = units_m if manufacturing else np.floor(units_m * self.src_share[sl]).astype(np.int64)
        returns = np.floor(units * self.return_rate[sl] * 2.0 * u("returns")).astype(np.int64)
        if kind == "GET_VENDOR_SALES_REPORT":
            revenue = units * price
            ordered = np.floor(mean * (0.4 + 1.25 * u("order"))).astype(np.int64)
            discount = np.where(u("promo") < 0.2, 0.95, 1.0)
            out["shippedUnits"] = units
            out["shippedRevenue"] = revenue
            out["shippedCogs"] = np.rint(revenue * self.cogs_ratio[sl]).astype(np.int64)
            out["orderedUnits"] = ordered
            out["orderedRevenue"] = np.rint(ordered * price * discount).astype(np.int64)
            out["customerReturns"] = returns
        elif kind == "GET_VENDOR_TRAFFIC_REPORT" or kind == "gv":
            base = self.demand[sl] * season
            out["glanceViews"] = (np.floor(base * self.gv_per_unit[sl] * (0.6 + 0.8 * uniform_np(keys, t, h64("gv"))))
                                  + np.floor(4 * uniform_np(keys, t, h64("gv2")))).astype(np.int64)
        elif kind == "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT":
            base = self.demand[sl] * season
            units_r = np.floor(base * (0.4 + 1.2 * uniform_np(keys, t, h64("ship", "RETAIL")))).astype(np.int64)
            margin = np.clip(self.margin[sl] + 0.12 * (uniform_np(keys, t, h64("nppm")) - 0.5), 0.0, 0.9)
            rev = (units_r * self.prices(currency)[sl]).astype(np.float64)
            out["margin_x_rev"] = margin * rev
            out["rev"] = rev
            out["margin"] = margin
        elif kind == "GET_VENDOR_INVENTORY_REPORT":
            unit_cost = np.rint(price * self.cogs_ratio[sl]).astype(np.int64)
            requested = np.where(u("po") < 0.3, np.floor(mean * 3.5 * (0.5 + u("po-qty"))), 0).astype(np.int64)
            confirmed = np.floor(requested * self.conf_rate[sl] * (0.9 + 0.2 * u("confirm"))).astype(np.int64)
            received = np.floor(confirmed * (0.85 + 0.15 * u("receive"))).astype(np.int64)
            u_rtv = u("rtv")
            rtv = np.where(u_rtv < 0.04, np.floor(mean * u_rtv * 25), 0).astype(np.int64)
            u_oos = u("oos")
            oos = u_oos < 0.03
            backorder = -np.floor(mean * u_oos * 30).astype(np.int64)
            sellable = np.where(oos, np.where(u_oos < 0.01, backorder, 0),
                                np.floor(mean * self.stock_days[sl] * (0.7 + 0.6 * u("stock")))).astype(np.int64)
            unsellable = np.floor(np.maximum(sellable, 0) * 0.03 * u("unsellable")).astype(np.int64)
            aged = np.floor(sellable * self.aged_frac[sl]).astype(np.int64)
            unhealthy = np.maximum(0, sellable - np.floor(mean * 45)).astype(np.int64)
            u_open = u("open-po")
            open_po = np.where(u_open < 0.01, -np.floor(mean), np.floor(mean * 6 * u_open)).astype(np.int64)
            gv = self._cells("gv", sl, days, opts, currency)["glanceViews"]
            out.update(
                requested=requested, confirmed=confirmed, received=received,
                netReceivedInventoryUnits=received - rtv, netReceivedInventoryCost=(received - rtv) * unit_cost,
                shipped_net=units - returns, gv=gv, gv_oos=gv * oos, oos_days=oos.astype(np.int64),
                sellable=sellable, sellableCost=sellable * unit_cost,
                unsellable=unsellable, unsellableCost=unsellable * unit_cost,
                aged=aged, agedCost=aged * unit_cost, unhealthy=unhealthy, unhealthyCost=unhealthy * unit_cost,
                openPurchaseOrderUnits=open_po,
                unfilledCustomerOrderedUnits=np.floor(mean * 0.4 * u("unfilled")).astype(np.int64),
                lead=self.lead_days[sl] * (0.8 + 0.4 * u("lead")) * np.ones_like(mean),
            )
        return out

    # -- period reduction -----------------------------------------------------------

    _LAST = ("sellable", "sellableCost", "unsellable", "unsellableCost", "aged", "agedCost", "unhealthy",
             "unhealthyCost", "openPurchaseOrderUnits", "unfilledCustomerOrderedUnits")

    def _components(self, kind: str, sl: slice, days: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                    opts: dict[str, str], currency: str) -> dict[str, np.ndarray]:
        """Per-(ASIN, period) components; ``starts``/``ends`` index into ``days``."""
        cells = self._cells(kind, sl, days, opts, currency)
        comps: dict[str, np.ndarray] = {}
        single_days = bool(np.all(ends == starts))
        for name, arr in cells.items():
            if single_days:  # DAY periods: nothing to reduce
                comps[name] = arr[:, starts] if len(starts) != arr.shape[1] else arr
            elif name in self._LAST:
                comps[name] = arr[:, ends]
            else:
                comps[name] = np.add.reduceat(arr, starts, axis=1)
        if kind == "GET_VENDOR_INVENTORY_REPORT":
            comps["sellable_first"] = cells["sellable"][:, starts]
            comps["ndays"] = np.broadcast_to((ends - starts + 1)[None, :], comps["lead"].shape).astype(np.int64)
        if kind == "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT":
            comps["ndays"] = np.broadcast_to((ends - starts + 1)[None, :], comps["rev"].shape).astype(np.int64)
        return comps

    @staticmethod
    def _finalize(kind: str, c: dict[str, np.ndarray], aggregate: bool) -> dict[str, np.ndarray]:
        if kind == "GET_VENDOR_INVENTORY_REPORT":
            with np.errstate(divide="ignore", invalid="ignore"):
                f = dict(c)
                f["vendorConfirmationRate"] = np.round(np.where(c["requested"] > 0, c["confirmed"] / np.maximum(c["requested"], 1), 0.0), 4)
                denom = np.maximum(c["sellable_first"], 0) + c["received"]
                f["sellThroughRate"] = np.round(np.where(denom > 0, c["shipped_net"] / np.maximum(denom, 1), 0.0), 4)
                f["averageVendorLeadTimeDays"] = np.round(c["lead"] / c["ndays"], 1)
                f["sellableOnHandInventoryUnits"] = c["sellable"]
                f["sellableOnHandInventoryCost"] = c["sellableCost"]
                f["unsellableOnHandInventoryUnits"] = c["unsellable"]
                f["unsellableOnHandInventoryCost"] = c["unsellableCost"]
                f["aged90PlusDaysSellableInventoryUnits"] = c["aged"]
                f["aged90PlusDaysSellableInventoryCost"] = c["agedCost"]
                f["unhealthyInventoryUnits"] = c["unhealthy"]
                f["unhealthyInventoryCost"] = c["unhealthyCost"]
                if aggregate:
                    f["procurableProductOutOfStockRate"] = np.round(np.where(c["gv"] > 0, c["gv_oos"] / np.maximum(c["gv"], 1), 0.0), 4)
                    f["uft"] = np.round(1.0 - c["oos_days"] / c["ndays"], 4)
                    f["receiveFillRate"] = np.round(np.where(c["confirmed"] > 0, c["received"] / np.maximum(c["confirmed"], 1), 0.0), 4)
                return f
        if kind == "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT":
            with np.errstate(divide="ignore", invalid="ignore"):
                weighted = c["margin_x_rev"] / np.where(c["rev"] > 0, c["rev"], 1.0)
                plain = c["margin"] / c["ndays"]
                return {"netPureProductMargin": np.round(np.where(c["rev"] > 0, weighted, plain), 4)}
        return c

    def _fields(self, kind: str, opts: dict[str, str], aggregate: bool) -> list[tuple[str, str, str]]:
        if kind == "GET_VENDOR_SALES_REPORT":
            fields = list(_SALES_FIELDS)
            if opts.get("distributorView") == "SOURCING":  # ordered* only for MANUFACTURING
                fields = [f for f in fields if not f[0].startswith("ordered")]
            if opts.get("sellingProgram") == "FRESH":  # returns only for RETAIL/BUSINESS
                fields = [f for f in fields if f[0] != "customerReturns"]
            return fields
        if kind == "GET_VENDOR_INVENTORY_REPORT":
            return (_INV_AGG_ONLY if aggregate else []) + _INV_FIELDS
        if kind == "GET_VENDOR_TRAFFIC_REPORT":
            return _TRAFFIC_FIELDS
        return _NPPM_FIELDS

    def _row_parts(self, fields: list[tuple[str, str, str]], values: dict[str, np.ndarray], n: int,
                   head: list[str | pa.Array], currency: str) -> list[str | pa.Array]:
        parts = list(head)
        for name, key, kind in fields:
            arr = values[key].reshape(n)
            if kind == "money":
                parts += [f', "{name}": {{"amount": ', *money_texts(arr), f', "currencyCode": "{currency}"}}']
            elif kind == "int":
                parts += [f', "{name}": ', *int_texts(arr)]
            else:
                parts += [f', "{name}": ', *decimal_texts(arr, 10 if kind == "dec1" else 10_000)]
        parts.append("}")
        return parts

    # -- analytics documents -------------------------------------------------------

    def analytics(self, report_type: str, m: Marketplace, start: date, end: date, opts: dict[str, str],
                  marketplace_ids: Sequence[str], last_updated: date) -> Iterator[bytes]:
        period = opts.get("reportPeriod", "DAY")
        if period not in PERIODS:
            period = "DAY"
        bounds = period_bounds(start, end, period) if start <= end else []
        spec = {"reportType": report_type, "reportOptions": dict(opts), "lastUpdatedDate": last_updated.isoformat(),
                "dataStartTime": start.isoformat(), "dataEndTime": end.isoformat(),
                "marketplaceIds": list(marketplace_ids)}
        agg_name, asin_name = ANALYTICS_ARRAYS[report_type]
        currency = m.currency
        yield (f'{{\n  "reportSpecification": {json.dumps(spec, ensure_ascii=False)},\n'
               f'  "{agg_name}": [').encode("utf-8")
        n_asins = len(self.asins)
        groups = self._groups(bounds, n_asins)
        # Pass 1: aggregates (sums of per-ASIN components, then ratios).
        rows = Rows()
        fields = self._fields(report_type, opts, aggregate=True)
        for grp in groups:
            comps = self._group_components(report_type, grp, opts, currency)
            agg = {k: v.sum(axis=0, keepdims=True) for k, v in comps.items()}
            final = self._finalize(report_type, agg, aggregate=True)
            n = len(grp)
            head = [ROW_SEP + '{"startDate": "', pa.array([b[0].isoformat() for b in grp]),
                    '", "endDate": "', pa.array([b[1].isoformat() for b in grp]), '"']
            yield rows.emit(render_rows(self._row_parts(fields, final, n, head, currency)))
        yield f'\n  ],\n  "{asin_name}": ['.encode("utf-8")
        # Pass 2: one row per ASIN per period, period-major.
        rows = Rows()
        fields = self._fields(report_type, opts, aggregate=False)
        for grp in groups:
            comps = self._group_components(report_type, grp, opts, currency)
            final = self._finalize(report_type, comps, aggregate=False)
            # (A, P) -> period-major flat order
            flat = {k: np.ascontiguousarray(v.T) for k, v in final.items() if v.ndim == 2}
            n = len(grp) * n_asins
            period_heads = pa.array([f'{ROW_SEP}{{"startDate": "{b[0].isoformat()}", "endDate": '
                                     f'"{b[1].isoformat()}", "asin": "' for b in grp], pa.string())
            for lo in range(0, n, _ROWS_PER_CHUNK):
                hi = min(n, lo + _ROWS_PER_CHUNK)
                idx = np.arange(lo, hi)
                head = [period_heads.take(pa.array(idx // n_asins)), self.asin_quoted.take(pa.array(idx % n_asins))]
                vals = {k: v.reshape(-1)[lo:hi] for k, v in flat.items()}
                yield rows.emit(render_rows(self._row_parts(fields, vals, hi - lo, head, currency)))
        yield b"\n  ]\n}\n"

    def _groups(self, bounds: list[tuple[date, date]], n_asins: int) -> list[list[tuple[date, date]]]:
        """Consecutive periods whose ASIN x day cells fit in one computation."""
        groups: list[list[tuple[date, date]]] = []
        cur: list[tuple[date, date]] = []
        cells = 0
        for b in bounds:
            ndays = (b[1] - b[0]).days + 1
            if cur and (cells + ndays * n_asins > _MAX_CELLS or len(cur) * n_asins >= _ROWS_PER_CHUNK * 4):
                groups.append(cur)
                cur, cells = [], 0
            cur.append(b)
            cells += ndays * n_asins
        if cur:
            groups.append(cur)
        return groups

    def _group_components(self, kind: str, grp: list[tuple[date, date]], opts: dict[str, str],
                          currency: str) -> dict[str, np.ndarray]:
        d0, d1 = day_number(grp[0][0]), day_number(grp[-1][1])
        days = np.arange(d0, d1 + 1, dtype=np.int64)
        starts = np.array([day_number(b[0]) - d0 for b in grp], dtype=np.int64)
        ends = np.array([day_number(b[1]) - d0 for b in grp], dtype=np.int64)
        n_asins = len(self.asins)
        step = max(1, _MAX_CELLS // max(1, len(days)))
        parts: list[dict[str, np.ndarray]] = []
        for lo in range(0, n_asins, step):
            parts.append(self._components(kind, slice(lo, min(n_asins, lo + step)), days, starts, ends, opts, currency))
        if len(parts) == 1:
            return parts[0]
        return {k: np.concatenate([p[k] for p in parts], axis=0) for k in parts[0]}

    def daily_values(self, report_type: str, currency: str, start: date, end: date,
                     opts: dict[str, str]) -> dict[str, np.ndarray]:
        """Finalised DAY values, shape (ASIN, day) - for tests and diagnostics."""
        grp = period_bounds(start, end, "DAY")
        comps = self._group_components(report_type, grp, opts, currency)
        return self._finalize(report_type, comps, aggregate=False)

    # -- forecasting ---------------------------------------------------------------

    def forecast(self, m: Marketplace, opts: dict[str, str], marketplace_ids: Sequence[str],
                 created: datetime, weeks: int = 26) -> Iterator[bytes]:
        gen = created.astimezone(UTC).date()
        gen = gen - timedelta(days=(gen.weekday() + 1) % 7)  # generated weekly, on Sundays
        spec = {"reportType": "GET_VENDOR_FORECASTING_REPORT", "reportOptions": dict(opts),
                "lastUpdatedDate": gen.isoformat(), "marketplaceIds": list(marketplace_ids)}
        yield (f'{{\n  "reportSpecification": {json.dumps(spec, ensure_ascii=False)},\n'
               f'  "forecastByAsin": [').encode("utf-8")
        program = opts.get("sellingProgram", "RETAIL")
        n_asins = len(self.asins)
        g = day_number(gen)
        week_days = np.arange(g, g + 7 * weeks, dtype=np.int64)
        season = self._season(week_days).reshape(weeks, 7).sum(axis=1)[None, :]
        t = (np.arange(weeks, dtype=np.int64) + g)[None, :]
        mean = (self.demand * season * _PROGRAM_FACTOR.get(program, 1.0)
                * (0.9 + 0.2 * uniform_np(self.keys, t, h64("forecast", program, g))))
        p70 = mean * (1.1 + 0.1 * uniform_np(self.keys, t, h64("p70", program, g)))
        p80 = p70 * 1.08
        p90 = p80 * 1.1
        starts = pa.array([from_day_number(g + 7 * k).isoformat() for k in range(weeks)])
        ends = pa.array([from_day_number(g + 7 * k + 6).isoformat() for k in range(weeks)])
        rows = Rows()
        flat = [np.round(a, 2).reshape(-1) for a in (mean, p70, p80, p90)]  # ASIN-major
        n = n_asins * weeks
        for lo in range(0, n, _ROWS_PER_CHUNK):
            hi = min(n, lo + _ROWS_PER_CHUNK)
            idx = np.arange(lo, hi)
            widx = pa.array(idx % weeks)
            parts: list[str | pa.Array] = [
                ROW_SEP + f'{{"forecastGenerationDate": "{gen.isoformat()}", "asin": "',
                self.asin_arr.take(pa.array(idx // weeks)), '", "startDate": "', starts.take(widx),
                '", "endDate": "', ends.take(widx), '", "meanForecastUnits": ',
                *decimal_texts(flat[0][lo:hi], 100), ', "p70ForecastUnits": ', *decimal_texts(flat[1][lo:hi], 100),
                ', "p80ForecastUnits": ', *decimal_texts(flat[2][lo:hi], 100),
                ', "p90ForecastUnits": ', *decimal_texts(flat[3][lo:hi], 100), "}"]
            yield rows.emit(render_rows(parts))
        yield b"\n  ]\n}\n"

    # -- real-time (hourly) ------------------------------------------------------------

    full_hours = staticmethod(full_hours)

    def realtime(self, report_type: str, m: Marketplace, start: datetime, end: datetime,
                 marketplace_ids: Sequence[str], created: datetime) -> Iterator[bytes]:
        spec: dict[str, Any] = {"reportType": report_type, "dataStartTime": iso_z(start),
                                "dataEndTime": iso_z(end), "marketplaceIds": list(marketplace_ids)}
        if report_type == "GET_VENDOR_REAL_TIME_SALES_REPORT":
            spec["reportOptions"] = {"currencyCode": m.currency}
        yield (f'{{\n  "reportSpecification": {json.dumps(spec, ensure_ascii=False)},\n'
               f'  "reportData": [').encode("utf-8")
        h0, h1 = self.full_hours(start, end, created)
        n_asins = len(self.asins)
        rows = Rows()
        per_block = max(1, _ROWS_PER_CHUNK // max(1, n_asins))
        for b0 in range(h0, h1, per_block):
            b1 = min(h1, b0 + per_block)
            hours = np.arange(b0, b1, dtype=np.int64)
            vals = self._hourly(report_type, hours, m.currency)  # (A, H)
            n = n_asins * len(hours)
            idx = np.arange(n)
            hidx = pa.array(idx // n_asins)
            starts = pa.array([iso_z(datetime.fromtimestamp(int(h) * 3600, UTC)) for h in hours]).take(hidx)
            ends = pa.array([iso_z(datetime.fromtimestamp(int(h + 1) * 3600, UTC)) for h in hours]).take(hidx)
            parts: list[str | pa.Array] = [ROW_SEP + '{"startTime": "', starts, '", "endTime": "', ends,
                                           '", "asin": "', self.asin_arr.take(pa.array(idx % n_asins)), '"']
            for name, arr in vals.items():
                flat_vals = np.ascontiguousarray(arr.T).reshape(-1)
                texts = money_texts if name == "orderedRevenue" else int_texts
                parts += [f', "{name}": ', *texts(flat_vals)]
            parts.append("}")
            yield rows.emit(render_rows(parts))
        yield b"\n  ]\n}\n"

    def _hourly(self, report_type: str, hours: np.ndarray, currency: str) -> dict[str, np.ndarray]:
        t = hours[None, :]
        days = hours // 24
        hod = hours % 24
        profile = (0.4 + 0.6 * (1 + np.sin((hod - 10) / 24 * 2 * np.pi)))[None, :]  # evening peak (UTC)
        mean_day = self.demand * self._season(days)[None, :]
        if report_type == "GET_VENDOR_REAL_TIME_SALES_REPORT":
            units = (np.floor(mean_day / 24 * profile * (0.2 + 1.6 * uniform_np(self.keys, t, h64("rt-units"))))
                     - (uniform_np(self.keys, t, h64("rt-cancel")) < 0.02)).astype(np.int64)
            return {"orderedUnits": units, "orderedRevenue": units * self.prices(currency)}  # cents
        if report_type == "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT":
            gv = np.floor(mean_day * self.gv_per_unit / 24 * profile
                          * (0.3 + 1.4 * uniform_np(self.keys, t, h64("rt-gv")))).astype(np.int64)
            return {"glanceViews": gv}
        stock = np.floor(mean_day * self.stock_days * (0.7 + 0.6 * uniform_np(self.keys, days[None, :], h64("rt-stock"))))
        carts = np.floor(mean_day / 24 * profile * 3 * uniform_np(self.keys, t, h64("rt-carts")))
        return {"highlyAvailableInventory": np.maximum(0, stock - carts).astype(np.int64)}
