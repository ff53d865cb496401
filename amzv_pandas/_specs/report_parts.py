"""The building blocks of report-type records: fields, JSON sections, report options, dtypes.

:class:`Field`, :class:`Level` and :class:`Section` describe a document's columns;
:class:`ReportOption` one ``reportOptions`` entry and how its values are checked. The records
themselves are in :mod:`amzv_pandas._specs.registry_data`, the type that carries them (and
interprets them) in :mod:`amzv_pandas._specs.report_type`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, Mapping

import numpy as np
import pandas as pd

from amzv_pandas.exceptions import ConfigurationError

__all__ = ["Field", "Level", "Section", "ReportOption", "PERIODS", "STR_DTYPE", "DATE_DTYPE", "UTC_DTYPE",
           "kind_dtype"]

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
