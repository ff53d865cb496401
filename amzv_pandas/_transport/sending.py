"""The retry loop under every SP-API call, token request and document download (:class:`Sender`).

One session, one ``User-Agent``, per-operation pacing (:class:`~amzv_pandas._transport.ratelimit.RateLimiter`),
retries with backoff on connection errors and retryable statuses, bounded answer bodies, and
the per-operation call counts. :class:`~amzv_pandas._transport.http.Transport` builds on it.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..exceptions import TransportError
from .._util.redact import redact_url
from .ratelimit import Backoff, RateLimiter
from .responses import read_bounded

if TYPE_CHECKING:
    import requests

__all__ = ["RETRY_STATUSES", "Sender"]

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class Sender:
    """Sends HTTP requests with pacing and retries (a base of :class:`~amzv_pandas._transport.http.Transport`).

    Parameters
    ----------
    session : requests.Session or None
        The session to send with (None: one of its own, closed with the transport).
    user_agent : str
        The ``User-Agent`` header of every request.
    backoff_factor : float
        First retry delay in seconds (see :class:`~amzv_pandas._transport.ratelimit.Backoff`).

    A subclass sets ``max_retries``, ``timeout`` and ``max_response_bytes`` (checked keywords).
    """

    max_retries: int
    timeout: tuple[float, float]
    max_response_bytes: int

    def __init__(self, *, session: "requests.Session | None", user_agent: str, backoff_factor: float) -> None:
        import requests

        self._own_session = session is None
        self.session = session if session is not None else requests.Session()
        self.user_agent = user_agent
        self.limiter = RateLimiter()
        self.backoff = Backoff(base=backoff_factor)
        self._sleep: Callable[[float], None] = time.sleep
        self.calls: collections.Counter[str] = collections.Counter()
        self._calls_lock = threading.Lock()

    def _count(self, operation: str) -> None:
        with self._calls_lock:
            self.calls[operation] += 1

    def _send(
        self,
        method: str,
        url: str,
        operation: str,
        *,
        headers: Mapping[str, str | None] | None = None,
        auth: Callable[[], Mapping[str, str]] | None = None,
        stream: bool = False,
        read_body: bool = False,
        timeout: tuple[float, float] | None = None,
        pace: bool = False,
        retries: int | None = None,
        **kwargs: Any,
    ) -> "requests.Response":
        """Send with retries on connection errors and retryable statuses.

        With ``pace``, every attempt first waits for the operation's bucket, and
        each response's ``x-amzn-RateLimit-Limit`` updates it. ``auth`` is called
        per attempt *after* that wait, so the headers it returns (the access token)
        are fresh when sent, however long the wait. With ``read_body`` the final
        response's body is read (at most ``max_response_bytes``) before returning,
        and a connection broken while reading it is retried like any other.
        Redirects are never followed. Returns the final response, which may be an
        error for the caller to map.
        """
        import requests

        base_headers: dict[str, str | None] = {"User-Agent": self.user_agent}
        if headers:
            base_headers.update(headers)
        max_retries = self.max_retries if retries is None else retries
        attempt = 0
        while True:
            if pace:
                self.limiter.acquire(operation)
            all_headers = dict(base_headers)
            if auth is not None:
                all_headers.update(auth())
            response = None
            try:
                self._count(operation)
                response = self.session.request(method, url, headers=all_headers, stream=stream or read_body,
                                                timeout=timeout or self.timeout, allow_redirects=False, **kwargs)
                retry = response.status_code in RETRY_STATUSES and attempt < max_retries
                if read_body and not retry:
                    read_bounded(response, self.max_response_bytes, operation)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                if response is not None:
                    response.close()
                if attempt >= max_retries:
                    kind = "timed out" if isinstance(exc, requests.Timeout) else "failed"
                    msg = (f"{operation}: {method} {redact_url(url)} {kind} after {attempt + 1} attempt(s): "
                           f"{type(exc).__name__}")
                    raise TransportError(msg) from None
                delay = self.backoff.delay(attempt)
                logger.debug("%s: %s, retry %d/%d in %.2fs", operation, type(exc).__name__,
                             attempt + 1, max_retries, delay)
                self._sleep(delay)
                attempt += 1
                continue
            except requests.RequestException as exc:  # a bad URL or header: retrying cannot help
                if response is not None:
                    response.close()
                raise TransportError(f"{operation}: {method} {redact_url(url.split('?', 1)[0])} could not be "
                                     f"sent: {type(exc).__name__}") from None
            if pace:
                self.limiter.update(operation, response.headers.get("x-amzn-RateLimit-Limit"))
                if response.status_code == 429:
                    # Amazon's bucket is empty: ours now is too, so the next acquire()
                    # waits a full interval, whoever makes the next call.
                    self.limiter.throttled(operation)
            if retry:
                if response.status_code == 429 and pace:
                    # Back off beyond the bucket's interval only on repeated 429s.
                    delay = self.backoff.delay(attempt - 1) if attempt else 0.0
                else:
                    delay = self.backoff.delay(attempt)
                logger.debug("%s: HTTP %d, retry %d/%d in %.2fs", operation, response.status_code,
                             attempt + 1, max_retries, delay)
                response.close()
                if delay:
                    self._sleep(delay)
                attempt += 1
                continue
            return response
