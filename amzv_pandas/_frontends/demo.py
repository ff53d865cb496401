"""``amzv demo``: the library end to end against the built-in sandbox.

Starts the sandbox on a free loopback port, authenticates against it like a
real account (Login with Amazon refresh-token grant), and pulls data into
DataFrames that it prints: the marketplace table, the account's marketplaces,
the last 7 available days of vendor sales by ASIN (with dtypes and where the
cache put the report), a catalog search and the sales enriched with catalog
titles.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

__all__ = ["run"]


def _section(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 78 - len(title)))


def run(*, marketplace: str = "US", speed: float = 200.0) -> int:
    """Run the demo; returns a process exit code."""
    from .. import sandbox
    from .._facade import api as amzv  # the public functions, as a user calls them
    from .._specs.dates import last_final_day
    from .._specs.marketplaces import marketplaces
    from .._specs.registry import get_report_type

    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 12)
    pd.set_option("display.max_colwidth", 40)

    _section("Marketplaces (amzv.marketplaces())")
    print(marketplaces().loc[:, ["country_code", "name", "marketplace_id", "region", "endpoint"]]
          .to_string(index=False))

    with sandbox.serve(speed=speed) as sb:
        print(f"\nbuilt-in sandbox listening on {sb.url}")
        with sb.client(marketplace=marketplace) as client:
            _section("The account's marketplaces (Sellers API, over HTTP with an LWA token)")
            print(client.marketplace_participations().head(8).to_string(index=False))

            report = "GET_VENDOR_SALES_REPORT"
            rt = get_report_type(report)
            market = client.resolve_marketplace()
            end = last_final_day(rt.publication_lag, dt.datetime.now(ZoneInfo(market.timezone)))
            start = end - dt.timedelta(days=6)
            _section(f"Vendor sales by ASIN, the last 7 available days ({start} to {end})")
            print(f'amzv.read_report("{report}", start="{start}", end="{end}")')
            # the sandbox runs at `speed`x, so poll more often than the 5 s default
            sales = amzv.read_report(report, start, end, client=client, poll_interval=0.2)
            shown = ["startDate", "asin", "shippedUnits", "shippedRevenue_amount", "shippedRevenue_currency",
                     "shippedCogs_amount", "orderedUnits", "orderedRevenue_amount", "customerReturns"]
            print(sales[shown].head(10).to_string(index=False))
            print(f"\n{len(sales)} rows x {sales.shape[1]} columns; dtypes:")
            print(sales.dtypes.to_string())
            info = amzv.cache_info(client=client)
            entry = info[info.report_type == report].iloc[-1]
            print(f"\ncached report document: {entry.path}")
            calls_before = sum(client.calls.values())
            again = amzv.read_report(report, start, end, client=client)
            print(f"read again from the cache: {len(again)} rows, "
                  f"{sum(client.calls.values()) - calls_before} API calls, from_cache={again.attrs['amzv']['from_cache']}")

            _section('Catalog search (amzv.search_catalog_items("coffee"))')
            found = amzv.search_catalog_items("coffee", max_results=10, client=client)
            print(found[["asin", "item_name", "brand", "website_display_group"]].to_string(index=False))

            _section("Top sales ASINs enriched with catalog data (df.amzv.enrich())")
            top = (sales.groupby("asin", as_index=False)[["shippedRevenue_amount", "shippedUnits"]].sum()
                   .sort_values("shippedRevenue_amount", ascending=False).head(10))
            enriched = top.amzv.enrich(client=client)
            print(enriched[["asin", "item_name", "brand", "shippedRevenue_amount", "shippedUnits"]]
                  .to_string(index=False))

            print(f"\nAPI calls by operation: {dict(sorted(client.calls.items()))}")
    return 0
