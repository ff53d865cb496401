"""``get_catalog_items``: batched identifier lookups (the connector's "Get Catalog Items").

ASINs or seller SKUs are deduplicated and sent :data:`~amzv_pandas._catalog.arguments.MAX_IDENTIFIERS`
per ``searchCatalogItems`` call. For SKUs a failing batch (400 InvalidInput, which names no SKU)
is split until the invalid SKUs are isolated (:func:`_isolate`), and the items returned are
paired with the SKUs asked (:func:`_match_skus`); ``skus="all"`` lists the account's SKUs
through the reports API.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

from .._parsers.arrow import check_dtype_backend, convert_frame
from .._specs.marketplaces import Marketplace
from .._util.checks import shown
from .._util.ids import check_id
from .._util.progress import get_progress_bar
from ..exceptions import AmzvWarning, BadRequest, ConfigurationError, InvalidSKUError, MissingItemsWarning
from .arguments import MAX_IDENTIFIERS, ON_INVALID_SKU, PAGE_SIZE, SEARCH_PATH, SEARCH_RESULT_CAP, shared_arguments
from .flatten import INCLUDED_DATA, as_list, flatten_items

if TYPE_CHECKING:  # pragma: no cover
    from .._transport.http import Transport

__all__ = ["get_catalog_items"]


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
        if any(item_skus):
            # Amazon also answers the comma-split pieces of a SKU such as "FILT,STD,00005":
            # the items that do not name the SKU asked answer SKUs nobody asked for.
            items, item_skus = [i for i, ss in zip(items, item_skus) if ss], [ss for ss in item_skus if ss]
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
    skus = as_list(listings["seller-sku"].dropna().astype(str).tolist(), "skus")
    hint: dict[str, str] = {}
    if "asin1" in listings.columns:
        for sku, asin in zip(listings["seller-sku"], listings["asin1"]):
            if isinstance(sku, str) and isinstance(asin, str) and asin:
                hint.setdefault(sku.strip(), asin.strip())
    return skus, hint


def _warn_list(what: str, ids: Sequence[str], category: type[Warning], where: str) -> None:
    msg = f"{len(ids)} {what}: {', '.join(ids)} (also in df.attrs['amzv']['{where}'])"
    warnings.warn(msg, category, stacklevel=3)


def _warn_skipped(rejected: Sequence[str], not_found: Sequence[str]) -> None:
    """One warning naming every SKU ``on_invalid_sku="skip"`` left out."""
    parts = []
    if rejected:
        parts.append(f"{len(rejected)} invalid seller SKU(s) (rejected by Amazon): {', '.join(rejected)}")
    if not_found:
        parts.append(f"{len(not_found)} seller SKU(s) not found (no item returned): {', '.join(not_found)}")
    msg = f"skipped {'; '.join(parts)} (also in df.attrs['amzv']['invalid_skus'] and ['missing'])"
    warnings.warn(msg, MissingItemsWarning, stacklevel=3)


def get_catalog_items(
    asins: str | Iterable[str] | None = None,
    *,
    skus: str | Iterable[str] | None = None,
    seller_id: str | None = None,
    marketplace: str | Marketplace | None = None,
    included_data: str | Sequence[str] = ("summaries",),
    on_invalid_sku: str = "raise",
    progress_bar_type: Any = "auto",
    dtype_backend: str | None = None,
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
        its own), a string of one SKU per line (lines kept whole, commas and all),
        or a comma-delimited string (when it holds no newline). ``"all"`` (the
        connector's "All") looks up every SKU of the account, listed from the
        ``GET_MERCHANT_LISTINGS_ALL_DATA`` report.
    seller_id : str, optional
        Selling partner id or vendor code; required with ``skus``.
    marketplace : str or Marketplace, optional
        One marketplace (default: the client's).
    included_data : str or sequence of str, default ("summaries",)
        Sections to fetch and flatten; see :data:`INCLUDED_DATA`.
    on_invalid_sku : {"raise", "skip"}, default "raise"
        What to do with SKUs that fail: those Amazon rejects (a whole request
        holding one malformed SKU fails with 400 InvalidInput, without naming
        it) and those it cannot find (no item returned). Failing batches are
        split in halves until the rejected SKUs are isolated: with *k* of them
        in a batch of *n*, at most ``2 * k * ceil(log2(n))`` extra calls (10 for
        one bad SKU among 20). Every batch is checked; then ``"raise"`` (the
        connector's "Warn About Invalid SKUs", which stops the import) raises
        :class:`~amzv_pandas.exceptions.InvalidSKUError` naming all of them
        (``rejected``, ``not_found``; the rows found are on its ``frame``
        attribute), and ``"skip"`` ("Skip Invalid SKUs") names them in one
        :class:`~amzv_pandas.exceptions.MissingItemsWarning` and returns the
        rest. The connector's wording is accepted too.
    progress_bar_type : {"auto", "tqdm", "tqdm_notebook", None}, default "auto"
        A bar over the batches when there is more than one; with ``skus="all"`` also the bar of
        the listings report read (``None``: no bar at all).
    dtype_backend : {"numpy_nullable", "pyarrow"}, optional
        As in pandas' readers: ``"pyarrow"`` gives ``pd.ArrowDtype`` columns (list and dict
        columns stay object).
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
        ``invalid_skus`` (rejected by Amazon) and ``unmatched_skus`` (Amazon does not say which SKU an
        item answers; SKUs that could not be paired leave ``sku`` empty on their
        rows).

    Raises
    ------
    ConfigurationError
        Bad arguments, before any call.
    InvalidSKUError
        SKUs rejected or not found, with ``on_invalid_sku="raise"``.
    """
    # ---- validation, before any call
    if asins is not None and skus is not None:
        msg = f"pass either asins or skus, not both (got asins={asins!r:.80} and skus={skus!r:.80})"
        raise ConfigurationError(msg, parameter="skus", value=skus, allowed="asins or skus")
    if asins is None and skus is None:
        msg = "get_catalog_items needs asins (one ASIN, a comma-delimited string or a list) or skus"
        raise ConfigurationError(msg, parameter="asins", value=None, allowed="str or list of str")
    policy = ON_INVALID_SKU.get(on_invalid_sku.strip().lower()) if isinstance(on_invalid_sku, str) else None
    if policy is None:
        msg = f"on_invalid_sku={on_invalid_sku!r} is not allowed; use 'raise' or 'skip'"
        raise ConfigurationError(msg, parameter="on_invalid_sku", value=on_invalid_sku, allowed=["raise", "skip"])
    sections, marketplace = shared_arguments(included_data, marketplace, progress_bar_type)
    backend = check_dtype_backend(dtype_backend)
    if seller_id is not None:
        seller_id = check_id(seller_id, "seller_id")
    by_sku = skus is not None
    all_skus = by_sku and isinstance(skus, str) and skus.strip().lower() == "all"
    if by_sku:
        if seller_id is None:  # the account's own id, as the connector never asked for one
            seller_id = getattr(client, "selling_partner_id", None)
        if not isinstance(seller_id, str) or not seller_id.strip():
            msg = (
                f"seller_id is required with skus (Amazon's sellerId: your selling partner id or "
                f"vendor code) and this client knows none; got seller_id={shown(seller_id)}. Pass "
                "seller_id=..., or Client(selling_partner_id=...), AMZV_SELLING_PARTNER_ID, or a profile "
                "saved by amzv.authorize()"
            )
            raise ConfigurationError(msg, parameter="seller_id", value=seller_id, allowed="non-empty str")
        # One SKU per line keeps commas inside SKUs (Amazon allows them); no newline: comma-delimited.
        lines = isinstance(skus, str) and not all_skus and ("\n" in skus or "\r" in skus)
        ids = [] if all_skus else as_list(skus.splitlines() if lines else skus, "skus")  # type: ignore[union-attr]
    else:
        ids = as_list(asins, "asins")

    mp = client.resolve_marketplace(marketplace)
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

    if not by_sku:
        if missing:
            _warn_list("item(s) asked for were not returned by Amazon", missing, MissingItemsWarning, "missing")
        return convert_frame(df, backend)
    if invalid or missing:
        # Named in the order asked; rejected and not found kept apart (they need different fixes).
        rejected = [s for s in ids if s in set(invalid)]
        not_found = [s for s in ids if s in set(missing)]
        if policy == "raise":
            raise InvalidSKUError(rejected, not_found=not_found, seller_id=params["sellerId"], frame=df)
        _warn_skipped(rejected, not_found)
    if attrs["unmatched_skus"]:
        _warn_list("SKU(s) could not be paired with the items returned (their rows have no sku)",
                   attrs["unmatched_skus"], AmzvWarning, "unmatched_skus")
    return convert_frame(df, backend)


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
