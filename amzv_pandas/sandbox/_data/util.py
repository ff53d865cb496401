"""Deterministic randomness and marketplace facts shared by the sandbox data layer.

Everything here is pure: the same inputs give the same outputs on every
platform and Python version.  Randomness never comes from :mod:`random` (whose
helpers changed between versions) but from BLAKE2b seeds and SplitMix64.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date, datetime, timedelta, timezone
from typing import Sequence, TypeVar

import numpy as np

from ..._specs.marketplaces import MARKETPLACES, Marketplace, get_marketplace

T = TypeVar("T")

MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
UTC = timezone.utc


def h64(*parts: object) -> int:
    """A stable 64-bit hash of ``parts`` (their ``str`` joined)."""
    data = "\x1f".join(map(str, parts)).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


_PRIMES = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
           0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0xA0761D6478BD642F, 0xE7037ED1A0B428DB)


def mix(*values: int) -> int:
    """A cheap 64-bit hash of up to eight small integers (one SplitMix64 round); for hot loops."""
    z = 0x243F6A8885A308D3
    for v, p in zip(values, _PRIMES):
        z += v * p
    z &= MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


class Rng:
    """A tiny SplitMix64 generator seeded from :func:`h64` of ``parts``."""

    __slots__ = ("_state",)

    def __init__(self, *parts: object) -> None:
        self._state = h64(*parts)

    def next64(self) -> int:
        self._state = (self._state + _GOLDEN) & MASK64
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def random(self) -> float:
        """Uniform float in [0, 1)."""
        return (self.next64() >> 11) * (1.0 / (1 << 53))

    def randint(self, lo: int, hi: int) -> int:
        """Uniform int in [lo, hi] (inclusive)."""
        return lo + self.next64() % (hi - lo + 1)

    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.random()

    def choice(self, seq: Sequence[T]) -> T:
        return seq[self.next64() % len(seq)]

    def chars(self, alphabet: str, n: int) -> str:
        return "".join(alphabet[self.next64() % len(alphabet)] for _ in range(n))


# -- vectorised hashing (numpy) ------------------------------------------------

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_G = np.uint64(_GOLDEN)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


def mix_np(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on a uint64 array (wrapping arithmetic)."""
    x = x ^ (x >> _S30)
    x = x * _M1
    x = x ^ (x >> _S27)
    x = x * _M2
    return x ^ (x >> _S31)


def uniform_np(keys: np.ndarray, t: np.ndarray, salt: int) -> np.ndarray:
    """Uniform [0, 1) floats for every (key, t) pair.

    ``keys`` is a uint64 column (shape ``(A, 1)``), ``t`` an int64 row of day
    or hour ordinals (shape ``(1, T)``); the result has shape ``(A, T)`` and
    depends only on (key, t, salt), so overlapping windows agree cell by cell.
    """
    salt_u = np.uint64(h64("salt", salt))
    x = (keys ^ salt_u) ^ (t.astype(np.uint64) * _G)
    return (mix_np(mix_np(x)) >> _S11).astype(np.float64) * (1.0 / (1 << 53))


# -- marketplaces ----------------------------------------------------------------

_LOCALES = {
    "US": "en_US", "CA": "en_CA", "MX": "es_MX", "BR": "pt_BR", "IE": "en_IE", "ES": "es_ES",
    "UK": "en_GB", "FR": "fr_FR", "BE": "fr_BE", "NL": "nl_NL", "DE": "de_DE", "IT": "it_IT",
    "SE": "sv_SE", "ZA": "en_ZA", "PL": "pl_PL", "EG": "ar_EG", "TR": "tr_TR", "SA": "ar_SA",
    "AE": "en_AE", "IN": "en_IN", "SG": "en_SG", "AU": "en_AU", "JP": "ja_JP",
}
_DOMAINS = {
    "US": "amazon.com", "CA": "amazon.ca", "MX": "amazon.com.mx", "BR": "amazon.com.br",
    "IE": "amazon.ie", "ES": "amazon.es", "UK": "amazon.co.uk", "FR": "amazon.fr",
    "BE": "amazon.com.be", "NL": "amazon.nl", "DE": "amazon.de", "IT": "amazon.it",
    "SE": "amazon.se", "ZA": "amazon.co.za", "PL": "amazon.pl", "EG": "amazon.eg",
    "TR": "amazon.com.tr", "SA": "amazon.sa", "AE": "amazon.ae", "IN": "amazon.in",
    "SG": "amazon.sg", "AU": "amazon.com.au", "JP": "amazon.co.jp",
}
# Rough USD exchange rates: prices only need to look plausible per currency.
FX = {
    "USD": 1.0, "CAD": 1.36, "MXN": 17.0, "BRL": 5.0, "EUR": 0.92, "GBP": 0.79, "SEK": 10.5,
    "ZAR": 18.5, "PLN": 4.0, "EGP": 48.0, "TRY": 32.0, "SAR": 3.75, "AED": 3.67, "INR": 83.0,
    "SGD": 1.35, "AUD": 1.52, "JPY": 150.0,
}


def marketplace_or_none(marketplace_id: str) -> Marketplace | None:
    """The :class:`Marketplace` for an id, or None when it is not a real one."""
    for m in MARKETPLACES:
        if m.marketplace_id == marketplace_id:
            return m
    return None


def marketplace_or_us(marketplace_id: str | None) -> Marketplace:
    m = marketplace_or_none(marketplace_id) if marketplace_id else None
    return m or get_marketplace("US")


def locale_of(m: Marketplace) -> str:
    return _LOCALES[m.country_code]


def domain_of(m: Marketplace) -> str:
    return _DOMAINS[m.country_code]


def is_japanese(locale: str | None) -> bool:
    return bool(locale) and locale.lower().startswith("ja")


def price_in(usd_cents: int, currency: str) -> int:
    """A USD price converted and rounded to a shelf price, in minor units (cents).

    JPY prices are whole yen ending in 0 (still returned times 100 so all
    currencies share the cents convention).
    """
    value = usd_cents * FX[currency]  # minor units of the target currency
    if currency == "JPY":  # e.g. 2,480 yen: whole hundreds minus 20
        return max(100, int(round(value / 10000.0)) * 100 - 20) * 100
    return max(99, int(value // 100) * 100 + 99)  # x.99 shelf price


def money(cents: int) -> str:
    """Cents as a plain decimal with two places (``-1234`` -> ``"-12.34"``)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def iso_z(dt: datetime) -> str:
    """UTC ISO 8601 with a ``Z`` suffix, second precision."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:  # be lenient: naive means UTC
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def ean_check(digits12: str) -> str:
    """EAN-13 / UPC check digit for the first 12 (or 11) digits."""
    total = 0
    for i, ch in enumerate(reversed(digits12)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def isbn10_from_13(isbn13: str) -> str:
    core = isbn13[3:12]
    s = sum((10 - i) * int(c) for i, c in enumerate(core))
    check = (11 - s % 11) % 11
    return core + ("X" if check == 10 else str(check))


DAY0 = date(1970, 1, 1).toordinal()


def day_number(d: date) -> int:
    """Days since 1970-01-01 (the day axis used for per-day hashing)."""
    return d.toordinal() - DAY0


def from_day_number(n: int) -> date:
    return date.fromordinal(n + DAY0)


#: Retail analytics report periods.
PERIODS = ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR")


def period_end(d: date, period: str) -> date:
    """The last day of the calendar ``period`` holding ``d`` (weeks run Sunday..Saturday)."""
    if period == "WEEK":
        return d + timedelta(days=(5 - d.weekday()) % 7)
    if period == "MONTH":
        nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        return nxt - timedelta(days=1)
    if period == "QUARTER":
        q_last = ((d.month - 1) // 3) * 3 + 3
        nxt = date(d.year + (q_last == 12), q_last % 12 + 1, 1)
        return nxt - timedelta(days=1)
    if period == "YEAR":
        return date(d.year, 12, 31)
    return d


def period_bounds(start: date, end: date, period: str) -> list[tuple[date, date]]:
    """Calendar periods covering ``start..end`` (inclusive), clipped to the range."""
    out: list[tuple[date, date]] = []
    d = start
    while d <= end:
        e = min(period_end(d, period), end)
        out.append((d, e))
        d = e + timedelta(days=1)
    return out


def full_hours(start: datetime, end: datetime, cutoff: datetime) -> tuple[int, int]:
    """Hour numbers ``[h0, h1)`` (hours since the epoch) of the full UTC hours in ``start..end`` over by ``cutoff``."""
    s = as_utc(start).timestamp()
    e = min(as_utc(end).timestamp(), as_utc(cutoff).timestamp())
    h0 = math.ceil(s / 3600)
    return h0, max(h0, math.floor(e / 3600))
