"""``amzv demo``: the library end to end against the built-in sandbox.

Starts the sandbox on a free loopback port, authenticates against it like a
real account (Login with Amazon refresh-token grant), and pulls data into
DataFrames that it prints: the marketplace table, the account's marketplaces,
the last 7 available days of vendor sales by ASIN (with dtypes and where the
cache put the report), a catalog search and the sales enriched with catalog
titles. It ends with the next steps: pointing the same calls at a real account.

Progress bars go to stderr only when stderr is a terminal; otherwise (a log file,
a pipe, CI) each finished step is one plain line there instead of tqdm's ``\\r`` frames.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

__all__ = ["run"]


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _section(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 78 - len(title)))


NEXT_STEPS = """
Next steps
  Your own account: save its credentials once as a profile, then use it from Python or the CLI:
      amzv authorize --app-id ... --client-id ... --client-secret ... --marketplace US \\
          --redirect-uri ... --profile acme          (amzv authorize --help shows an example)
      export AMZV_PROFILE=acme                       (or amzv.Client(profile="acme") in Python)
      python -c 'import amzv_pandas as amzv; print(amzv.read_report("GET_VENDOR_SALES_REPORT", "today-10", "today-4"))'
  A daily Parquet dataset for cron:   amzv sync --help      (several accounts: --account, amzv profiles)
  The notebooks (quickstart, vendor sales, the form, backfill, many accounts, vendor analytics) are in
  the notebooks/ folder of the source tree:   pip install "amzv_pandas[notebook]" && jupyter lab notebooks/
  A sandbox to point your own code at:   amzv sandbox --help"""


class _Steps:
    """One plain stderr line per finished step when stderr is not a terminal (bars are off then)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._t0 = time.monotonic()

    def done(self, what: str) -> None:
        if self.enabled:
            now = time.monotonic()
            print(f"amzv demo: {what} done ({now - self._t0:.1f} s)", file=sys.stderr, flush=True)
            self._t0 = now


def run(*, marketplace: str = "US", speed: float = 200.0) -> int:
    """Run the demo; returns a process exit code.

    tqdm bars are shown only when stderr is a terminal; otherwise one line per finished step.
    """
    tty = _isatty(sys.stderr)
    bars: Any = "tqdm" if tty else None
    steps = _Steps(enabled=not tty)
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
        steps.done("sandbox start")
        with sb.client(marketplace=marketplace) as client:
            _section("The account's marketplaces (Sellers API, over HTTP with an LWA token)")
            print(client.marketplace_participations().head(8).to_string(index=False))
            steps.done("authentication and marketplaces")

            report = "GET_VENDOR_SALES_REPORT"
            rt = get_report_type(report)
            market = client.resolve_marketplace()
            end = last_final_day(rt.publication_lag, dt.datetime.now(ZoneInfo(market.timezone)))
            start = end - dt.timedelta(days=6)
            _section(f"Vendor sales by ASIN, the last 7 available days ({start} to {end})")
            print(f'amzv.read_report("{report}", start="{start}", end="{end}")')
            # the sandbox runs at `speed`x, so poll more often than the 5 s default
            sales = amzv.read_report(report, start, end, client=client, poll_interval=0.2,
                                     progress_bar_type=bars)
            steps.done(f"{report} ({len(sales)} rows)")
            shown = ["startDate", "asin", "shippedUnits", "shippedRevenue_amount", "shippedRevenue_currency",
                     "shippedCogs_amount", "orderedUnits", "orderedRevenue_amount", "customerReturns"]
            print(sales[shown].head(10).to_string(index=False))
            print(f"\n{len(sales)} rows x {sales.shape[1]} columns; dtypes:")
            print(sales.dtypes.to_string())
            info = amzv.cache_info(client=client)
            entry = info[info.report_type == report].iloc[-1]
            print(f"\ncached report document: {entry.path}")
            calls_before = sum(client.calls.values())
            again = amzv.read_report(report, start, end, client=client, progress_bar_type=bars)
            steps.done("cached re-read")
            print(f"read again from the cache: {len(again)} rows, "
                  f"{sum(client.calls.values()) - calls_before} API calls, from_cache={again.attrs['amzv']['from_cache']}")

            _section('Catalog search (amzv.search_catalog_items("coffee"))')
            found = amzv.search_catalog_items("coffee", max_results=10, client=client, progress_bar_type=bars)
            steps.done(f"catalog search ({len(found)} items)")
            print(found[["asin", "item_name", "brand", "website_display_group"]].to_string(index=False))

            _section("Top sales ASINs enriched with catalog data (df.amzv.enrich())")
            top = (sales.groupby("asin", as_index=False)[["shippedRevenue_amount", "shippedUnits"]].sum()
                   .sort_values("shippedRevenue_amount", ascending=False).head(10))
            enriched = top.amzv.enrich(client=client, progress_bar_type=bars)
            steps.done("enrich")
            print(enriched[["asin", "item_name", "brand", "shippedRevenue_amount", "shippedUnits"]]
                  .to_string(index=False))

            print(f"\nAPI calls by operation: {dict(sorted(client.calls.items()))}")
    print(NEXT_STEPS)
    return 0
