"""Login with Amazon (LWA): credentials, access tokens and the consent flow.

Access tokens come from the refresh-token grant. They are kept in memory
until 60 seconds before ``expires_in`` runs out; concurrent callers share one
refresh. The website consent flow (:func:`authorize`) goes through
requests-oauthlib and ends with a refresh token saved to a profile.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import logging
import os
import threading
import time
import webbrowser
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping
from urllib.parse import parse_qs, urlparse

from ..exceptions import AuthError, ConfigurationError
from .._util.redact import install_log_redaction, is_loopback_host, redact_secrets

if TYPE_CHECKING:
    import requests

__all__ = ["Credentials", "TokenManager", "authorize", "consent_url"]

logger = logging.getLogger(__name__)

#: Seconds before expiry at which a token is treated as expired.
REFRESH_MARGIN = 60.0


def _mask(value: str | None) -> str:
    return "None" if value is None else "'***'"


@dataclass(frozen=True, repr=False)
class Credentials:
    """LWA credentials of one account: client id, client secret, refresh token.

    The repr never shows the secret or the token.

    Parameters
    ----------
    client_id : str
        The LWA client identifier (``LWA_APP_ID``).
    client_secret : str
        The LWA client secret (``LWA_CLIENT_SECRET``).
    refresh_token : str
        The account's refresh token (``SP_API_REFRESH_TOKEN``).
    """

    client_id: str
    client_secret: str
    refresh_token: str

    def __post_init__(self) -> None:
        for name in ("client_id", "client_secret", "refresh_token"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                msg = f"Credentials: {name} must be a non-empty string"
                raise ConfigurationError(msg, parameter=name)

    def __repr__(self) -> str:
        return (
            f"Credentials(client_id={self.client_id!r}, client_secret={_mask(self.client_secret)}, "
            f"refresh_token={_mask(self.refresh_token)})"
        )

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Credentials | None":
        """Credentials from ``LWA_APP_ID``, ``LWA_CLIENT_SECRET``, ``SP_API_REFRESH_TOKEN``.

        Returns ``None`` when none of them is set; raises when only some are.
        """
        env = os.environ if environ is None else environ
        names = ("LWA_APP_ID", "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN")
        values = [env.get(n) or None for n in names]
        if not any(values):
            return None
        missing = [n for n, v in zip(names, values) if v is None]
        if missing:
            msg = f"incomplete credentials in the environment: {', '.join(missing)} not set (all three are needed)"
            raise ConfigurationError(msg, parameter="credentials", allowed=list(names))
        return cls(*values)  # type: ignore[arg-type]

    @classmethod
    def coerce(cls, value: "Credentials | Mapping[str, str]") -> "Credentials":
        """Accept a Credentials or a mapping with client_id/client_secret/refresh_token
        (python-amazon-sp-api's lwa_app_id/lwa_client_secret names work too)."""
        if isinstance(value, Credentials):
            return value
        if isinstance(value, Mapping):
            aliases = {"lwa_app_id": "client_id", "lwa_client_secret": "client_secret"}
            data = {aliases.get(k, k): v for k, v in value.items()}
            unknown = set(data) - {"client_id", "client_secret", "refresh_token"}
            if unknown:
                msg = f"credentials: unknown keys {sorted(unknown)}; allowed: client_id, client_secret, refresh_token"
                raise ConfigurationError(msg, parameter="credentials", value=sorted(unknown))
            try:
                return cls(data["client_id"], data["client_secret"], data["refresh_token"])
            except KeyError as exc:
                msg = f"credentials: missing {exc.args[0]!r}; need client_id, client_secret, refresh_token"
                raise ConfigurationError(msg, parameter="credentials") from None
        msg = f"credentials must be a Credentials or a mapping, got {type(value).__name__}"
        raise ConfigurationError(msg, parameter="credentials")

    @property
    def fingerprint(self) -> str:
        """A 16-hex-digit sha256 prefix of the refresh token (safe to log or use as a key)."""
        return hashlib.sha256(self.refresh_token.encode()).hexdigest()[:16]


def _lwa_error(status: int | None, error: str | None, description: str | None,
               known: Iterable[str | None] = ()) -> AuthError:
    """An AuthError that says which part of the credentials failed, without showing any.

    LWA's ``error``/``error_description`` may echo what was sent (the form with the
    client secret and refresh token): every ``known`` secret, and anything shaped like
    one, is redacted from them.
    """
    known = list(known)
    error = redact_secrets(error, known) if isinstance(error, str) else (None if error is None else str(error))
    description = (redact_secrets(description, known) if isinstance(description, str)
                   else (None if description is None else redact_secrets(str(description), known)))
    part = None
    if error == "invalid_client":
        part = "client_id/client_secret"
        hint = "the client id or client secret is wrong (LWA_APP_ID / LWA_CLIENT_SECRET)"
    elif error == "invalid_grant":
        part = "code" if description and description.rstrip().endswith("code") else "refresh_token"
        hint = (
            "the authorization code is invalid, used or expired (codes last 5 minutes)"
            if part == "code"
            else "the refresh token is invalid or revoked (SP_API_REFRESH_TOKEN); re-authorize the app"
        )
    else:
        hint = "the token endpoint refused the request"
    msg = f"Login with Amazon refused the credentials: {hint}"
    if error:
        msg += f" [{error}"
        msg += f": {description}]" if description else "]"
    if status:
        msg += f" (HTTP {status})"
    return AuthError(msg, status_code=status, error=error, part=part)


class TokenManager:
    """Mint and cache LWA access tokens with the refresh-token grant.

    Parameters
    ----------
    credentials : Credentials
    token_url : str
    post : callable
        ``post(url, data=...) -> requests.Response``; the client passes its own
        sender so token calls get the same timeouts and retries as every call.
    clock : callable, optional
        Monotonic clock, injectable for tests.
    """

    def __init__(
        self,
        credentials: Credentials,
        token_url: str,
        post: Callable[..., "requests.Response"],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from oauthlib.oauth2 import WebApplicationClient

        self.credentials = credentials
        self.token_url = token_url
        self._post = post
        self._clock = clock
        self._oauth = WebApplicationClient(credentials.client_id)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        # Replaced tokens, kept only so error texts echoing one can be redacted.
        self._previous: collections.deque[str] = collections.deque(maxlen=4)
        self.refreshes = 0

    def __repr__(self) -> str:
        state = "valid" if self._valid() else "none"
        return f"<TokenManager {self.token_url} token={state}>"

    def _valid(self) -> bool:
        return self._token is not None and self._clock() < self._expires_at - REFRESH_MARGIN

    def get_token(self) -> str:
        """A valid access token, refreshed if it is missing or about to expire."""
        if self._valid():
            return self._token  # type: ignore[return-value]
        with self._lock:  # one refresh for all threads waiting here
            if not self._valid():
                self._refresh()
            return self._token  # type: ignore[return-value]

    def known_secrets(self) -> list[str]:
        """The client secret, the refresh token and the current and recent access tokens
        (what :func:`~amzv_pandas._util.redact.redact_secrets` must never let through)."""
        # No lock: _refresh calls this while holding it. tuple() copies the deque in one step.
        current = self._token
        return [self.credentials.client_secret, self.credentials.refresh_token,
                *([current] if current else []), *tuple(self._previous)]

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (after Amazon said it expired) unless it was already replaced."""
        with self._lock:
            if self._token == token:
                self._previous.append(token)
                self._token = None
                self._expires_at = 0.0

    def _refresh(self) -> None:
        body = self._oauth.prepare_refresh_body(
            refresh_token=self.credentials.refresh_token,
            client_id=self.credentials.client_id,
            client_secret=self.credentials.client_secret,
        )
        started = self._clock()
        response = self._post(self.token_url, data=body)
        token = parse_token_response(response, known=self.known_secrets())
        try:
            lifetime = float(token.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = float("nan")
        if not isinstance(token.get("access_token"), str) or not lifetime > 0:
            raise AuthError("the token endpoint answered without a usable access_token/expires_in",
                            status_code=response.status_code)
        if self._token is not None:
            self._previous.append(self._token)
        self._token = token["access_token"]
        self._expires_at = started + lifetime
        self.refreshes += 1
        logger.debug("LWA access token refreshed (expires in %ss)", token.get("expires_in"))


def parse_token_response(response: "requests.Response", *, known: Iterable[str | None] = ()) -> dict[str, Any]:
    """Parse an LWA token response with oauthlib; map errors to :class:`AuthError`.

    ``known`` secrets are redacted from any error text the endpoint sent back.
    """
    from oauthlib.oauth2 import OAuth2Error, WebApplicationClient

    try:
        data = response.json()
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        msg = f"the token endpoint answered HTTP {response.status_code} without a JSON object"
        raise AuthError(msg, status_code=response.status_code)
    if "error" in data or response.status_code >= 400:
        raise _lwa_error(response.status_code, data.get("error"), data.get("error_description"), known)
    try:
        # oauthlib validates the token response (token_type, access_token...).
        return dict(WebApplicationClient("").parse_request_body_response(response.text))
    except OAuth2Error as exc:
        raise _lwa_error(response.status_code, exc.error, exc.description, known) from None
    except (ValueError, TypeError):  # e.g. an expires_in that is not a number
        raise AuthError(f"the token endpoint answered HTTP {response.status_code} with a malformed token",
                        status_code=response.status_code) from None


def _is_loopback(url: str) -> bool:
    return is_loopback_host(urlparse(url).hostname or "")


@contextlib.contextmanager
def _loopback_http_allowed(*urls: str) -> Iterator[None]:
    """Let oauthlib use plain http for loopback URLs only (the built-in sandbox).

    oauthlib refuses http unless OAUTHLIB_INSECURE_TRANSPORT is set; our own
    check already limits http to loopback, so relax oauthlib's for this call only.
    """
    if not all(u.startswith("https://") or _is_loopback(u) for u in urls):
        raise ConfigurationError("plain http:// is only allowed for loopback hosts", parameter="url")
    needs = any(u.startswith("http://") for u in urls)
    old = os.environ.get("OAUTHLIB_INSECURE_TRANSPORT")
    if needs:
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        yield
    finally:
        if needs:
            if old is None:
                os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)
            else:
                os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = old


def consent_url(
    app_id: str,
    *,
    marketplace: str,
    state: str,
    vendor: bool = True,
    base_url: str | None = None,
    beta: bool = False,
) -> str:
    """The Vendor (or Seller) Central consent URL for ``app_id``."""
    from .._specs.marketplaces import get_marketplace

    base = base_url or get_marketplace(marketplace).central_url(vendor=vendor)
    url = f"{base.rstrip('/')}/apps/authorize/consent?application_id={app_id}&state={state}"
    return url + ("&version=beta" if beta else "")


def authorize(
    app_id: str,
    client_id: str,
    client_secret: str,
    *,
    marketplace: str,
    redirect_uri: str,
    profile: str = "default",
    vendor: bool = True,
    redirect_response: str | Callable[[str], str] | None = None,
    consent_base_url: str | None = None,
    token_url: str | None = None,
    beta: bool = False,
    open_browser: bool = False,
    save: bool = True,
    timeout: float = 30.0,
) -> Credentials:
    """Authorize the app for an account with the website consent flow and save a profile.

    Prints (or opens) the Vendor Central consent link; after consenting, Amazon
    redirects the browser to ``redirect_uri`` with ``spapi_oauth_code``,
    ``state`` and ``selling_partner_id``. Paste that whole redirect URL back
    when asked. ``state`` is verified, the code is exchanged for a refresh
    token at the token URL, and the profile is saved (file mode 0600).

    Parameters
    ----------
    app_id : str
        The application id (``amzn1.sp.solution...``) from the developer console.
    client_id, client_secret : str
        The app's LWA credentials.
    marketplace : str
        A marketplace of the account; picks the Central host and is saved as the
        profile's default marketplace.
    redirect_uri : str
        The redirect URI registered for the app.
    profile : str, default "default"
        Profile name to save under (e.g. ``"italy"``).
    vendor : bool, default True
        Vendor Central (True) or Seller Central consent.
    redirect_response : str or callable, optional
        The redirect URL, or a function given the consent URL that returns it
        (default: prompt with :func:`input`).
    consent_base_url, token_url : str, optional
        Point the flow elsewhere (the built-in sandbox's consent page).
    save : bool, default True
        Save the profile; False only returns the credentials.

    Returns
    -------
    Credentials
    """
    from requests_oauthlib import OAuth2Session

    from . import profiles as config

    install_log_redaction()  # requests-oauthlib logs token bodies and answers at DEBUG
    from .._specs.marketplaces import LWA_TOKEN_URL, get_marketplace

    market = get_marketplace(marketplace)
    token_url = token_url or os.environ.get("AMZV_TOKEN_URL") or LWA_TOKEN_URL
    oauth = OAuth2Session(client_id, redirect_uri=redirect_uri)
    oauth.max_redirects = 0  # the exchange posts the client secret: never to a redirect's host
    import secrets

    state = secrets.token_urlsafe(24)
    url = consent_url(app_id, marketplace=market.country_code, state=state, vendor=vendor,
                      base_url=consent_base_url, beta=beta)
    if callable(redirect_response):
        answer = redirect_response(url)
    elif redirect_response is not None:
        answer = redirect_response
    else:
        print(f"Open this link, sign in and approve the app:\n\n    {url}\n")
        if open_browser:
            webbrowser.open(url)
        answer = input("Paste the full URL your browser was redirected to: ")
    query = parse_qs(urlparse(answer.strip()).query)
    got_state = (query.get("state") or [None])[0]
    if got_state != state:
        raise AuthError("the redirect's state does not match the consent request (possible CSRF); start again")
    code = (query.get("spapi_oauth_code") or [None])[0]
    if not code:
        raise AuthError("the redirect URL has no spapi_oauth_code; paste the whole URL Amazon redirected to")
    with _loopback_http_allowed(token_url):
        try:
            token = oauth.fetch_token(token_url, code=code, client_secret=client_secret,
                                      include_client_id=True, timeout=timeout)
        except Exception as exc:  # oauthlib.OAuth2Error carries .error / .description
            error = getattr(exc, "error", None)
            if error is None:
                raise AuthError(f"the authorization-code exchange failed: {type(exc).__name__}") from None
            raise _lwa_error(getattr(exc, "status_code", None), error, getattr(exc, "description", None),
                             (client_secret, code)) from None
    creds = Credentials(client_id, client_secret, token["refresh_token"])
    if save:
        selling_partner_id = (query.get("selling_partner_id") or [None])[0]
        config.save_profile(profile, creds, marketplace=market.country_code,
                            selling_partner_id=selling_partner_id,
                            token_url=token_url if token_url != LWA_TOKEN_URL else None)
    return creds
