"""The report type: one record of the registry and the rules that read it.

:class:`ReportType` carries everything amzv_pandas knows about one SP-API report type
(its records are in :mod:`amzv_pandas._specs.registry_data`) and is the one place its
rules are interpreted: option validation, the longest request window
(:meth:`ReportType.max_window`, :meth:`ReportType.window_shape`), the request windows of
a range (:meth:`ReportType.request_windows`, in :mod:`amzv_pandas._specs.windows`), the
publication lag, the expected columns. The planner, sync and the sandbox read them here.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import pandas as pd

from amzv_pandas.exceptions import ConfigurationError
from amzv_pandas._specs.report_parts import DATE_DTYPE, STR_DTYPE, Field, ReportOption, Section

if TYPE_CHECKING:
    from amzv_pandas._specs.windows import RequestWindows

__all__ = ["ReportType", "DEFAULT_MAX_DAYS"]

#: Days per window for a type whose record gives no window (a sync's window cap).
DEFAULT_MAX_DAYS = 15


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
        How long after a period closes its data is published.
    publication_lag_fatal : bool
        Whether asking for data inside the publication lag fails (FATAL "not yet
        available"); ``False`` when Amazon answers with data that is only not final yet
        (the real-time sales report's last hour).
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
    publication_lag_fatal: bool = True
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

    def window_shape(self, options: Mapping[str, str]) -> tuple[str, int]:
        """``(period, max periods per window)``: the largest window of whole periods allowed.

        ``options`` are validated ``reportOptions`` (:meth:`validate_options`). Hour limits
        count whole days (``24 HOUR`` -> one day); a type with no window gets
        :data:`DEFAULT_MAX_DAYS` days (one period for WEEK/MONTH/...).
        """
        period = str(options.get("reportPeriod", "DAY")).upper()
        limit = self.max_window(period if "reportPeriod" in options else None)
        if limit is None:
            return period, DEFAULT_MAX_DAYS if period == "DAY" else 1
        count, unit = limit
        unit = unit.upper()
        if unit == "HOUR":
            return "DAY", max(1, count // 24)
        if unit == period:
            return period, count
        if unit == "DAY" and period == "DAY":
            return "DAY", count
        return period, 1

    def request_windows(self, start: Any, end: Any, report_options: Mapping[str, str], *,
                        now: _dt.datetime, zone: _dt.tzinfo) -> "RequestWindows":
        """The createReport windows of ``start`` → ``end`` (see :func:`amzv_pandas._specs.windows.request_windows`).

        Refuses (:class:`ConfigurationError`) what Amazon would fail after a createReport: a
        range in the future, beyond the lookback, wholly inside the publication lag,
        misaligned periods; trims a range reaching into the lag (with a ``NoDataWarning``).
        """
        from amzv_pandas._specs.windows import request_windows

        return request_windows(self, start, end, dict(report_options), now=now, zone=zone)

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
