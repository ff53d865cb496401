"""The stdlib HTTP plumbing of the sandbox server: the request handler, the threading server, log redaction.

The handler only hands each request to its application (``server.app.dispatch``);
everything SP-API-specific lives in :mod:`.server`.
"""

from __future__ import annotations

import logging
import re
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Handler", "HTTPServer", "logger", "redact"]

logger = logging.getLogger("amzv_pandas.sandbox")

_REDACT = [
    (re.compile(r"(X-Amz-Signature=)[^&\s\"]+", re.I), r"\1REDACTED"),
    (re.compile(r"(Atz[ar]\|)[^&\s\"']+"), r"\1REDACTED"),
    (re.compile(r"((?:client_secret|refresh_token|access_token|spapi_oauth_code|code)=)[^&\s\"]+"), r"\1REDACTED"),
]


def redact(text: str) -> str:
    """Remove signatures and token-like values from a log line."""
    for pattern, repl in _REDACT:
        text = pattern.sub(repl, text)
    return text


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections as with Amazon
    timeout = 300  # idle keep-alive connections close after this

    server: "HTTPServer"

    def setup(self) -> None:
        super().setup()
        # Closed connections (close()) break blocking reads; writes also check _stopping.
        # Headers and body leave in separate writes; without NODELAY, Nagle plus the
        # client's delayed ACK adds ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.app._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.app._track(self.connection, add=False)

    def version_string(self) -> str:
        return "Server"  # what Amazon's front end sends

    def _dispatch(self) -> None:
        try:
            self.server.app.dispatch(self)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = _dispatch

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("sandbox %s %s", self.address_string(), redact(format % args))


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    app: Any  # the SandboxServer (above this module): dispatch(handler), _track(conn, add=)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The stdlib prints tracebacks to stderr; keep it quiet but inspectable.
        logger.debug("sandbox: connection error from %s", client_address, exc_info=True)
