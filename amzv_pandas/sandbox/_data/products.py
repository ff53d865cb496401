"""The catalog's building blocks: the items' static facts, SKU validity and the shared constants."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Sequence

from ..._specs.marketplaces import Marketplace
from .pools import CATEGORIES, Brand, Category
from .util import isbn10_from_13

__all__ = ["INCLUDED_DATA", "IDENTIFIER_TYPES", "INVALID_PREFIX", "MAX_SKU_LENGTH", "NA_COUNTRIES", "ASIN_CHARS", "CYCLE_SUFFIX", "InvalidSKUs", "sku_problem", "tokens", "Product", "families"]

INCLUDED_DATA = ("attributes", "classifications", "dimensions", "identifiers", "images", "productTypes",
                 "relationships", "salesRanks", "summaries", "vendorDetails")
#: The suffix large flat files give the extra listings they cycle through.
CYCLE_SUFFIX = re.compile(r"-R\d+\.\d+$")

IDENTIFIER_TYPES = ("ASIN", "EAN", "GTIN", "ISBN", "JAN", "MINSAN", "SKU", "UPC")

ASIN_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_WORD = re.compile(r"\w+")
NA_COUNTRIES = ("US", "CA", "MX", "BR")
#: SKUs starting with this are *invalid* by sandbox convention.
INVALID_PREFIX = "INVALID"
MAX_SKU_LENGTH = 40


class InvalidSKUs(Exception):
    """A SKU batch held invalid SKUs; Amazon answers 400 InvalidInput without naming them.

    Attributes
    ----------
    skus : list of str
        The invalid SKUs (for the sandbox's own diagnostics; never sent to clients).
    """

    def __init__(self, skus: Sequence[str]) -> None:
        self.skus = list(skus)
        super().__init__(f"invalid SKUs: {self.skus!r}")


def sku_problem(sku: str) -> str | None:
    """Why ``sku`` is invalid, or None when it is well formed.

    A SKU is invalid when it is empty, longer than 40 characters, has leading or
    trailing whitespace, holds a control character, or starts with ``"INVALID"``
    (a sandbox convention so tests can make invalid SKUs on purpose).  A
    well-formed SKU the seller does not have is merely *unknown*.
    """
    if not sku:
        return "empty"
    if len(sku) > MAX_SKU_LENGTH:
        return f"longer than {MAX_SKU_LENGTH} characters"
    if sku != sku.strip():
        return "leading or trailing whitespace"
    if any(unicodedata.category(ch) == "Cc" for ch in sku):
        return "control character"
    if sku.startswith(INVALID_PREFIX):
        return f"starts with {INVALID_PREFIX!r}"
    return None


def tokens(*texts: str) -> frozenset[str]:
    out: set[str] = set()
    for text in texts:
        out.update(_WORD.findall(text.casefold()))
    return frozenset(out)


@dataclass(eq=False)
class Product:
    """One catalog item (static facts; sections are built on demand)."""

    index: int
    asin: str
    cat: Category
    brand: Brand
    title: str
    title_jp: str
    classification: str            # BASE_PRODUCT | VARIATION_PARENT | PRODUCT_BUNDLE
    parent: int | None
    children: tuple[int, ...]
    color: tuple[str, str] | None
    size: tuple[str, str] | None
    style: str | None
    model_number: str
    release_date: date
    price_usd: int                 # cents
    demand: float                  # mean units/day
    ean: str
    upc: str | None
    isbn13: str | None
    minsan: str | None
    na_only: bool
    tokens: frozenset[str]
    contributors: tuple[tuple[str, str], ...]
    package_quantity: int

    @property
    def gtin(self) -> str:
        return "0" + self.ean

    @property
    def isbn10(self) -> str | None:
        return isbn10_from_13(self.isbn13) if self.isbn13 else None

    @property
    def buyable(self) -> bool:
        return self.classification != "VARIATION_PARENT"

    def sold_in(self, m: Marketplace) -> bool:
        return not (self.na_only and m.country_code not in NA_COUNTRIES)


def families(n: int) -> tuple[dict[int, int], dict[int, tuple[int, ...]]]:
    """child index -> parent index, parent index -> children."""
    parent_of: dict[int, int] = {}
    children: dict[int, tuple[int, ...]] = {}
    for base in range(n):
        if CATEGORIES[base % 10].variation is None or (base % 50) >= 10:
            continue
        members = [base + 10 * k for k in range(5) if base + 10 * k < n]
        if len(members) >= 3:
            children[members[0]] = tuple(members[1:])
            for c in members[1:]:
                parent_of[c] = members[0]
    return parent_of, children
