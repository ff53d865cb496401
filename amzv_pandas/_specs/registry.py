"""The report-type registry: what amzv_pandas knows about each SP-API report type.

The registry is data, not code: one frozen :class:`ReportType` per report type in
:data:`REPORT_TYPES` (the records: :mod:`amzv_pandas._specs.registry_data`), built from
small building blocks (:class:`ReportOption`, :class:`Field`, :class:`Section`:
:mod:`amzv_pandas._specs.report_parts`). Every rule of a report type - options, window
sizes, lag, date forms, defaults, publication delay - is read from its record by
:class:`ReportType`'s methods (:mod:`amzv_pandas._specs.report_type`); the planner, sync,
the parsers, the widget form and the sandbox ask them instead of branching on names.

This module is the registry's face: the lookups (:func:`get_report_type`,
:func:`resolve_report_type`), the table (:func:`report_types`), and the names above.

User-given names go through :func:`resolve_report_type`, which refuses a name the registry
does not know (with the close registry names: a typo must not cost a createReport) unless
``allow_unknown=True`` is passed for a type Amazon added after this release; such a name must
still have Amazon's shape (:data:`REPORT_TYPE_PATTERN`). :func:`get_report_type` stays lenient
(a generic entry, format guessed at parse time) for names Amazon itself returns.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

import pandas as pd

from amzv_pandas.exceptions import ConfigurationError, UnknownReportTypeError
from amzv_pandas._specs.registry_data import REPORT_TYPES, TYPES
from amzv_pandas._specs.report_parts import (  # noqa: F401  (the registry's names)
    DATE_DTYPE,
    PERIODS,
    STR_DTYPE,
    UTC_DTYPE,
    Field,
    Level,
    ReportOption,
    Section,
    kind_dtype,
)
from amzv_pandas._specs.report_type import DEFAULT_MAX_DAYS, ReportType  # noqa: F401

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
    for rt in TYPES:
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
    return iter(TYPES)
