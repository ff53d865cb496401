"""Catalog Items API (v2022-04-01) into DataFrames.

Two verbs and two pure helpers:

* :func:`get_catalog_items` looks up many ASINs or seller SKUs, batching them
  :data:`MAX_IDENTIFIERS` per ``searchCatalogItems`` call, and reports what
  Amazon did not return (and, for SKUs, isolates the invalid ones).
* :func:`search_catalog_items` runs a keyword (or identifier) search and pages
  through ``pageToken`` up to ``max_results`` or Amazon's 1,000-result cap.
* :func:`flatten_items` turns raw ``Item`` objects into one typed row per item
  and marketplace; :func:`expand_attributes` unpacks chosen free-form attributes.
  Both live, pure, in :mod:`amzv_pandas._catalog.flatten` and are re-exported here.

Every frame has a stable column set per ``included_data`` (even when empty, so
frames concatenate) and ``df.attrs["amzv"]`` describing the call.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

from .._util.progress import get_progress_bar, validate_progress_bar_type
from .flatten import (
    INCLUDED_DATA,
    LIST_SEPARATOR,
    SECTION_COLUMNS,
    _as_list,
    _is_missing,
    _normalize_included_data,
    _split_csv,
    catalog_columns,
    expand_attributes,
    flatten_items,
)
from ..exceptions import AmzvWarning, BadRequest, ConfigurationError, InvalidSKUError, MissingItemsWarning
from .._util.ids import check_id
from .._util.checks import check_choice, check_int, check_str, shown
from .._specs.marketplaces import Marketplace

if TYPE_CHECKING:  # pragma: no cover
    from .._transport.http import Transport

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

SEARCH_PATH = "/catalog/2022-04-01/items"

# Limits from catalogItems_2022-04-01.json (searchCatalogItems); tests/test_catalog.py
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

_ON_INVALID_SKU = {
    "raise": "raise",
    "skip": "skip",
    # the connector's "Continue on Invalid SKU Error" choices
    "warn about invalid skus": "raise",
    "skip invalid skus": "skip",
}

# --------------------------------------------------------------------------------------------
# Argument normalisation (pure; every error is raised before any API call)
# --------------------------------------------------------------------------------------------

def _single_marketplace(marketplace: Any) -> Any:
    """Reject more than one marketplace (the API's marketplaceIds maxItems is 1)."""
    if marketplace is None or isinstance(marketplace, Marketplace):
        return marketplace
    if isinstance(marketplace, str):
        parts = _split_csv(marketplace)
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


def _resolve(client: "Transport", marketplace: Any) -> tuple[Any, Marketplace]:
    return client, client.resolve_marketplace(marketplace)


# --------------------------------------------------------------------------------------------
# get_catalog_items: batched identifier lookups
# --------------------------------------------------------------------------------------------

def _is_invalid_input(exc: BadRequest) -> bool:
    return (exc.code or "").lower() == "invalidinput"


def _batches(ids: Sequence[str], size: int, *, solo: Callable[[str], bool] = lambda _: False) -> list[list[str]]:
    """Split into batches of ``size``; ids for which ``solo`` is true get their own batch."""
    out: list[list[str]] = [[i] for i in ids if solo(i)]
    rest = [i for i in ids if not solo(i)]
    out += [rest[k:k + size] for k in range(0, len(rest), size)]
    return out


class _Fetcher:
    """One identifier batch per ``searchCatalogItems`` call, following pageToken."""

    def __init__(self, client: Any, params: dict[str, Any]) -> None:
        self.client = client
        self.params = params
        self.calls = 0

    def __call__(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        params = dict(self.params, identifiers=list(ids))
        items: list[dict[str, Any]] = []
        while True:
            self.calls += 1
            resp = self.client.request("GET", SEARCH_PATH, params=params) or {}
            items.extend(resp.get("items") or [])
            token = (resp.get("pagination") or {}).get("nextToken")
            if not token or len(items) >= SEARCH_RESULT_CAP:
                return items
            params = dict(params, pageToken=token)


def _isolate(group: list[str], fetch: Callable[[list[str]], list[dict[str, Any]]],
             ) -> tuple[list[tuple[list[str], list[dict[str, Any]]]], list[str]]:
    """Find the invalid ids in ``group``, which is known to fail with 400 InvalidInput.

    Binary splitting (adaptive group testing): query the left half; if it
    succeeds, the right half must hold an invalid id, so it is split without
    being queried. With k invalid ids among n this costs at most
    ``2 * k * ceil(log2(n))`` calls (never more than ``2 * (n - 1)``), and every
    valid id's items come from one of those calls: nothing is fetched twice.
    """
    if len(group) == 1:
        return [], list(group)
    mid = (len(group) + 1) // 2
    left, right = group[:mid], group[mid:]
    found: list[tuple[list[str], list[dict[str, Any]]]] = []
    invalid: list[str] = []
    left_ok = _try(left, fetch, found, invalid)
    if left_ok:
        sub_found, sub_invalid = _isolate(right, fetch)
        found += sub_found
        invalid += sub_invalid
    else:
        _try(right, fetch, found, invalid)
    return found, invalid


def _try(group: list[str], fetch: Callable[[list[str]], list[dict[str, Any]]],
         found: list[tuple[list[str], list[dict[str, Any]]]], invalid: list[str]) -> bool:
    try:
        found.append((group, fetch(group)))
        return True
    except BadRequest as exc:
        if not _is_invalid_input(exc):
            raise
    sub_found, sub_invalid = _isolate(group, fetch)
    found += sub_found
    invalid += sub_invalid
    return False


def _match_skus(
    skus: list[str], items: list[dict[str, Any]], hint: Mapping[str, str],
) -> tuple[list[tuple[str | None, dict[str, Any]]], list[str], list[str]]:
    """Pair the SKUs of one request with the items it returned.

    Amazon's response does not say which SKU an item answers, so pairs come from,
    in order: a ``SKU`` identifier in the item's identifiers, the ``hint``
    (seller-sku → asin, from the listings report), a one-SKU request, and
    elimination (one SKU and one item left). Returns the pairs (SKU ``None`` when
    unknown), the SKUs surely missing, and the SKUs that could not be paired.
    """
    wanted = set(skus)
    item_skus: list[list[str]] = []
    for item in items:
        matched = [
            i.get("identifier") for e in item.get("identifiers") or [] for i in e.get("identifiers") or []
            if str(i.get("identifierType", "")).upper() == "SKU" and i.get("identifier") in wanted
        ]
        matched += [s for s in skus if hint.get(s) == item.get("asin")]
        item_skus.append(list(dict.fromkeys(matched)))
    if len(skus) == 1:
        item_skus = [[skus[0]] for _ in items]
    paired = {s for ss in item_skus for s in ss}
    left_skus = [s for s in skus if s not in paired]
    left_items = [k for k, ss in enumerate(item_skus) if not ss]
    if len(left_skus) == 1 and len(left_items) == 1:
        item_skus[left_items[0]] = [left_skus[0]]
        left_skus, left_items = [], []
    pairs = [(s, item) for item, ss in zip(items, item_skus) for s in (ss or [None])]
    if left_items:  # some items unpaired: the leftover SKUs may be among them
        return pairs, [], left_skus
    return pairs, left_skus, []


def _listing_skus(marketplace: Marketplace, client: Any, progress_bar_type: Any = "auto",
                  ) -> tuple[list[str], dict[str, str]]:
    """Every seller SKU of the account (the connector's "All"), with its ASIN when known."""
    from .._reports.api import read_report

    # The caller's progress setting applies to the listings read too (None: no bar at all).
    listings = read_report("GET_MERCHANT_LISTINGS_ALL_DATA", marketplace=marketplace.marketplace_id, client=client,
                           progress_bar_type=progress_bar_type)
    if "seller-sku" not in listings.columns:
        msg = "the GET_MERCHANT_LISTINGS_ALL_DATA report has no 'seller-sku' column; cannot enumerate SKUs"
        raise ConfigurationError(msg, parameter="skus", value="all")
    skus = _as_list(listings["seller-sku"].dropna().astype(str).tolist(), "skus")
    hint: dict[str, str] = {}
    if "asin1" in listings.columns:
        for sku, asin in zip(listings["seller-sku"], listings["asin1"]):
            if isinstance(sku, str) and isinstance(asin, str) and asin:
                hint.setdefault(sku.strip(), asin.strip())
    return skus, hint


def _warn_list(what: str, ids: Sequence[str], category: type[Warning], where: str) -> None:
    msg = f"{len(ids)} {what}: {', '.join(ids)} (also in df.attrs['amzv']['{where}'])"
    warnings.warn(msg, category, stacklevel=3)


def get_catalog_items(
    asins: str | Iterable[str] | None = None,
    *,
    skus: str | Iterable[str] | None = None,
    seller_id: str | None = None,
    marketplace: str | Marketplace | None = None,
    included_data: str | Sequence[str] = ("summaries",),
    on_invalid_sku: str = "raise",
    progress_bar_type: Any = "auto",
    client: "Transport",
) -> pd.DataFrame:
    """Look up catalog items by ASIN or by seller SKU (the connector's "Get Catalog Items").

    Identifiers are deduplicated and sent :data:`MAX_IDENTIFIERS` (20) per
    ``searchCatalogItems`` call with ``pageSize`` 20, so *n* ASINs cost
    ``ceil(n / 20)`` calls (1,000 ASINs: 50 calls) instead of *n* ``getCatalogItem``
    calls at the same rate limit.

    Parameters
    ----------
    asins : str or iterable of str, optional
        One ASIN, a comma-delimited string, or a list (a Series works; missing values are
        skipped). An empty list (or a string holding no ASIN) looks up nothing: the result is
        an empty frame with the columns of ``included_data``, and no call is made (so an empty
        frame enriches to an empty frame). Only a missing argument is an error.
    skus : str or iterable of str, optional
        Seller SKUs instead of ASINs (the connector's "Advanced"): a list (each
        element kept whole, even with commas: such a SKU is sent in a request of
        its own) or a comma-delimited string. ``"all"`` (the connector's "All")
        looks up every SKU of the account, listed from the
        ``GET_MERCHANT_LISTINGS_ALL_DATA`` report.
    seller_id : str, optional
        Selling partner id or vendor code; required with ``skus``.
    marketplace : str or Marketplace, optional
        One marketplace (default: the client's).
    included_data : str or sequence of str, default ("summaries",)
        Sections to fetch and flatten; see :data:`INCLUDED_DATA`.
    on_invalid_sku : {"raise", "skip"}, default "raise"
        Amazon fails a whole request holding one invalid SKU (400 InvalidInput,
        without naming it). Failing batches are split in halves until the
        invalid SKUs are isolated: with *k* invalid SKUs in a batch of *n*, at
        most ``2 * k * ceil(log2(n))`` extra calls (10 for one bad SKU among 20).
        Every batch is checked; then ``"raise"`` (the connector's "Warn About
        Invalid SKUs") raises :class:`~amzv_pandas.exceptions.InvalidSKUError`
        listing all of them (the rows fetched are on its ``frame`` attribute),
        and ``"skip"`` ("Skip Invalid SKUs") warns and returns the rest. The
        connector's wording is accepted too.
    progress_bar_type : {"auto", "tqdm", "tqdm_notebook", None}, default "auto"
        A bar over the batches when there is more than one; with ``skus="all"`` also the bar of
        the listings report read (``None``: no bar at all).
    client : Client, optional
        Default: :func:`amzv_pandas.get_default_client` (resolved by ``amzv.*``; required here).

    Returns
    -------
    DataFrame
        One row per item (per SKU for SKU lookups), in the order asked:
        ``asin``, ``marketplace_id`` (and ``sku``) first, then the flattened
        sections (see :func:`flatten_items`). ``df.attrs["amzv"]`` holds
        ``operation``, ``marketplace_id``, ``included_data``,
        ``number_of_results``, ``missing`` (asked, not returned; also warned with
        :class:`~amzv_pandas.exceptions.MissingItemsWarning`) and, for SKUs,
        ``invalid_skus`` and ``unmatched_skus`` (Amazon does not say which SKU an
        item answers; SKUs that could not be paired leave ``sku`` empty on their
        rows).

    Raises
    ------
    ConfigurationError
        Bad arguments, before any call.
    InvalidSKUError
        Invalid SKUs with ``on_invalid_sku="raise"``.
    """
    # ---- validation, before any call
    if asins is not None and skus is not None:
        msg = f"pass either asins or skus, not both (got asins={asins!r:.80} and skus={skus!r:.80})"
        raise ConfigurationError(msg, parameter="skus", value=skus, allowed="asins or skus")
    if asins is None and skus is None:
        msg = "get_catalog_items needs asins (one ASIN, a comma-delimited string or a list) or skus"
        raise ConfigurationError(msg, parameter="asins", value=None, allowed="str or list of str")
    policy = _ON_INVALID_SKU.get(on_invalid_sku.strip().lower()) if isinstance(on_invalid_sku, str) else None
    if policy is None:
        msg = f"on_invalid_sku={on_invalid_sku!r} is not allowed; use 'raise' or 'skip'"
        raise ConfigurationError(msg, parameter="on_invalid_sku", value=on_invalid_sku, allowed=["raise", "skip"])
    sections = _normalize_included_data(included_data)
    marketplace = _single_marketplace(marketplace)
    validate_progress_bar_type(progress_bar_type)
    if seller_id is not None:
        seller_id = check_id(seller_id, "seller_id")
    by_sku = skus is not None
    all_skus = by_sku and isinstance(skus, str) and skus.strip().lower() == "all"
    if by_sku:
        if not isinstance(seller_id, str) or not seller_id.strip():
            msg = (
                f"seller_id is required with skus (Amazon's sellerId: your selling partner id or "
                f"vendor code); got seller_id={shown(seller_id)}"
            )
            raise ConfigurationError(msg, parameter="seller_id", value=seller_id, allowed="non-empty str")
        ids = [] if all_skus else _as_list(skus, "skus")
    else:
        ids = _as_list(asins, "asins")

    client, mp = _resolve(client, marketplace)
    hint: dict[str, str] = {}
    if all_skus:
        ids, hint = _listing_skus(mp, client, progress_bar_type)

    # SKU lookups always ask for identifiers: they may name the SKU an item answers.
    request_sections = tuple(sections) + (("identifiers",) if by_sku and "identifiers" not in sections else ())
    params: dict[str, Any] = {
        "marketplaceIds": [mp.marketplace_id],
        "identifiersType": "SKU" if by_sku else "ASIN",
        "includedData": [s for s in INCLUDED_DATA if s in request_sections],
        "pageSize": PAGE_SIZE,
    }
    if by_sku:
        params["sellerId"] = str(seller_id).strip()
    fetch = _Fetcher(client, params)
    batches = _batches(ids, MAX_IDENTIFIERS, solo=(lambda s: "," in s) if by_sku else (lambda _: False))

    found: list[tuple[list[str], list[dict[str, Any]]]] = []
    invalid: list[str] = []
    bar = get_progress_bar(progress_bar_type, desc="Catalog items", total=len(batches), unit="batch") \
        if len(batches) > 1 else None
    try:
        for batch in batches:
            if by_sku:
                _try(batch, fetch, found, invalid)
            else:
                found.append((batch, fetch(batch)))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()

    attrs: dict[str, Any] = {
        "operation": "get_catalog_items",
        "marketplace_id": mp.marketplace_id,
        "included_data": list(sections),
        "identifiers_type": params["identifiersType"],
        "calls": fetch.calls,
    }
    if by_sku:
        df, missing, unmatched = _sku_frame(found, hint, sections, mp.marketplace_id)
        attrs.update(invalid_skus=invalid, unmatched_skus=unmatched, seller_id=params["sellerId"])
    else:
        df, missing = _asin_frame(ids, found, sections, mp.marketplace_id)
    attrs["missing"] = missing
    attrs["number_of_results"] = len(df)
    df.attrs["amzv"] = attrs

    if missing:
        _warn_list("item(s) asked for were not returned by Amazon", missing, MissingItemsWarning, "missing")
    if invalid:
        if policy == "raise":
            err = InvalidSKUError(invalid, seller_id=params["sellerId"])
            err.frame = df  # type: ignore[attr-defined]  # what the valid SKUs returned
            raise err
        _warn_list("invalid seller SKU(s) skipped", invalid, AmzvWarning, "invalid_skus")
    if by_sku and attrs["unmatched_skus"]:
        _warn_list("SKU(s) could not be paired with the items returned (their rows have no sku)",
                   attrs["unmatched_skus"], AmzvWarning, "unmatched_skus")
    return df


def _asin_frame(ids: list[str], found: list[tuple[list[str], list[dict[str, Any]]]],
                sections: tuple[str, ...], marketplace_id: str) -> tuple[pd.DataFrame, list[str]]:
    items: dict[str, dict[str, Any]] = {}
    for _, batch_items in found:
        for item in batch_items:
            items.setdefault(str(item.get("asin")), item)
    # rows in the order asked; anything Amazon answered that was not asked (a merged ASIN) last
    ordered = [items[a] for a in ids if a in items] + [i for a, i in items.items() if a not in set(ids)]
    missing = [a for a in ids if a not in items]
    return flatten_items(ordered, sections, marketplace_id=marketplace_id), missing


def _sku_frame(found: list[tuple[list[str], list[dict[str, Any]]]], hint: Mapping[str, str],
               sections: tuple[str, ...], marketplace_id: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    pairs: list[tuple[str | None, dict[str, Any]]] = []
    missing: list[str] = []
    unmatched: list[str] = []
    for skus, items in found:
        p, m, u = _match_skus(skus, items, hint)
        pairs += p
        missing += m
        unmatched += u
    flat = flatten_items([item for _, item in pairs], sections, marketplace_id=marketplace_id)
    flat.insert(2, "sku", pd.Series([s for s, _ in pairs], dtype="str"))
    return flat, missing, unmatched


# --------------------------------------------------------------------------------------------
# search_catalog_items
# --------------------------------------------------------------------------------------------

def search_catalog_items(
    keywords: str | Sequence[str] | None = None,
    *,
    identifiers: str | Sequence[str] | None = None,
    identifiers_type: str | None = None,
    marketplace: str | Marketplace | None = None,
    included_data: str | Sequence[str] = ("summaries",),
    brand_names: str | Sequence[str] | None = None,
    classification_ids: str | Sequence[str] | None = None,
    keywords_locale: str | None = None,
    max_results: int | None = 100,
    progress_bar_type: Any = "auto",
    seller_id: str | None = None,
    locale: str | None = None,
    client: "Transport",
) -> pd.DataFrame:
    """Search the Amazon catalog (the connector's "Search Catalog Items").

    Pages through ``pageToken`` (``pageSize`` 20, the keywords and filters
    repeated on every page) until ``max_results`` items or Amazon's
    1,000-result cap.

    Parameters
    ----------
    keywords : str or sequence of str, optional
        The connector's "Query": a comma-delimited string or a list of words
        (at most 20). Not with ``identifiers``.
    identifiers : str or sequence of str, optional
        At most 20 identifiers (a comma-delimited string, or a list whose
        elements are kept whole); use :func:`get_catalog_items` for more.
    identifiers_type : str, optional
        Required with ``identifiers``: one of :data:`IDENTIFIER_TYPES`.
    marketplace : str or Marketplace, optional
        One marketplace (default: the client's).
    included_data : str or sequence of str, default ("summaries",)
        Sections to fetch and flatten. ``vendorDetails`` is for vendor accounts:
        on a seller account Amazon's 400 error is raised as it is
        (:class:`~amzv_pandas.exceptions.BadRequest` with Amazon's code, message
        and request id).
    brand_names, classification_ids : str or sequence of str, optional
        Narrow a keyword search (not with ``identifiers``).
    keywords_locale : str, optional
        Language of the keywords, a locale such as ``"en_US"`` (not with ``identifiers``).
    max_results : int or None, default 100
        Stop after this many items; ``None`` means as many as Amazon allows
        (1,000). A warning says when the 1,000 cap cut the result short.
    progress_bar_type : {"auto", "tqdm", "tqdm_notebook", None}, default "auto"
        A bar over pages when there is more than one.
    seller_id : str, optional
        Required with ``identifiers_type="SKU"``.
    locale : str, optional
        Locale of the localized summaries: ``language_COUNTRY`` such as ``"en_US"``
        (``"english"`` is refused before any call).
    client : Client, optional
        Default: :func:`amzv_pandas.get_default_client` (resolved by ``amzv.*``; required here).

    Returns
    -------
    DataFrame
        One row per item in Amazon's order (columns as :func:`flatten_items`).
        ``df.attrs["amzv"]``: ``operation``, ``marketplace_id``,
        ``included_data``, ``number_of_results`` (Amazon's count: exact for
        identifiers, an estimate for keywords), ``truncated`` (more results
        existed), ``refinements`` (brands and classifications).
    """
    # ---- validation, before any call
    if keywords is not None and identifiers is not None:
        msg = (f"pass keywords or identifiers, not both (Amazon does not combine them); got "
               f"keywords={keywords!r:.80} and identifiers={identifiers!r:.80}")
        raise ConfigurationError(msg, parameter="identifiers", value=identifiers, allowed="keywords or identifiers")
    if keywords is None and identifiers is None:
        msg = "search_catalog_items needs keywords (a comma-delimited string or a list) or identifiers"
        raise ConfigurationError(msg, parameter="keywords", value=None, allowed="keywords or identifiers")
    params: dict[str, Any] = {}
    if keywords is not None:
        words = _as_list(keywords, "keywords")
        if not words:
            raise ConfigurationError(f"keywords={keywords!r} holds no word", parameter="keywords", value=keywords,
                                     allowed=f"1..{MAX_KEYWORDS} words")
        if len(words) > MAX_KEYWORDS:
            msg = f"keywords: {len(words)} words given, Amazon accepts at most {MAX_KEYWORDS}"
            raise ConfigurationError(msg, parameter="keywords", value=keywords, allowed=f"1..{MAX_KEYWORDS} words")
        if identifiers_type is not None:
            msg = f"identifiers_type={identifiers_type!r} needs identifiers, and cannot go with keywords"
            raise ConfigurationError(msg, parameter="identifiers_type", value=identifiers_type, allowed=None)
        params["keywords"] = words
        for name, value in (("brandNames", brand_names), ("classificationIds", classification_ids)):
            if value is not None:
                params[name] = _as_list(value, _snake(name))
                if not params[name]:  # an empty filter would silently mean "no filter"
                    msg = f"{_snake(name)}={value!r:.80} is empty; give at least one value, or None for no filter"
                    raise ConfigurationError(msg, parameter=_snake(name), value=value, allowed="1 or more values")
        if keywords_locale is not None:
            params["keywordsLocale"] = check_str(keywords_locale, "keywords_locale", pattern=LOCALE_PATTERN,
                                                 allowed="a locale such as 'en_US'")
    else:
        ids = _as_list(identifiers, "identifiers")
        if not ids:
            raise ConfigurationError(f"identifiers={identifiers!r} holds no identifier", parameter="identifiers",
                                     value=identifiers, allowed=f"1..{MAX_IDENTIFIERS} identifiers")
        if len(ids) > MAX_IDENTIFIERS:
            msg = (
                f"identifiers: {len(ids)} given, Amazon accepts at most {MAX_IDENTIFIERS} per search; "
                "use get_catalog_items(), which batches them"
            )
            raise ConfigurationError(msg, parameter="identifiers", value=identifiers,
                                     allowed=f"1..{MAX_IDENTIFIERS} identifiers")
        if identifiers_type is None:
            msg = f"identifiers_type is required with identifiers; use one of {', '.join(IDENTIFIER_TYPES)}"
            raise ConfigurationError(msg, parameter="identifiers_type", value=None, allowed=list(IDENTIFIER_TYPES))
        id_type = check_choice(identifiers_type, "identifiers_type", IDENTIFIER_TYPES)
        for name, value in (("brand_names", brand_names), ("classification_ids", classification_ids),
                            ("keywords_locale", keywords_locale)):
            if value is not None:
                msg = f"{name}={value!r} narrows keyword searches only; it cannot go with identifiers"
                raise ConfigurationError(msg, parameter=name, value=value, allowed="keyword searches only")
        if id_type == "SKU" and not seller_id:
            msg = f"seller_id is required with identifiers_type='SKU'; got seller_id={seller_id!r}"
            raise ConfigurationError(msg, parameter="seller_id", value=seller_id, allowed="non-empty str")
        params.update(identifiers=ids, identifiersType=id_type)
    if seller_id is not None:
        params["sellerId"] = check_id(seller_id, "seller_id")
    max_results = check_int(max_results, "max_results", min=1, allow_none=True)
    if locale is not None:
        locale = check_str(locale, "locale", pattern=LOCALE_PATTERN, allowed="a locale such as 'en_US'")
    sections = _normalize_included_data(included_data)
    marketplace = _single_marketplace(marketplace)
    validate_progress_bar_type(progress_bar_type)

    client, mp = _resolve(client, marketplace)
    params.update(marketplaceIds=[mp.marketplace_id], includedData=[s for s in INCLUDED_DATA if s in sections],
                  pageSize=PAGE_SIZE)
    if locale is not None:
        params["locale"] = locale

    limit = SEARCH_RESULT_CAP if max_results is None else min(max_results, SEARCH_RESULT_CAP)
    items: list[dict[str, Any]] = []
    first: dict[str, Any] = {}
    bar = None
    token: str | None = None
    calls = 0
    try:
        while True:
            page_params = dict(params, pageToken=token) if token else params
            resp = client.request("GET", SEARCH_PATH, params=page_params) or {}
            calls += 1
            if calls == 1:
                first = resp
            items.extend(resp.get("items") or [])
            token = (resp.get("pagination") or {}).get("nextToken")
            if bar is None and calls == 1 and token and len(items) < limit:
                total = min(limit, int(resp.get("numberOfResults") or limit))
                bar = get_progress_bar(progress_bar_type, desc="Catalog search", total=math.ceil(total / PAGE_SIZE),
                                       unit="page")
            if bar is not None:
                bar.update(1)
            if not token or len(items) >= limit:
                break
    finally:
        if bar is not None:
            bar.close()

    reported = first.get("numberOfResults")
    more = bool(token) or len(items) > limit or (isinstance(reported, int) and reported > limit)
    items = items[:limit]
    df = flatten_items(items, sections, marketplace_id=mp.marketplace_id)
    capped = more and (max_results is None or max_results > SEARCH_RESULT_CAP)
    df.attrs["amzv"] = {
        "operation": "search_catalog_items",
        "marketplace_id": mp.marketplace_id,
        "included_data": list(sections),
        "number_of_results": reported if reported is not None else len(df),
        "truncated": more,
        "capped": capped,
        "refinements": first.get("refinements") or {},
        "calls": calls,
    }
    if capped:
        msg = (
            f"Amazon pages through at most {SEARCH_RESULT_CAP} catalog results; this search has "
            f"{reported if reported is not None else 'more'}. Narrow it (brand_names, classification_ids, "
            "more keywords) to see the rest."
        )
        warnings.warn(msg, AmzvWarning, stacklevel=2)
    return df


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
