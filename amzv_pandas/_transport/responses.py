"""Reading SP-API answers: query encoding, bounded bodies, JSON objects, Amazon's ``errors``."""

from __future__ import annotations

import json as _json
import re
from typing import TYPE_CHECKING, Any, Mapping

from ..exceptions import ParseError, ResponseTooLargeError, TransportError
from .._util.redact import redact_url

if TYPE_CHECKING:
    import requests

__all__ = ["encode_params", "error_list", "read_bounded", "parse_object", "token_expired"]


def encode_params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Query parameters as SP-API takes them: lists comma-separated, booleans lower case, None dropped."""
    if not params:
        return None
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (list, tuple, set, frozenset)):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out


def error_list(response: "requests.Response") -> list[dict[str, Any]]:
    """Amazon's ``errors`` array (also from the Sellers API and S3's XML)."""
    try:
        body = _json.loads(response.content)
    except (ValueError, RecursionError):
        text = response.text[:2000]
        code = re.search(r"<Code>([^<]+)</Code>", text)
        message = re.search(r"<Message>([^<]+)</Message>", text)
        if code or message:
            return [{"code": code.group(1) if code else "", "message": message.group(1) if message else ""}]
        return [{"code": str(response.status_code), "message": redact_url(text.strip()[:200]) or response.reason}]
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            return [e for e in errors if isinstance(e, dict)]
        if "error" in body:
            return [{"code": body.get("error"), "message": body.get("error_description", "")}]
    return [{"code": str(response.status_code), "message": response.reason or ""}]


def read_bounded(response: "requests.Response", limit: int, operation: str) -> bytes:
    """Read a streamed answer whole, but never more than ``limit`` bytes (``max_response_bytes``).

    The bytes become the response's content, so ``.json()``/``.text`` work as
    usual. A larger answer (announced or found while reading) closes the
    connection and raises :class:`ResponseTooLargeError`.
    """
    length = response.headers.get("Content-Length", "")
    too_large = length.isdigit() and int(length) > limit
    chunks: list[bytes] = []
    size = 0
    if not too_large:
        for chunk in response.iter_content(chunk_size=64 * 1024):  # decoded: bounds gzip bombs too
            size += len(chunk)
            if size > limit:
                too_large = True
                break
            chunks.append(chunk)
    if too_large:
        response.close()
        found = f"{int(length)} bytes announced" if length.isdigit() and int(length) > limit else \
            f"more than {limit} bytes read"
        msg = (f"{operation}: the HTTP {response.status_code} answer is larger than max_response_bytes={limit} "
               f"({found}); pass Client(max_response_bytes=...) if such answers are expected")
        raise ResponseTooLargeError(msg)
    # requests keeps a read body here; ``content`` would otherwise read the (consumed) stream again.
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined]
    return response._content


def parse_object(response: "requests.Response", operation: str) -> dict[str, Any]:
    """A 2xx body as a JSON object (``{}`` when empty); anything else is an AmzvError."""
    content = response.content
    if not content.strip():
        return {}
    try:
        body = _json.loads(content)
    except RecursionError:
        raise ParseError(f"{operation}: HTTP {response.status_code} JSON body is nested too deeply "
                         "to be an SP-API answer") from None
    except ValueError:
        msg = f"{operation}: HTTP {response.status_code} body is not JSON"
        raise TransportError(msg) from None
    if not isinstance(body, dict):
        found = "null" if body is None else type(body).__name__
        raise ParseError(f"{operation}: HTTP {response.status_code} body is a JSON {found}, "
                         "not the object the operation returns")
    return body


def token_expired(errors: list[dict[str, Any]]) -> bool:
    """Whether a 403's errors say the access token expired (then it is refreshed and the call retried)."""
    text = " ".join(f"{e.get('message', '')} {e.get('details', '')}" for e in errors).lower()
    return "expired" in text
