"""``amzv demo``: the library end to end against the built-in sandbox.

Starts the sandbox on a free loopback port, authenticates against it like a
real account (Login with Amazon refresh-token grant), and pulls data into
DataFrames that it prints.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["run"]


def _section(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 70 - len(title)))


def run(*, marketplace: str = "US", speed: float = 200.0) -> int:
    """Run the demo; returns a process exit code."""
    import amzv_pandas as amzv
    from amzv_pandas import sandbox

    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 12)
    pd.set_option("display.max_colwidth", 40)

    _section("Marketplaces (amzv.marketplaces())")
    print(amzv.marketplaces().loc[:, ["country_code", "name", "marketplace_id", "region", "endpoint"]]
          .to_string(index=False))

    with sandbox.serve(speed=speed) as sb:
        print(f"\nbuilt-in sandbox listening on {sb.url}")
        with sb.client(marketplace=marketplace) as client:
            _section("The account's marketplaces (Sellers API, over HTTP with an LWA token)")
            print(client.marketplace_participations().to_string(index=False))
            print(f"LWA token calls: {client.calls['token']}; API calls: "
                  f"{sum(v for k, v in client.calls.items() if k != 'token')}")
    return 0
