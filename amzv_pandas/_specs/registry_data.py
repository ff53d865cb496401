"""The registry's records: one :class:`ReportType` per SP-API report type, kept as data.

Sources: the JSON schemas in ``sandbox/spapi/report-schemas`` (sections, fields,
option values), Amazon's report-type reference (vendor windows and lookbacks;
the Net Pure Product Margin figures are applied to the other retail analytics
reports), the ~72 h publication lag peers work with, and per-report quoting of
flat files (ledger reports quote, listings and orders do not). The rules that read
these records are :class:`~amzv_pandas._specs.report_type.ReportType`'s methods.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from amzv_pandas._specs.report_parts import Field, Level, ReportOption, Section
from amzv_pandas._specs.report_type import ReportType

__all__ = ["REPORT_TYPES", "TYPES"]


def _fields(spec: str) -> tuple[Field, ...]:
    """``"startDate:date asin shippedUnits:int"`` -> Fields (kind defaults to str)."""
    out = []
    for token in spec.split():
        name, _, kind = token.partition(":")
        out.append(Field(name, kind or "str"))
    return tuple(out)


def _flat(spec: str) -> tuple[Field, ...]:
    """Flat-file columns, one ``header|kind`` per line (headers may contain spaces)."""
    out = []
    for line in spec.strip().splitlines():
        name, _, kind = line.strip().partition("|")
        out.append(Field(name, kind or "str"))
    return tuple(out)


def _one_level(name: str, fields: tuple[Field, ...], description: str = "") -> Section:
    return Section(name, (Level(name, "", fields),), description)


_REPORT_PERIOD = ReportOption(
    "reportPeriod", ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR"), default="DAY", required=True,
    description="Granularity of the rows; WEEK runs Sunday-Saturday",
)
_DISTRIBUTOR_VIEW = ReportOption(
    "distributorView", ("MANUFACTURING", "SOURCING"), default="MANUFACTURING", required=True,
    description="MANUFACTURING (all sales of your items) or SOURCING (items you shipped to Amazon)",
)
_SELLING_PROGRAM_SALES = ReportOption(
    "sellingProgram", ("RETAIL", "BUSINESS", "FRESH"), default="RETAIL", required=True,
    description="Amazon Retail, Amazon Business or Amazon Fresh",
)
_SELLING_PROGRAM_RF = ReportOption(
    "sellingProgram", ("RETAIL", "FRESH"), default="RETAIL", required=True,
    description="Amazon Retail or Amazon Fresh",
)

# Net Pure Product Margin figures from Amazon's report-type reference, used for all four
# retail analytics reports: per-request spans and 1,460 days of history.
_ANALYTICS_WINDOWS = (("DAY", 15, "DAY"), ("WEEK", 7, "WEEK"), ("MONTH", 15, "MONTH"),
                      ("QUARTER", 4, "QUARTER"), ("YEAR", 2, "YEAR"))
# The Sales, Inventory, Traffic, NPPM (and Forecasting) schemas: marketplaceIds "must match the
# marketplaceId of the selling partner account. Each selling partner account belongs to only one".
_ANALYTICS = dict(family="vendor", format="json", date_range="day", max_windows=_ANALYTICS_WINDOWS,
                  aligned=True, lookback_days=1460, spec_last_updated=True, single_marketplace=True)

_SALES_FIELDS = _fields(
    "startDate:date endDate:date customerReturns:int orderedRevenue:money orderedUnits:int "
    "shippedCogs:money shippedRevenue:money shippedUnits:int"
)
_INVENTORY_COMMON = _fields(
    "vendorConfirmationRate:float netReceivedInventoryCost:money netReceivedInventoryUnits:int "
    "openPurchaseOrderUnits:int averageVendorLeadTimeDays:float sellThroughRate:float "
    "unfilledCustomerOrderedUnits:int sellableOnHandInventoryCost:money sellableOnHandInventoryUnits:int "
    "unsellableOnHandInventoryCost:money unsellableOnHandInventoryUnits:int "
    "aged90PlusDaysSellableInventoryCost:money aged90PlusDaysSellableInventoryUnits:int "
    "unhealthyInventoryCost:money unhealthyInventoryUnits:int"
)
_DATES = _fields("startDate:date endDate:date")
_ASIN = (Field("asin"),)


def _agg_by_asin(prefix: str, fields: tuple[Field, ...], agg_extra: tuple[Field, ...] = ()) -> tuple[Section, ...]:
    # The ByAsin rows carry asin right after the dates, as in Amazon's documents.
    by_asin = fields[:2] + _ASIN + fields[2:]
    return (
        _one_level(f"{prefix}Aggregate", fields[:2] + agg_extra + fields[2:],
                   "whole catalog, one row per period"),
        _one_level(f"{prefix}ByAsin", by_asin, "one row per ASIN per period"),
    )


_COUPON_CAMPAIGN = Level("campaigns", "campaign", _fields(
    "campaignId campaignName vendorCode marketplaceId creationDateTime:datetime lastUpdatedDateTime:datetime "
    "isSubscribeAndSave:bool budgetType totalClips:int totalRedemptions:int currencyCode totalBudget:float "
    "totalBudgetSpent:float totalBudgetRemaining:float"
))
_COUPON = Level("coupons", "coupon", _fields(
    "couponId name websiteMessage startDateTime:datetime endDateTime:datetime isOncePerCustomer:bool "
    "customerSegment clips:int redemptions:int budget:float totalDiscount:float budgetSpent:float "
    "budgetRemaining:float budgetPercentageUsed:float"
))
_COUPON_ASIN = Level("asins", "asin", _fields("asin discountType discountAmount:float"))

_PROMOTION = Level("promotions", "promotion", _fields(
    "promotionId promotionName vendorCode merchantId unitsSold:int amountSpent:float amountSpentCurrencyCode "
    "revenue:float revenueCurrencyCode startDateTime:datetime endDateTime:datetime type status creationChannel "
    "marketplaceId fundingAgreementId glanceViews:int createdDateTime:datetime lastUpdatedDateTime:datetime"
))
_PROMOTION_PRODUCT = Level("includedProducts", "product", _fields(
    "asin productName productGlanceViews:int productUnitsSold:int productAmountSpent:float "
    "productAmountSpentCurrencyCode productRevenue:float productRevenueCurrencyCode"
))

# Real-time inventory: start at most 168 h back, end at most 24 h after start (schema). Sales and
# traffic document no span limit; 24 h keeps every request on the safe side, and Fivetran's
# 30-day history figure (third-party) is used as their lookback.
_RT_WINDOW = ((None, 24, "HOUR"),)
_REAL_TIME = dict(family="vendor", format="json", date_range="datetime", spec_last_updated=False,
                  default_section="reportData")

_LISTING_COLUMNS = _flat("""
item-name|str
item-description|str
listing-id|str
seller-sku|str
price|float
quantity|int
open-date|datetime_local
image-url|str
item-is-marketplace|str
product-id-type|str
zshop-shipping-fee|float
item-note|str
item-condition|str
zshop-category1|str
zshop-browse-path|str
zshop-storefront-feature|str
asin1|str
asin2|str
asin3|str
will-ship-internationally|str
expedited-shipping|str
zshop-boldface|str
product-id|str
bid-for-featured-placement|str
add-delete|str
pending-quantity|int
fulfillment-channel|str
merchant-shipping-group|str
status|str
""")

_ORDER_COLUMNS = _flat("""
amazon-order-id|str
merchant-order-id|str
purchase-date|datetime
last-updated-date|datetime
order-status|str
fulfillment-channel|str
sales-channel|str
order-channel|str
url|str
ship-service-level|str
product-name|str
sku|str
asin|str
item-status|str
quantity|int
currency|str
item-price|float
item-tax|float
shipping-price|float
shipping-tax|float
gift-wrap-price|float
gift-wrap-tax|float
item-promotion-discount|float
ship-promotion-discount|float
ship-city|str
ship-state|str
ship-postal-code|str
ship-country|str
promotion-ids|str
is-business-order|bool
purchase-order-number|str
price-designation|str
""")

_MYI_COLUMNS = _flat("""
sku|str
fnsku|str
asin|str
product-name|str
condition|str
your-price|float
mfn-listing-exists|str
mfn-fulfillable-quantity|int
afn-listing-exists|str
afn-warehouse-quantity|int
afn-fulfillable-quantity|int
afn-unsellable-quantity|int
afn-reserved-quantity|int
afn-total-quantity|int
per-unit-volume|float
afn-inbound-working-quantity|int
afn-inbound-shipped-quantity|int
afn-inbound-receiving-quantity|int
afn-researching-quantity|int
afn-reserved-future-supply|int
afn-future-supply-buyable|int
store|str
""")

_AFN_COLUMNS = _flat("""
seller-sku|str
fulfillment-channel-sku|str
asin|str
condition-type|str
Warehouse-Condition-code|str
Quantity Available|int
""")

_LEDGER_DETAIL_COLUMNS = _flat("""
Date|str
FNSKU|str
ASIN|str
MSKU|str
Title|str
Event Type|str
Reference ID|str
Quantity|int
Fulfillment Center|str
Disposition|str
Reason|str
Country|str
Reconciled Quantity|int
Unreconciled Quantity|int
""")

_LEDGER_SUMMARY_COLUMNS = _flat("""
Date|str
FNSKU|str
ASIN|str
MSKU|str
Title|str
Disposition|str
Starting Warehouse Balance|int
In Transit Between Warehouses|int
Receipts|int
Customer Shipments|int
Customer Returns|int
Vendor Returns|int
Warehouse Transfer In/Out|int
Found|int
Lost|int
Damaged|int
Disposed|int
Other Events|int
Ending Warehouse Balance|int
Unknown Events|int
Location|str
""")

_ORDER_VARIANTS = (
    ("created", "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"),
    ("last_updated", "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"),
)
# Seller flat files come as Cp1252 in US/EU marketplaces and Shift_JIS (cp932) in Japan when
# Amazon sends no charset; cp932 is the superset Windows/Amazon actually use.
_SELLER_TSV = dict(family="seller", format="tsv", quotechar=None, encoding="cp1252",
                   encodings=(("JP", "cp932"), ("CN", "utf-8")))

TYPES: tuple[ReportType, ...] = (
    ReportType(
        "GET_VENDOR_SALES_REPORT", "Vendor sales",
        "Shipped and ordered revenue, units, COGS and returns, for the whole catalog and per ASIN.",
        options=(_REPORT_PERIOD, _DISTRIBUTOR_VIEW, _SELLING_PROGRAM_SALES),
        sections=_agg_by_asin("sales", _SALES_FIELDS), default_section="salesByAsin",
        publication_lag_hours=72, **_ANALYTICS,
    ),
    ReportType(
        "GET_VENDOR_INVENTORY_REPORT", "Vendor inventory",
        "On-hand, unsellable, aged and open-PO inventory units and costs, per ASIN and overall.",
        options=(_REPORT_PERIOD, _DISTRIBUTOR_VIEW, _SELLING_PROGRAM_RF),
        sections=_agg_by_asin(
            "inventory", _DATES + _INVENTORY_COMMON,
            agg_extra=_fields("procurableProductOutOfStockRate:float uft:float receiveFillRate:float"),
        ),
        default_section="inventoryByAsin", publication_lag_hours=72, **_ANALYTICS,
    ),
    ReportType(
        "GET_VENDOR_TRAFFIC_REPORT", "Vendor traffic",
        "Glance views of the detail pages, per ASIN and overall.",
        options=(_REPORT_PERIOD,),
        sections=_agg_by_asin("traffic", _DATES + _fields("glanceViews:int")),
        default_section="trafficByAsin", publication_lag_hours=72, **_ANALYTICS,
    ),
    ReportType(
        "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT", "Vendor net pure product margin",
        "Amazon's profit margin on your items: (revenue - COGS - vendor-funded coop) / revenue.",
        options=(_REPORT_PERIOD,),
        sections=_agg_by_asin("netPureProductMargin", _DATES + _fields("netPureProductMargin:float")),
        default_section="netPureProductMarginByAsin", publication_lag_hours=168, **_ANALYTICS,
    ),
    ReportType(
        "GET_VENDOR_FORECASTING_REPORT", "Vendor demand forecast",
        "Weekly mean and P70/P80/P90 unit demand forecasts per ASIN; no date range.",
        family="vendor", format="json", options=(_SELLING_PROGRAM_RF,),
        sections=(_one_level("forecastByAsin", _fields(
            "forecastGenerationDate:date asin startDate:date endDate:date meanForecastUnits:float "
            "p70ForecastUnits:float p80ForecastUnits:float p90ForecastUnits:float"
        ), "one row per ASIN per forecast week"),),
        default_section="forecastByAsin", date_range="none", spec_last_updated=True, single_marketplace=True,
    ),
    ReportType(
        "GET_VENDOR_REAL_TIME_SALES_REPORT", "Vendor real-time sales",
        "Hourly ordered units and revenue per ASIN (UTC hours); currency in currencyCode.",
        options=(ReportOption("currencyCode", kind="currency",
                              description="Currency of orderedRevenue (echoed by Amazon)"),),
        sections=(_one_level("reportData", _fields(
            "startTime:datetime endTime:datetime asin orderedUnits:int orderedRevenue:float"
        ), "one row per ASIN per hour"),),
        # Its last hour is not final yet but is answered (not FATAL), unlike real-time traffic's.
        max_windows=_RT_WINDOW, lookback_days=30, publication_lag_hours=1, publication_lag_fatal=False,
        **_REAL_TIME,
    ),
    ReportType(
        "GET_VENDOR_REAL_TIME_INVENTORY_REPORT", "Vendor real-time inventory",
        "Hourly highly available inventory per ASIN; start at most 168 h back, span at most 24 h.",
        sections=(_one_level("reportData", _fields(
            "startTime:datetime endTime:datetime asin highlyAvailableInventory:int"
        ), "one row per ASIN per hour"),),
        max_windows=_RT_WINDOW, lookback_days=7, publication_lag_hours=0, **_REAL_TIME,
    ),
    ReportType(
        "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT", "Vendor real-time traffic",
        "Hourly glance views per ASIN; the range must end at least 60 minutes before the request.",
        sections=(_one_level("reportData", _fields(
            "startTime:datetime endTime:datetime asin glanceViews:int"
        ), "one row per ASIN per hour"),),
        max_windows=_RT_WINDOW, lookback_days=30, publication_lag_hours=1, **_REAL_TIME,
    ),
    ReportType(
        "GET_COUPON_PERFORMANCE_REPORT", "Coupon performance",
        "Coupon campaigns, their coupons and ASINs: clips, redemptions, budget and discounts.",
        family="vendor", format="json",
        options=(
            ReportOption("campaignStartDateFrom", kind="datetime", required=True,
                         description="Earliest campaign start date-time (UTC) to include"),
            ReportOption("campaignStartDateTo", kind="datetime", required=True,
                         description="Latest campaign start date-time (UTC) to include"),
        ),
        sections=(
            Section("campaigns", (_COUPON_CAMPAIGN,), "one row per campaign"),
            Section("coupons", (_COUPON_CAMPAIGN, _COUPON), "one row per coupon, campaign fields repeated"),
            Section("asins", (_COUPON_CAMPAIGN, _COUPON, _COUPON_ASIN),
                    "one row per coupon ASIN, campaign and coupon fields repeated"),
        ),
        default_section="asins", date_range="options",
        range_options=("campaignStartDateFrom", "campaignStartDateTo"), lookback_days=730,
    ),
    ReportType(
        "GET_PROMOTION_PERFORMANCE_REPORT", "Promotion performance",
        "Deals and price discounts: units, revenue, spend and glance views per promotion and ASIN.",
        family="vendor", format="json",
        options=(
            ReportOption("promotionStartDateFrom", kind="datetime", required=True,
                         description="Earliest promotion start date-time to include"),
            ReportOption("promotionStartDateTo", kind="datetime", required=True,
                         description="Latest promotion start date-time to include"),
        ),
        sections=(
            Section("promotions", (_PROMOTION,), "one row per promotion"),
            Section("includedProducts", (_PROMOTION, _PROMOTION_PRODUCT),
                    "one row per promoted ASIN, promotion fields repeated"),
        ),
        default_section="includedProducts", date_range="options",
        range_options=("promotionStartDateFrom", "promotionStartDateTo"), lookback_days=730,
    ),
    ReportType(
        "GET_MERCHANT_LISTINGS_ALL_DATA", "All listings",
        "Every listing (active and inactive) with SKU, ASIN, price, quantity and status.",
        options=(ReportOption("custom", kind="boolean", description="Use the custom column set from Seller Central"),),
        columns=_LISTING_COLUMNS, date_range="none", **_SELLER_TSV,
    ),
    ReportType(
        "GET_MERCHANT_LISTINGS_DATA", "Active listings",
        "Active listings with SKU, ASIN, price and quantity.",
        options=(ReportOption("custom", kind="boolean", description="Use the custom column set from Seller Central"),),
        columns=_LISTING_COLUMNS, date_range="none", **_SELLER_TSV,
    ),
    ReportType(
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", "All orders by order date",
        "Order items of orders created in the range, all fulfillment channels.",
        columns=_ORDER_COLUMNS, date_range="datetime", max_windows=((None, 30, "DAY"),),
        query_date_types=_ORDER_VARIANTS, **{**_SELLER_TSV, "encoding": "utf-8"},
    ),
    ReportType(
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", "All orders by last update",
        "Order items of orders last updated in the range, all fulfillment channels.",
        columns=_ORDER_COLUMNS, date_range="datetime", max_windows=((None, 30, "DAY"),),
        query_date_types=_ORDER_VARIANTS, **{**_SELLER_TSV, "encoding": "utf-8"},
    ),
    ReportType(
        "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", "FBA manage inventory",
        "FBA inventory per SKU (fulfillable, inbound, reserved, unsellable), unsuppressed listings.",
        columns=_MYI_COLUMNS, date_range="none", **_SELLER_TSV,
    ),
    ReportType(
        "GET_AFN_INVENTORY_DATA", "FBA amazon-fulfilled inventory",
        "Quantity available per SKU and warehouse condition in Amazon's fulfillment network.",
        columns=_AFN_COLUMNS, date_range="none", **_SELLER_TSV,
    ),
    ReportType(
        "GET_LEDGER_DETAIL_VIEW_DATA", "FBA inventory ledger (detail)",
        "Inventory events (receipts, shipments, adjustments...) per FNSKU; fields are quoted.",
        options=(
            ReportOption("eventType", ("Adjustments", "CustomerReturns", "Receipts", "Shipments",
                                       "VendorReturns", "WhseTransfers"),
                         description="Only this kind of event"),
        ),
        columns=_LEDGER_DETAIL_COLUMNS, date_range="day", max_windows=((None, 31, "DAY"),),
        **{**_SELLER_TSV, "quotechar": '"', "encoding": "utf-8"},
    ),
    ReportType(
        "GET_LEDGER_SUMMARY_VIEW_DATA", "FBA inventory ledger (summary)",
        "Starting/ending balances and event totals per FNSKU and period; fields are quoted.",
        options=(
            ReportOption("aggregateByLocation", ("COUNTRY", "FC"), default="COUNTRY",
                         description="Totals per country or per fulfillment center"),
            ReportOption("aggregatedByTimePeriod", ("DAILY", "WEEKLY", "MONTHLY"), default="MONTHLY",
                         description="Period of the balances"),
        ),
        columns=_LEDGER_SUMMARY_COLUMNS, date_range="day",
        **{**_SELLER_TSV, "quotechar": '"', "encoding": "utf-8"},
    ),
)

#: All known report types by name (read-only).
REPORT_TYPES: Mapping[str, ReportType] = MappingProxyType({rt.name: rt for rt in TYPES})
