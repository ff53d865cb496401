"""A client's settings: credentials, profile, marketplace, region and endpoints, resolved once.

Each value comes from the argument, else the environment, else the profile (today's order):
:func:`resolve_settings` is that rule, :class:`Settings` its result. The keyword checks the
``Client`` applies before anything is read live here too, so a bad keyword never surfaces
later as a silent default or a raw error from a library.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlparse

from .. import _version
from ..exceptions import ConfigurationError, InsecureEndpointError
from .._specs.marketplaces import LWA_TOKEN_URL, REGIONS, Marketplace, get_marketplace, resolve_region
from .._util.limits import DocumentLimits
from .._util.redact import is_loopback_host
from . import profiles
from .lwa import Credentials

__all__ = ["Settings", "resolve_settings", "resolve_marketplace", "check_url", "check_keywords",
           "check_timeout", "document_limits", "default_user_agent"]


@dataclass(frozen=True, repr=False)
class Settings:
    """Where and as whom a client talks (the repr shows no secret).

    Attributes
    ----------
    credentials : Credentials
    profile : str or None
        The profile the credentials came from (None: the argument or the environment).
    marketplace : Marketplace or None
        The default marketplace.
    region : str
    endpoint, token_url : str
        Checked URLs, without a trailing slash.
    sandbox : bool
    """

    credentials: Credentials
    profile: str | None
    marketplace: Marketplace | None
    region: str
    endpoint: str
    token_url: str
    sandbox: bool = False

    def __repr__(self) -> str:
        market = self.marketplace.country_code if self.marketplace else None
        return (f"Settings(profile={self.profile!r}, marketplace={market!r}, region={self.region!r}, "
                f"endpoint={self.endpoint!r}, token_url={self.token_url!r}, sandbox={self.sandbox})")


def check_url(url: Any, parameter: str) -> str:
    """``url`` without its trailing slash: http(s) with a host, plain http only to loopback."""
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


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _is_positive(value: Any) -> bool:
    return _is_number(value) and value > 0


def check_timeout(timeout: Any) -> tuple[float, float]:
    """A (connect, read) pair of seconds from one positive number or a pair of them."""
    if _is_positive(timeout):
        return (float(timeout), float(timeout))
    if isinstance(timeout, tuple) and len(timeout) == 2 and all(_is_positive(t) for t in timeout):
        return (float(timeout[0]), float(timeout[1]))
    msg = f"timeout={timeout!r} must be a positive number of seconds or a (connect, read) pair"
    raise ConfigurationError(msg, parameter="timeout", value=timeout,
                             allowed="a number > 0 or a (connect, read) pair of them")


def check_keywords(**values: Any) -> None:
    """Type checks of the Client keywords whose values are resolved later (None: not given)."""
    import requests

    allowed: dict[str, tuple[tuple[type, ...], str]] = {
        "credentials": ((Credentials, Mapping), "a Credentials or a mapping of client_id, client_secret, "
                                                "refresh_token"),
        "profile": ((str,), "a profile name (str)"),
        "name": ((str,), "an account name (str)"),
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
        if name in ("profile", "name") and not value.strip():
            raise ConfigurationError(f"{name}='' must name a {'profile' if name == 'profile' else 'account'}",
                                     parameter=name, value=value, allowed=text)
        if name == "name" and (value != value.strip() or any(c in value for c in "/\\\r\n\0=")):
            raise ConfigurationError(f"name={value!r} must be one line without surrounding spaces, '/', '\\' "
                                     "or '=' (it names a partition of synced datasets)", parameter=name,
                                     value=value, allowed="a name such as 'acme-de'")
        if name == "user_agent" and any(c in value for c in "\r\n\0"):
            raise ConfigurationError("user_agent must be one line without control characters",
                                     parameter=name, value=value, allowed=text)


def _credentials(credentials: Credentials | Mapping[str, str] | None,
                 profile: str | None) -> tuple[Credentials, str | None, dict[str, str]]:
    """(credentials, the profile they came from, that profile's fields)."""
    if credentials is not None:  # given credentials stand alone: no profile is read
        return Credentials.coerce(credentials), None, {}
    if profile is None:
        creds = Credentials.from_env()
        if creds is not None:
            return creds, None, {}
        profile = os.environ.get("AMZV_PROFILE") or "default"
        data = profiles.load_profile(profile, required=False) or {}
        if not data:
            msg = (
                "no SP-API credentials found. Pass credentials=, or set LWA_APP_ID, "
                "LWA_CLIENT_SECRET and SP_API_REFRESH_TOKEN, or save a profile with "
                f"amzv.authorize() (looked for profile {profile!r} in {profiles.profiles_path()}). "
                "To try the library without an account: amzv.sandbox.serve()"
            )
            raise ConfigurationError(msg, parameter="credentials")
    else:
        data = profiles.load_profile(profile) or {}
    try:
        creds = Credentials(data["client_id"], data["client_secret"], data["refresh_token"])
    except KeyError as exc:
        msg = f"profile {profile!r} lacks {exc.args[0]}; run amzv.authorize() again"
        raise ConfigurationError(msg, parameter="profile", value=profile) from None
    return creds, profile, data


def resolve_settings(
    *,
    credentials: Credentials | Mapping[str, str] | None = None,
    profile: str | None = None,
    marketplace: str | Marketplace | None = None,
    region: str | None = None,
    endpoint: str | None = None,
    token_url: str | None = None,
    sandbox: bool = False,
) -> Settings:
    """Resolve a client's settings: each from the argument, else the environment, else the profile.

    Credentials: ``credentials``; else the profile ``profile``; else ``LWA_APP_ID``,
    ``LWA_CLIENT_SECRET``, ``SP_API_REFRESH_TOKEN``; else the profile named by ``AMZV_PROFILE``
    (or ``"default"``). Marketplace, endpoint and token URL: the argument, then
    ``AMZV_MARKETPLACE``/``AMZV_ENDPOINT``/``AMZV_TOKEN_URL``, then the profile; the region:
    the argument, the marketplace's, the profile's, NA.

    Raises
    ------
    ConfigurationError
        No credentials anywhere, a profile missing or incomplete, a region that is not the
        marketplace's, or an endpoint that is no (safe) URL.
    """
    creds, profile_name, data = _credentials(credentials, profile)
    chosen = marketplace or os.environ.get("AMZV_MARKETPLACE") or data.get("marketplace")
    market = get_marketplace(chosen) if chosen else None
    if region is not None:
        resolved_region = resolve_region(region)
        if market is not None and market.region != resolved_region:
            msg = (f"marketplace={market.country_code!r} is in region {market.region}, "
                   f"not region={region!r}")
            raise ConfigurationError(msg, parameter="region", value=region, allowed=market.region)
    elif market is not None:
        resolved_region = market.region
    else:
        resolved_region = resolve_region(data.get("region", "NA"))
    chosen_endpoint = endpoint or os.environ.get("AMZV_ENDPOINT") or data.get("endpoint")
    if chosen_endpoint is None:
        hosts = REGIONS[resolved_region]
        chosen_endpoint = hosts.sandbox_endpoint if sandbox else hosts.endpoint
    chosen_token = token_url or os.environ.get("AMZV_TOKEN_URL") or data.get("token_url") or LWA_TOKEN_URL
    return Settings(credentials=creds, profile=profile_name, marketplace=market, region=resolved_region,
                    endpoint=check_url(chosen_endpoint, "endpoint"), token_url=check_url(chosen_token, "token_url"),
                    sandbox=sandbox)


def resolve_marketplace(marketplace: str | Marketplace | None, *, default: Marketplace | None,
                        region: str) -> Marketplace:
    """The marketplace to use: ``marketplace``, else ``default``; it must be in ``region``."""
    if marketplace is not None:
        found = get_marketplace(marketplace)
    elif default is not None:
        found = default
    else:
        msg = ("no marketplace given: pass marketplace= (e.g. 'US'), set AMZV_MARKETPLACE, "
               "or save one in the profile")
        raise ConfigurationError(msg, parameter="marketplace")
    if found.region != region:
        msg = (f"marketplace={found.country_code!r} is in region {found.region}, but this client talks to "
               f"region {region}; create a Client(marketplace={found.country_code!r})")
        raise ConfigurationError(msg, parameter="marketplace", value=found.country_code)
    return found


def document_limits(max_bytes: Any, max_ratio: Any) -> DocumentLimits:
    """The Client's ``max_document_bytes``/``max_compression_ratio`` as limits (errors name those keywords)."""
    try:
        return DocumentLimits(max_expanded_bytes=max_bytes, max_ratio=max_ratio)
    except ConfigurationError as exc:  # name the Client's keyword, not the dataclass field
        name = {"max_expanded_bytes": "max_document_bytes", "max_ratio": "max_compression_ratio"}[exc.parameter]
        value = max_bytes if name == "max_document_bytes" else max_ratio
        msg = str(exc).replace(f"{exc.parameter}=", f"{name}=", 1)
        raise ConfigurationError(msg, parameter=name, value=value, allowed=exc.allowed) from None


def default_user_agent() -> str:
    """``amzv_pandas/<version> (Language=Python/<version>; Platform=<system>)``."""
    import platform

    return (f"amzv_pandas/{_version.__version__} "
            f"(Language=Python/{platform.python_version()}; Platform={platform.system()})")
