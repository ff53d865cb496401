"""Login with Amazon stand-in: the token endpoint, the consent redirect and token checks.

Error bodies and codes follow what LWA answers in the wild (see the shared
SP-API notes): a wrong client id/secret is 401 ``invalid_client``; a bad refresh
token or authorization code is 400 ``invalid_grant``. Authorization codes are
single-use and live 5 minutes.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from typing import Mapping
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

from .._services.common import Clock
from .._services.request import Response

__all__ = ["CLIENT_ID", "CODE_LIFETIME", "LWA", "basic_auth", "lwa_error"]

#: The built-in account's LWA client id (the secret and refresh token are random per server).
CLIENT_ID = "amzn1.application-oa2-client.sandbox"
#: Seconds an ``spapi_oauth_code`` stays valid.
CODE_LIFETIME = 300.0

_MISSING = "Access token is missing in the request header."
_INVALID = "The access token you provided is revoked, malformed or invalid."
_EXPIRED = "The access token you provided has expired."


def _same(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def lwa_error(status: int, error: str, description: str) -> Response:
    """An LWA error answer (``{"error_description", "error"}``, never cached)."""
    return Response(status, {"error_description": description, "error": error},
                    headers={"Cache-Control": "no-cache, no-store"})


class LWA:
    """Issues and checks tokens for the sandbox's built-in accounts (one app, ``accounts`` grantors).

    Each account has its own refresh token; an access token belongs to the account whose
    refresh token minted it (:meth:`account_of`), so the server can keep each account's
    data and quotas apart.

    Parameters
    ----------
    clock : Clock
        The sandbox clock (expiry).
    token_lifetime : float
        Seconds an access token lives (``expires_in``).
    selling_partner_id : str
        What the consent redirect reports as the grantor (account 0's).
    accounts : int, default 1
        How many accounts (refresh tokens) to issue.
    """

    def __init__(self, clock: Clock, *, token_lifetime: float, selling_partner_id: str, accounts: int = 1) -> None:
        self.clock = clock
        self.token_lifetime = float(token_lifetime)
        self.selling_partner_id = selling_partner_id
        self.client_id = CLIENT_ID
        self.client_secret = "amzn1.oa2-cs.v1." + secrets.token_hex(32)
        self.refresh_tokens = ["Atzr|" + secrets.token_urlsafe(96) for _ in range(max(1, int(accounts)))]
        self.refresh_token = self.refresh_tokens[0]
        self._refresh_tokens = {token: i for i, token in enumerate(self.refresh_tokens)}
        self._access: dict[str, float] = {}
        self._access_account: dict[str, int] = {}
        self._codes: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<LWA client_id={self.client_id!r} accounts={len(self.refresh_tokens)} tokens={len(self._access)}>"

    def account_of(self, access_token: str | None) -> int | None:
        """The account (0-based) an access token was issued to, or None for an unknown token."""
        if not access_token:
            return None
        with self._lock:
            return self._access_account.get(access_token)

    # -- token endpoint ---------------------------------------------------------------------

    def grant(self, form: Mapping[str, str], basic: tuple[str, str] | None = None) -> Response:
        """Answer ``POST /auth/o2/token`` for an already parsed form body.

        Client credentials may come in the body (``client_id``/``client_secret``)
        or as HTTP Basic auth; requests-oauthlib can send either.
        """
        grant_type = form.get("grant_type")
        if not grant_type:
            return lwa_error(400, "invalid_request", "The request is missing a required parameter : grant_type")
        client_id = form.get("client_id") or (basic[0] if basic else None)
        client_secret = form.get("client_secret") or (basic[1] if basic else None)
        if not client_id:
            return lwa_error(400, "invalid_request", "The request is missing a required parameter : client_id")
        if not (_same(client_id, self.client_id) and _same(client_secret or "", self.client_secret)):
            return lwa_error(401, "invalid_client", "Client authentication failed")
        if grant_type == "refresh_token":
            token = form.get("refresh_token")
            if not token:
                return lwa_error(400, "invalid_request", "The request is missing a required parameter : refresh_token")
            with self._lock:
                account = self._refresh_tokens.get(token)
            if account is None:
                return lwa_error(400, "invalid_grant", "The request has an invalid grant parameter : refresh_token")
            return self._token_response(token, account)
        if grant_type == "authorization_code":
            code = form.get("code")
            if not code:
                return lwa_error(400, "invalid_request", "The request is missing a required parameter : code")
            with self._lock:
                entry = self._codes.pop(code, None)  # single use, even when the exchange fails below
            if entry is None or entry[0] <= self.clock.time():
                return lwa_error(400, "invalid_grant", "The request has an invalid grant parameter : code")
            expected_redirect = entry[1]
            if expected_redirect is not None and form.get("redirect_uri") not in (None, expected_redirect):
                return lwa_error(400, "invalid_grant", "The request has an invalid grant parameter : redirect_uri")
            new_refresh = "Atzr|" + secrets.token_urlsafe(96)
            with self._lock:
                self._refresh_tokens[new_refresh] = 0  # the consent flow authorizes account 0
            return self._token_response(new_refresh, 0)
        return lwa_error(400, "unsupported_grant_type",
                          "The authorization grant type is not supported by the authorization server")

    def _token_response(self, refresh_token: str, account: int) -> Response:
        access = "Atza|" + secrets.token_urlsafe(180)
        now = self.clock.time()
        with self._lock:
            # Drop long-expired tokens so a long-running sandbox does not grow without bound.
            if len(self._access) > 1000:
                self._access = {t: exp for t, exp in self._access.items() if exp > now - 3600}
                self._access_account = {t: a for t, a in self._access_account.items() if t in self._access}
            self._access[access] = now + self.token_lifetime
            self._access_account[access] = account
        lifetime = self.token_lifetime
        expires_in: float | int = int(lifetime) if lifetime == int(lifetime) else lifetime
        body = {"access_token": access, "refresh_token": refresh_token,
                "token_type": "bearer", "expires_in": expires_in}
        return Response(200, body, headers={"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"},
                        content_type="application/json;charset=UTF-8")

    # -- consent ------------------------------------------------------------------------------

    def consent(self, query: Mapping[str, str], default_redirect: str) -> Response:
        """Answer the consent page at once as if the user clicked "Confirm": a 302 to the app.

        ``redirect_uri`` is optional as on Amazon, where the app's registered URI
        is used when the consent link names none; here that is ``default_redirect``.
        """
        missing = [name for name in ("application_id", "state") if not query.get(name)]
        if missing:
            text = f"Consent request is missing {' and '.join(missing)}.\n"
            return Response(400, text.encode(), content_type="text/plain; charset=utf-8")
        explicit = query.get("redirect_uri") or None
        redirect = explicit or default_redirect
        parts = urlsplit(redirect)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return Response(400, b"redirect_uri must be an absolute http(s) URL.\n",
                            content_type="text/plain; charset=utf-8")
        code = "ANDX" + secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = (self.clock.time() + CODE_LIFETIME, explicit)
        extra = urlencode({"state": query["state"], "selling_partner_id": self.selling_partner_id,
                           "spapi_oauth_code": code})
        location = urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))
        return Response(302, b"", headers={"Location": location, "Cache-Control": "no-store"},
                        content_type="text/plain; charset=utf-8")

    # -- SP-API side -------------------------------------------------------------------------

    def check(self, token: str | None) -> str | None:
        """None when ``token`` is a live access token, else the 403 ``details`` text."""
        if not token:
            return _MISSING
        with self._lock:
            expires = self._access.get(token)
        if expires is None:
            return _INVALID
        if expires <= self.clock.time():
            return _EXPIRED
        return None

    def expire_all(self) -> None:
        """Make every access token issued so far expired (fault injection)."""
        with self._lock:
            self._access = dict.fromkeys(self._access, 0.0)


def basic_auth(header: str | None) -> tuple[str, str] | None:
    """The client id and secret of an ``Authorization: Basic`` header, or None."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    # RFC 6749 2.3.1: client credentials are form-encoded before Basic encoding.
    return unquote_plus(user), unquote_plus(password)
