"""The marketplace registry: country codes, marketplace ids, regions and hosts.

Every marketplace in Amazon's "Marketplace IDs" page is here. A marketplace is
accepted as a country code (``"US"``, ``"UK"`` or ``"GB"``, ``"DE"``...) or as a
marketplace id (``"ATVPDKIKX0DER"``); the region follows from it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Iterable, Sequence

from ..exceptions import ConfigurationError, UnknownMarketplaceError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Marketplace",
    "REGIONS",
    "MARKETPLACES",
    "marketplaces",
    "get_marketplace",
    "resolve_marketplaces",
    "resolve_region",
]


@dataclass(frozen=True)
class Region:
    """An SP-API region: its production and sandbox hosts."""

    code: str
    endpoint: str
    sandbox_endpoint: str
    aws_region: str


REGIONS: dict[str, Region] = {
    "NA": Region("NA", "https://sellingpartnerapi-na.amazon.com",
                 "https://sandbox.sellingpartnerapi-na.amazon.com", "us-east-1"),
    "EU": Region("EU", "https://sellingpartnerapi-eu.amazon.com",
                 "https://sandbox.sellingpartnerapi-eu.amazon.com", "eu-west-1"),
    "FE": Region("FE", "https://sellingpartnerapi-fe.amazon.com",
                 "https://sandbox.sellingpartnerapi-fe.amazon.com", "us-west-2"),
}

#: The single LWA token URL the SP-API docs give for every region.
LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"


@dataclass(frozen=True)
class Marketplace:
    """One Amazon marketplace.

    ``timezone`` is the zone whose calendar day "today" means for this
    marketplace; ``encoding`` is the charset its flat-file reports use when the
    response does not say.
    """

    country_code: str
    name: str
    marketplace_id: str
    region: str
    vendor_central: str | None
    seller_central: str
    timezone: str
    currency: str
    encoding: str = "utf-8"

    @property
    def endpoint(self) -> str:
        """The production SP-API base URL of the marketplace's region."""
        return REGIONS[self.region].endpoint

    @property
    def sandbox_endpoint(self) -> str:
        """Amazon's static-sandbox base URL of the marketplace's region."""
        return REGIONS[self.region].sandbox_endpoint

    def central_url(self, *, vendor: bool = True) -> str:
        """Base URL of Vendor Central (or Seller Central) for consent."""
        host = self.vendor_central if vendor else self.seller_central
        if host is None:
            kind = "Vendor" if vendor else "Seller"
            msg = f"{kind} Central has no known host for marketplace {self.country_code}"
            raise ConfigurationError(msg, parameter="marketplace", value=self.country_code)
        return f"https://{host}"


_M = Marketplace
MARKETPLACES: tuple[Marketplace, ...] = (
    _M("CA", "Canada", "A2EUQ1WTGCTBG2", "NA", "vendorcentral.amazon.ca", "sellercentral.amazon.ca", "America/Vancouver", "CAD", "cp1252"),
    _M("US", "United States", "ATVPDKIKX0DER", "NA", "vendorcentral.amazon.com", "sellercentral.amazon.com", "America/Los_Angeles", "USD", "cp1252"),
    _M("MX", "Mexico", "A1AM78C64UM0Y8", "NA", "vendorcentral.amazon.com.mx", "sellercentral.amazon.com.mx", "America/Mexico_City", "MXN", "cp1252"),
    _M("BR", "Brazil", "A2Q3Y263D00KWC", "NA", "vendorcentral.amazon.com.br", "sellercentral.amazon.com.br", "America/Sao_Paulo", "BRL", "cp1252"),
    _M("IE", "Ireland", "A28R8C7NBKEWEA", "EU", None, "sellercentral.amazon.ie", "Europe/Dublin", "EUR", "cp1252"),
    _M("ES", "Spain", "A1RKKUPIHCS9HS", "EU", "vendorcentral.amazon.es", "sellercentral-europe.amazon.com", "Europe/Madrid", "EUR", "cp1252"),
    _M("UK", "United Kingdom", "A1F83G8C2ARO7P", "EU", "vendorcentral.amazon.co.uk", "sellercentral-europe.amazon.com", "Europe/London", "GBP", "cp1252"),
    _M("FR", "France", "A13V1IB3VIYZZH", "EU", "vendorcentral.amazon.fr", "sellercentral-europe.amazon.com", "Europe/Paris", "EUR", "cp1252"),
    _M("BE", "Belgium", "AMEN7PMS3EDWL", "EU", None, "sellercentral.amazon.com.be", "Europe/Brussels", "EUR", "cp1252"),
    _M("NL", "Netherlands", "A1805IZSGTT6HS", "EU", "vendorcentral.amazon.nl", "sellercentral.amazon.nl", "Europe/Amsterdam", "EUR", "cp1252"),
    _M("DE", "Germany", "A1PA6795UKMFR9", "EU", "vendorcentral.amazon.de", "sellercentral-europe.amazon.com", "Europe/Berlin", "EUR", "cp1252"),
    _M("IT", "Italy", "APJ6JRA9NG5V4", "EU", "vendorcentral.amazon.it", "sellercentral-europe.amazon.com", "Europe/Rome", "EUR", "cp1252"),
    _M("SE", "Sweden", "A2NODRKZP88ZB9", "EU", "vendorcentral.amazon.se", "sellercentral.amazon.se", "Europe/Stockholm", "SEK", "cp1252"),
    _M("ZA", "South Africa", "AE08WJ6YKNBMC", "EU", None, "sellercentral.amazon.co.za", "Africa/Johannesburg", "ZAR", "utf-8"),
    _M("PL", "Poland", "A1C3SOZRARQ6R3", "EU", "vendorcentral.amazon.pl", "sellercentral.amazon.pl", "Europe/Warsaw", "PLN", "utf-8"),
    _M("EG", "Egypt", "ARBP9OOSHTCHU", "EU", "vendorcentral.amazon.me", "sellercentral.amazon.eg", "Africa/Cairo", "EGP", "utf-8"),
    _M("TR", "Turkey", "A33AVAJ2PDY3EV", "EU", "vendorcentral.amazon.com.tr", "sellercentral.amazon.com.tr", "Europe/Istanbul", "TRY", "utf-8"),
    _M("SA", "Saudi Arabia", "A17E79C6D8DWNP", "EU", None, "sellercentral.amazon.sa", "Asia/Riyadh", "SAR", "utf-8"),
    _M("AE", "United Arab Emirates", "A2VIGQ35RCS4UG", "EU", "vendorcentral.amazon.me", "sellercentral.amazon.ae", "Asia/Dubai", "AED", "utf-8"),
    _M("IN", "India", "A21TJRUUN4KGV", "EU", "vendorcentral.amazon.in", "sellercentral.amazon.in", "Asia/Kolkata", "INR", "utf-8"),
    _M("SG", "Singapore", "A19VAU5U5O7RUS", "FE", "vendorcentral.amazon.com.sg", "sellercentral.amazon.sg", "Asia/Singapore", "SGD", "utf-8"),
    _M("AU", "Australia", "A39IBJ37TRP1C6", "FE", "vendorcentral.amazon.com.au", "sellercentral.amazon.com.au", "Australia/Sydney", "AUD", "utf-8"),
    _M("JP", "Japan", "A1VC38T7YXB528", "FE", "vendorcentral.amazon.co.jp", "sellercentral.amazon.co.jp", "Asia/Tokyo", "JPY", "cp932"),
)
del _M

_BY_CODE = {m.country_code: m for m in MARKETPLACES}
_BY_CODE["GB"] = _BY_CODE["UK"]  # the Sellers API answers ISO 3166 "GB" for the UK
_BY_ID = {m.marketplace_id: m for m in MARKETPLACES}

# The details pane's "Country Code" choice: UK-EU for the EU region, NA otherwise.
_REGION_ALIASES = {"NA": "NA", "EU": "EU", "UK-EU": "EU", "FE": "FE"}


def _valid_codes() -> str:
    return ", ".join(sorted(_BY_CODE))


def get_marketplace(marketplace: str | Marketplace) -> Marketplace:
    """Return the :class:`Marketplace` for a country code or marketplace id.

    Parameters
    ----------
    marketplace : str or Marketplace
        ``"US"``, ``"uk"``, ``"GB"``, ``"ATVPDKIKX0DER"``...

    Raises
    ------
    UnknownMarketplaceError
        Listing the valid codes.
    """
    if isinstance(marketplace, Marketplace):
        return marketplace
    if not isinstance(marketplace, str):
        msg = f"marketplace must be a country code or marketplace id string, got {marketplace!r}"
        raise UnknownMarketplaceError(msg, parameter="marketplace", value=marketplace, allowed=_valid_codes())
    key = marketplace.strip()
    found = _BY_ID.get(key) or _BY_CODE.get(key.upper())
    if found is None:
        msg = (
            f"marketplace={marketplace!r} is not a known marketplace; use a country code "
            f"({_valid_codes()}) or a marketplace id (see amzv.marketplaces())"
        )
        raise UnknownMarketplaceError(msg, parameter="marketplace", value=marketplace, allowed=_valid_codes())
    return found


def resolve_marketplaces(
    marketplace: str | Marketplace | Iterable[str | Marketplace],
    *,
    limit: int | None = 25,
) -> list[Marketplace]:
    """Resolve one marketplace or a list of them (also a comma-separated string).

    All must share a region, and there may be at most ``limit`` of them.
    """
    if isinstance(marketplace, (str, Marketplace)):
        items: Sequence[str | Marketplace] = (
            [p for p in marketplace.split(",") if p.strip()] if isinstance(marketplace, str) else [marketplace]
        )
    else:
        items = list(marketplace)
    if not items:
        raise ConfigurationError("marketplace must name at least one marketplace", parameter="marketplace", value=marketplace)
    resolved: list[Marketplace] = []
    for item in items:
        m = get_marketplace(item)
        if m not in resolved:
            resolved.append(m)
    if limit is not None and len(resolved) > limit:
        msg = f"marketplace: {len(resolved)} marketplaces given, at most {limit} are allowed per request"
        raise ConfigurationError(msg, parameter="marketplace", value=[m.country_code for m in resolved], allowed=f"1..{limit}")
    regions = {m.region for m in resolved}
    if len(regions) > 1:
        msg = (
            f"marketplace: {', '.join(m.country_code for m in resolved)} span regions {', '.join(sorted(regions))}; "
            "one request can only cover one region"
        )
        raise ConfigurationError(msg, parameter="marketplace", value=[m.country_code for m in resolved])
    return resolved


def resolve_region(region: str) -> str:
    """Normalise a region name (``"NA"``, ``"EU"``, ``"UK-EU"``, ``"FE"``)."""
    code = _REGION_ALIASES.get(str(region).strip().upper())
    if code is None:
        msg = f"region={region!r} is not a region; use one of NA, EU (or UK-EU), FE"
        raise ConfigurationError(msg, parameter="region", value=region, allowed=["NA", "EU", "UK-EU", "FE"])
    return code


def default_marketplace_from_env() -> str | None:
    """The ``AMZV_MARKETPLACE`` setting, if any."""
    return os.environ.get("AMZV_MARKETPLACE") or None


def marketplaces(region: str | None = None) -> "pd.DataFrame":
    """Every known marketplace as a DataFrame.

    Parameters
    ----------
    region : {"NA", "EU", "FE"}, optional
        Only that region's marketplaces.

    Returns
    -------
    pandas.DataFrame
        Columns country_code, name, marketplace_id, region, endpoint,
        sandbox_endpoint, vendor_central, seller_central, timezone, currency, encoding.

    Examples
    --------
    >>> import amzv_pandas as amzv
    >>> amzv.marketplaces().set_index("country_code").loc["DE", "marketplace_id"]
    'A1PA6795UKMFR9'
    """
    import pandas as pd

    wanted = resolve_region(region) if region is not None else None
    rows = []
    for m in MARKETPLACES:
        if wanted and m.region != wanted:
            continue
        row = {f.name: getattr(m, f.name) for f in fields(m)}
        row["endpoint"] = m.endpoint
        row["sandbox_endpoint"] = m.sandbox_endpoint
        rows.append(row)
    cols = ["country_code", "name", "marketplace_id", "region", "endpoint", "sandbox_endpoint",
            "vendor_central", "seller_central", "timezone", "currency", "encoding"]
    return pd.DataFrame(rows, columns=cols)
