"""Catalog Items API (v2022-04-01) into DataFrames: the package's public catalog names.

Two verbs and two pure helpers:

* :func:`get_catalog_items` looks up many ASINs or seller SKUs, batching them
  :data:`MAX_IDENTIFIERS` per ``searchCatalogItems`` call, and reports what
  Amazon did not return (and, for SKUs, isolates the invalid ones);
  in :mod:`amzv_pandas._catalog.lookup`.
* :func:`search_catalog_items` runs a keyword (or identifier) search and pages
  through ``pageToken`` up to ``max_results`` or Amazon's 1,000-result cap;
  in :mod:`amzv_pandas._catalog.search`.
* :func:`flatten_items` turns raw ``Item`` objects into one typed row per item
  and marketplace; :func:`expand_attributes` unpacks chosen free-form attributes.
  Both live, pure, in :mod:`amzv_pandas._catalog.flatten`.

The API's limits and the argument rules both verbs share are in
:mod:`amzv_pandas._catalog.arguments`. Every frame has a stable column set per
``included_data`` (even when empty, so frames concatenate) and ``df.attrs["amzv"]``
describing the call.
"""

from __future__ import annotations

# re-exported: the model's limits (tests check them against the model through this module)
from .arguments import IDENTIFIER_TYPES, LOCALE_PATTERN, MAX_IDENTIFIERS, MAX_KEYWORDS  # noqa: F401
from .arguments import PAGE_SIZE, SEARCH_PATH, SEARCH_RESULT_CAP  # noqa: F401
from .flatten import (  # noqa: F401  (re-exported)
    INCLUDED_DATA,
    LIST_SEPARATOR,
    SECTION_COLUMNS,
    catalog_columns,
    expand_attributes,
    flatten_items,
)
from .lookup import get_catalog_items
from .search import search_catalog_items

__all__ = [
    "INCLUDED_DATA",
    "IDENTIFIER_TYPES",
    "MAX_IDENTIFIERS",
    "MAX_KEYWORDS",
    "PAGE_SIZE",
    "SEARCH_RESULT_CAP",
    "get_catalog_items",
    "search_catalog_items",
    "flatten_items",
    "expand_attributes",
    "catalog_columns",
]
