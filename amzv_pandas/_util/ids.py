"""Identifiers that go into request paths: checked, then percent-encoded.

Report, document and schedule ids (from the user or from Amazon's answers) and ASINs are
placed into SP-API paths. Without a check, ``get_report("../../sellers/v1/...")`` or an id
holding ``?`` would steer the request (and the access token) to another operation. The
models give no pattern for these ids, so a strict safe alphabet is enforced instead: Amazon's
ids are digits (reports, schedules), ``amzn1.spdoc.1.4.na.…`` (documents) or ten letters and
digits (ASINs).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from ..exceptions import ConfigurationError, ParseError

__all__ = ["ID_ALLOWED", "check_id", "path_segment", "api_path"]

#: What an id may look like: letters, digits and ``. _ -``, starting with a letter or digit.
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,255}")
ID_ALLOWED = "1-256 characters of letters, digits and . _ - starting with a letter or digit"


def _valid(value: str) -> bool:
    return bool(_ID_RE.fullmatch(value)) and ".." not in value


def check_id(value: Any, parameter: str) -> str:
    """``value`` as a safe path id, or a :class:`ConfigurationError` naming ``parameter``.

    For ids the user passes (``report_id=``, ``schedule_id=``, ASINs).
    """
    if not isinstance(value, str):
        msg = f"{parameter}={value!r} must be a string id ({ID_ALLOWED})"
        raise ConfigurationError(msg, parameter=parameter, value=value, allowed=ID_ALLOWED)
    text = value.strip()
    if not _valid(text):
        shown = value if len(value) <= 80 else value[:77] + "..."
        msg = f"{parameter}={shown!r} is not a valid id: use {ID_ALLOWED}"
        raise ConfigurationError(msg, parameter=parameter, value=value, allowed=ID_ALLOWED)
    return text


def path_segment(value: Any, what: str) -> str:
    """A server-supplied id checked for a path, else a :class:`ParseError`.

    For ids that come back in Amazon's answers (``reportId``, ``reportDocumentId``...):
    an id outside the safe alphabet means the answer is not what the model says.
    """
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if text is None or not _valid(text):
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        raise ParseError(f"Amazon's answer holds an unusable {what} {shown}: expected {ID_ALLOWED}")
    return text


def api_path(template: str, **segments: Any) -> str:
    """Fill ``template`` (``"/reports/2021-06-30/reports/{reportId}"``) with encoded segments.

    Each value must already have passed :func:`check_id` or :func:`path_segment`; it is
    percent-encoded once more here so that no character can end or extend a segment.
    """
    return template.format(**{k: quote(str(v), safe="") for k, v in segments.items()})
