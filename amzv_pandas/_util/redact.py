"""Redaction of secrets from texts and logs, and the loopback-host check.

Foundations: stdlib only, and nothing of the package (``exceptions`` imports this module
to redact every message, so it must not import ``exceptions`` back).
"""

from __future__ import annotations

import ipaddress
import json as _json
import logging
import re
from typing import Any, Iterable, Mapping
from urllib.parse import quote, quote_plus, urlparse

__all__ = ["redact_url", "redact", "redact_secrets", "redact_errors", "redact_location",
           "install_log_redaction", "is_loopback_host"]

#: Known secrets shorter than this are not searched for in texts (they would match ordinary words).
_MIN_KNOWN_SECRET = 8

_SECRET_QUERY = re.compile(
    r"(?i)\b(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|sig)=([^&\s\"'#]+)"
)
# OAuth fields as form data (key=value) or as JSON/dict reprs ('key': 'value').
_SECRET_FIELDS = ("client_secret|refresh_token|access_token|id_token|code|spapi_oauth_code|authorization"
                  "|x-amz-access-token")
_SECRET_FORM = re.compile(rf"(?i)(?<![\w-])({_SECRET_FIELDS})=([^&\s\"']+)")
_SECRET_MAPPING = re.compile(rf"(?i)([\"']({_SECRET_FIELDS})[\"']\s*:\s*[\"'])([^\"']+)")
# LWA's token shapes (access ``Atza|``, refresh ``Atzr|``, also URL-encoded) and client secrets.
_SECRET_SHAPES = re.compile(r"(?i)(?:\bAtz[ar](?:\||%7C)|\bamzn1\.oa2-cs)[^\s\"'&,;<>\\]*")


def redact_url(text: str) -> str:
    """Replace presigned-URL signatures and credentials in ``text`` by ``REDACTED``."""
    return _SECRET_QUERY.sub(r"\1=REDACTED", text)


def redact(text: str) -> str:
    """:func:`redact_url`, plus OAuth secrets and tokens in form bodies and JSON."""
    text = _SECRET_FORM.sub(r"\1=REDACTED", redact_url(text))
    return _SECRET_MAPPING.sub(r"\1REDACTED", text)


def redact_secrets(text: str, known: Iterable[str | None] = ()) -> str:
    """:func:`redact`, plus every ``known`` secret and any LWA-token- or client-secret-shaped value.

    ``known`` values are also found URL-encoded and JSON-escaped, as a server echoing a form
    or a header would show them. Used for every exception message and kept response text.
    """
    if not isinstance(text, str) or not text:
        return text
    text = redact(text)
    variants: set[str] = set()
    for secret in known:
        if isinstance(secret, str) and len(secret) >= _MIN_KNOWN_SECRET:
            variants.update({secret, quote(secret, safe=""), quote_plus(secret), _json.dumps(secret)[1:-1]})
    for variant in sorted(variants, key=len, reverse=True):  # longest first: no partial leftovers
        text = text.replace(variant, "REDACTED")
    return _SECRET_SHAPES.sub("REDACTED", text)


def redact_errors(errors: Iterable[Mapping[str, Any]], known: Iterable[str | None] = ()) -> list[dict[str, Any]]:
    """Amazon's ``errors`` objects with :func:`redact_secrets` applied to every string in them."""
    known = list(known)

    def clean(value: Any, depth: int) -> Any:
        if isinstance(value, str):
            return redact_secrets(value, known)
        if isinstance(value, (Mapping, list, tuple)) and depth > 8:
            return "[nested too deeply]"  # Amazon's error objects are flat; this is no error of theirs
        if isinstance(value, Mapping):
            return {str(k): clean(v, depth + 1) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v, depth + 1) for v in value]
        return value

    return [clean(dict(e), 0) for e in errors]


def redact_location(location: str) -> str:
    """A redirect target for a message: no user info, and the query (signatures) replaced."""
    parsed = urlparse(location)
    host = parsed.hostname or ""
    try:
        netloc = f"{host}:{parsed.port}" if parsed.port else host
    except ValueError:  # a port that is no port
        netloc = host
    text = f"{parsed.scheme}://{netloc}{parsed.path}" if parsed.scheme else parsed.path
    return text + ("?REDACTED" if parsed.query else "")


class _RedactFilter(logging.Filter):
    """Third-party loggers print what they send and receive at DEBUG: urllib3 every request
    line with its query string (presigned signatures), requests-oauthlib token request
    bodies and responses. Their records are redacted before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_REDACTED_LOGGERS = ("urllib3.connectionpool", "requests_oauthlib.oauth2_session",
                     "requests_oauthlib.oauth2_auth", "oauthlib.oauth2.rfc6749")
_filter_installed = False


def install_log_redaction() -> None:
    """Attach the redacting filter to the loggers that would print secrets (once)."""
    global _filter_installed
    if not _filter_installed:
        for name in _REDACTED_LOGGERS:
            logging.getLogger(name).addFilter(_RedactFilter())
        _filter_installed = True


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
