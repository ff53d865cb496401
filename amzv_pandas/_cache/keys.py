"""What identifies a cached report document (:class:`CacheKey`) and one way of parsing it.

An entry is keyed by region, account (``client.account_key``, never a secret), report
type, sorted marketplace ids, the resolved absolute start/end and the sorted report
options. The parsed frame additionally depends on the section, the quote character, the
codec and :data:`PARSER_VERSION` (:func:`frame_variant`), so a parser upgrade re-parses
the stored document instead of refetching it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

try:  # the parser's own version, so derived frame files follow parser changes
    from .._parsers.api import PARSER_VERSION
except ImportError:  # pragma: no cover - parse.py not available
    PARSER_VERSION = "1"

__all__ = ["CACHE_VERSION", "PARSER_VERSION", "CacheKey", "frame_variant"]

#: Bumped when the on-disk layout or the key changes (old entries are then ignored).
CACHE_VERSION = 1


def _label(value: str | None) -> str:
    """A file-name-safe form of a start/end (``2024-01-01`` or ``20240101T000000Z``)."""
    if value is None:
        return "none"
    text = value.replace("+00:00", "Z")
    if "T" in text:
        text = text.replace("-", "").replace(":", "")
    return re.sub(r"[^0-9A-Za-z._-]", "", text)


@dataclass(frozen=True)
class CacheKey:
    """What identifies one report document.

    ``start``/``end`` are the resolved absolute range as ISO strings (dates for
    day-granular reports, UTC date-times otherwise, ``None`` for snapshots).
    ``report_id`` is set instead of the range for documents fetched by id
    (:func:`amzv_pandas.get_report`), whose options are not known.
    """

    region: str
    account: str
    report_type: str
    marketplace_ids: tuple[str, ...]
    start: str | None = None
    end: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    report_id: str | None = None

    @classmethod
    def make(
        cls,
        *,
        region: str,
        account: str,
        report_type: str,
        marketplace_ids: Sequence[str],
        start: str | None = None,
        end: str | None = None,
        options: Mapping[str, str] | None = None,
        report_id: str | None = None,
    ) -> "CacheKey":
        """Build a key, sorting the marketplace ids and the options."""
        return cls(region, account, report_type, tuple(sorted(set(marketplace_ids))), start, end,
                   tuple(sorted((str(k), str(v)) for k, v in (options or {}).items())), report_id)

    def to_dict(self) -> dict[str, Any]:
        """The key as canonical JSON-able data."""
        return {
            "cache_version": CACHE_VERSION,
            "region": self.region,
            "account": self.account,
            "report_type": self.report_type,
            "marketplace_ids": list(self.marketplace_ids),
            "start": self.start,
            "end": self.end,
            "options": dict(self.options),
            "report_id": self.report_id,
        }

    @property
    def digest(self) -> str:
        """sha256 of the canonical JSON of the key."""
        raw = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    @property
    def dirname(self) -> str:
        """``<key16>-<start>_<end>`` (or ``<key16>-report-<id>``)."""
        if self.report_id is not None:
            return f"{self.digest[:16]}-report-{_label(self.report_id)}"
        return f"{self.digest[:16]}-{_label(self.start)}_{_label(self.end)}"


def frame_variant(*, section: str | None, quotechar: str | None, encoding: str | None) -> str:
    """Short name of one way of parsing a document (plus the parser version)."""
    raw = json.dumps([section, quotechar, encoding, PARSER_VERSION], separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]
