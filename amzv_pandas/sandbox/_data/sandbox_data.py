"""The sandbox's pure, deterministic data layer.

:class:`SandboxData` answers everything the sandbox server needs to know about
the built-in account — the catalog, the seller's SKUs, how a report ends and
what its document holds — as a pure function of ``seed`` and the request.  It
does no I/O and keeps no state between calls (beyond caches), so two servers
with the same seed answer identically.

Rules worth knowing (tests and other modules rely on them):

Catalog
    ``asins`` is the universe, ``"B0"`` + 8 upper-case alphanumerics.  Item
    ``i`` is in category ``i % 10``; the keyword ``coffee`` matches exactly the
    items with ``i % 10 < 7`` (70 %), so ``n_asins=1500`` gives 1,050 results
    and exercises the 1,000-result cap.  Every includedData section of
    catalogItems 2022-04-01 is produced, per marketplace.  Kettles with
    ``i % 20 == 17`` (outside the vendor's ASINs) are sold in US/CA/MX/BR only.
SKUs
    A SKU is *invalid* when it is empty, longer than 40 characters, has leading
    or trailing whitespace, holds a control character, or starts with
    ``"INVALID"`` (sandbox convention); a batch holding one raises
    :class:`InvalidSKUs` (Amazon: 400 InvalidInput, naming nothing).  A
    well-formed SKU the seller does not have is *unknown* and simply absent.
    Like Amazon, a SKU search also tries the comma-joined value whole, so SKUs
    holding commas can be found one at a time.
Reports
    :meth:`SandboxData.report_outcome` gives DONE, FATAL (Amazon-style
    ``errorDetails``) or CANCELLED (no data: an hourly report without a full
    hour, a coupon/promotion window without campaigns, an orders window without
    orders).  Every rule of a report type the registry lists (options,
    date forms, window sizes, alignment, history, publication lag, one
    marketplace) is the registry's (:mod:`.rules` reads it from
    :data:`amzv_pandas._specs.registry.REPORT_TYPES`); vendor reports also
    need marketplaces of the account (those with a Vendor Central), seller
    flat files accept any marketplace.  Days are read in the marketplace's
    time zone.  Report types the registry does not know end DONE with a
    generic TSV.
Documents
    Vendor JSON follows ``sandbox/spapi/report-schemas``; daily numbers depend
    only on (seed, ASIN, day, options), so split windows agree with one long
    window and WEEK..YEAR rows aggregate the DAY rows.  Flat files are Amazon's
    unquoted TSV in the marketplace's codec (Cp1252 NA/EU, Shift_JIS-compatible
    cp932 JP, UTF-8 elsewhere; orders files UTF-8 except JP).  Documents are
    streamed in large chunks; :attr:`Document.chunks` can be called again.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator, NamedTuple, Sequence

from ..._specs.registry import REPORT_TYPES
from .catalog import IDENTIFIER_TYPES, INCLUDED_DATA, Catalog, InvalidSKUs, sku_problem
from .chunks import regroup
from .rules import (
    ACCOUNT_MARKETPLACES,
    ANALYTICS,
    CANCELLED,
    DONE,
    KINDS,
    ORDERS,
    Outcome,
    analytics_today,
    latest_available_day,
    option_window,
    parse_option_time,
    registry_problem,
)
from .util import as_utc, full_hours, marketplace_or_us

__all__ = ["SandboxData", "InvalidSKUs", "Outcome", "Document", "sku_problem", "INCLUDED_DATA",
           "IDENTIFIER_TYPES", "ACCOUNT_MARKETPLACES", "KNOWN_REPORT_TYPES"]

#: Report types with a purpose-built document (anything else gets a generic TSV).
KNOWN_REPORT_TYPES: tuple[str, ...] = tuple(KINDS)
_JSON = "application/json"


class Document(NamedTuple):
    """A report document: its Content-Type and a factory of its (uncompressed) byte chunks.

    ``chunks()`` may be called any number of times; each call streams the
    whole document again, identically.
    """

    content_type: str
    chunks: Callable[[], Iterator[bytes]]

    def read(self) -> bytes:
        """The whole document (convenience for small documents and tests)."""
        return b"".join(self.chunks())


def _coalesce(factory: Callable[[], Iterator[bytes]], size: int = 1 << 20) -> Callable[[], Iterator[bytes]]:
    """The factory of ``factory``'s pieces merged into chunks of at least ``size`` bytes."""
    return lambda: regroup(factory(), size)


class SandboxData:
    """Deterministic catalog, SKUs, report outcomes and report documents.

    Parameters
    ----------
    seed : int
        Everything is a pure function of the seed.
    n_asins : int
        Size of the catalog universe (grown if needed to hold ``vendor_asins``).
    flat_rows : int
        Rows of listing/inventory flat files; orders files hold this many rows
        per 30 days.
    vendor_asins : int
        Number of the vendor's ASINs (rows per period in vendor reports).

    Attributes
    ----------
    asins : list of str
        The catalog universe.
    sellers : list of str
        Seller ids / vendor codes; ``sellers[0]`` is the built-in account's.
    vendor_asins : list of str
        The vendor's ASINs, in report order (the ``vendor_asins`` first buyable items).
    account_marketplaces : tuple of str
        Marketplace ids of the built-in vendor account (those with a Vendor Central).
    """

    def __init__(self, seed: int = 0, *, n_asins: int = 300, flat_rows: int = 500, vendor_asins: int = 50) -> None:
        if n_asins < 1 or vendor_asins < 1 or flat_rows < 0:
            raise ValueError("n_asins and vendor_asins must be >= 1 and flat_rows >= 0")
        self.seed = seed
        self.flat_rows = flat_rows
        self._catalog = Catalog(seed, n_asins, vendor_asins)
        self.asins: list[str] = self._catalog.asins
        self.sellers: list[str] = self._catalog.sellers
        self.vendor_asins: list[str] = [self.asins[i] for i in self._catalog.vendor_indices]
        self.account_marketplaces: tuple[str, ...] = ACCOUNT_MARKETPLACES
        self._vendor: Any = None
        self._flat: Any = None
        self._orders: Any = None
        self._promos: Any = None

    # -- lazily built engines (numpy/pyarrow only when a document needs them) ---------

    @property
    def _vendor_model(self) -> Any:
        if self._vendor is None:
            from .vendor import VendorModel
            self._vendor = VendorModel(self._catalog, self.seed)
        return self._vendor

    @property
    def _flat_files(self) -> Any:
        if self._flat is None:
            from .flat import FlatFiles
            self._flat = FlatFiles(self._catalog, self.seed, self.flat_rows)
        return self._flat

    @property
    def _order_files(self) -> Any:
        if self._orders is None:
            from .flat_orders import OrderFiles
            self._orders = OrderFiles(self._flat_files)
        return self._orders

    @property
    def _promotions(self) -> Any:
        if self._promos is None:
            from .promos import Promotions
            self._promos = Promotions(self._catalog, self.seed)
        return self._promos

    # -- catalog ------------------------------------------------------------------------

    def catalog_item(self, asin: str, marketplace_id: str | Sequence[str], included_data: Sequence[str],
                     locale: str | None = None) -> dict[str, Any] | None:
        """One ``Item`` of catalogItems 2022-04-01, or None when the ASIN is not sold there.

        Parameters
        ----------
        asin : str
        marketplace_id : str or sequence of str
            One marketplace (or several: each section then has one entry per
            marketplace the item is sold in).
        included_data : sequence of str
            Sections to include (``summaries`` when empty); unknown names are ignored.
        locale : str, optional
            ``ja_JP`` gives Japanese texts; default: the marketplace's locale.
        """
        mids = [marketplace_id] if isinstance(marketplace_id, str) else list(marketplace_id)
        return self._catalog.item(asin, mids, included_data, locale)

    def search_catalog(self, marketplace_id: str, *, keywords: Sequence[str] | None = None,
                       identifiers: Sequence[str] | None = None, identifiers_type: str | None = None,
                       seller_id: str | None = None, brand_names: Sequence[str] | None = None,
                       classification_ids: Sequence[str] | None = None) -> tuple[list[str], dict[str, Any]]:
        """ASINs matching a search (uncapped: the server pages and stops at 1,000) and the refinements.

        Keywords: every keyword must match whole words of the title or brand
        (case-insensitive).  Identifiers: in the order given, duplicates and
        unknown ones dropped.  ``brand_names``/``classification_ids`` narrow
        keyword searches.

        Raises
        ------
        InvalidSKUs
            A SKU search held a malformed SKU (see :func:`sku_problem`).
        ValueError
            Neither keywords nor identifiers, both, a bad identifiersType or a
            SKU search without ``seller_id`` (the server answers these first).
        """
        return self._catalog.search(marketplace_id, keywords=keywords, identifiers=identifiers,
                                    identifiers_type=identifiers_type, seller_id=seller_id,
                                    brand_names=brand_names, classification_ids=classification_ids)

    def seller_skus(self, seller_id: str) -> dict[str, str]:
        """SKU -> ASIN of a seller (empty for an unknown seller)."""
        return self._catalog.seller_skus(seller_id)

    def sku_asin(self, seller_id: str, sku: str) -> str | None:
        """The ASIN behind any SKU the seller's listings reports show (``None`` if unknown)."""
        return self._catalog.resolve_sku(seller_id, sku)

    # -- reports --------------------------------------------------------------------------

    def report_outcome(self, report_type: str, marketplace_ids: Sequence[str], data_start: datetime | None,
                       data_end: datetime | None, options: dict[str, str], now: datetime) -> Outcome:
        """How a report requested at ``now`` ends.

        Missing ``data_start``/``data_end`` mean ``now`` (Amazon's default).
        Pass the report's creation time as ``now`` and as ``created`` to
        :meth:`report_document` so that outcome and document agree.
        """
        now = as_utc(now)
        start = as_utc(data_start) if data_start is not None else now
        end = as_utc(data_end) if data_end is not None else now
        options = {str(k): str(v) for k, v in (options or {}).items()}
        mids = list(marketplace_ids)
        problem = registry_problem(report_type, mids, data_start, data_end, options, now)
        if problem:
            return problem
        # What is left is emulation: whether the range holds any data.
        kind = KINDS.get(report_type)
        if kind == "realtime":
            if start >= end:  # an empty range (a later start failed the registry's rules)
                return Outcome("FATAL", f"The dataStartTime {start:%Y-%m-%dT%H:%M:%SZ} must be earlier than the "
                                        f"dataEndTime {end:%Y-%m-%dT%H:%M:%SZ}. Adjust the date range, and try again.")
            h0, h1 = full_hours(start, end, now)
            return DONE if h1 > h0 else CANCELLED  # no full hour: no data
        if kind == "promo":
            window = option_window(report_type, options, now)
            assert not isinstance(window, Outcome)  # registry_problem checked it
            events = (self._promotions.campaigns if report_type == "GET_COUPON_PERFORMANCE_REPORT"
                      else self._promotions.promotions)(window[0], window[1], now)
            return DONE if events else CANCELLED
        if report_type in ORDERS:
            m = marketplace_or_us(mids[0])
            found = self._order_files.has_orders(m, start, end, now, report_type == ORDERS[1])
            return DONE if found else CANCELLED
        return DONE

    def report_document(self, report_type: str, marketplace_ids: Sequence[str], data_start: datetime | None,
                        data_end: datetime | None, options: dict[str, str], *, created: datetime) -> Document:
        """The document of a DONE report created at ``created``.

        It does not re-check the outcome rules: whatever range is asked is
        generated (missing dates default as in Amazon's reports).
        """
        created = as_utc(created)
        options = {str(k): str(v) for k, v in (options or {}).items()}
        mids = list(marketplace_ids) or ["ATVPDKIKX0DER"]
        m = marketplace_or_us(mids[0])
        kind = KINDS.get(report_type)
        start = as_utc(data_start) if data_start is not None else None
        end = as_utc(data_end) if data_end is not None else None
        if kind == "analytics":
            model = self._vendor_model
            end_day = data_end.date() if data_end is not None else latest_available_day(report_type, m, created)
            start_day = data_start.date() if data_start is not None else end_day
            last_updated = analytics_today(m, created)
            return Document(_JSON, _coalesce(lambda: model.analytics(
                report_type, m, start_day, end_day, options, mids, last_updated)))
        if kind == "forecast":
            model = self._vendor_model
            return Document(_JSON, _coalesce(lambda: model.forecast(m, options, mids, created)))
        if kind == "realtime":
            model = self._vendor_model
            rt_start, rt_end = start or created, end or created
            return Document(_JSON, _coalesce(lambda: model.realtime(report_type, m, rt_start, rt_end, mids, created)))
        if kind == "promo":
            promos = self._promotions
            names = REPORT_TYPES[report_type].range_options or ("", "")
            lo = parse_option_time(options.get(names[0], "")) or created - timedelta(days=30)
            hi = parse_option_time(options.get(names[1], "")) or created
            make = promos.coupon_document if report_type == "GET_COUPON_PERFORMANCE_REPORT" else promos.promotion_document
            return Document(_JSON, _coalesce(lambda: make(m, options, mids, lo, hi, created)))
        from .flat import content_type_for
        flat = self._flat_files
        if report_type in ORDERS:
            orders = self._order_files
            o_end = end or created
            o_start = start or (o_end - timedelta(days=30))
            by_update = report_type == ORDERS[1]
            return Document(content_type_for(m, report_type),
                            _coalesce(lambda: orders.orders(m, o_start, o_end, created, by_update)))
        if report_type in ("GET_MERCHANT_LISTINGS_ALL_DATA", "GET_MERCHANT_LISTINGS_DATA"):
            active = report_type == "GET_MERCHANT_LISTINGS_DATA"
            return Document(content_type_for(m, report_type), _coalesce(lambda: flat.listings(m, active)))
        if report_type == "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA":
            return Document(content_type_for(m, report_type), _coalesce(lambda: flat.myi(m)))
        if report_type == "GET_AFN_INVENTORY_DATA":
            return Document(content_type_for(m, report_type), _coalesce(lambda: flat.afn(m)))
        return Document(content_type_for(m, report_type), _coalesce(lambda: flat.generic(m, report_type, created)))

    def error_document(self, details: str) -> bytes:
        """The JSON document of a FATAL report: ``{"errorDetails": "..."}``."""
        return json.dumps({"errorDetails": details}).encode("utf-8")

    # -- helpers for tests and diagnostics --------------------------------------------------

    def daily_values(self, report_type: str, marketplace_id: str, start: datetime, end: datetime,
                     options: dict[str, str]) -> dict[str, Any]:
        """The vendor's per-(ASIN, day) numbers as numpy arrays of shape (len(vendor_asins), days).

        Money is in integer cents of the marketplace currency.
        """
        m = marketplace_or_us(marketplace_id)
        return self._vendor_model.daily_values(report_type, m.currency, start.date(), end.date(), dict(options))

    @staticmethod
    def analytics_rules() -> dict[str, Any]:
        """Publication lag (hours) and required options of the retail analytics reports (from the registry)."""
        return {t: {"lag_hours": REPORT_TYPES[t].publication_lag_hours,
                    "options": {o.name: o.allowed for o in REPORT_TYPES[t].options if o.required}}
                for t in ANALYTICS}
