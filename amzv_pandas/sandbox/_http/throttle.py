"""Server-side token buckets, one per operation, as SP-API's usage plans work."""

from __future__ import annotations

import threading
from typing import Callable

__all__ = ["TokenBucket", "format_rate"]


class TokenBucket:
    """``rate`` tokens per second refill the bucket up to ``burst``; a call spends one.

    Parameters
    ----------
    rate : float
        Effective refill rate (the model's rate times the sandbox speed).
    burst : int
        Capacity; the bucket starts full.
    clock : callable
        Monotonic seconds.
    """

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate = float(rate)
        self.burst = int(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Spend a token; False (and nothing spent) when the bucket is empty."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


def format_rate(rate: float) -> str:
    """The header value Amazon sends: ``"2.0"``, ``"0.0167"``."""
    text = f"{rate:.6g}"
    if not any(c in text for c in ".en"):
        text += ".0"
    return text
