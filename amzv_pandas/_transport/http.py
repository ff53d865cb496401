"""The SP-API client: one session, Login with Amazon, pacing, retries, errors.

Every call to Amazon goes through :meth:`Client.request` (SP-API operations)
or :meth:`Client.download` (presigned report documents). Both apply timeouts,
per-operation pacing, retries with backoff, and turn error responses into the
exceptions of :mod:`amzv_pandas.exceptions`.
"""

from __future__ import annotations

import collections
import ipaddress
import json as _json
import logging
import math
import os
import re
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping
from urllib.parse import quote, quote_plus, urljoin, urlparse

from .. import _version
from .lwa import Credentials, TokenManager
from ..exceptions import (
    AuthError,
    ConfigurationError,
    DownloadStalledError,
    InsecureEndpointError,
    ParseError,
    ResponseTooLargeError,
    SPAPIError,
    TransportError,
    error_for_status,
)
from .._specs.marketplaces import LWA_TOKEN_URL, REGIONS, Marketplace, get_marketplace, resolve_region
from .._specs.operations import match_operation
from .ratelimit import Backoff, RateLimiter

if TYPE_CHECKING:
    import pandas as pd
    import requests

__all__ = ["Client", "Download", "get_default_client", "set_default_client", "redact_url", "redact_secrets",
           "is_loopback_host"]

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_TIMEOUT = (10.0, 120.0)
#: Largest SP-API or LWA answer read (bytes, after Content-Encoding): Amazon's are kilobytes.
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
#: A document download must finish within this many seconds...
DEFAULT_DOWNLOAD_DEADLINE = 30 * 60.0
#: ...and never average less than this many bytes/s over the last ``DEFAULT_DOWNLOAD_RATE_WINDOW`` s.
DEFAULT_MIN_DOWNLOAD_RATE = 1024.0
DEFAULT_DOWNLOAD_RATE_WINDOW = 30.0
#: Presigned document URLs may redirect (S3 regional endpoints); never more than this many hops.
MAX_DOWNLOAD_REDIRECTS = 3
#: Refreshes of a token Amazon calls expired, per call (each retry may need a fresh one).
MAX_TOKEN_REFRESHES = 3
#: Known secrets shorter than this are not searched for in texts (they would match ordinary words).
_MIN_KNOWN_SECRET = 8
# Headers that carry SP-API credentials: never sent to a document host (None removes session defaults).
_NO_AUTH_HEADERS = {"x-amz-access-token": None, "Authorization": None}

_SECRET_QUERY = re.compile(
    r"(?i)\b(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|sig)=([^&\s\"'#]+)"
)
# OAuth fields as form data (key=value) or as JSON/dict reprs ('key': 'value').
_SECRET_FIELDS = ("client_secret|refresh_token|access_token|id_token|code|spapi_oauth_code|authorization"
                  "|x-amz-access-token")
_SECRET_FORM = re.compile(rf"(?i)(?<![\w-])({_SECRET_FIELDS})=([^&\s\"']+)")
_SECRET_MAPPING = re.compile(rf"(?i)([\"']({_SECRET_FIELDS})[\"']\s*:\s*[\"'])([^\"']+)")


def redact_url(text: str) -> str:
    """Replace presigned-URL signatures and credentials in ``text`` by ``REDACTED``."""
    return _SECRET_QUERY.sub(r"\1=REDACTED", text)


def redact(text: str) -> str:
    """:func:`redact_url`, plus OAuth secrets and tokens in form bodies and JSON."""
    text = _SECRET_FORM.sub(r"\1=REDACTED", redact_url(text))
    return _SECRET_MAPPING.sub(r"\1REDACTED", text)


# LWA's token shapes (access ``Atza|``, refresh ``Atzr|``, also URL-encoded) and client secrets.
_SECRET_SHAPES = re.compile(r"(?i)(?:\bAtz[ar](?:\||%7C)|\bamzn1\.oa2-cs)[^\s\"'&,;<>\\]*")


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


def _redact_location(location: str) -> str:
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


def _install_log_redaction() -> None:
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


def _check_url(url: str, parameter: str) -> str:
    if not isinstance(url, str):
        msg = f"{parameter} must be a URL string, got {type(url).__name__}"
        raise ConfigurationError(msg, parameter=parameter, value=url, allowed="https://host[:port][/path]")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        msg = f"{parameter}={url!r} is not an http(s) URL"
        raise ConfigurationError(msg, parameter=parameter, value=url, allowed="https://host[:port][/path]")
    if parsed.scheme == "http" and not is_loopback_host(parsed.hostname):
        msg = (
            f"{parameter}={url!r} uses plain http:// to a non-loopback host; tokens would travel unencrypted. "
            "Use https://, or http:// only for 127.0.0.1/localhost (e.g. the built-in sandbox)"
        )
        raise InsecureEndpointError(msg, parameter=parameter, value=url, allowed="https:// or http://127.0.0.1")
    return url.rstrip("/")


def _encode_params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
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


def _error_list(response: "requests.Response") -> list[dict[str, Any]]:
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


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _is_positive(value: Any) -> bool:
    return _is_number(value) and value > 0


def _check_number(parameter: str, value: Any, *, positive: bool = True) -> float:
    """``value`` as a float: a finite number, > 0 (or >= 0 when not ``positive``)."""
    if _is_number(value) and (value > 0 if positive else value >= 0):
        return float(value)
    bound = "> 0" if positive else ">= 0"
    raise ConfigurationError(f"{parameter}={value!r} must be a number {bound}", parameter=parameter,
                             value=value, allowed=f"a number {bound}")


def _check_int(parameter: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return value
    raise ConfigurationError(f"{parameter}={value!r} must be an integer >= {minimum}", parameter=parameter,
                             value=value, allowed=f"an integer >= {minimum}")


def _check_keywords(**values: Any) -> None:
    """Type checks of the Client keywords whose values are resolved later (None: not given)."""
    import requests

    allowed: dict[str, tuple[tuple[type, ...], str]] = {
        "credentials": ((Credentials, Mapping), "a Credentials or a mapping of client_id, client_secret, "
                                                "refresh_token"),
        "profile": ((str,), "a profile name (str)"),
        "marketplace": ((str, Marketplace), "a country code or marketplace id (str)"),
        "region": ((str,), "'NA', 'EU' or 'FE'"),
        "endpoint": ((str,), "an https:// URL (str)"),
        "token_url": ((str,), "an https:// URL (str)"),
        "cache_dir": ((str, os.PathLike), "a str or os.PathLike path"),
        "session": ((requests.Session,), "a requests.Session"),
        "user_agent": ((str,), "a str"),
    }
    for name, value in values.items():
        if name == "sandbox":
            if not isinstance(value, bool):
                raise ConfigurationError(f"sandbox={value!r} must be True or False", parameter="sandbox",
                                         value=value, allowed=[True, False])
            continue
        if value is None:
            continue
        types, text = allowed[name]
        if not isinstance(value, types):
            shown = "a mapping" if isinstance(value, Mapping) else type(value).__name__
            raise ConfigurationError(f"{name} must be {text}, got {shown}", parameter=name,
                                     value=None if name == "credentials" else value, allowed=text)
        if name == "profile" and not value.strip():
            raise ConfigurationError("profile='' must name a profile", parameter=name, value=value, allowed=text)
        if name == "user_agent" and any(c in value for c in "\r\n\0"):
            raise ConfigurationError("user_agent must be one line without control characters",
                                     parameter=name, value=value, allowed=text)


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
    """An open report-document download (what :meth:`Client.download` returns).

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


class Client:
    """A connection to the Selling Partner API for one account.

    Parameters
    ----------
    credentials : Credentials or mapping, optional
        LWA client id, client secret and refresh token. When omitted they are
        resolved in this order: ``profile``; the environment variables
        ``LWA_APP_ID``, ``LWA_CLIENT_SECRET``, ``SP_API_REFRESH_TOKEN``; the
        profile named by ``AMZV_PROFILE`` (or ``"default"``) in the profiles file.
    profile : str, optional
        A profile saved by :func:`amzv.authorize` (e.g. ``"italy"``).
    marketplace : str, optional
        Default marketplace, a country code or marketplace id. Falls back to
        ``AMZV_MARKETPLACE``, then the profile's.
    region : {"NA", "EU", "FE"}, optional
        Defaults to the marketplace's region, else NA (as the connector does).
    endpoint : str, optional
        Base URL of the API (``AMZV_ENDPOINT``); default: the region's host.
    token_url : str, optional
        LWA token URL (``AMZV_TOKEN_URL``); default Amazon's.
    sandbox : bool, default False
        Use Amazon's static sandbox hosts.
    cache_dir : str or Path, optional
        Report cache location (``AMZV_CACHE_DIR``; default the platform cache dir).
    session : requests.Session, optional
        A session to send requests with (adapters, proxies...).
    max_retries : int, default 5
        Retries of a call on 429, 5xx and connection errors.
    timeout : float or (float, float), default (10, 120)
        Connect and read timeouts in seconds, applied to every call.
    backoff_factor : float, default 0.5
        First retry delay in seconds; doubles each attempt (with jitter).
    user_agent : str, optional
        The ``User-Agent`` sent (default ``amzv_pandas/<version> (Language=Python/...)``).
    max_response_bytes : int, default 8 MiB
        Largest SP-API or Login with Amazon answer read; a larger one raises
        :class:`~amzv_pandas.exceptions.ResponseTooLargeError` instead of filling memory.
    download_deadline : float, default 1800
        Seconds a report-document download may take in all.
    min_download_rate : float, default 1024
        Bytes per second a download must average over ``download_rate_window``;
        a slower one raises :class:`~amzv_pandas.exceptions.DownloadStalledError`.
    download_rate_window : float, default 30
        Seconds over which the download rate is measured.
    max_document_bytes : int, default 20 GiB
        Largest size a report document may expand to when it is decompressed; a larger
        one raises :class:`~amzv_pandas.exceptions.DocumentTooLargeError` (documents are
        parsed streaming, so memory stays bounded either way).
    max_compression_ratio : float, default 1000
        Largest expanded-to-compressed ratio accepted past the first 16 MiB (a gzip bomb
        guard; ``math.inf`` disables it).

    Examples
    --------
    >>> with amzv.Client(profile="italy") as client:          # doctest: +SKIP
    ...     df = client.read_report("GET_VENDOR_SALES_REPORT", start="today-7", end="yesterday")
    """

    def __init__(
        self,
        *,
        credentials: Credentials | Mapping[str, str] | None = None,
        profile: str | None = None,
        marketplace: str | Marketplace | None = None,
        region: str | None = None,
        endpoint: str | None = None,
        token_url: str | None = None,
        sandbox: bool = False,
        cache_dir: str | os.PathLike[str] | None = None,
        session: "requests.Session | None" = None,
        max_retries: int = 5,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        backoff_factor: float = 0.5,
        user_agent: str | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        download_deadline: float = DEFAULT_DOWNLOAD_DEADLINE,
        min_download_rate: float = DEFAULT_MIN_DOWNLOAD_RATE,
        download_rate_window: float = DEFAULT_DOWNLOAD_RATE_WINDOW,
        max_document_bytes: int = 20 * 2**30,
        max_compression_ratio: float = 1000.0,
    ) -> None:
        from . import profiles as config

        # Every keyword is checked before anything is read or built, so a bad one never
        # surfaces later as a silent default or a raw error from a library.
        _check_keywords(credentials=credentials, profile=profile, marketplace=marketplace, region=region,
                        endpoint=endpoint, token_url=token_url, sandbox=sandbox, cache_dir=cache_dir,
                        session=session, user_agent=user_agent)
        self.max_retries = _check_int("max_retries", max_retries, minimum=0)
        self.timeout = self._check_timeout(timeout)
        backoff_factor = _check_number("backoff_factor", backoff_factor, positive=False)
        self.max_response_bytes = _check_int("max_response_bytes", max_response_bytes, minimum=1)
        self.download_deadline = _check_number("download_deadline", download_deadline)
        self.min_download_rate = _check_number("min_download_rate", min_download_rate)
        self.download_rate_window = _check_number("download_rate_window", download_rate_window)
        self.document_limits = _document_limits(max_document_bytes, max_compression_ratio)

        profile_data: dict[str, str] = {}
        self.profile = profile
        if credentials is not None:
            creds = Credentials.coerce(credentials)
        else:
            creds = None
            if profile is not None:
                profile_data = config.load_profile(profile) or {}
            else:
                creds = Credentials.from_env()
                if creds is None:
                    self.profile = os.environ.get("AMZV_PROFILE") or "default"
                    profile_data = config.load_profile(self.profile, required=False) or {}
                    if not profile_data:
                        msg = (
                            "no SP-API credentials found. Pass credentials=, or set LWA_APP_ID, "
                            "LWA_CLIENT_SECRET and SP_API_REFRESH_TOKEN, or save a profile with "
                            f"amzv.authorize() (looked for profile {self.profile!r} in {config.profiles_path()}). "
                            "To try the library without an account: amzv.sandbox.serve()"
                        )
                        raise ConfigurationError(msg, parameter="credentials")
            if creds is None:
                try:
                    creds = Credentials(profile_data["client_id"], profile_data["client_secret"],
                                        profile_data["refresh_token"])
                except KeyError as exc:
                    msg = f"profile {self.profile!r} lacks {exc.args[0]}; run amzv.authorize() again"
                    raise ConfigurationError(msg, parameter="profile", value=self.profile) from None
        if profile is None and credentials is not None:
            self.profile = None
        if creds is not None and self.profile is not None and not profile_data:
            self.profile = None  # credentials came from the environment
        self.credentials: Credentials = creds

        chosen = marketplace or os.environ.get("AMZV_MARKETPLACE") or profile_data.get("marketplace")
        self.marketplace: Marketplace | None = get_marketplace(chosen) if chosen else None
        if region is not None:
            self.region = resolve_region(region)
            if self.marketplace is not None and self.marketplace.region != self.region:
                msg = (f"marketplace={self.marketplace.country_code!r} is in region {self.marketplace.region}, "
                       f"not region={region!r}")
                raise ConfigurationError(msg, parameter="region", value=region, allowed=self.marketplace.region)
        elif self.marketplace is not None:
            self.region = self.marketplace.region
        else:
            self.region = resolve_region(profile_data.get("region", "NA"))
        self.sandbox = sandbox
        chosen_endpoint = endpoint or os.environ.get("AMZV_ENDPOINT") or profile_data.get("endpoint")
        if chosen_endpoint is None:
            chosen_endpoint = REGIONS[self.region].sandbox_endpoint if sandbox else REGIONS[self.region].endpoint
        self.endpoint = _check_url(chosen_endpoint, "endpoint")
        chosen_token = token_url or os.environ.get("AMZV_TOKEN_URL") or profile_data.get("token_url") or LWA_TOKEN_URL
        self.token_url = _check_url(chosen_token, "token_url")
        self._cache_dir = Path(cache_dir).expanduser() if cache_dir is not None else None

        import requests

        _install_log_redaction()
        self._own_session = session is None
        self.session = session if session is not None else requests.Session()
        self.user_agent = user_agent or (
            f"amzv_pandas/{_version.__version__} (Language=Python/{_python_version()})"
        )
        self.limiter = RateLimiter()
        self.backoff = Backoff(base=backoff_factor)
        self._sleep: Callable[[float], None] = time.sleep
        self.tokens = TokenManager(self.credentials, self.token_url, self._post_token)
        self.calls: collections.Counter[str] = collections.Counter()
        self._calls_lock = threading.Lock()
        self._closed = False

    # -- construction helpers -------------------------------------------------
    @staticmethod
    def _check_timeout(timeout: Any) -> tuple[float, float]:
        if _is_positive(timeout):
            return (float(timeout), float(timeout))
        if isinstance(timeout, tuple) and len(timeout) == 2 and all(_is_positive(t) for t in timeout):
            return (float(timeout[0]), float(timeout[1]))
        msg = f"timeout={timeout!r} must be a positive number of seconds or a (connect, read) pair"
        raise ConfigurationError(msg, parameter="timeout", value=timeout,
                                 allowed="a number > 0 or a (connect, read) pair of them")

    def __repr__(self) -> str:
        market = self.marketplace.country_code if self.marketplace else None
        return (f"<amzv.Client region={self.region} marketplace={market} endpoint={self.endpoint} "
                f"account={self.account_key}>")

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session (if the client created it)."""
        if not self._closed and self._own_session:
            self.session.close()
        self._closed = True

    # -- properties -----------------------------------------------------------
    @property
    def account_key(self) -> str:
        """A stable, secret-free name for the account (cache keys, sync state)."""
        if self.profile:
            return f"profile-{self.profile}"
        return self.credentials.fingerprint

    @property
    def cache_dir(self) -> Path:
        """Where reports are cached (not created until something is written)."""
        if self._cache_dir is not None:
            return self._cache_dir
        override = os.environ.get("AMZV_CACHE_DIR")
        if override:
            return Path(override).expanduser()
        import platformdirs

        return Path(platformdirs.user_cache_dir("amzv_pandas"))

    def resolve_marketplace(self, marketplace: str | Marketplace | None = None) -> Marketplace:
        """The marketplace to use: the argument, else the client's default."""
        if marketplace is not None:
            found = get_marketplace(marketplace)
        elif self.marketplace is not None:
            found = self.marketplace
        else:
            msg = ("no marketplace given: pass marketplace= (e.g. 'US'), set AMZV_MARKETPLACE, "
                   "or save one in the profile")
            raise ConfigurationError(msg, parameter="marketplace")
        if found.region != self.region:
            msg = (f"marketplace={found.country_code!r} is in region {found.region}, but this client talks to "
                   f"region {self.region}; create a Client(marketplace={found.country_code!r})")
            raise ConfigurationError(msg, parameter="marketplace", value=found.country_code)
        return found

    # -- sending --------------------------------------------------------------
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
                    self._read_bounded(response, operation)
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

    def _read_bounded(self, response: "requests.Response", operation: str) -> bytes:
        """Read a streamed answer whole, but never more than ``max_response_bytes``.

        The bytes become the response's content, so ``.json()``/``.text`` work as
        usual. A larger answer (announced or found while reading) closes the
        connection and raises :class:`ResponseTooLargeError`.
        """
        limit = self.max_response_bytes
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

    def _known_secrets(self) -> list[str]:
        """Every secret this client holds (credentials, current and recent access tokens)."""
        return self.tokens.known_secrets()

    def _raise_for(self, response: "requests.Response", operation: str, *, rate: float | None = None,
                   request_id_header: str = "x-amzn-RequestId") -> SPAPIError:
        """The exception for an error response, with every known secret redacted from its errors."""
        errors = redact_errors(_error_list(response), self._known_secrets())
        return error_for_status(response.status_code, errors, request_id=response.headers.get(request_id_header),
                                operation=operation, rate_limit=rate)

    def _redirect_error(self, response: "requests.Response", operation: str, why: str) -> SPAPIError:
        target = response.headers.get("Location")
        shown = _redact_location(target) if target else "nowhere (no Location header)"
        message = f"HTTP {response.status_code} redirect to {shown} not followed: {why}"
        errors = redact_errors([{"code": "Redirect", "message": message}], self._known_secrets())
        response.close()
        return error_for_status(response.status_code, errors, operation=operation,
                                request_id=response.headers.get("x-amzn-RequestId"))

    def _post_token(self, url: str, *, data: str) -> "requests.Response":
        response = self._send("POST", url, "token", data=data, read_body=True,
                              headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"})
        if 300 <= response.status_code < 400:
            # The form carries the client secret and refresh token: it goes to token_url only.
            target = response.headers.get("Location")
            shown = _redact_location(target) if target else "nowhere"
            raise AuthError(f"the token endpoint answered HTTP {response.status_code} redirecting to {shown}; "
                            "token requests are never redirected (check token_url)",
                            status_code=response.status_code)
        return response

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retries: int | None = None,
    ) -> dict[str, Any]:
        """Call any SP-API operation and return its parsed JSON.

        The escape hatch for operations amzv_pandas does not wrap: the call
        gets the same authentication, pacing, retries and errors as every other.

        Parameters
        ----------
        method : str
            ``"GET"``, ``"POST"``, ``"DELETE"``...
        path : str
            The operation's path, e.g. ``"/reports/2021-06-30/reports"``.
        params : mapping, optional
            Query parameters; lists are sent comma-separated, None is dropped.
        json : object, optional
            The JSON body.
        retries : int, optional
            Retries for this call instead of the client's ``max_retries`` (0 for a
            call that must not be repeated blindly, such as createReport).

        Returns
        -------
        dict
            The response body (``{}`` when empty).

        Raises
        ------
        SPAPIError
            Subclassed by status (BadRequest, Forbidden, NotFound, RateLimited,
            ServerError), with Amazon's code, message and request id; a 3xx
            (Amazon never redirects SP-API calls) is an SPAPIError too.
        ResponseTooLargeError
            The answer is larger than ``max_response_bytes``.
        ParseError
            A 2xx answer that is JSON but not an object, or nested too deeply.
        TransportError
            Connection failures after the retries, or a 2xx answer that is not JSON.
        """
        if not path.startswith("/"):
            path = "/" + path
        op = match_operation(method, path)
        operation = op.name if op else f"{method.upper()} {path}"
        url = self.endpoint + path
        sent: list[str] = []

        def auth() -> dict[str, str]:
            # Called by _send after the rate-limit wait: a token that expired meanwhile is renewed.
            token = self.tokens.get_token()
            sent.append(token)
            return {"x-amz-access-token": token, "Accept": "application/json"}

        refreshes = 0
        while True:
            response = self._send(method.upper(), url, operation, params=_encode_params(params), json=json,
                                  auth=auth, pace=True, retries=retries, read_body=True)
            rate = self.limiter.bucket(operation).rate
            request_id = response.headers.get("x-amzn-RequestId")
            logger.debug("%s %s -> %d (%s, request id %s)", method.upper(), path, response.status_code,
                         operation, request_id)
            if 300 <= response.status_code < 400:
                raise self._redirect_error(response, operation, "SP-API calls are never redirected, and the "
                                           "access token must not leave the endpoint (check endpoint=)")
            if response.status_code < 400:
                return self._parse_object(response, operation)
            errors = _error_list(response)
            if response.status_code == 403 and refreshes < MAX_TOKEN_REFRESHES and self._token_expired(errors):
                # The token died early (revoked, clock skew): refresh and retry, a few times at most.
                logger.debug("%s: access token expired, refreshing (%d/%d)", operation, refreshes + 1,
                             MAX_TOKEN_REFRESHES)
                self.tokens.invalidate(sent[-1])
                refreshes += 1
                continue
            raise self._raise_for(response, operation, rate=rate)

    @staticmethod
    def _parse_object(response: "requests.Response", operation: str) -> dict[str, Any]:
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

    @staticmethod
    def _token_expired(errors: list[dict[str, Any]]) -> bool:
        text = " ".join(f"{e.get('message', '')} {e.get('details', '')}" for e in errors).lower()
        return "expired" in text

    def download(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | tuple[float, float] | None = None,
    ) -> "Download":
        """Open a streaming GET of a presigned report-document URL.

        No SP-API headers are sent (the URL carries its own signature). Retries
        connection errors and 5xx. Redirects are followed here, at most
        ``MAX_DOWNLOAD_REDIRECTS``, each hop held to the same rules as the URL
        (https, or http to loopback only). The caller reads the body with
        :meth:`Download.iter_raw`, which enforces the client's
        ``download_deadline`` and ``min_download_rate``, and closes it.

        Raises
        ------
        Forbidden
            403, typically because the URL expired (after 5 minutes).
        SPAPIError
            Other error statuses, a redirect without a target, too many redirects.
        InsecureEndpointError
            The URL, or a redirect, goes to plain http:// on a non-loopback host.
        """
        started = time.monotonic()
        read_timeout = (self._check_timeout(timeout) if timeout is not None else self.timeout)
        _check_url(url.split("?", 1)[0] if isinstance(url, str) else url, "url")
        hop_headers: dict[str, str | None] = dict(headers or {})
        for name in list(hop_headers):
            if name.lower() in {h.lower() for h in _NO_AUTH_HEADERS}:
                del hop_headers[name]
        hop_headers.update(_NO_AUTH_HEADERS)
        current = url
        for hop in range(MAX_DOWNLOAD_REDIRECTS + 1):
            response = self._send("GET", current, "downloadDocument", headers=hop_headers, stream=True,
                                  timeout=read_timeout)
            if response.status_code in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise self._redirect_error(response, "downloadDocument", "the answer names no target")
                if hop == MAX_DOWNLOAD_REDIRECTS:
                    raise self._redirect_error(response, "downloadDocument",
                                               f"more than {MAX_DOWNLOAD_REDIRECTS} redirects")
                response.close()
                current = urljoin(current, location)
                try:
                    _check_url(current.split("?", 1)[0], "url")
                except ConfigurationError as exc:
                    msg = (f"downloadDocument: redirect {hop + 1} to {_redact_location(current)} refused: "
                           f"{exc.args[0]}")
                    raise type(exc)(msg, parameter="url", value=_redact_location(current),
                                    allowed=exc.allowed) from None
                logger.debug("downloadDocument: redirected to %s", _redact_location(current))
                continue
            if response.status_code >= 300:
                self._read_bounded(response, "downloadDocument")
                raise self._raise_for(response, "downloadDocument", request_id_header="x-amz-request-id")
            return Download(response, started=started, deadline=self.download_deadline,
                            min_rate=self.min_download_rate, window=self.download_rate_window,
                            read_timeout=read_timeout[1])
        raise AssertionError("unreachable")  # pragma: no cover

    # -- the same verbs as the module functions --------------------------------
    def read_report(self, report_type: str, start: Any = None, end: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """Create (or reuse) a report and return it as a DataFrame; see :func:`amzv.read_report`."""
        from .._reports.api import read_report

        return read_report(report_type, start, end, client=self, **kwargs)

    def get_report(self, report_id: str | None = None, **kwargs: Any) -> "pd.DataFrame":
        """Download an existing report; see :func:`amzv.get_report`."""
        from .._reports.api import get_report

        return get_report(report_id, client=self, **kwargs)

    def list_reports(self, report_types: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """List reports; see :func:`amzv.list_reports`."""
        from .._reports.api import list_reports

        return list_reports(report_types, client=self, **kwargs)

    def list_report_schedules(self, report_types: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """List report schedules; see :func:`amzv.list_report_schedules`."""
        from .._reports.api import list_report_schedules

        return list_report_schedules(report_types, client=self, **kwargs)

    def cache_info(self) -> "pd.DataFrame":
        """This client's cached reports; see :func:`amzv.cache_info`."""
        from .._cache.store import cache_info

        return cache_info(client=self)

    def clear_cache(self, **kwargs: Any) -> int:
        """Remove cached reports; see :func:`amzv.clear_cache`."""
        from .._cache.store import clear_cache

        return clear_cache(client=self, **kwargs)

    def get_catalog_items(self, asins: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """Look catalog items up by ASIN or SKU; see :func:`amzv.get_catalog_items`."""
        from .._catalog.api import get_catalog_items

        return get_catalog_items(asins, client=self, **kwargs)

    def search_catalog_items(self, keywords: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """Search the catalog; see :func:`amzv.search_catalog_items`."""
        from .._catalog.api import search_catalog_items

        return search_catalog_items(keywords, client=self, **kwargs)

    def marketplace_participations(self) -> "pd.DataFrame":
        """The account's marketplaces (Sellers API ``getMarketplaceParticipations``)."""
        import pandas as pd

        payload = self.request("GET", "/sellers/v1/marketplaceParticipations").get("payload", [])
        rows = []
        for entry in payload:
            market = entry.get("marketplace", {})
            part = entry.get("participation", {})
            rows.append({
                "marketplace_id": market.get("id"),
                "country_code": market.get("countryCode"),
                "name": market.get("name"),
                "currency": market.get("defaultCurrencyCode"),
                "language": market.get("defaultLanguageCode"),
                "domain": market.get("domainName"),
                "store_name": entry.get("storeName"),
                "is_participating": part.get("isParticipating"),
                "has_suspended_listings": part.get("hasSuspendedListings"),
            })
        frame = pd.DataFrame(rows, columns=["marketplace_id", "country_code", "name", "currency", "language",
                                            "domain", "store_name", "is_participating", "has_suspended_listings"])
        return frame.astype({"is_participating": "boolean", "has_suspended_listings": "boolean"})


def _document_limits(max_bytes: Any, max_ratio: Any) -> Any:
    from .._parsers.document import DocumentLimits

    try:
        return DocumentLimits(max_expanded_bytes=max_bytes, max_ratio=max_ratio)
    except ConfigurationError as exc:  # name the Client's keyword, not the dataclass field
        name = {"max_expanded_bytes": "max_document_bytes", "max_ratio": "max_compression_ratio"}[exc.parameter]
        value = max_bytes if name == "max_document_bytes" else max_ratio
        msg = str(exc).replace(f"{exc.parameter}=", f"{name}=", 1)
        raise ConfigurationError(msg, parameter=name, value=value, allowed=exc.allowed) from None


def _python_version() -> str:
    import platform

    return f"{platform.python_version()}; Platform={platform.system()}"


_default_client: Client | None = None
_default_lock = threading.Lock()


def get_default_client() -> Client:
    """The client module-level functions use: set one, or it is built from the environment."""
    global _default_client
    with _default_lock:
        if _default_client is None:
            _default_client = Client()
        return _default_client


def set_default_client(client: Client | None) -> None:
    """Make ``client`` the default of module-level functions (``None`` resets it)."""
    global _default_client
    if client is not None and not isinstance(client, Client):
        raise ConfigurationError(f"set_default_client() needs a Client, got {type(client).__name__}",
                                 parameter="client")
    with _default_lock:
        _default_client = client


def resolve_client(client: Client | None) -> Client:
    """``client`` itself, or the default client."""
    return client if client is not None else get_default_client()
