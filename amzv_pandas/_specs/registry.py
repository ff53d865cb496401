"""The report-type registry: what amzv_pandas knows about each SP-API report type.

The registry is data, not code: one frozen :class:`ReportType` per report type in
:data:`REPORT_TYPES`, built from small building blocks (:class:`ReportOption`,
:class:`Field`, :class:`Section`). Everything else (option validation, window
splitting, parsing, empty frames for CANCELLED reports, the widget form) reads
these records instead of branching on report-type names.

Sources: the JSON schemas in ``sandbox/spapi/report-schemas`` (sections, fields,
option values), Amazon's report-type reference (vendor windows and lookbacks;
the Net Pure Product Margin figures are applied to the other retail analytics
reports), the ~72 h publication lag peers work with, and per-report quoting of
flat files (ledger reports quote, listings and orders do not).

User-given names go through :func:`resolve_report_type`, which refuses a name the registry
does not know (with the close registry names: a typo must not cost a createReport) unless
``allow_unknown=True`` is passed for a type Amazon added after this release; such a name must
still have Amazon's shape (:data:`REPORT_TYPE_PATTERN`). :func:`get_report_type` stays lenient
(a generic entry, format guessed at parse time) for names Amazon itself returns.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Iterable, Literal, Mapping

import numpy as np
import pandas as pd

from amzv_pandas.exceptions import ConfigurationError, UnknownReportTypeError

__all__ = [
    "Field",
    "Section",
    "ReportOption",
    "ReportType",
    "REPORT_TYPES",
    "PERIODS",
    "REPORT_TYPE_PATTERN",
    "get_report_type",
    "resolve_report_type",
    "report_types",
    "kind_dtype",
]

Kind = Literal["str", "int", "float", "money", "date", "datetime", "bool", "datetime_local", "json"]
DateRangeKind = Literal["day", "datetime", "none", "options"]

#: Report periods, finest first. ``HOUR`` is used for the hourly real-time reports.
PERIODS: tuple[str, ...] = ("HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR")


def _str_dtype() -> Any:
    # pandas 3's default string dtype ("str": pyarrow storage, NaN as missing value);
    # older pandas falls back to the nullable "string" dtype.
    try:
        return pd.StringDtype(storage="pyarrow", na_value=np.nan)
    except TypeError:  # pragma: no cover - pandas < 2.3
        return pd.StringDtype()


STR_DTYPE = _str_dtype()
DATE_DTYPE = np.dtype("datetime64[us]")
UTC_DTYPE = pd.DatetimeTZDtype("us", "UTC")

_KIND_DTYPES: Mapping[str, Any] = MappingProxyType(
    {
        "str": STR_DTYPE,
        "int": pd.Int64Dtype(),
        "float": pd.Float64Dtype(),
        "date": DATE_DTYPE,
        "datetime": UTC_DTYPE,
        "datetime_local": UTC_DTYPE,
        "bool": pd.BooleanDtype(),
        "json": STR_DTYPE,
    }
)


def kind_dtype(kind: str) -> Any:
    """Return the pandas dtype amzv_pandas uses for a registry field kind.

    ``money`` is not a single column (see :meth:`Field.columns`).
    """
    try:
        return _KIND_DTYPES[kind]
    except KeyError:
        msg = f"unknown field kind {kind!r}"
        raise ConfigurationError(msg, parameter="kind", value=kind, allowed=sorted(_KIND_DTYPES)) from None


# ---------------------------------------------------------------------------------------------
# building blocks


@dataclass(frozen=True)
class Field:
    """One field of a report row.

    Parameters
    ----------
    name : str
        Amazon's name: the JSON key, or the flat-file header exactly as Amazon writes it.
    kind : str
        ``"str"``, ``"int"`` (Int64), ``"float"`` (Float64), ``"money"`` (an
        ``{amount, currencyCode}`` object, two columns), ``"date"`` (datetime64, naive),
        ``"datetime"`` (UTC datetime64; the source carries an offset), ``"datetime_local"``
        (flat-file time with a zone abbreviation such as ``PDT``, converted to UTC when
        possible), ``"bool"`` (boolean).
    """

    name: str
    kind: str = "str"

    def columns(self, prefix: str = "") -> list[tuple[str, Any]]:
        """Output column names and dtypes of this field."""
        name = prefix + self.name
        if self.kind == "money":
            return [(f"{name}_amount", pd.Float64Dtype()), (f"{name}_currency", STR_DTYPE)]
        return [(name, kind_dtype(self.kind))]


@dataclass(frozen=True)
class Level:
    """One array level of a (possibly nested) JSON section.

    ``key`` is the array's JSON key inside its parent object (or the document root),
    ``entity`` the singular word used to prefix this level's fields when a deeper level
    is flattened under it (``coupon`` -> ``coupon_name``).
    """

    key: str
    entity: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Section:
    """A table inside a JSON report document.

    ``levels`` runs from the document root down to the array that gives one row per
    entry. Flattening a nested section repeats the fields of its parents on each row:
    a parent field keeps its name when it already starts with the parent's entity word
    (``campaignId``, ``couponId``, ``promotionName``); otherwise it is prefixed with
    ``<entity>_`` (``coupon_name``, ``campaign_vendorCode``). Fields of the row level are
    never prefixed.
    """

    name: str
    levels: tuple[Level, ...]
    description: str = ""

    @property
    def path(self) -> tuple[str, ...]:
        """JSON keys from the document root to the row array."""
        return tuple(level.key for level in self.levels)

    def flat_fields(self) -> list[tuple[int, Field, str]]:
        """``(level index, field, column prefix)`` for every field, parents first."""
        out: list[tuple[int, Field, str]] = []
        last = len(self.levels) - 1
        for i, level in enumerate(self.levels):
            for f in level.fields:
                prefix = ""
                if i < last and not f.name.startswith(level.entity):
                    prefix = f"{level.entity}_"
                out.append((i, f, prefix))
        return out

    def columns(self) -> list[tuple[str, Any]]:
        """Column names and dtypes of the flattened rows (without report-specification columns)."""
        cols: list[tuple[str, Any]] = []
        for _, f, prefix in self.flat_fields():
            cols.extend(f.columns(prefix))
        return cols


@dataclass(frozen=True)
class ReportOption:
    """One ``reportOptions`` entry of a report type.

    Parameters
    ----------
    name : str
        Amazon's option name (``reportPeriod``).
    allowed : tuple of str, optional
        The accepted values; ``None`` means any value of ``kind``.
    kind : str
        ``"enum"``, ``"datetime"`` (ISO 8601 date-time, sent in UTC), ``"date"``,
        ``"currency"`` (ISO 4217 code), ``"boolean"`` (``"true"``/``"false"``) or ``"string"``.
    default : str, optional
        Filled in by :meth:`ReportType.validate_options` when the option is not given.
    required : bool
        Amazon fails the report (FATAL) when the option is missing.
    description : str
        One line for humans and the widget form.
    """

    name: str
    allowed: tuple[str, ...] | None = None
    kind: str = "enum"
    default: str | None = None
    required: bool = False
    description: str = ""

    @property
    def allowed_text(self) -> str:
        """The accepted values as text, for messages and summaries."""
        if self.allowed is not None:
            return ", ".join(self.allowed)
        return {
            "datetime": "an ISO 8601 date-time (e.g. 2024-01-31T00:00:00Z)",
            "date": "an ISO 8601 date (YYYY-MM-DD)",
            "currency": "an ISO 4217 currency code (e.g. USD)",
            "boolean": "true, false",
        }.get(self.kind, "any string")

    def validate(self, value: Any) -> str:
        """Return ``value`` as the string Amazon expects, or raise :class:`ConfigurationError`."""
        name = self.name

        def fail(why: str) -> ConfigurationError:
            msg = f"reportOptions[{name!r}]={value!r} {why}; allowed: {self.allowed_text}"
            return ConfigurationError(msg, parameter=name, value=value, allowed=self.allowed or self.allowed_text)

        # Amazon takes a string -> string map; lists/dicts/None were a classic source of FATAL reports.
        if value is None or isinstance(value, (list, tuple, set, frozenset, dict, bytes, bytearray)):
            raise fail("is not a single value convertible to a string")
        if self.kind == "boolean" or isinstance(value, (bool, np.bool_)):
            if isinstance(value, (bool, np.bool_)):
                text = "true" if value else "false"
            else:
                text = str(value).strip().lower()
            if self.kind == "boolean" and text not in ("true", "false"):
                raise fail("is not a boolean")
            return text
        if self.kind in ("datetime", "date"):
            try:
                ts = pd.Timestamp(value)
            except (ValueError, TypeError):
                raise fail("is not a date-time") from None
            if ts is pd.NaT:
                raise fail("is not a date-time")
            if self.kind == "date":
                return ts.strftime("%Y-%m-%d")
            ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
            return ts.strftime("%Y-%m-%dT%H:%M:%SZ")
        if isinstance(value, (float, np.floating)) and not np.isfinite(value):
            raise fail("is not a finite value")
        text = str(value).strip()
        if not text:
            raise fail("is empty")
        if self.kind == "currency":
            if len(text) != 3 or not text.isalpha():
                raise fail("is not a currency code")
            return text.upper()
        if self.allowed is not None:
            # Case-insensitive on input, Amazon's spelling on output ("day" -> "DAY").
            for candidate in self.allowed:
                if candidate.upper() == text.upper():
                    return candidate
            raise fail("is not accepted")
        return text


@dataclass(frozen=True)
class ReportType:
    """Everything amzv_pandas knows about one report type.

    Attributes
    ----------
    name, title, description : str
        Amazon's enum string, a short title and one line.
    family : {"vendor", "seller", "unknown"}
    format : {"json", "tsv", "auto"}
        Document format; ``"auto"`` (unknown types) is guessed by :func:`amzv_pandas._parsers.api.sniff_format`.
    options : tuple of ReportOption
        The ``reportOptions`` the type accepts. Empty for unknown types (anything goes).
    sections : tuple of Section
        JSON tables; ``default_section`` is used when the caller names none.
    columns : tuple of Field
        Known flat-file columns (extra columns in a document are kept, typed by pyarrow).
    date_range : {"day", "datetime", "none", "options"}
        How the range is given: ``dataStartTime``/``dataEndTime`` read as dates (``"day"``),
        as true UTC date-times (``"datetime"``), not at all (``"none"``: snapshots and
        forecasts), or through the two options in ``range_options`` (``"options"``).
    max_windows : tuple of (report_period or None, count, period)
        Longest span of one request, per ``reportPeriod`` (``None`` = any).
    aligned : bool
        WEEK/MONTH/QUARTER/YEAR requests must start on the first and end on the last day of
        a period; weeks run Sunday to Saturday (``week_start``).
    lookback_days : int or None
        How far back data exists (``None``: not documented).
    publication_lag_hours : int
        How long after a period closes its data is published; asking earlier fails.
    quotechar : str or None
        Quote character of the flat file; ``None`` = no quoting (stray ``"`` in titles).
    encoding, encodings : str, tuple of (country code, codec)
        Default codec of flat files and per-marketplace exceptions; a charset in the
        download's Content-Type wins over both.
    query_date_types : tuple of (query date type, report type name)
        Variants of the same report selected by which date the range applies to.
    single_marketplace : bool
        The type takes exactly one marketplace (the vendor account's): its schema says "each
        selling partner account belongs to only one marketplaceId".
    """

    name: str
    title: str = ""
    description: str = ""
    family: str = "unknown"
    format: str = "auto"
    options: tuple[ReportOption, ...] = ()
    sections: tuple[Section, ...] = ()
    default_section: str | None = None
    columns: tuple[Field, ...] = ()
    date_range: str = "day"
    range_options: tuple[str, str] | None = None
    max_windows: tuple[tuple[str | None, int, str], ...] = ()
    aligned: bool = False
    week_start: str = "SUNDAY"
    lookback_days: int | None = None
    publication_lag_hours: int = 0
    quotechar: str | None = None
    encoding: str = "utf-8"
    encodings: tuple[tuple[str, str], ...] = ()
    spec_last_updated: bool = False
    query_date_types: tuple[tuple[str, str], ...] = ()
    single_marketplace: bool = False
    known: bool = True

    # -- marketplaces ----------------------------------------------------------------------

    def check_marketplaces(self, codes: "Iterable[str]", *, parameter: str = "marketplace") -> None:
        """Refuse more than one marketplace for a :attr:`single_marketplace` type.

        ``codes`` are the (already resolved) country codes or ids. Amazon fails such a
        request after the createReport; refusing it here costs nothing.
        """
        given = list(dict.fromkeys(codes))
        if self.single_marketplace and len(given) > 1:
            msg = (f"{parameter}={given!r}: {self.name} covers exactly one marketplace, the vendor account's "
                   "(each vendor account belongs to one); read each marketplace with its own call (and its "
                   "own account)")
            raise ConfigurationError(msg, parameter=parameter, value=given, allowed="one marketplace")

    # -- options -------------------------------------------------------------------------

    @property
    def option_names(self) -> tuple[str, ...]:
        """Names of the accepted ``reportOptions``."""
        return tuple(o.name for o in self.options)

    def option(self, name: str) -> ReportOption:
        """Return the :class:`ReportOption` called ``name``."""
        for opt in self.options:
            if opt.name == name:
                return opt
        msg = f"{self.name} has no reportOption {name!r}; it accepts: {', '.join(self.option_names) or 'none'}"
        raise ConfigurationError(msg, parameter="report_options", value=name, allowed=list(self.option_names))

    def validate_options(
        self, report_options: Mapping[str, Any] | None, *, fill_defaults: bool = True
    ) -> dict[str, str]:
        """Check ``report_options`` and return them as the string map Amazon expects.

        Parameters
        ----------
        report_options : mapping or None
            Option name -> value. Values may be strings, numbers, booleans or, for
            date-time options, anything :class:`pandas.Timestamp` accepts.
        fill_defaults : bool, default True
            Add the default of every option that has one and was not given.

        Returns
        -------
        dict of str to str

        Raises
        ------
        ConfigurationError
            For an option the type does not accept, a value outside the allowed ones, a
            value that is not a single string-like value, or a required option that is
            missing (and has no default). ``parameter`` names the option, ``value`` is
            what was given and ``allowed`` lists what is accepted.
        """
        if report_options is None:
            report_options = {}
        if not isinstance(report_options, Mapping):
            msg = (
                f"report_options must be a mapping of option name to value (e.g. "
                f"{{'reportPeriod': 'DAY'}}), got {type(report_options).__name__}"
            )
            raise ConfigurationError(msg, parameter="report_options", value=report_options,
                                     allowed=list(self.option_names) or None)
        out: dict[str, str] = {}
        for key, value in report_options.items():
            if not isinstance(key, str):
                msg = f"reportOptions keys must be strings, got {key!r}"
                raise ConfigurationError(msg, parameter="report_options", value=key, allowed=list(self.option_names))
            if not self.known:
                out[key] = ReportOption(key, kind="string").validate(value)
                continue
            opt = next((o for o in self.options if o.name == key), None)
            if opt is None:
                lowered = {o.name.lower(): o.name for o in self.options}
                hint = f" (did you mean {lowered[key.lower()]!r}?)" if key.lower() in lowered else ""
                msg = (
                    f"{self.name} does not accept reportOption {key!r}{hint}; "
                    f"allowed: {', '.join(self.option_names) or 'no options'}"
                )
                raise ConfigurationError(msg, parameter=key, value=value, allowed=list(self.option_names))
            out[key] = opt.validate(value)
        missing = []
        for opt in self.options:
            if opt.name in out:
                continue
            if fill_defaults and opt.default is not None:
                out[opt.name] = opt.default
            elif opt.required:
                missing.append(opt)
        if missing:
            first = missing[0]
            names = ", ".join(o.name for o in missing)
            msg = (
                f"{self.name} requires reportOption(s) {names}; "
                + "; ".join(f"{o.name}: {o.allowed_text}" for o in missing)
            )
            raise ConfigurationError(msg, parameter=first.name, value=None, allowed=first.allowed or first.allowed_text)
        # Amazon's order, not the caller's: stable cache keys and readable requests.
        order = {n: i for i, n in enumerate(self.option_names)}
        return dict(sorted(out.items(), key=lambda kv: order.get(kv[0], len(order))))

    # -- dates ---------------------------------------------------------------------------

    def resolve_query_date_type(self, query_date_type: str | None) -> str:
        """Return the report type to request for ``query_date_type``.

        Orders reports exist once per date their range filters on: ``"created"``
        (``..._BY_ORDER_DATE_GENERAL``) and ``"last_updated"`` (``..._BY_LAST_UPDATE_GENERAL``).
        ``None`` returns this type's own name.
        """
        if query_date_type is None:
            return self.name
        key = str(query_date_type).strip().lower().replace("-", "_").replace(" ", "_")
        variants = dict(self.query_date_types)
        if key in variants:
            return variants[key]
        if not variants:
            msg = (
                f"{self.name} has no query date type variants; its range always applies to the "
                f"report's own date (drop query_date_type={query_date_type!r})"
            )
            raise ConfigurationError(msg, parameter="query_date_type", value=query_date_type, allowed=None)
        msg = f"query_date_type={query_date_type!r} is not available for {self.name}; allowed: {', '.join(variants)}"
        raise ConfigurationError(msg, parameter="query_date_type", value=query_date_type, allowed=list(variants))

    def max_window(self, report_period: str | None = None) -> tuple[int, str] | None:
        """Longest span one request may cover, as ``(max_periods, period)``.

        ``report_period`` is the ``reportPeriod`` option for the retail analytics reports
        (default: the option's default). Returns ``None`` when the type has no limit
        (or no date range at all).

        Examples
        --------
        >>> get_report_type("GET_VENDOR_SALES_REPORT").max_window("WEEK")
        (7, 'WEEK')
        """
        if report_period is None and "reportPeriod" in self.option_names:
            report_period = self.option("reportPeriod").default
        if report_period is not None:
            report_period = str(report_period).upper()
        generic = None
        for period, count, unit in self.max_windows:
            if period is not None and period == report_period:
                return count, unit
            if period is None:
                generic = (count, unit)
        if generic is None and report_period is not None and any(p for p, _, _ in self.max_windows):
            allowed = [p for p, _, _ in self.max_windows if p]
            msg = f"{self.name} has no window for reportPeriod={report_period!r}; allowed: {', '.join(allowed)}"
            raise ConfigurationError(msg, parameter="reportPeriod", value=report_period, allowed=allowed)
        return generic

    @property
    def publication_lag(self) -> _dt.timedelta:
        """How long after a period closes its data is published."""
        return _dt.timedelta(hours=self.publication_lag_hours)

    # -- sections and columns -------------------------------------------------------------

    @property
    def section_names(self) -> tuple[str, ...]:
        """Names of the JSON sections (tables) of this type."""
        return tuple(s.name for s in self.sections)

    def section(self, name: str | None = None) -> Section:
        """Return the :class:`Section` called ``name`` (default: ``default_section``)."""
        name = name or self.default_section
        for sec in self.sections:
            if sec.name == name:
                return sec
        allowed = list(self.section_names)
        msg = (
            f"{self.name} has no section {name!r}; available sections: {', '.join(allowed) or 'none known'}"
        )
        raise ConfigurationError(msg, parameter="section", value=name, allowed=allowed)

    def spec_columns(self) -> list[tuple[str, Any]]:
        """Columns taken from the document's ``reportSpecification`` (same on every row)."""
        cols: list[tuple[str, Any]] = [(o.name, STR_DTYPE) for o in self.options]
        cols.append(("marketplaceId", STR_DTYPE))
        if self.spec_last_updated:
            cols.append(("lastUpdatedDate", DATE_DTYPE))
        return cols

    def section_columns(self, section: str | None = None) -> dict[str, Any]:
        """Expected columns and dtypes of a parsed frame, in order.

        For JSON types: the flattened section's columns, then the report specification's
        (options, ``marketplaceId``, ``lastUpdatedDate``). For flat files: the known columns.
        Use :meth:`empty_frame` for a frame with no rows (CANCELLED reports).
        """
        if self.format == "tsv" or (not self.sections and self.columns):
            out: dict[str, Any] = {}
            for f in self.columns:
                out.update(f.columns())
            return out
        if not self.sections:
            return {}
        out = dict(self.section(section).columns())
        for name, dtype in self.spec_columns():
            out.setdefault(name, dtype)
        return out

    def empty_frame(self, section: str | None = None) -> pd.DataFrame:
        """A frame with no rows and the expected columns and dtypes."""
        cols = self.section_columns(section)
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in cols.items()})

    def flat_file_dtypes(self) -> dict[str, str]:
        """Known flat-file column kinds, for :func:`amzv_pandas._parsers.api.parse_flat_file`'s ``dtypes``."""
        return {f.name: f.kind for f in self.columns}

    def encoding_for(self, marketplace: str | None = None) -> str:
        """Default codec of this type's flat files in ``marketplace`` (country code or id)."""
        if marketplace and self.encodings:
            code = str(marketplace).upper()
            try:
                from amzv_pandas._specs.marketplaces import get_marketplace

                code = get_marketplace(marketplace).country_code
            except Exception:  # an unknown marketplace just gets the default codec
                pass
            for country, codec in self.encodings:
                if country == code:
                    return codec
        return self.encoding

    def options_summary(self) -> str:
        """One-line summary of the options: ``name=default* (values)``; ``*`` = required."""
        parts = []
        for o in self.options:
            default = f"={o.default}" if o.default is not None else ""
            star = "*" if o.required else ""
            values = "|".join(o.allowed) if o.allowed else o.kind
            parts.append(f"{o.name}{default}{star} ({values})")
        return "; ".join(parts)

    def max_range_summary(self) -> str:
        """The per-request windows as text (``DAY: 15 DAY, WEEK: 7 WEEK``)."""
        return ", ".join(
            f"{p}: {n} {u}" if p else f"{n} {u}" for p, n, u in self.max_windows
        )


# ---------------------------------------------------------------------------------------------
# the data


def _fields(spec: str) -> tuple[Field, ...]:
    """``"startDate:date asin shippedUnits:int"`` -> Fields (kind defaults to str)."""
    out = []
    for token in spec.split():
        name, _, kind = token.partition(":")
        out.append(Field(name, kind or "str"))
    return tuple(out)


def _flat(spec: str) -> tuple[Field, ...]:
    """Flat-file columns, one ``header|kind`` per line (headers may contain spaces)."""
    out = []
    for line in spec.strip().splitlines():
        name, _, kind = line.strip().partition("|")
        out.append(Field(name, kind or "str"))
    return tuple(out)


def _one_level(name: str, fields: tuple[Field, ...], description: str = "") -> Section:
    return Section(name, (Level(name, "", fields),), description)


_REPORT_PERIOD = ReportOption(
    "reportPeriod", ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR"), default="DAY", required=True,
    description="Granularity of the rows; WEEK runs Sunday-Saturday",
)
_DISTRIBUTOR_VIEW = ReportOption(
    "distributorView", ("MANUFACTURING", "SOURCING"), default="MANUFACTURING", required=True,
    description="MANUFACTURING (all sales of your items) or SOURCING (items you shipped to Amazon)",
)
_SELLING_PROGRAM_SALES = ReportOption(
    "sellingProgram", ("RETAIL", "BUSINESS", "FRESH"), default="RETAIL", required=True,
    description="Amazon Retail, Amazon Business or Amazon Fresh",
)
_SELLING_PROGRAM_RF = ReportOption(
    "sellingProgram", ("RETAIL", "FRESH"), default="RETAIL", required=True,
    description="Amazon Retail or Amazon Fresh",
)

# Net Pure Product Margin figures from Amazon's report-type reference, used for all four
# retail analytics reports: per-request spans and 1,460 days of history.
_ANALYTICS_WINDOWS = (("DAY", 15, "DAY"), ("WEEK", 7, "WEEK"), ("MONTH", 15, "MONTH"),
                      ("QUARTER", 4, "QUARTER"), ("YEAR", 2, "YEAR"))
# The Sales, Inventory, Traffic, NPPM (and Forecasting) schemas: marketplaceIds "must match the
# marketplaceId of the selling partner account. Each selling partner account belongs to only one".
_ANALYTICS = dict(family="vendor", format="json", date_range="day", max_windows=_ANALYTICS_WINDOWS,
                  aligned=True, lookback_days=1460, spec_last_updated=True, single_marketplace=True)

_SALES_FIELDS = _fields(
    "startDate:date endDate:date customerReturns:int orderedRevenue:money orderedUnits:int "
    "shippedCogs:money shippedRevenue:money shippedUnits:int"
)
_INVENTORY_COMMON = _fields(
    "vendorConfirmationRate:float netReceivedInventoryCost:money netReceivedInventoryUnits:int "
    "openPurchaseOrderUnits:int averageVendorLeadTimeDays:float sellThroughRate:float "
    "unfilledCustomerOrderedUnits:int sellableOnHandInventoryCost:money sellableOnHandInventoryUnits:int "
    "unsellableOnHandInventoryCost:money unsellableOnHandInventoryUnits:int "
    "aged90PlusDaysSellableInventoryCost:money aged90PlusDaysSellableInventoryUnits:int "
    "unhealthyInventoryCost:money unhealthyInventoryUnits:int"
)
_DATES = _fields("startDate:date endDate:date")
_ASIN = (Field("asin"),)


def _agg_by_asin(prefix: str, fields: tuple[Field, ...], agg_extra: tuple[Field, ...] = ()) -> tuple[Section, ...]:
    # The ByAsin rows carry asin right after the dates, as in Amazon's documents.
    by_asin = fields[:2] + _ASIN + fields[2:]
    return (
        _one_level(f"{prefix}Aggregate", fields[:2] + agg_extra + fields[2:],
                   "whole catalog, one row per period"),
        _one_level(f"{prefix}ByAsin", by_asin, "one row per ASIN per period"),
    )


_COUPON_CAMPAIGN = Level("campaigns", "campaign", _fields(
    "campaignId campaignName vendorCode marketplaceId creationDateTime:datetime lastUpdatedDateTime:datetime "
    "isSubscribeAndSave:bool budgetType totalClips:int totalRedemptions:int currencyCode totalBudget:float "
    "totalBudgetSpent:float totalBudgetRemaining:float"
))
_COUPON = Level("coupons", "coupon", _fields(
    "couponId name websiteMessage startDateTime:datetime endDateTime:datetime isOncePerCustomer:bool "
    "customerSegment clips:int redemptions:int budget:float totalDiscount:float budgetSpent:float "
    "budgetRemaining:float budgetPercentageUsed:float"
))
_COUPON_ASIN = Level("asins", "asin", _fields("asin discountType discountAmount:float"))

_PROMOTION = Level("promotions", "promotion", _fields(
    "promotionId promotionName vendorCode merchantId unitsSold:int amountSpent:float amountSpentCurrencyCode "
    "revenue:float revenueCurrencyCode startDateTime:datetime endDateTime:datetime type status creationChannel "
    "marketplaceId fundingAgreementId glanceViews:int createdDateTime:datetime lastUpdatedDateTime:datetime"
))
_PROMOTION_PRODUCT = Level("includedProducts", "product", _fields(
    "asin productName productGlanceViews:int productUnitsSold:int productAmountSpent:float "
    "productAmountSpentCurrencyCode productRevenue:float productRevenueCurrencyCode"
))

# Real-time inventory: start at most 168 h back, end at most 24 h after start (schema). Sales and
# traffic document no span limit; 24 h keeps every request on the safe side, and Fivetran's
# 30-day history figure (third-party) is used as their lookback.
_RT_WINDOW = ((None, 24, "HOUR"),)
_REAL_TIME = dict(family="vendor", format="json", date_range="datetime", spec_last_updated=False,
                  default_section="reportData")

_LISTING_COLUMNS = _flat("""
item-name|str
item-description|str
listing-id|str
seller-sku|str
price|float
quantity|int
open-date|datetime_local
image-url|str
item-is-marketplace|str
product-id-type|str
zshop-shipping-fee|float
item-note|str
item-condition|str
zshop-category1|str
zshop-browse-path|str
zshop-storefront-feature|str
asin1|str
asin2|str
asin3|str
will-ship-internationally|str
expedited-shipping|str
zshop-boldface|str
product-id|str
bid-for-featured-placement|str
add-delete|str
pending-quantity|int
fulfillment-channel|str
merchant-shipping-group|str
status|str
""")

_ORDER_COLUMNS = _flat("""
amazon-order-id|str
merchant-order-id|str
purchase-date|datetime
last-updated-date|datetime
order-status|str
fulfillment-channel|str
sales-channel|str
order-channel|str
url|str
ship-service-level|str
product-name|str
sku|str
asin|str
item-status|str
quantity|int
currency|str
item-price|float
item-tax|float
shipping-price|float
shipping-tax|float
gift-wrap-price|float
gift-wrap-tax|float
item-promotion-discount|float
ship-promotion-discount|float
ship-city|str
ship-state|str
ship-postal-code|str
ship-country|str
promotion-ids|str
is-business-order|bool
purchase-order-number|str
price-designation|str
""")

_MYI_COLUMNS = _flat("""
sku|str
fnsku|str
asin|str
product-name|str
condition|str
your-price|float
mfn-listing-exists|str
mfn-fulfillable-quantity|int
afn-listing-exists|str
afn-warehouse-quantity|int
afn-fulfillable-quantity|int
afn-unsellable-quantity|int
afn-reserved-quantity|int
afn-total-quantity|int
per-unit-volume|float
afn-inbound-working-quantity|int
afn-inbound-shipped-quantity|int
afn-inbound-receiving-quantity|int
afn-researching-quantity|int
afn-reserved-future-supply|int
afn-future-supply-buyable|int
store|str
""")

_AFN_COLUMNS = _flat("""
seller-sku|str
fulfillment-channel-sku|str
asin|str
condition-type|str
Warehouse-Condition-code|str
Quantity Available|int
""")

_LEDGER_DETAIL_COLUMNS = _flat("""
Date|str
FNSKU|str
ASIN|str
MSKU|str
Title|str
Event Type|str
Reference ID|str
Quantity|int
Fulfillment Center|str
Disposition|str
Reason|str
Country|str
Reconciled Quantity|int
Unreconciled Quantity|int
""")

_LEDGER_SUMMARY_COLUMNS = _flat("""
Date|str
FNSKU|str
ASIN|str
MSKU|str
Title|str
Disposition|str
Starting Warehouse Balance|int
In Transit Between Warehouses|int
Receipts|int
Customer Shipments|int
Customer Returns|int
Vendor Returns|int
Warehouse Transfer In/Out|int
Found|int
Lost|int
Damaged|int
Disposed|int
Other Events|int
Ending Warehouse Balance|int
Unknown Events|int
Location|str
""")

_ORDER_VARIANTS = (
    ("created", "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"),
    ("last_updated", "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"),
)
# Seller flat files come as Cp1252 in US/EU marketplaces and Shift_JIS (cp932) in Japan when
# Amazon sends no charset; cp932 is the superset Windows/Amazon actually use.
_SELLER_TSV = dict(family="seller", format="tsv", quotechar=None, encoding="cp1252",
                   encodings=(("JP", "cp932"), ("CN", "utf-8")))

_TYPES: tuple[ReportType, ...] = (
    ReportType(
        "GET_VENDOR_SALES_REPORT", "Vendor sales",
        "Shipped and ordered revenue, units, COGS and returns, for the whole catalog and per ASIN.",
        options=(_REPORT_PERIOD, _DISTRIBUTOR_VIEW, _SELLING_PROGRAM_SALES),
        sections=_agg_by_asin("sales", _SALES_FIELDS), default_section="salesByAsin",
        publication_lag_hours=72, **_ANALYTICS,
    ),
    ReportType(
        "GET_VENDOR_INVENTORY_REPORT", "Vendor inventory",
        "On-hand, unsellable, aged and open-PO inventory units and costs, per ASIN and overall.",
        options=(_REPORT_PERIOD, _DISTRIBUTOR_VIEW, _SELLING_PROGRAM_RF),
        sections=_agg_by_asin(
            "inventory", _DATES + _INVENTORY_COMMON,
            agg_extra=_fields("procurableProductOutOfStockRate:float uft:float receiveFillRate:float"),
        ),
        default_section="inventoryByAsin", publication_lag_hours=72, **_ANALYTICS,
    ),
    ReportType(
        "GET_VENDOR_TRAFFIC_REPORT", "Vendor traffic",
        "Glance views of the detail pages, per ASIN and overall.",
        options=(_REPORT_PERIOD,),
        sections=_agg_by_asin("traffic", _DATES + _fields("glanceViews:int")),
        default_section="trafficByAsin", publication_lag_hours=72, **_ANALYTICS,
    ),
    ReportType(
        "GET_VENDOR_NET_PURE_PRODUCT_MARGIN_REPORT", "Vendor net pure product margin",
        "Amazon's profit margin on your items: (revenue - COGS - vendor-funded coop) / revenue.",
        options=(_REPORT_PERIOD,),
        sections=_agg_by_asin("netPureProductMargin", _DATES + _fields("netPureProductMargin:float")),
        default_section="netPureProductMarginByAsin", publication_lag_hours=168, **_ANALYTICS,
    ),
    ReportType(
        "GET_VENDOR_FORECASTING_REPORT", "Vendor demand forecast",
        "Weekly mean and P70/P80/P90 unit demand forecasts per ASIN; no date range.",
        family="vendor", format="json", options=(_SELLING_PROGRAM_RF,),
        sections=(_one_level("forecastByAsin", _fields(
            "forecastGenerationDate:date asin startDate:date endDate:date meanForecastUnits:float "
            "p70ForecastUnits:float p80ForecastUnits:float p90ForecastUnits:float"
        ), "one row per ASIN per forecast week"),),
        default_section="forecastByAsin", date_range="none", spec_last_updated=True, single_marketplace=True,
    ),
    ReportType(
        "GET_VENDOR_REAL_TIME_SALES_REPORT", "Vendor real-time sales",
        "Hourly ordered units and revenue per ASIN (UTC hours); currency in currencyCode.",
        options=(ReportOption("currencyCode", kind="currency",
                              description="Currency of orderedRevenue (echoed by Amazon)"),),
        sections=(_one_level("reportData", _fields(
            "startTime:datetime endTime:datetime asin orderedUnits:int orderedRevenue:float"
        ), "one row per ASIN per hour"),),
        max_windows=_RT_WINDOW, lookback_days=30, publication_lag_hours=1, **_REAL_TIME,
    ),
    ReportType(
        "GET_VENDOR_REAL_TIME_INVENTORY_REPORT", "Vendor real-time inventory",
        "Hourly highly available inventory per ASIN; start at most 168 h back, span at most 24 h.",
        sections=(_one_level("reportData", _fields(
            "startTime:datetime endTime:datetime asin highlyAvailableInventory:int"
        ), "one row per ASIN per hour"),),
        max_windows=_RT_WINDOW, lookback_days=7, publication_lag_hours=0, **_REAL_TIME,
    ),
    ReportType(
        "GET_VENDOR_REAL_TIME_TRAFFIC_REPORT", "Vendor real-time traffic",
        "Hourly glance views per ASIN; the range must end at least 60 minutes before the request.",
        sections=(_one_level("reportData", _fields(
            "startTime:datetime endTime:datetime asin glanceViews:int"
        ), "one row per ASIN per hour"),),
        max_windows=_RT_WINDOW, lookback_days=30, publication_lag_hours=1, **_REAL_TIME,
    ),
    ReportType(
        "GET_COUPON_PERFORMANCE_REPORT", "Coupon performance",
        "Coupon campaigns, their coupons and ASINs: clips, redemptions, budget and discounts.",
        family="vendor", format="json",
        options=(
            ReportOption("campaignStartDateFrom", kind="datetime", required=True,
                         description="Earliest campaign start date-time (UTC) to include"),
            ReportOption("campaignStartDateTo", kind="datetime", required=True,
                         description="Latest campaign start date-time (UTC) to include"),
        ),
        sections=(
            Section("campaigns", (_COUPON_CAMPAIGN,), "one row per campaign"),
            Section("coupons", (_COUPON_CAMPAIGN, _COUPON), "one row per coupon, campaign fields repeated"),
            Section("asins", (_COUPON_CAMPAIGN, _COUPON, _COUPON_ASIN),
                    "one row per coupon ASIN, campaign and coupon fields repeated"),
        ),
        default_section="asins", date_range="options",
        range_options=("campaignStartDateFrom", "campaignStartDateTo"), lookback_days=730,
    ),
    ReportType(
        "GET_PROMOTION_PERFORMANCE_REPORT", "Promotion performance",
        "Deals and price discounts: units, revenue, spend and glance views per promotion and ASIN.",
        family="vendor", format="json",
        options=(
            ReportOption("promotionStartDateFrom", kind="datetime", required=True,
                         description="Earliest promotion start date-time to include"),
            ReportOption("promotionStartDateTo", kind="datetime", required=True,
                         description="Latest promotion start date-time to include"),
        ),
        sections=(
            Section("promotions", (_PROMOTION,), "one row per promotion"),
            Section("includedProducts", (_PROMOTION, _PROMOTION_PRODUCT),
                    "one row per promoted ASIN, promotion fields repeated"),
        ),
        default_section="includedProducts", date_range="options",
        range_options=("promotionStartDateFrom", "promotionStartDateTo"), lookback_days=730,
    ),
    ReportType(
        "GET_MERCHANT_LISTINGS_ALL_DATA", "All listings",
        "Every listing (active and inactive) with SKU, ASIN, price, quantity and status.",
        options=(ReportOption("custom", kind="boolean", description="Use the custom column set from Seller Central"),),
        columns=_LISTING_COLUMNS, date_range="none", **_SELLER_TSV,
    ),
    ReportType(
        "GET_MERCHANT_LISTINGS_DATA", "Active listings",
        "Active listings with SKU, ASIN, price and quantity.",
        options=(ReportOption("custom", kind="boolean", description="Use the custom column set from Seller Central"),),
        columns=_LISTING_COLUMNS, date_range="none", **_SELLER_TSV,
    ),
    ReportType(
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", "All orders by order date",
        "Order items of orders created in the range, all fulfillment channels.",
        columns=_ORDER_COLUMNS, date_range="datetime", max_windows=((None, 30, "DAY"),),
        query_date_types=_ORDER_VARIANTS, **{**_SELLER_TSV, "encoding": "utf-8"},
    ),
    ReportType(
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", "All orders by last update",
        "Order items of orders last updated in the range, all fulfillment channels.",
        columns=_ORDER_COLUMNS, date_range="datetime", max_windows=((None, 30, "DAY"),),
        query_date_types=_ORDER_VARIANTS, **{**_SELLER_TSV, "encoding": "utf-8"},
    ),
    ReportType(
        "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA", "FBA manage inventory",
        "FBA inventory per SKU (fulfillable, inbound, reserved, unsellable), unsuppressed listings.",
        columns=_MYI_COLUMNS, date_range="none", **_SELLER_TSV,
    ),
    ReportType(
        "GET_AFN_INVENTORY_DATA", "FBA amazon-fulfilled inventory",
        "Quantity available per SKU and warehouse condition in Amazon's fulfillment network.",
        columns=_AFN_COLUMNS, date_range="none", **_SELLER_TSV,
    ),
    ReportType(
        "GET_LEDGER_DETAIL_VIEW_DATA", "FBA inventory ledger (detail)",
        "Inventory events (receipts, shipments, adjustments...) per FNSKU; fields are quoted.",
        options=(
            ReportOption("eventType", ("Adjustments", "CustomerReturns", "Receipts", "Shipments",
                                       "VendorReturns", "WhseTransfers"),
                         description="Only this kind of event"),
        ),
        columns=_LEDGER_DETAIL_COLUMNS, date_range="day", max_windows=((None, 31, "DAY"),),
        **{**_SELLER_TSV, "quotechar": '"', "encoding": "utf-8"},
    ),
    ReportType(
        "GET_LEDGER_SUMMARY_VIEW_DATA", "FBA inventory ledger (summary)",
        "Starting/ending balances and event totals per FNSKU and period; fields are quoted.",
        options=(
            ReportOption("aggregateByLocation", ("COUNTRY", "FC"), default="COUNTRY",
                         description="Totals per country or per fulfillment center"),
            ReportOption("aggregatedByTimePeriod", ("DAILY", "WEEKLY", "MONTHLY"), default="MONTHLY",
                         description="Period of the balances"),
        ),
        columns=_LEDGER_SUMMARY_COLUMNS, date_range="day",
        **{**_SELLER_TSV, "quotechar": '"', "encoding": "utf-8"},
    ),
)

#: All known report types by name (read-only).
REPORT_TYPES: Mapping[str, ReportType] = MappingProxyType({rt.name: rt for rt in _TYPES})


def _generic(name: str) -> ReportType:
    return ReportType(
        name, name.removeprefix("GET_").replace("_", " ").capitalize(),
        "Not in amzv_pandas' registry: options are sent as given, the format is guessed "
        "(JSON when the document starts with { or [, else tab-separated).",
        family="unknown", format="auto", date_range="day", quotechar=None, known=False,
    )


def get_report_type(name: str | ReportType) -> ReportType:
    """Return the registry entry for a report type.

    Parameters
    ----------
    name : str or ReportType
        Amazon's report type string, case-insensitive (``"GET_VENDOR_SALES_REPORT"``).

    Returns
    -------
    ReportType
        The known entry, or a generic one (``known=False``, ``format="auto"``) for a report
        type the registry does not list; the generic entry never fails.

    Examples
    --------
    >>> get_report_type("GET_VENDOR_SALES_REPORT").default_section
    'salesByAsin'
    >>> get_report_type("GET_SOMETHING_NEW").format
    'auto'
    """
    if isinstance(name, ReportType):
        return name
    if not isinstance(name, str) or not name.strip():
        msg = f"report_type must be a report type name such as 'GET_VENDOR_SALES_REPORT', got {name!r}"
        raise ConfigurationError(msg, parameter="report_type", value=name, allowed=sorted(REPORT_TYPES))
    key = name.strip().upper()
    return REPORT_TYPES.get(key) or _generic(key)


#: Amazon's report type names: capitals, digits and underscores (the longest known is 51).
REPORT_TYPE_PATTERN = re.compile(r"[A-Z0-9_]{3,100}")


def resolve_report_type(name: Any, *, allow_unknown: bool = False, parameter: str = "report_type") -> ReportType:
    """The registry entry for a report type a user gave, refusing names it does not know.

    Parameters
    ----------
    name : str or ReportType
        Amazon's report type string, case-insensitive.
    allow_unknown : bool, default False
        Accept a name the registry does not list (a type Amazon added after this release):
        a generic entry is returned (options sent as given, format guessed). The name must
        still have Amazon's shape, :data:`REPORT_TYPE_PATTERN`.
    parameter : str
        The argument's name, for the error.

    Raises
    ------
    UnknownReportTypeError
        The name is not in the registry (``suggestions`` lists close names, also in the
        message) and ``allow_unknown`` is false.
    ConfigurationError
        ``name`` is not a string, is empty, or does not have Amazon's shape.

    Examples
    --------
    >>> resolve_report_type("get_vendor_sales_report").name
    'GET_VENDOR_SALES_REPORT'
    >>> resolve_report_type("GET_VENDOR_SALES_RPORT")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    amzv_pandas.exceptions.UnknownReportTypeError: report_type='GET_VENDOR_SALES_RPORT' is not a report type ...
    """
    from .._util.checks import check_bool, did_you_mean, invalid

    if isinstance(name, ReportType):
        return name
    check_bool(allow_unknown, "allow_unknown")
    shape = "3 to 100 capital letters, digits and underscores, e.g. 'GET_VENDOR_SALES_REPORT'"
    if not isinstance(name, str) or not name.strip():
        raise invalid(parameter, name, shape, "must be a report type name")
    key = name.strip().upper()
    if not REPORT_TYPE_PATTERN.fullmatch(key):
        why = (f"is {len(key)} characters long" if len(key) > 100 else "does not have the shape of a report type")
        raise invalid(parameter, name, shape, why)
    known = REPORT_TYPES.get(key)
    if known is not None:
        return known
    if allow_unknown:
        return _generic(key)
    close = did_you_mean(key, REPORT_TYPES)
    hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
    msg = (f"{parameter}={name!r} is not a report type amzv_pandas knows; {hint}amzv.report_types() lists "
           "them; pass allow_unknown=True for a type Amazon added after this release")
    raise UnknownReportTypeError(msg, suggestions=close, parameter=parameter, value=name,
                                 allowed=close or sorted(REPORT_TYPES))


def report_types(family: str | None = None) -> pd.DataFrame:
    """The registry as a DataFrame, one row per report type.

    Parameters
    ----------
    family : {"vendor", "seller"}, optional
        Keep only that family.

    Returns
    -------
    DataFrame
        Columns ``name, title, family, format, options, default_section, sections,
        date_range, max_range, aligned, lookback_days, publication_lag_hours, quotechar,
        encoding, description``; ``options`` reads ``name=default* (values)`` with ``*``
        marking required options.
    """
    from .._util.checks import check_choice

    if family is not None:  # a typo must not silently give an empty frame
        family = check_choice(family, "family", ("vendor", "seller"))
    rows = []
    for rt in _TYPES:
        if family is not None and rt.family != family:
            continue
        rows.append({
            "name": rt.name,
            "title": rt.title,
            "family": rt.family,
            "format": rt.format,
            "options": rt.options_summary(),
            "default_section": rt.default_section,
            "sections": ", ".join(rt.section_names),
            "date_range": rt.date_range,
            "max_range": rt.max_range_summary(),
            "aligned": rt.aligned,
            "lookback_days": rt.lookback_days,
            "publication_lag_hours": rt.publication_lag_hours,
            "quotechar": rt.quotechar,
            "encoding": rt.encoding,
            "description": rt.description,
        })
    df = pd.DataFrame(rows, columns=[
        "name", "title", "family", "format", "options", "default_section", "sections", "date_range",
        "max_range", "aligned", "lookback_days", "publication_lag_hours", "quotechar", "encoding",
        "description",
    ])
    return df.astype({"lookback_days": "Int64", "publication_lag_hours": "Int64", "aligned": "boolean"})


def _iter_types() -> Iterable[ReportType]:  # for tests and the widget form
    return iter(_TYPES)
