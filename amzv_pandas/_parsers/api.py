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
:func:`charset_from_content_type` and :func:`error_details` (the rules that sort a FATAL
explanation are specs: :func:`amzv_pandas._specs.fatal.classify_fatal`).

This module is the public face: the JSON parser lives in :mod:`amzv_pandas._parsers.vendor_json`,
the flat-file parser (and the charset mapping) in :mod:`amzv_pandas._parsers.flat_file`, bounded
gzip decompression in :mod:`amzv_pandas._parsers.gunzip`, the reading of a stored document (and
format sniffing) in :mod:`amzv_pandas._parsers.document`.

Performance notes: the JSON parser builds each column straight from the parsed list of
dicts (``operator.itemgetter``), converts it with pyarrow in C and drops the parsed document
as soon as the columns exist; the flat-file parser leaves decompression, transcoding and
type conversion to pyarrow.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from amzv_pandas._parsers.document import sniff_format
from amzv_pandas._parsers.gunzip import DocumentLimits, TruncatedDocument, gunzip_bounded
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
    "PARSER_VERSION",
]

#: Bumped whenever parsed output changes, so derived caches (Parquet) can be invalidated.
PARSER_VERSION = "1"

#: Largest expanded FATAL error document read (they hold one sentence).
ERROR_DOCUMENT_MAX_BYTES = 16 << 20


# ---------------------------------------------------------------------------------------------
# format and FATAL documents


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
