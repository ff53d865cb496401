"""Pacing and retries: a token bucket per SP-API operation, and the backoff schedule.

Amazon meters each operation with a token bucket (``rate`` tokens per second up
to ``burst``). We run the same bucket on our side, seeded from the models'
defaults and corrected by every ``x-amzn-RateLimit-Limit`` header, so calls are
spaced before Amazon would refuse them instead of after. Clock and sleep are
injectable so the schedule can be tested without waiting.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from .._specs.operations import BY_NAME

__all__ = ["TokenBucket", "RateLimiter", "Backoff"]

#: Spacing is padded by this fraction: our clock and Amazon's never agree to the
#: millisecond, and a call that arrives a hair early costs a 429 and a full interval.
SAFETY = 0.02
SAFETY_MIN = 0.005


class TokenBucket:
    """A token bucket whose callers reserve their turn.

    ``reserve()`` takes a token even when none is left (the balance goes
    negative) and returns how long the caller must wait, so concurrent callers
    queue up in order without busy-waiting.
    """

    def __init__(
        self,
        rate: float | None,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = max(1, int(burst))
        self._tokens = float(self.burst)
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.rate}, burst={self.burst}, tokens={self._tokens:.2f})"

    def _interval(self) -> float:
        assert self.rate
        # The absolute pad covers clock jitter at Amazon's slow rates; at fast ones
        # (a sped-up sandbox) it is capped by the relative pad so it cannot dominate.
        return (1.0 / self.rate) * (1 + SAFETY) + min(SAFETY_MIN, SAFETY / self.rate)

    def _refill(self, now: float) -> None:
        if self.rate:
            self._tokens = min(self.burst, self._tokens + (now - self._updated) / self._interval())
        self._updated = now

    def reserve(self) -> float:
        """Take a token; return the seconds to wait before using it."""
        with self._lock:
            if not self.rate:
                return 0.0
            now = self._clock()
            self._refill(now)
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens * self._interval()

    def acquire(self) -> float:
        """Wait for a token; return the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def set_rate(self, rate: float) -> None:
        """Adopt the rate Amazon reports (``x-amzn-RateLimit-Limit``)."""
        if rate <= 0:
            return
        with self._lock:
            self._refill(self._clock())
            self.rate = rate

    def drain(self) -> None:
        """Amazon said 429: its bucket is empty, so ours is too."""
        with self._lock:
            self._refill(self._clock())
            self._tokens = min(self._tokens, 0.0)


class RateLimiter:
    """One :class:`TokenBucket` per operation, created on first use."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, operation: str) -> TokenBucket:
        with self._lock:
            found = self._buckets.get(operation)
            if found is None:
                op = BY_NAME.get(operation)
                # Unknown operations are not paced until Amazon tells us their rate.
                found = TokenBucket(op.rate if op else None, op.burst if op else 1,
                                    clock=self._clock, sleep=self._sleep)
                self._buckets[operation] = found
            return found

    def acquire(self, operation: str) -> float:
        return self.bucket(operation).acquire()

    def update(self, operation: str, header: str | None) -> float | None:
        """Apply an ``x-amzn-RateLimit-Limit`` header value; return the rate read."""
        if not header:
            return None
        try:
            rate = float(header)
        except ValueError:
            return None
        self.bucket(operation).set_rate(rate)
        return rate

    def throttled(self, operation: str) -> float:
        """Record a 429; return the seconds until the next token (at least one interval)."""
        bucket = self.bucket(operation)
        bucket.drain()
        return (1.0 / bucket.rate) if bucket.rate else 1.0

    def rates(self) -> dict[str, float | None]:
        """The current rate per operation (for diagnostics)."""
        with self._lock:
            return {name: b.rate for name, b in self._buckets.items()}


@dataclass
class Backoff:
    """Exponential backoff with jitter: ``base * 2**attempt``, capped, times U(0.5, 1)."""

    base: float = 0.5
    cap: float = 60.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, *, floor: float = 0.0) -> float:
        raw = min(self.cap, self.base * (2 ** attempt))
        return max(floor, raw * self.rng.uniform(0.5, 1.0))
