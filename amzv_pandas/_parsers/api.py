"""Pure report-document parsers: bytes or files in, DataFrames out.

Nothing here touches the network or the cache. Two document kinds exist:

* **Vendor JSON** (:func:`parse_vendor_json`): a ``reportSpecification`` plus one or more
  row arrays ("sections"). One section becomes one frame, one row per entry, with money
  objects split into ``<field>_amount``/``<field>_currency`` and the specification's options,
  marketplace and ``lastUpdatedDate`` repeated as columns, so frames from several request
  windows concatenate cleanly.
* **Flat files** (:func:`parse_flat_file`): tab-separated text read by ``pyarrow.csv``
  (never by hand), with the quote character, the codec and gzip decided by the caller.

Plus the helpers the reports module needs around them: :func:`sniff_format`,
:func:`charset_from_content_type`, :func:`error_details` and :func:`classify_fatal`.

This module is the public face: the JSON parser lives in :mod:`amzv_pandas._parsers.vendor_json`,
the flat-file parser (and the charset mapping) in :mod:`amzv_pandas._parsers.flat_file`.

Performance notes: the JSON parser builds each column straight from the parsed list of
dicts (``operator.itemgetter``), converts it with pyarrow in C and drops the parsed document
as soon as the columns exist; the flat-file parser leaves decompression, transcoding and
type conversion to pyarrow.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any, Mapping

from amzv_pandas._parsers.flat_file import charset_from_content_type, parse_flat_file
from amzv_pandas._parsers.vendor_json import Source, list_sections, parse_vendor_json  # noqa: F401  (Source: the accepted inputs)
from amzv_pandas.exceptions import ParseError

__all__ = [
    "parse_vendor_json",
    "parse_flat_file",
    "list_sections",
    "sniff_format",
    "charset_from_content_type",
    "error_details",
    "classify_fatal",
    "PARSER_VERSION",
]

#: Bumped whenever parsed output changes, so derived caches (Parquet) can be invalidated.
PARSER_VERSION = "1"

#: Largest expanded FATAL error document read (they hold one sentence).
ERROR_DOCUMENT_MAX_BYTES = 16 << 20


# ---------------------------------------------------------------------------------------------
# format and FATAL documents


def sniff_format(first_bytes: bytes | str) -> str:
    """Guess a document's format from its first bytes: ``"json"`` or ``"tsv"``.

    JSON when the first non-blank character (after a UTF-8 byte-order mark) is ``{`` or
    ``[``; everything else is read as tab-separated. Gzip input is not expected here.
    """
    if isinstance(first_bytes, str):
        head = first_bytes.lstrip("\ufeff \t\r\n")[:1]
    else:
        head_b = bytes(first_bytes[:4096])
        if head_b.startswith(codecs.BOM_UTF8):
            head_b = head_b[3:]
        head = head_b.lstrip(b" \t\r\n")[:1].decode("latin-1")
    return "json" if head in ("{", "[") else "tsv"


def error_details(document_bytes: bytes | str | None) -> str | None:
    """The explanation inside a FATAL report's error document.

    Reads ``{"errorDetails": "..."}`` (also ``errors[].message`` / ``details``); a plain
    text document is returned stripped. ``None`` for an empty document.
    """
    if document_bytes is None:
        return None
    if isinstance(document_bytes, (bytes, bytearray, memoryview)):
        raw = bytes(document_bytes)
        if raw[:2] == b"\x1f\x8b":
            from amzv_pandas._parsers.document import DocumentLimits, TruncatedDocument, gunzip_bounded

            try:  # error documents are small: a few MiB is plenty, a bomb stops there
                raw = gunzip_bounded(raw, DocumentLimits(max_expanded_bytes=ERROR_DOCUMENT_MAX_BYTES),
                                     what="the error document")
            except (TruncatedDocument, ParseError) as exc:
                return f"(the error document could not be read: {exc})"
        text = raw.decode("utf-8", "replace")
    else:
        text = str(document_bytes)
    text = text.strip().lstrip("\ufeff")
    if not text:
        return None
    if text[:1] in "{[":
        try:
            doc = json.loads(text)
        except ValueError:
            return text
        found = _find_details(doc)
        if found:
            return found
    return text


def _find_details(doc: Any) -> str | None:
    if isinstance(doc, Mapping):
        for key in ("errorDetails", "errorDetail", "details", "message"):
            value = doc.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        for key in ("errors", "error"):
            value = doc.get(key)
            items = value if isinstance(value, list) else [value]
            texts = [t for t in (_find_details(v) for v in items) if t]
            if texts:
                return "; ".join(texts)
    if isinstance(doc, list):
        texts = [t for t in (_find_details(v) for v in doc) if t]
        return "; ".join(texts) or None
    return None


# (category, patterns, fix) checked in order: the first matching category wins.
_FATAL_RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("options", (
        r"requires? the .*report ?options?", r"report ?options? .*(to be specified|missing|required|invalid|not valid)",
        r"invalid (value|report ?option)", r"(reportPeriod|distributorView|sellingProgram)",
        r"must correspond to the (first|last) day", r"must be a (sunday|saturday)",
    ), "Pass every required reportOption with an allowed value (amzv fills the defaults: reportPeriod=DAY, "
       "distributorView=MANUFACTURING, sellingProgram=RETAIL) and align WEEK/MONTH/QUARTER/YEAR ranges to whole "
       "periods (weeks run Sunday-Saturday)."),
    ("not_available", (
        r"not (yet )?available", r"unavailable", r"no data", r"has not been (generated|published)",
        r"in the future", r"later than", r"too (far|old)", r"before the earliest", r"outside .*(range|window)",
        r"exceeds? the maximum", r"date range",
    ), "End the range earlier: vendor data is published about 72 hours after a period closes (net pure product "
       "margin: 168 hours); also keep the start within the report's lookback and each request within its "
       "maximum span."),
    ("permission", (
        r"permission", r"not authori[sz]ed", r"unauthori[sz]ed", r"access (is )?denied", r"does not have access",
        r"brand analytics", r"brand registry", r"\brole", r"not eligible", r"not enrolled",
    ), "The account lacks the role this report needs: grant the application the matching role (e.g. Brand "
       "Analytics for vendor retail analytics) in Vendor/Seller Central and authorize it again."),
    ("marketplace", (
        r"marketplace",
    ), "Request the vendor account's own single marketplace (amzv.marketplaces() lists the ids)."),
)


def classify_fatal(details: str | None) -> tuple[str, str]:
    """Sort a FATAL report's explanation into a category with a suggested fix.

    Parameters
    ----------
    details : str or None
        Text from :func:`error_details`.

    Returns
    -------
    (category, fix) : tuple of str
        ``category`` is ``"options"`` (missing or invalid reportOptions, misaligned
        periods), ``"not_available"`` (data not yet published or out of range),
        ``"permission"`` (role, Brand Analytics, no access), ``"marketplace"`` (invalid
        marketplace) or ``"unknown"``.

    Examples
    --------
    >>> classify_fatal("This report type requires the reportPeriod, distributorView, "
    ...                "sellingProgram reportOption to be specified.")[0]
    'options'
    """
    if not details:
        return "unknown", ("Amazon gave no reason; retry later, and check the options, the date range and the "
                           "account's roles.")
    text = details.lower()
    for category, patterns, fix in _FATAL_RULES:
        if any(re.search(p.lower(), text) for p in patterns):
            if category == "options":
                named = [n for n in ("reportPeriod", "distributorView", "sellingProgram") if n.lower() in text]
                if named:
                    fix = f"Specify {', '.join(named)}. " + fix
            return category, fix
    return "unknown", ("Amazon's reason did not match a known cause; check the options, the date range and the "
                       "account's roles, then retry.")
