"""Small pieces shared by the services (and the HTTP layer): the clock, parameter checks, time formats, page tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import datetime, timezone
from typing import Any, Mapping

from ..._specs.marketplaces import MARKETPLACES
from .request import invalid_input

__all__ = ["Clock", "TokenCodec", "check_marketplaces", "format_time", "int_param", "parse_time", "utc_datetime"]


class Clock:
    """Wall and monotonic time with a shared offset, so tests can jump ahead.

    Everything time-dependent in the sandbox (token and code expiry, report
    processing, presigned URL expiry, rate-limit refills) reads this clock, so
    :meth:`advance` moves all of them consistently.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        """Seconds since the epoch, shifted by the offset."""
        return time.time() + self._offset

    def monotonic(self) -> float:
        """A monotonic reading, shifted by the offset."""
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += float(seconds)


def check_marketplaces(ids: list[str]) -> None:
    """400 unless every id is a known marketplace id."""
    known = {m.marketplace_id for m in MARKETPLACES}
    bad = [m for m in ids if m not in known]
    if bad:
        raise invalid_input("Invalid 'marketplaceIds' provided.", f"Unknown marketplace id(s): {', '.join(bad)}")


def int_param(raw: str | None, name: str, low: int, high: int, *, default: int) -> int:
    """An integer query parameter within ``[low, high]``."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_input(f"Invalid '{name}' provided.", f"{name} must be an integer") from None
    if not low <= value <= high:
        raise invalid_input(f"Invalid '{name}' provided.", f"{name} must be between {low} and {high}")
    return value


def utc_datetime(ts: float) -> datetime:
    """Epoch seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def format_time(ts: float) -> str:
    """ISO 8601 in UTC the way the Reports API writes it (``2024-03-10T20:11:24+00:00``)."""
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).isoformat()


def parse_time(value: str, name: str) -> float:
    """Parse an ISO 8601 date-time parameter to epoch seconds (naive = UTC).

    Raises
    ------
    ApiError
        400 InvalidInput naming the parameter.
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"  # Python 3.10's fromisoformat has no "Z"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise invalid_input(f"Invalid '{name}' provided.",
                            f"{name} must be an ISO 8601 date-time, got {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


class TokenCodec:
    """Opaque, tamper-proof paging tokens (``nextToken``/``pageToken``).

    The state is base64 JSON followed by an HMAC, so the server keeps nothing
    per query and a forged or foreign token is refused.
    """

    def __init__(self, key: bytes) -> None:
        self._key = key

    def encode(self, state: Mapping[str, Any]) -> str:
        raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode("utf-8")
        mac = hmac.new(self._key, raw, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(raw + mac).decode("ascii").rstrip("=")

    def decode(self, token: str) -> dict[str, Any] | None:
        """The state, or None when the token is malformed or was not issued here."""
        try:
            blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError):
            return None
        raw, mac = blob[:-12], blob[-12:]
        if len(blob) <= 12 or not hmac.compare_digest(mac, hmac.new(self._key, raw, hashlib.sha256).digest()[:12]):
            return None
        try:
            state = json.loads(raw)
        except ValueError:
            return None
        return state if isinstance(state, dict) else None
