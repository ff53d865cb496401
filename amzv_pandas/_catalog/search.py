"""``search_catalog_items``: a keyword (or identifier) search, paged through ``pageToken``.

Pages of :data:`~amzv_pandas._catalog.arguments.PAGE_SIZE` are fetched up to ``max_results``
or Amazon's 1,000-result cap (warned about when it cuts the result short).
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, Sequence

import pandas as pd

from .._parsers.arrow import check_dtype_backend, convert_frame
from .._specs.marketplaces import Marketplace
from .._util.checks import check_choice, check_int, check_str
from .._util.ids import check_id
from .._util.progress import get_progress_bar
from ..exceptions import AmzvWarning, ConfigurationError
from .arguments import (
    IDENTIFIER_TYPES,
    LOCALE_PATTERN,
    MAX_IDENTIFIERS,
    MAX_KEYWORDS,
    PAGE_SIZE,
    SEARCH_PATH,
    SEARCH_RESULT_CAP,
    shared_arguments,
)
from .flatten import INCLUDED_DATA, as_list, flatten_items

if TYPE_CHECKING:  # pragma: no cover
    from .._transport.http import Transport

__all__ = ["search_catalog_items"]


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
    dtype_backend: str | None = None,
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
    dtype_backend : {"numpy_nullable", "pyarrow"}, optional
        As in pandas' readers: ``"pyarrow"`` gives ``pd.ArrowDtype`` columns (list and dict
        columns stay object).
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
        words = as_list(keywords, "keywords")
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
                params[name] = as_list(value, _snake(name))
                if not params[name]:  # an empty filter would silently mean "no filter"
                    msg = f"{_snake(name)}={value!r:.80} is empty; give at least one value, or None for no filter"
                    raise ConfigurationError(msg, parameter=_snake(name), value=value, allowed="1 or more values")
        if keywords_locale is not None:
            params["keywordsLocale"] = check_str(keywords_locale, "keywords_locale", pattern=LOCALE_PATTERN,
                                                 allowed="a locale such as 'en_US'")
    else:
        ids = as_list(identifiers, "identifiers")
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
    sections, marketplace = shared_arguments(included_data, marketplace, progress_bar_type)
    backend = check_dtype_backend(dtype_backend)

    mp = client.resolve_marketplace(marketplace)
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
    return convert_frame(df, backend)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
