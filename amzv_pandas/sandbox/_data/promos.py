"""Coupon and promotion performance documents (vendor JSON).

Campaigns and promotions live on a fixed timeline: coupon campaign ``k`` may
start on day ``5k`` (+0..4 days), promotion ``k`` on day ``3k`` (+0..2 days);
a deterministic fifth of the campaigns and a quarter of the promotions do not
exist, so a short window can hold none (the report is then CANCELLED).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Iterable, Iterator, Sequence

from ..._specs.marketplaces import Marketplace
from .catalog import Catalog
from .util import UTC, Rng, as_utc, day_number, from_day_number, h64, iso_z, mix

__all__ = ["Promotions"]

_CAMPAIGN_EVERY, _PROMO_EVERY = 5, 3
# Campaign names by start month (January first).
_CAMPAIGN_NAMES = ("New Year Brew", "Valentine’s Café", "Spring Coffee Days", "Crème de la Crème Week",
                   "Mother’s Day Treats", "Summer Cold Brew", "Prime Day Deals", "Back to School",
                   "Autumn Roasts", "Oktoberfest Kaffee", "Thanksgiving", "Holiday Café")
_SEGMENTS = ("All (Default)", "Amazon Prime", "Amazon Student", "Amazon Family")
_PROMO_TYPES = ("BEST_DEAL", "LIGHTNING_DEAL", "PRICE_DISCOUNT", "PRICE_DISCOUNT", "DEAL_OF_THE_DAY",
                "SALES_DISCOUNT", "PROMO_CODE", "COUPON")
_PROMO_STATUS = ("APPROVED",) * 8 + ("PENDING_APPROVAL", "NEEDS_YOUR_ATTENTION", "CANCELED")
_CHANNELS = ("SELF-SERVICE", "SELF-SERVICE", "FULL-SERVICE", "AUTOMATED", "MANUAL")
_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _r2(x: float) -> float:
    return round(x + 0.0, 2)


class Promotions:
    """Coupon campaigns and promotions of the built-in vendor."""

    def __init__(self, catalog: Catalog, seed: int) -> None:
        self.catalog = catalog
        self.seed = seed

    # -- timeline ------------------------------------------------------------------

    def _starts(self, every: int, salt: str, gap: int, lo: datetime, hi: datetime,
                cutoff: datetime) -> list[tuple[int, datetime]]:
        """(k, start) of the events starting in ``lo..hi`` and not after ``cutoff``."""
        out: list[tuple[int, datetime]] = []
        salt_key = h64(salt)
        hi = min(hi, cutoff)
        if hi < lo:
            return out
        for k in range(day_number(lo.date()) // every - 1, day_number(hi.date()) // every + 1):
            h = mix(self.seed, salt_key, k)
            if h % gap == 0:
                continue  # no event in this slot
            day = from_day_number(k * every + (h >> 8) % every)
            start = datetime(day.year, day.month, day.day, (h >> 16) % 24, (h >> 24) % 60, (h >> 32) % 60, tzinfo=UTC)
            if lo <= start <= hi:
                out.append((k, start))
        return out

    def campaigns(self, lo: datetime, hi: datetime, cutoff: datetime) -> list[tuple[int, datetime]]:
        return self._starts(_CAMPAIGN_EVERY, "campaign", 5, as_utc(lo), as_utc(hi), as_utc(cutoff))

    def promotions(self, lo: datetime, hi: datetime, cutoff: datetime) -> list[tuple[int, datetime]]:
        return self._starts(_PROMO_EVERY, "promotion", 4, as_utc(lo), as_utc(hi), as_utc(cutoff))

    def _asins(self, rng: Rng, n: int) -> list[Any]:
        prods = self.catalog.vendor_products()
        picks: list[Any] = []
        for _ in range(n):
            p = rng.choice(prods)
            if p not in picks:
                picks.append(p)
        return picks

    # -- coupons ---------------------------------------------------------------------

    def coupon_document(self, m: Marketplace, options: dict[str, str], marketplace_ids: Sequence[str],
                        lo: datetime, hi: datetime, created: datetime) -> Iterator[bytes]:
        events = (self._campaign(m, k, start, as_utc(created)) for k, start in self.campaigns(lo, hi, created))
        return _document("GET_COUPON_PERFORMANCE_REPORT", "campaigns", options, marketplace_ids, events)

    def _campaign(self, m: Marketplace, k: int, start: datetime, created: datetime) -> dict[str, Any]:
        rng = Rng(self.seed, "campaign", k)
        shared = rng.random() < 0.4
        total_budget = float(rng.choice((5000, 10000, 25000)))
        coupons: list[dict[str, Any]] = []
        for c in range(rng.randint(1, 3)):
            products = self._asins(rng, rng.randint(1, 4))
            budget = total_budget if shared else float(rng.choice((500, 1000, 2500, 5000, 10000)))
            clips = rng.randint(0, 900)
            redemptions = rng.randint(0, clips)
            asins = []
            discount = 0.0
            for p in products:
                percent = rng.random() < 0.6
                amount = float(rng.choice((5, 10, 15, 20, 25, 30))) if percent else _r2(rng.uniform(1, 20))
                asins.append({"asin": p.asin, "discountType": "PERCENT_OFF_LIST_PRICE" if percent
                              else "AMOUNT_OFF_LIST_PRICE", "discountAmount": amount})
                discount += (p.price_usd / 100 * amount / 100) if percent else amount
            total_discount = _r2(redemptions * discount / max(1, len(products)))
            spent = min(budget, _r2(total_discount + clips * 0.05 + redemptions * 0.6))
            brand = products[0].brand.name
            coupon: dict[str, Any] = {
                "couponId": "A" + "".join(_B36[rng.randint(0, 35)] for _ in range(13)),
                "name": f"{brand} {rng.choice((10, 15, 20, 25))}% off",
                "websiteMessage": f"Save on {brand}",
                "startDateTime": iso_z(start),
                "endDateTime": iso_z(start + timedelta(days=rng.randint(3, 14), hours=rng.randint(0, 23))),
                "isOncePerCustomer": rng.random() < 0.5,
                "customerSegment": rng.choice(_SEGMENTS),
                "clips": clips,
                "redemptions": redemptions,
                "totalDiscount": total_discount,
                "budgetSpent": spent,
                "budgetPercentageUsed": _r2(100 * spent / budget),
                "asins": asins,
            }
            if not shared:
                coupon["budget"] = budget
                coupon["budgetRemaining"] = _r2(budget - spent)
            coupons.append(coupon)
        campaign: dict[str, Any] = {
            "campaignId": "AMZ" + "".join(_B36[rng.randint(0, 35)] for _ in range(10)),
            "campaignName": f"{_CAMPAIGN_NAMES[start.month - 1]} {start.year}",
            "vendorCode": self.catalog.sellers[0],
            "marketplaceId": m.marketplace_id,
            "creationDateTime": iso_z(start - timedelta(days=rng.randint(7, 20), hours=rng.randint(0, 23))),
            # "May be up to 24 hours before the current date-time."
            "lastUpdatedDateTime": iso_z(created - timedelta(hours=1 + mix(self.seed, k) % 23)),
            "isSubscribeAndSave": rng.random() < 0.15,
            "budgetType": "SHARED_BUDGET" if shared else "PER_INDIVIDUAL_COUPON",
            "totalClips": sum(c["clips"] for c in coupons),
            "totalRedemptions": sum(c["redemptions"] for c in coupons),
            "currencyCode": m.currency,
        }
        if shared:
            total_spent = min(total_budget, _r2(sum(c["budgetSpent"] for c in coupons)))
            for c in coupons:  # with a shared budget, usage is relative to the campaign's total
                c["budgetPercentageUsed"] = _r2(100 * c["budgetSpent"] / total_budget)
            campaign.update(totalBudget=total_budget, totalBudgetSpent=total_spent,
                            totalBudgetRemaining=_r2(total_budget - total_spent))
        campaign["coupons"] = coupons
        return campaign

    # -- promotions ------------------------------------------------------------------

    def promotion_document(self, m: Marketplace, options: dict[str, str], marketplace_ids: Sequence[str],
                           lo: datetime, hi: datetime, created: datetime) -> Iterator[bytes]:
        events = (self._promotion(m, k, start, as_utc(created)) for k, start in self.promotions(lo, hi, created))
        return _document("GET_PROMOTION_PERFORMANCE_REPORT", "promotions", options, marketplace_ids, events)

    def _promotion(self, m: Marketplace, k: int, start: datetime, created: datetime) -> dict[str, Any]:
        rng = Rng(self.seed, "promotion", k)
        products = self._asins(rng, rng.randint(1, 5))
        jp = m.country_code == "JP"
        included = []
        for p in products:
            units = rng.randint(0, 400)
            price = p.price_usd / 100 * (150 if m.currency == "JPY" else 1)
            revenue = _r2(units * price * rng.uniform(0.7, 0.95))
            spent = _r2(revenue * rng.uniform(0.05, 0.3))
            included.append({
                "asin": p.asin, "productName": p.title_jp if jp else p.title,
                "productGlanceViews": units * rng.randint(5, 40), "productUnitsSold": units,
                "productAmountSpent": spent, "productAmountSpentCurrencyCode": m.currency,
                "productRevenue": revenue, "productRevenueCurrencyCode": m.currency,
            })
        kind = rng.choice(_PROMO_TYPES)
        hours = 6 if kind == "LIGHTNING_DEAL" else 24 if kind == "DEAL_OF_THE_DAY" else 24 * rng.randint(2, 10)
        brand = products[0].brand.name_jp if jp else products[0].brand.name
        return {
            "promotionId": str(10_000_000_000 + mix(self.seed, 3, k) % 89_999_999_999),
            "promotionName": f"Save on {brand}" if not jp else f"{brand} セール",
            "vendorCode": self.catalog.sellers[0],
            "unitsSold": sum(p["productUnitsSold"] for p in included),
            "amountSpent": _r2(sum(p["productAmountSpent"] for p in included)),
            "amountSpentCurrencyCode": m.currency,
            "revenue": _r2(sum(p["productRevenue"] for p in included)),
            "revenueCurrencyCode": m.currency,
            "startDateTime": iso_z(start),
            "endDateTime": iso_z(start + timedelta(hours=hours)),
            "type": kind,
            "status": rng.choice(_PROMO_STATUS),
            "creationChannel": rng.choice(_CHANNELS),
            "marketplaceId": m.marketplace_id,
            "fundingAgreementId": str(10_000_000 + rng.randint(0, 89_999_999)),
            "glanceViews": sum(p["productGlanceViews"] for p in included),
            "createdDateTime": iso_z(start - timedelta(days=rng.randint(3, 30))),
            "lastUpdatedDateTime": iso_z(min(created, start + timedelta(hours=hours + 24))),
            "includedProducts": included,
        }


def _document(report_type: str, array: str, options: dict[str, str], marketplace_ids: Sequence[str],
              events: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """A promotions document: the report specification, then ``array`` holding ``events``, one per line."""
    spec = {"reportType": report_type, "reportOptions": dict(options), "marketplaceIds": list(marketplace_ids)}
    yield f'{{\n  "reportSpecification": {json.dumps(spec, ensure_ascii=False)},\n  "{array}": ['.encode()
    for n, event in enumerate(events):
        yield (("" if n == 0 else ",") + "\n    " + json.dumps(event, ensure_ascii=False)).encode("utf-8")
    yield b"\n  ]\n}\n"
