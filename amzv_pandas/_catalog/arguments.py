"""The Catalog Items API's limits and the argument rules its two verbs share (pure, no call).

The limits are the model's (``catalogItems_2022-04-01.json``, ``searchCatalogItems``);
``tests`` check each one against the model so a model update cannot drift silently.
"""

from __future__ import annotations

from typing import Any, Sequence

from .._specs.marketplaces import Marketplace
from .._util.checks import shown
from .._util.progress import validate_progress_bar_type
from ..exceptions import ConfigurationError
from .flatten import normalize_included_data, split_csv

__all__ = [
    "SEARCH_PATH",
    "MAX_IDENTIFIERS",
    "MAX_KEYWORDS",
    "PAGE_SIZE",
    "IDENTIFIER_TYPES",
    "SEARCH_RESULT_CAP",
    "LOCALE_PATTERN",
    "ON_INVALID_SKU",
    "single_marketplace",
    "shared_arguments",
]

SEARCH_PATH = "/catalog/2022-04-01/items"

# Limits from catalogItems_2022-04-01.json (searchCatalogItems); tests/unit/catalog/test_api.py
# checks each one against the model so a model update cannot drift silently.
#: ``identifiers`` maxItems: ASINs/SKUs per request.
MAX_IDENTIFIERS = 20
#: ``keywords`` maxItems.
MAX_KEYWORDS = 20
#: ``pageSize`` maximum (the default is 10; we always ask for the maximum).
PAGE_SIZE = 20
#: ``identifiersType`` enum.
IDENTIFIER_TYPES: tuple[str, ...] = ("ASIN", "EAN", "GTIN", "ISBN", "JAN", "MINSAN", "SKU", "UPC")
#: "At most 1,000 ASINs can be paged through" (the model's pagination note).
SEARCH_RESULT_CAP = 1000
#: ``locale``/``keywordsLocale``: the model gives ``en_US`` as the example (language_COUNTRY).
LOCALE_PATTERN = r"[a-z]{2}_[A-Z]{2}"

ON_INVALID_SKU = {
    "raise": "raise",
    "skip": "skip",
    # the connector's "Continue on Invalid SKU Error" choices
    "warn about invalid skus": "raise",
    "skip invalid skus": "skip",
}


# --------------------------------------------------------------------------------------------
# Argument normalisation (pure; every error is raised before any API call)
# --------------------------------------------------------------------------------------------

def single_marketplace(marketplace: Any) -> Any:
    """Reject more than one marketplace (the API's marketplaceIds maxItems is 1)."""
    if marketplace is None or isinstance(marketplace, Marketplace):
        return marketplace
    if isinstance(marketplace, str):
        parts = split_csv(marketplace)
    elif isinstance(marketplace, (list, tuple)):
        parts = list(marketplace)
    else:
        return marketplace  # not a code: get_marketplace() refuses it, naming the parameter
    if not parts:
        msg = f"marketplace={shown(marketplace)} names no marketplace; give one (e.g. 'US') or None for the client's"
        raise ConfigurationError(msg, parameter="marketplace", value=marketplace, allowed="one marketplace")
    if len(parts) > 1:
        msg = (
            f"marketplace={marketplace!r}: the Catalog Items API takes exactly one marketplace per "
            "request; call once per marketplace and concatenate the frames"
        )
        raise ConfigurationError(msg, parameter="marketplace", value=marketplace, allowed="one marketplace")
    return parts[0] if parts else None


def shared_arguments(included_data: str | Sequence[str] | None, marketplace: Any,
                     progress_bar_type: Any) -> tuple[tuple[str, ...], Any]:
    """The arguments both verbs take, checked: ``(sections, the one marketplace or None)``."""
    sections = normalize_included_data(included_data)
    marketplace = single_marketplace(marketplace)
    validate_progress_bar_type(progress_bar_type)
    return sections, marketplace
