"""Catalog ``Item`` objects into typed DataFrames: pure, no API call.

* :func:`catalog_columns` gives the stable column set (name → dtype) of a
  catalog frame for an ``included_data``.
* :func:`flatten_items` turns raw ``Item`` objects into one typed row per item
  and marketplace; :func:`expand_attributes` unpacks chosen free-form attributes.

The argument rules the API side shares (:func:`normalize_included_data`, :func:`as_list`...)
are here too. The API side is :mod:`amzv_pandas._catalog.lookup` (batched lookups, SKU
isolation and pairing) and :mod:`amzv_pandas._catalog.search`; :mod:`amzv_pandas._catalog.api`
re-exports the public names.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

from ..exceptions import ConfigurationError

__all__ = [
    "INCLUDED_DATA",
    "SECTION_COLUMNS",
    "LIST_SEPARATOR",
    "catalog_columns",
    "flatten_items",
    "expand_attributes",
]

# From catalogItems_2022-04-01.json (searchCatalogItems); tests/unit/catalog/test_api.py checks it
# against the model so a model update cannot drift silently.
#: ``includedData`` enum, in the model's order.
INCLUDED_DATA: tuple[str, ...] = (
    "attributes", "classifications", "dimensions", "identifiers", "images",
    "productTypes", "relationships", "salesRanks", "summaries", "vendorDetails",
)

# --------------------------------------------------------------------------------------------
# Column schema: data, one tuple of (column, dtype) per includedData section. Columns come out
# in this section order whatever order included_data was given in, so equal sets give equal
# frames.
# --------------------------------------------------------------------------------------------
_S, _I, _F, _B, _D, _O = "str", "Int64", "Float64", "boolean", "datetime64[ns]", "object"

_ID_COLUMNS: tuple[tuple[str, str], ...] = (("asin", _S), ("marketplace_id", _S))

_IDENTIFIER_COLUMNS = ("ean", "gtin", "isbn", "jan", "minsan", "upc")

_DIMENSION_COLUMNS = tuple(
    (f"{part}_{dim}{suffix}", dtype)
    for part in ("item", "package")
    for dim in ("height", "length", "width", "weight")
    for suffix, dtype in (("", _F), ("_unit", _S))
)

SECTION_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "summaries": (
        ("item_name", _S), ("brand", _S), ("manufacturer", _S), ("model_number", _S),
        ("part_number", _S), ("color", _S), ("size", _S), ("style", _S),
        ("package_quantity", _I), ("item_classification", _S), ("website_display_group", _S),
        ("website_display_group_name", _S), ("browse_classification", _S),
        ("browse_classification_id", _S), ("release_date", _D), ("contributors", _S),
        ("adult_product", _B), ("autographed", _B), ("memorabilia", _B), ("trade_in_eligible", _B),
    ),
    "identifiers": tuple((c, _S) for c in _IDENTIFIER_COLUMNS) + (("other_identifiers", _S),),
    "images": (
        ("main_image_url", _S), ("main_image_width", _I), ("main_image_height", _I), ("image_count", _I),
    ),
    "salesRanks": (
        ("display_group_rank", _I), ("display_group_rank_title", _S), ("display_group", _S),
        ("classification_rank", _I), ("classification_rank_title", _S), ("classification_rank_id", _S),
    ),
    "dimensions": _DIMENSION_COLUMNS,
    "classifications": (("classification_ids", _S), ("classification_paths", _S)),
    "productTypes": (("product_type", _S),),
    "relationships": (
        ("parent_asins", _S), ("child_asins", _S), ("variation_theme", _S), ("variation_attributes", _S),
        ("package_parent_asins", _S), ("package_child_asins", _S),
    ),
    "vendorDetails": (
        ("brand_code", _S), ("manufacturer_code", _S), ("manufacturer_code_parent", _S),
        ("product_category", _S), ("product_category_code", _S), ("product_subcategory", _S),
        ("product_subcategory_code", _S), ("product_group", _S), ("replenishment_category", _S),
    ),
    # free-form per product type: kept as the raw dict (see expand_attributes)
    "attributes": (("attributes", _O),),
}
_SECTION_ORDER = tuple(SECTION_COLUMNS)

#: Separator for multi-valued cells (identifiers, ASIN lists): one string column per field
#: keeps frames Parquet-friendly and concatenable; ``df[col].str.split(",")`` recovers lists.
LIST_SEPARATOR = ","


def catalog_columns(included_data: str | Sequence[str] = ("summaries",), *, sku: bool = False) -> dict[str, str]:
    """The columns (name → dtype) a catalog frame has for ``included_data``.

    Parameters
    ----------
    included_data : str or sequence of str
        ``includedData`` sections, as for :func:`~amzv_pandas._catalog.api.search_catalog_items`.
    sku : bool, default False
        Add the ``sku`` column of SKU lookups.
    """
    sections = normalize_included_data(included_data)
    cols = dict(_ID_COLUMNS)
    if sku:
        cols["sku"] = _S
    for section in _SECTION_ORDER:
        if section in sections:
            cols.update(SECTION_COLUMNS[section])
    return cols


# --------------------------------------------------------------------------------------------
# Argument normalisation (pure; every error is raised before any API call). Used by the
# flattening below and by the API modules (lookup, search) and the df.amzv accessor.
# --------------------------------------------------------------------------------------------

def normalize_included_data(included_data: str | Sequence[str] | None) -> tuple[str, ...]:
    """``included_data`` as known section names in the frame's column order (None: summaries)."""
    from .._util.checks import did_you_mean, shown

    if included_data is None:
        included_data = ("summaries",)
    if isinstance(included_data, str):
        items = split_csv(included_data)
    elif isinstance(included_data, (bytes, bytearray, Mapping)) or not isinstance(included_data, Iterable) \
            or not all(isinstance(x, str) for x in included_data):
        msg = (f"included_data={shown(included_data)} must be a section name or a list of them; allowed values "
               f"are {', '.join(INCLUDED_DATA)}")
        raise ConfigurationError(msg, parameter="included_data", value=included_data, allowed=list(INCLUDED_DATA))
    else:
        items = [x.strip() for x in included_data]
    by_lower = {name.lower(): name for name in INCLUDED_DATA}
    unknown = [x for x in items if x.lower() not in by_lower]
    if unknown or not items:
        what = f"unknown value(s) {', '.join(map(repr, unknown))}" if unknown else "nothing given"
        close = did_you_mean(unknown[0], INCLUDED_DATA) if unknown else []
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        msg = f"included_data={shown(included_data)}: {what}{hint}; allowed values are {', '.join(INCLUDED_DATA)}"
        raise ConfigurationError(msg, parameter="included_data", value=included_data, allowed=list(INCLUDED_DATA))
    wanted = {by_lower[x.lower()] for x in items}
    return tuple(s for s in _SECTION_ORDER if s in wanted)


def split_csv(value: str) -> list[str]:
    """The non-empty, stripped parts of a comma-delimited string."""
    return [p.strip() for p in value.split(",") if p.strip()]


def as_list(value: Any, parameter: str, *, split: bool = True) -> list[str]:
    """A comma-delimited string (split) or any iterable of strings (kept whole), deduplicated.

    Missing values (None, NaN) in an iterable are dropped, whole numbers are taken as text
    (``classification_ids=[12345678]``); anything else (bools, floats, nested lists, bytes) is
    refused rather than sent as its ``str()``.
    """
    from .._util.checks import shown

    def refuse(why: str) -> ConfigurationError:
        msg = f"{parameter}={shown(value)} {why}; pass a comma-delimited string or a list of strings"
        return ConfigurationError(msg, parameter=parameter, value=value, allowed="str or list of str")

    if isinstance(value, str):
        items = split_csv(value) if split else [value.strip()]
    elif isinstance(value, (bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        raise refuse("is not allowed")
    else:
        items = []
        for x in value:
            if is_missing(x):
                continue
            if isinstance(x, numbers.Integral) and not isinstance(x, bool) and type(x).__name__ != "bool_":
                x = str(x)
            if not isinstance(x, str):
                raise refuse(f"holds {shown(x, 40)}, which is not a string")
            items.append(x.strip())
        items = [x for x in items if x]
    return list(dict.fromkeys(items))


def is_missing(x: Any) -> bool:
    """Whether ``x`` is a missing scalar (None, NaN, NA, NaT)."""
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):  # list-likes are not missing scalars
        return False



# --------------------------------------------------------------------------------------------
# Flattening (pure)
# --------------------------------------------------------------------------------------------

def _by_marketplace(entries: Any, marketplace_id: str | None) -> Mapping[str, Any] | None:
    if not entries:
        return None
    for entry in entries:
        if marketplace_id is None or entry.get("marketplaceId") == marketplace_id:
            return entry
    return None


def _join(values: Iterable[Any], sep: str = LIST_SEPARATOR) -> str | None:
    out = [str(v) for v in dict.fromkeys(v for v in values if v not in (None, ""))]
    return sep.join(out) if out else None


def _summaries(e: Mapping[str, Any]) -> dict[str, Any]:
    browse = e.get("browseClassification") or {}
    contributors = []
    for c in e.get("contributors") or []:
        role = c.get("role") or {}
        role_name = role.get("displayName") or role.get("value")
        contributors.append(f"{c.get('value')} ({role_name})" if role_name else c.get("value"))
    return {
        "item_name": e.get("itemName"), "brand": e.get("brand"), "manufacturer": e.get("manufacturer"),
        "model_number": e.get("modelNumber"), "part_number": e.get("partNumber"), "color": e.get("color"),
        "size": e.get("size"), "style": e.get("style"), "package_quantity": e.get("packageQuantity"),
        "item_classification": e.get("itemClassification"),
        "website_display_group": e.get("websiteDisplayGroup"),
        "website_display_group_name": e.get("websiteDisplayGroupName"),
        "browse_classification": browse.get("displayName"),
        "browse_classification_id": browse.get("classificationId"),
        "release_date": e.get("releaseDate"), "contributors": _join(contributors, "; "),
        "adult_product": e.get("adultProduct"), "autographed": e.get("autographed"),
        "memorabilia": e.get("memorabilia"), "trade_in_eligible": e.get("tradeInEligible"),
    }


def _identifiers(e: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, list[str]] = {}
    for ident in e.get("identifiers") or []:
        found.setdefault(str(ident.get("identifierType", "")).upper(), []).append(ident.get("identifier"))
    row: dict[str, Any] = {col: _join(found.pop(col.upper(), [])) for col in _IDENTIFIER_COLUMNS}
    # Types outside the fixed columns (e.g. a seller's mapped SKU) keep the schema stable as "TYPE:value".
    row["other_identifiers"] = _join(f"{t}:{v}" for t, vals in found.items() for v in vals)
    return row


def _images(e: Mapping[str, Any]) -> dict[str, Any]:
    images = e.get("images") or []
    mains = [i for i in images if i.get("variant") == "MAIN"] or images[:1]
    # Amazon sends each variant in several sizes: the main image is the largest MAIN one.
    main = max(mains, key=lambda i: (i.get("width") or 0) * (i.get("height") or 0), default={})
    return {
        "main_image_url": main.get("link"), "main_image_width": main.get("width"),
        "main_image_height": main.get("height"),
        "image_count": len({i.get("variant") for i in images}),
    }


def _best(ranks: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    ranked = [r for r in ranks if r.get("rank") is not None]
    return min(ranked, key=lambda r: r["rank"], default={})


def _sales_ranks(e: Mapping[str, Any]) -> dict[str, Any]:
    group = _best(e.get("displayGroupRanks") or [])
    cls = _best(e.get("classificationRanks") or [])
    return {
        "display_group_rank": group.get("rank"), "display_group_rank_title": group.get("title"),
        "display_group": group.get("websiteDisplayGroup"),
        "classification_rank": cls.get("rank"), "classification_rank_title": cls.get("title"),
        "classification_rank_id": cls.get("classificationId"),
    }


def _dimensions(e: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for part in ("item", "package"):
        dims = e.get(part) or {}
        for dim in ("height", "length", "width", "weight"):
            d = dims.get(dim) or {}
            row[f"{part}_{dim}"] = d.get("value")
            row[f"{part}_{dim}_unit"] = d.get("unit")
    return row


def _classifications(e: Mapping[str, Any]) -> dict[str, Any]:
    ids, paths = [], []
    for c in e.get("classifications") or []:
        ids.append(c.get("classificationId"))
        chain, node = [], c
        while node:
            chain.append(node.get("displayName"))
            node = node.get("parent")
        paths.append(" > ".join(str(n) for n in reversed(chain) if n))
    return {"classification_ids": _join(ids), "classification_paths": _join(paths, " | ")}


def _product_types(e: Mapping[str, Any]) -> dict[str, Any]:
    return {"product_type": e.get("productType")}


def _relationships(e: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, list[Any]] = {k: [] for k in ("p", "c", "t", "a", "pp", "pc")}
    for r in e.get("relationships") or []:
        if r.get("type") == "PACKAGE_HIERARCHY":
            out["pp"] += r.get("parentAsins") or []
            out["pc"] += r.get("childAsins") or []
            continue
        out["p"] += r.get("parentAsins") or []
        out["c"] += r.get("childAsins") or []
        theme = r.get("variationTheme") or {}
        out["t"].append(theme.get("theme"))
        out["a"] += theme.get("attributes") or []
    return {
        "parent_asins": _join(out["p"]), "child_asins": _join(out["c"]), "variation_theme": _join(out["t"]),
        "variation_attributes": _join(out["a"]), "package_parent_asins": _join(out["pp"]),
        "package_child_asins": _join(out["pc"]),
    }


def _vendor_details(e: Mapping[str, Any]) -> dict[str, Any]:
    cat = e.get("productCategory") or {}
    sub = e.get("productSubcategory") or {}
    return {
        "brand_code": e.get("brandCode"), "manufacturer_code": e.get("manufacturerCode"),
        "manufacturer_code_parent": e.get("manufacturerCodeParent"),
        "product_category": cat.get("displayName"), "product_category_code": cat.get("value"),
        "product_subcategory": sub.get("displayName"), "product_subcategory_code": sub.get("value"),
        "product_group": e.get("productGroup"), "replenishment_category": e.get("replenishmentCategory"),
    }


_EXTRACTORS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "summaries": _summaries, "identifiers": _identifiers, "images": _images,
    "salesRanks": _sales_ranks, "dimensions": _dimensions, "classifications": _classifications,
    "productTypes": _product_types, "relationships": _relationships, "vendorDetails": _vendor_details,
}


def _typed_frame(records: list[dict[str, Any]], columns: Mapping[str, str]) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for col, dtype in columns.items():
        values = [r.get(col) for r in records]
        if dtype == _O:
            data[col] = pd.Series(values, dtype=object)
        elif dtype == _D:
            data[col] = pd.Series(pd.to_datetime(values, errors="coerce", format="ISO8601")).astype(_D)
        elif dtype in (_I, _F):
            data[col] = pd.Series(pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")).astype(dtype)
        else:
            data[col] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(data, columns=list(columns))


def flatten_items(
    items: Sequence[Mapping[str, Any]],
    included_data: str | Sequence[str] = ("summaries",),
    *,
    marketplace_id: str | None = None,
) -> pd.DataFrame:
    """Flatten Catalog Items ``Item`` objects into one typed row per item and marketplace.

    Pure: no API calls. Only the sections in ``included_data`` become columns, so
    the same ``included_data`` always yields the same columns and dtypes, even for
    no items.

    Parameters
    ----------
    items : list of dict
        ``Item`` objects as Amazon returns them (``searchCatalogItems`` ``items`` or
        a ``getCatalogItem`` response).
    included_data : str or sequence of str, default ("summaries",)
        The sections to flatten (see :data:`INCLUDED_DATA`).
    marketplace_id : str, optional
        Keep only this marketplace's data: exactly one row per item. Without it,
        an item gets one row per marketplace found in its sections.

    Returns
    -------
    DataFrame
        ``asin``, ``marketplace_id`` then the sections' columns (see
        :func:`catalog_columns`). Multi-valued cells (identifiers of one type,
        ASIN lists, classification ids) are joined with ``","``; paths and
        contributors with ``" | "`` and ``"; "``. ``attributes`` stays a dict.
    """
    sections = normalize_included_data(included_data)
    columns = catalog_columns(sections)
    records: list[dict[str, Any]] = []
    for item in items:
        if marketplace_id is not None:
            marketplaces: list[str | None] = [marketplace_id]
        else:
            marketplaces = list(dict.fromkeys(
                e.get("marketplaceId")
                for s in sections if s != "attributes"
                for e in (item.get(s) or []) if e.get("marketplaceId")
            )) or [None]
        for mp in marketplaces:
            row: dict[str, Any] = {"asin": item.get("asin"), "marketplace_id": mp}
            for section in sections:
                if section == "attributes":
                    row["attributes"] = item.get("attributes")
                    continue
                entry = _by_marketplace(item.get(section), mp)
                if entry is not None:
                    row.update(_EXTRACTORS[section](entry))
            records.append(row)
    return _typed_frame(records, columns)


def expand_attributes(
    df: pd.DataFrame,
    names: str | Sequence[str] | None = None,
    *,
    column: str = "attributes",
    prefix: str = "attr_",
) -> pd.DataFrame:
    """Turn chosen free-form ``attributes`` into columns.

    Each attribute is a list of values (per marketplace and language); the first
    value for the row's ``marketplace_id`` (else the first value) is used: its
    ``value`` when it has one, else the whole object (e.g. a dimensions dict).

    Parameters
    ----------
    df : DataFrame
        A catalog frame with an ``attributes`` column (``included_data`` with
        ``"attributes"``).
    names : str or sequence of str, optional
        Attribute names (``"item_name"``, ``"list_price"``...). Default: every
        name found in the column, sorted.
    column : str, default "attributes"
        The column holding the attribute dicts.
    prefix : str, default "attr_"
        Prefix of the new columns, so ``brand`` does not clash with the summaries'.

    Returns
    -------
    DataFrame
        A copy of ``df`` with one column per attribute (dtype inferred; object
        for structured values), ``df``'s index and row order kept.
    """
    if column not in df.columns:
        msg = f"column={column!r} is not a column of the frame; fetch with included_data containing 'attributes'"
        raise ConfigurationError(msg, parameter="column", value=column, allowed=list(map(str, df.columns)))
    attrs = [a if isinstance(a, Mapping) else {} for a in df[column]]
    if names is None:
        wanted = sorted({k for a in attrs for k in a})
    else:
        wanted = as_list(names, "names")
    mps = df["marketplace_id"].tolist() if "marketplace_id" in df.columns else [None] * len(df)
    out = df.copy()
    for name in wanted:
        values = []
        for a, mp in zip(attrs, mps):
            entries = a.get(name) or []
            if isinstance(entries, Mapping):
                entries = [entries]
            first = next((e for e in entries if isinstance(e, Mapping) and e.get("marketplace_id") == mp), None)
            first = first if first is not None else (entries[0] if entries else None)
            if isinstance(first, Mapping) and "value" in first:
                first = first["value"]
            values.append(first)
        series = pd.Series(values, index=df.index, dtype=object)
        if all(v is None or isinstance(v, (str, bool, int, float)) for v in values):
            series = series.infer_objects().convert_dtypes(dtype_backend="numpy_nullable")
            if series.dtype == "string":
                series = series.astype("str")
        out[f"{prefix}{name}"] = series
    return out
