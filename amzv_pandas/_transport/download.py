"""An open report-document download: every read bounded in time and rate (:class:`Download`).

:meth:`amzv_pandas._transport.http.Transport.download` opens it; the report layer reads
bytes from :meth:`Download.iter_raw` and never touches the requests/urllib3 objects under it.
"""

from __future__ import annotations

import collections
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..exceptions import DownloadStalledError, TransportError
from .._util.redact import redact_url

if TYPE_CHECKING:
    import requests

__all__ = ["Download"]


def _socket_of(raw: Any) -> "socket.socket | None":
    """The socket under a urllib3 response (None when there is none, e.g. a replayed cassette).

    The connection holds it while it stays open; on ``Connection: close`` http.client hands it
    to the response's file (``HTTPResponse.fp``, a buffered ``socket.SocketIO``) instead.
    """
    candidates = (
        getattr(getattr(raw, "connection", None), "sock", None),
        getattr(getattr(getattr(getattr(raw, "_fp", None), "fp", None), "raw", None), "_sock", None),
    )
    for sock in candidates:
        if hasattr(sock, "settimeout") and hasattr(sock, "shutdown"):
            return sock
    return None


def _is_read_error(exc: BaseException) -> bool:
    """Errors a body read can end in: sockets, TLS, urllib3, http.client, requests."""
    import http.client

    import requests
    from urllib3.exceptions import HTTPError as Urllib3Error

    return isinstance(exc, (OSError, Urllib3Error, http.client.HTTPException, requests.RequestException))


def _is_timeout(exc: BaseException) -> bool:
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    return isinstance(exc, (TimeoutError, socket.timeout, Urllib3Timeout))


class Download:
    """An open report-document download (what :meth:`Transport.download` returns).

    Read the body with :meth:`iter_raw`, which bounds every read: the whole
    download must end within the client's ``download_deadline``, and the bytes
    received over the last ``download_rate_window`` seconds must average at least
    ``min_download_rate`` per second, else :class:`DownloadStalledError`. Both
    bounds are also set as the socket's timeout, so a silent server cannot hold a
    read longer than they allow. :meth:`close` may be called from another thread:
    a read blocked in it then ends promptly with a :class:`TransportError`.

    Attributes
    ----------
    headers : mapping
        The response headers (case-insensitive).
    status_code : int
    url : str
        The URL finally answered (after redirects); it carries a signature, never log it.
    raw : urllib3.response.HTTPResponse
        The underlying response (for callers not yet on :meth:`iter_raw`; it enforces no bound).
    """

    def __init__(
        self,
        response: "requests.Response",
        *,
        started: float,
        deadline: float,
        min_rate: float,
        window: float,
        read_timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._response = response
        self.headers = response.headers
        self.status_code = response.status_code
        self.url = response.url
        self.raw = response.raw
        self._sock = _socket_of(response.raw)
        self._started = started
        self._deadline_at = started + deadline
        self._deadline = deadline
        self._min_rate = min_rate
        self._window = window
        self._read_timeout = read_timeout
        self._clock = clock
        self._closed = threading.Event()
        self._finished = False

    def __repr__(self) -> str:
        state = "closed" if self._closed.is_set() else "open"
        return f"<amzv.Download {self.status_code} {redact_url(self.url.split('?', 1)[0])} {state}>"

    def __enter__(self) -> "Download":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        """Close the download; safe from any thread, and more than once."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self._sock is not None and not self._finished:
            # A reader blocked in recv() holds the buffered reader's lock, so closing the file
            # alone would wait for it; shutting the socket down wakes it at once.
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._response.close()

    def _closed_error(self) -> TransportError:
        return TransportError("downloadDocument: the download was closed while it was being read")

    def _set_socket_timeout(self, seconds: float) -> None:
        if self._sock is not None:
            try:
                self._sock.settimeout(max(seconds, 0.001))
            except OSError:  # already closed: the read reports it
                pass

    def iter_raw(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        """Yield the body's bytes exactly as sent (no Content-Encoding decoding).

        Each read returns what has arrived (at most ``chunk_size`` bytes), so the
        bounds are checked however slowly the server sends.

        Raises
        ------
        DownloadStalledError
            Past ``download_deadline``, or slower than ``min_download_rate`` over
            ``download_rate_window``.
        TransportError
            The connection broke, timed out or was closed while reading.
        """
        from urllib3.response import BaseHTTPResponse

        raw = self.raw
        if isinstance(raw, BaseHTTPResponse):  # urllib3 2: read1 returns what has arrived, undecoded
            def read(amount: int) -> bytes:
                return raw.read1(amount, decode_content=False)
        else:  # a stand-in without decoding (a replayed cassette): plain file semantics
            read = getattr(raw, "read1", None) or raw.read

        # (time, bytes received so far) samples covering the last window, oldest first.
        # The clock starts at download(): waiting for the headers counts against the rate too.
        samples: collections.deque[tuple[float, int]] = collections.deque([(self._started, 0)])
        spacing = self._window / 64  # at most ~64 samples per window, however many reads
        received = 0
        need = self._min_rate * self._window
        while True:
            if self._closed.is_set():
                raise self._closed_error()
            now = self._clock()
            remaining = self._deadline_at - now
            if remaining <= 0:
                raise self._stalled("deadline", received)
            # A read that waits this long without a byte has broken a bound: which one says the error.
            bounds = {"read": self._read_timeout, "rate": self._window, "deadline": remaining}
            reason = min(bounds, key=bounds.__getitem__)
            self._set_socket_timeout(bounds[reason])
            try:
                block = read(chunk_size)
            except Exception as exc:
                if self._closed.is_set():
                    raise self._closed_error() from None
                if not _is_read_error(exc):
                    raise
                if _is_timeout(exc):
                    if reason == "read":
                        raise TransportError(f"downloadDocument: no data for {self._read_timeout:g} s "
                                             "(read timed out)") from None
                    raise self._stalled(reason, received) from None
                raise TransportError(f"downloadDocument: the body broke off after {received} bytes: "
                                     f"{type(exc).__name__}") from None
            if self._closed.is_set():
                raise self._closed_error()
            if not block:
                self._finished = True
                return
            received += len(block)
            now = self._clock()
            if now - samples[-1][0] >= spacing:
                samples.append((now, received))  # (skipped samples only make the rule more lenient)
            if now >= self._deadline_at:
                raise self._stalled("deadline", received)
            if now - self._started >= self._window:
                edge = now - self._window
                while len(samples) > 1 and samples[1][0] <= edge:
                    samples.popleft()
                if received - samples[0][1] < need:
                    raise self._stalled("rate", received)
            yield block

    def _stalled(self, reason: str, received: int) -> DownloadStalledError:
        self.close()
        if reason == "deadline":
            msg = (f"downloadDocument: not finished within download_deadline={self._deadline:g} s "
                   f"({received} bytes received)")
        else:
            msg = (f"downloadDocument: slower than min_download_rate={self._min_rate:g} bytes/s over the last "
                   f"download_rate_window={self._window:g} s ({received} bytes received in all)")
        return DownloadStalledError(msg)
