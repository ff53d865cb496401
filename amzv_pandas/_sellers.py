"""The Sellers API: the marketplaces an account takes part in, as a DataFrame."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from ._transport.http import Transport

__all__ = ["marketplace_participations", "PARTICIPATIONS_PATH"]

PARTICIPATIONS_PATH = "/sellers/v1/marketplaceParticipations"
_COLUMNS = ["marketplace_id", "country_code", "name", "currency", "language", "domain", "store_name",
            "is_participating", "has_suspended_listings"]


def marketplace_participations(*, client: "Transport") -> "pd.DataFrame":
    """The account's marketplaces (Sellers API ``getMarketplaceParticipations``).

    Parameters
    ----------
    client : Client
        The account asked.

    Returns
    -------
    DataFrame
        One row per marketplace: ``marketplace_id``, ``country_code``, ``name``, ``currency``,
        ``language``, ``domain``, ``store_name``, ``is_participating`` and
        ``has_suspended_listings`` (nullable booleans).
    """
    import pandas as pd

    payload = client.request("GET", PARTICIPATIONS_PATH).get("payload", [])
    rows = []
    for entry in payload:
        market = entry.get("marketplace", {})
        part = entry.get("participation", {})
        rows.append({
            "marketplace_id": market.get("id"),
            "country_code": market.get("countryCode"),
            "name": market.get("name"),
            "currency": market.get("defaultCurrencyCode"),
            "language": market.get("defaultLanguageCode"),
            "domain": market.get("domainName"),
            "store_name": entry.get("storeName"),
            "is_participating": part.get("isParticipating"),
            "has_suspended_listings": part.get("hasSuspendedListings"),
        })
    frame = pd.DataFrame(rows, columns=_COLUMNS)
    return frame.astype({"is_participating": "boolean", "has_suspended_listings": "boolean"})
