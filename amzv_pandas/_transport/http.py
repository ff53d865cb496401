"""The SP-API transport: one session, Login with Amazon, pacing, retries, errors.

Every call to Amazon goes through :meth:`Transport.request` (SP-API operations)
or :meth:`Transport.download` (presigned report documents). Both apply timeouts,
per-operation pacing, retries with backoff (the retry loop is
:class:`~amzv_pandas._transport.sending.Sender`'s), and turn error responses into the
exceptions of :mod:`amzv_pandas.exceptions`. The transport knows nothing of reports
or the catalog: the public ``amzv.Client`` (:mod:`amzv_pandas._facade.client`) adds
the verbs on top of it.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urljoin

from ..exceptions import (
    AuthError,
    ConfigurationError,
    SPAPIError,
    error_for_status,
)
from .._specs.marketplaces import Marketplace
from .._specs.operations import match_operation
from .._util.redact import install_log_redaction, redact_errors, redact_location
from .._util.checks import check_int, check_number
from .download import Download
from .lwa import Credentials, TokenManager
from .responses import encode_params, error_list, parse_object, read_bounded, token_expired
from .sending import Sender
from .settings import (
    check_keywords,
    check_timeout,
    check_url,
    default_user_agent,
    document_limits,
    resolve_marketplace,
    resolve_settings,
)

if TYPE_CHECKING:
    import requests

__all__ = ["Transport", "Download"]

logger = logging.getLogger(__name__)

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
# Headers that carry SP-API credentials: never sent to a document host (None removes session defaults).
_NO_AUTH_HEADERS = {"x-amz-access-token": None, "Authorization": None}


class Transport(Sender):
    """A connection to the Selling Partner API for one account (HTTP only; ``amzv.Client`` adds the verbs).

    Parameters
    ----------
    credentials : Credentials or mapping, optional
        LWA client id, client secret and refresh token. When omitted they are
        resolved in this order: ``profile``; the environment variables
        ``LWA_APP_ID``, ``LWA_CLIENT_SECRET``, ``SP_API_REFRESH_TOKEN``; the
        profile named by ``AMZV_PROFILE`` (or ``"default"``) in the profiles file.
    profile : str, optional
        A profile saved by :func:`amzv.authorize` (e.g. ``"italy"``).
    name : str, optional
        The account's name in many-account results (the ``account`` column) and in messages;
        default the profile name, else the secret-free :attr:`account_key`.
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
        name: str | None = None,
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
        # Every keyword is checked before anything is read or built, so a bad one never
        # surfaces later as a silent default or a raw error from a library.
        # The keywords the settings are resolved from (argument -> environment -> profile).
        where: dict[str, Any] = dict(credentials=credentials, profile=profile, marketplace=marketplace,
                                     region=region, endpoint=endpoint, token_url=token_url, sandbox=sandbox)
        check_keywords(**where, name=name, cache_dir=cache_dir, session=session, user_agent=user_agent)
        self.max_retries = check_int(max_retries, "max_retries", min=0)
        self.timeout = self._check_timeout(timeout)
        backoff_factor = check_number(backoff_factor, "backoff_factor", min=0)
        self.max_response_bytes = check_int(max_response_bytes, "max_response_bytes", min=1)
        self.download_deadline = check_number(download_deadline, "download_deadline", min=0, exclusive_min=True)
        self.min_download_rate = check_number(min_download_rate, "min_download_rate", min=0, exclusive_min=True)
        self.download_rate_window = check_number(download_rate_window, "download_rate_window", min=0, exclusive_min=True)
        self.document_limits = document_limits(max_document_bytes, max_compression_ratio)

        settings = resolve_settings(**where)
        self.settings = settings
        self.profile = settings.profile
        self.credentials: Credentials = settings.credentials
        self.marketplace: Marketplace | None = settings.marketplace
        self.region = settings.region
        self.sandbox = settings.sandbox
        self.endpoint = settings.endpoint
        self.token_url = settings.token_url
        self._cache_dir = Path(cache_dir).expanduser() if cache_dir is not None else None
        self.name: str = name if name is not None else (self.profile or self.account_key)

        install_log_redaction()
        super().__init__(session=session, user_agent=user_agent or default_user_agent(),
                         backoff_factor=backoff_factor)
        self.tokens = TokenManager(self.credentials, self.token_url, self._post_token)
        self._closed = False

    # -- construction helpers -------------------------------------------------
    @staticmethod
    def _check_timeout(timeout: Any) -> tuple[float, float]:
        return check_timeout(timeout)

    def __repr__(self) -> str:
        market = self.marketplace.country_code if self.marketplace else None
        return (f"<amzv.Client name={self.name!r} region={self.region} marketplace={market} "
                f"endpoint={self.endpoint} account={self.account_key}>")

    def __enter__(self) -> "Transport":
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
        return resolve_marketplace(marketplace, default=self.marketplace, region=self.region)

    def _known_secrets(self) -> list[str]:
        """Every secret this client holds (credentials, current and recent access tokens)."""
        return self.tokens.known_secrets()

    def _raise_for(self, response: "requests.Response", operation: str, *, rate: float | None = None,
                   request_id_header: str = "x-amzn-RequestId") -> SPAPIError:
        """The exception for an error response, with every known secret redacted from its errors."""
        errors = redact_errors(error_list(response), self._known_secrets())
        return error_for_status(response.status_code, errors, request_id=response.headers.get(request_id_header),
                                operation=operation, rate_limit=rate)

    def _redirect_error(self, response: "requests.Response", operation: str, why: str) -> SPAPIError:
        target = response.headers.get("Location")
        shown = redact_location(target) if target else "nowhere (no Location header)"
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
            shown = redact_location(target) if target else "nowhere"
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
            response = self._send(method.upper(), url, operation, params=encode_params(params), json=json,
                                  auth=auth, pace=True, retries=retries, read_body=True)
            rate = self.limiter.bucket(operation).rate
            request_id = response.headers.get("x-amzn-RequestId")
            logger.debug("%s %s -> %d (%s, request id %s)", method.upper(), path, response.status_code,
                         operation, request_id)
            if 300 <= response.status_code < 400:
                raise self._redirect_error(response, operation, "SP-API calls are never redirected, and the "
                                           "access token must not leave the endpoint (check endpoint=)")
            if response.status_code < 400:
                return parse_object(response, operation)
            errors = error_list(response)
            if response.status_code == 403 and refreshes < MAX_TOKEN_REFRESHES and token_expired(errors):
                # The token died early (revoked, clock skew): refresh and retry, a few times at most.
                logger.debug("%s: access token expired, refreshing (%d/%d)", operation, refreshes + 1,
                             MAX_TOKEN_REFRESHES)
                self.tokens.invalidate(sent[-1])
                refreshes += 1
                continue
            raise self._raise_for(response, operation, rate=rate)

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
        check_url(url.split("?", 1)[0] if isinstance(url, str) else url, "url")
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
                    check_url(current.split("?", 1)[0], "url")
                except ConfigurationError as exc:
                    msg = (f"downloadDocument: redirect {hop + 1} to {redact_location(current)} refused: "
                           f"{exc.args[0]}")
                    raise type(exc)(msg, parameter="url", value=redact_location(current),
                                    allowed=exc.allowed) from None
                logger.debug("downloadDocument: redirected to %s", redact_location(current))
                continue
            if response.status_code >= 300:
                read_bounded(response, self.max_response_bytes, "downloadDocument")
                raise self._raise_for(response, "downloadDocument", request_id_header="x-amz-request-id")
            return Download(response, started=started, deadline=self.download_deadline,
                            min_rate=self.min_download_rate, window=self.download_rate_window,
                            read_timeout=read_timeout[1])
        raise AssertionError("unreachable")  # pragma: no cover
