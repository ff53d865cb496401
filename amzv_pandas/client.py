"""The SP-API client: one session, Login with Amazon, pacing, retries, errors.

Every call to Amazon goes through :meth:`Client.request` (SP-API operations)
or :meth:`Client.download` (presigned report documents). Both apply timeouts,
per-operation pacing, retries with backoff, and turn error responses into the
exceptions of :mod:`amzv_pandas.exceptions`.
"""

from __future__ import annotations

import collections
import ipaddress
import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping
from urllib.parse import urlparse

from . import _version
from .auth import Credentials, TokenManager
from .exceptions import (
    ConfigurationError,
    InsecureEndpointError,
    TransportError,
    error_for_status,
)
from .marketplaces import LWA_TOKEN_URL, REGIONS, Marketplace, get_marketplace, resolve_region
from .operations import match_operation
from .ratelimit import Backoff, RateLimiter

if TYPE_CHECKING:
    import pandas as pd
    import requests

__all__ = ["Client", "get_default_client", "set_default_client", "redact_url", "is_loopback_host"]

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_TIMEOUT = (10.0, 120.0)

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
        body = response.json()
    except ValueError:
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
    ) -> None:
        from . import config

        if not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigurationError(f"max_retries={max_retries!r} must be an integer >= 0",
                                     parameter="max_retries", value=max_retries)
        self.timeout = self._check_timeout(timeout)
        self.max_retries = max_retries

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
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
            return (float(timeout), float(timeout))
        if (isinstance(timeout, tuple) and len(timeout) == 2
                and all(isinstance(t, (int, float)) and t > 0 for t in timeout)):
            return (float(timeout[0]), float(timeout[1]))
        msg = f"timeout={timeout!r} must be a positive number of seconds or a (connect, read) pair"
        raise ConfigurationError(msg, parameter="timeout", value=timeout)

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
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        timeout: tuple[float, float] | None = None,
        pace: bool = False,
        retries: int | None = None,
        **kwargs: Any,
    ) -> "requests.Response":
        """Send with retries on connection errors and retryable statuses.

        With ``pace``, every attempt first waits for the operation's bucket, and
        each response's ``x-amzn-RateLimit-Limit`` updates it. Returns the final
        response, which may be an error for the caller to map.
        """
        import requests

        all_headers = {"User-Agent": self.user_agent}
        if headers:
            all_headers.update(headers)
        max_retries = self.max_retries if retries is None else retries
        attempt = 0
        while True:
            if pace:
                self.limiter.acquire(operation)
            try:
                self._count(operation)
                response = self.session.request(method, url, headers=all_headers, stream=stream,
                                                timeout=timeout or self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
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
            if pace:
                self.limiter.update(operation, response.headers.get("x-amzn-RateLimit-Limit"))
                if response.status_code == 429:
                    # Amazon's bucket is empty: ours now is too, so the next acquire()
                    # waits a full interval, whoever makes the next call.
                    self.limiter.throttled(operation)
            if response.status_code in RETRY_STATUSES and attempt < max_retries:
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

    def _post_token(self, url: str, *, data: str) -> "requests.Response":
        return self._send("POST", url, "token", data=data,
                          headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"})

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
            ServerError), with Amazon's code, message and request id.
        """
        if not path.startswith("/"):
            path = "/" + path
        op = match_operation(method, path)
        operation = op.name if op else f"{method.upper()} {path}"
        url = self.endpoint + path
        refreshed = False
        while True:
            token = self.tokens.get_token()
            response = self._send(method.upper(), url, operation, params=_encode_params(params), json=json,
                                  headers={"x-amz-access-token": token, "Accept": "application/json"},
                                  pace=True, retries=retries)
            rate = self.limiter.bucket(operation).rate
            request_id = response.headers.get("x-amzn-RequestId")
            logger.debug("%s %s -> %d (%s, request id %s)", method.upper(), path, response.status_code,
                         operation, request_id)
            if response.status_code < 400:
                if not response.content:
                    return {}
                try:
                    return response.json()
                except ValueError:
                    msg = f"{operation}: HTTP {response.status_code} body is not JSON"
                    raise TransportError(msg) from None
            errors = _error_list(response)
            if response.status_code == 403 and not refreshed and self._token_expired(errors):
                # The token died early (revoked, clock skew): refresh once and retry.
                logger.debug("%s: access token expired, refreshing once", operation)
                self.tokens.invalidate(token)
                refreshed = True
                continue
            raise error_for_status(response.status_code, errors, request_id=request_id,
                                   operation=operation, rate_limit=rate)

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
    ) -> "requests.Response":
        """Open a streaming GET of a presigned report-document URL.

        No SP-API headers are sent (the URL carries its own signature). Retries
        connection errors and 5xx. The caller iterates the body and closes it.

        Raises
        ------
        Forbidden
            403, typically because the URL expired (after 5 minutes).
        SPAPIError
            Other error statuses.
        """
        _check_url(url.split("?", 1)[0], "url")
        response = self._send("GET", url, "downloadDocument", headers=headers, stream=True,
                              timeout=self._check_timeout(timeout) if timeout is not None else None)
        if response.status_code >= 400:
            errors = _error_list(response)
            response.close()
            raise error_for_status(response.status_code, errors,
                                   request_id=response.headers.get("x-amz-request-id"),
                                   operation="downloadDocument")
        return response

    # -- the same verbs as the module functions --------------------------------
    def read_report(self, report_type: str, start: Any = None, end: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """Create (or reuse) a report and return it as a DataFrame; see :func:`amzv.read_report`."""
        from .reports import read_report

        return read_report(report_type, start, end, client=self, **kwargs)

    def get_report(self, report_id: str | None = None, **kwargs: Any) -> "pd.DataFrame":
        """Download an existing report; see :func:`amzv.get_report`."""
        from .reports import get_report

        return get_report(report_id, client=self, **kwargs)

    def list_reports(self, report_types: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """List reports; see :func:`amzv.list_reports`."""
        from .reports import list_reports

        return list_reports(report_types, client=self, **kwargs)

    def list_report_schedules(self, report_types: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """List report schedules; see :func:`amzv.list_report_schedules`."""
        from .reports import list_report_schedules

        return list_report_schedules(report_types, client=self, **kwargs)

    def cache_info(self) -> "pd.DataFrame":
        """This client's cached reports; see :func:`amzv.cache_info`."""
        from .cache import cache_info

        return cache_info(client=self)

    def clear_cache(self, **kwargs: Any) -> int:
        """Remove cached reports; see :func:`amzv.clear_cache`."""
        from .cache import clear_cache

        return clear_cache(client=self, **kwargs)

    def get_catalog_items(self, asins: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """Look catalog items up by ASIN or SKU; see :func:`amzv.get_catalog_items`."""
        from .catalog import get_catalog_items

        return get_catalog_items(asins, client=self, **kwargs)

    def search_catalog_items(self, keywords: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """Search the catalog; see :func:`amzv.search_catalog_items`."""
        from .catalog import search_catalog_items

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
