"""Profiles: named accounts saved under the platform config dir.

The file is ``<config dir>/profiles.ini`` (``platformdirs.user_config_dir("amzv_pandas")``,
or ``AMZV_CONFIG_DIR``), one section per account, written with mode 0600::

    [italy]
    client_id = amzn1.application-oa2-client....
    client_secret = ...
    refresh_token = Atzr|...
    marketplace = IT

Nothing here runs at import time.
"""

from __future__ import annotations

import configparser
import io
import os
from pathlib import Path
from typing import Protocol

from .._util.files import atomic_write
from ..exceptions import ConfigurationError


class _Secrets(Protocol):
    """What a profile stores of the credentials (an :class:`~amzv_pandas._transport.lwa.Credentials`;
    named structurally so this file, below the LWA module, never imports it)."""

    client_id: str
    client_secret: str
    refresh_token: str

__all__ = ["config_dir", "profiles_path", "load_profile", "save_profile", "list_profiles", "profile_summaries"]

_FIELDS = ("client_id", "client_secret", "refresh_token", "marketplace", "region", "endpoint",
           "token_url", "selling_partner_id")


def config_dir() -> Path:
    """``AMZV_CONFIG_DIR`` or the platform's user config dir for amzv_pandas."""
    override = os.environ.get("AMZV_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("amzv_pandas"))


def profiles_path() -> Path:
    """The profiles file."""
    return config_dir() / "profiles.ini"


# configparser's defaults section would make a profile named "DEFAULT" unloadable and hand its
# keys (token_url, endpoint...) to every other profile. Profiles have no shared defaults: the
# parser's defaults section gets a name no profile can have (save_profile refuses brackets).
_NO_DEFAULTS = "[amzv: no shared defaults]"


def _read() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(default_section=_NO_DEFAULTS, interpolation=None)
    path = profiles_path()
    if path.exists():
        parser.read(path, encoding="utf-8")
    return parser


def _check_name(name: object) -> None:
    """A profile name that survives the INI round trip: one line, no brackets, no edge spaces."""
    if (not isinstance(name, str) or not name.strip() or name != name.strip()
            or any(c in name for c in "[]\n\r\0")):
        raise ConfigurationError(f"profile name {name!r} is not allowed (a non-empty name without brackets, "
                                 "line breaks or surrounding spaces)", parameter="profile", value=name,
                                 allowed="a name such as 'italy'")


def list_profiles() -> list[str]:
    """Names of the saved profiles."""
    return _read().sections()


#: The fields of a profile that are no secret (what :func:`profile_summaries` shows).
PUBLIC_FIELDS = ("marketplace", "region", "endpoint", "token_url", "selling_partner_id")


def profile_summaries() -> list[dict[str, str]]:
    """One dict per saved profile: ``name`` and its non-secret fields (never a secret or token)."""
    parser = _read()
    return [{"name": name, **{k: v for k, v in parser.items(name) if k in PUBLIC_FIELDS and v}}
            for name in parser.sections()]


def load_profile(name: str, *, required: bool = True) -> dict[str, str] | None:
    """The fields of profile ``name`` (``None`` if absent and not required)."""
    _check_name(name)
    parser = _read()
    if not parser.has_section(name):
        if not required:
            return None
        known = ", ".join(parser.sections()) or "none saved"
        msg = f"profile={name!r} not found in {profiles_path()} (profiles: {known}); create it with amzv.authorize(..., profile={name!r})"
        raise ConfigurationError(msg, parameter="profile", value=name, allowed=parser.sections())
    return {k: v for k, v in parser.items(name) if k in _FIELDS and v}


def save_profile(
    name: str,
    credentials: _Secrets,
    *,
    marketplace: str | None = None,
    region: str | None = None,
    endpoint: str | None = None,
    token_url: str | None = None,
    selling_partner_id: str | None = None,
) -> Path:
    """Save (or replace) profile ``name``; the file is written atomically with mode 0600."""
    _check_name(name)
    parser = _read()
    values = {
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "refresh_token": credentials.refresh_token,
        "marketplace": marketplace,
        "region": region,
        "endpoint": endpoint,
        "token_url": token_url,
        "selling_partner_id": selling_partner_id,
    }
    parser[name] = {k: v for k, v in values.items() if v}
    path = profiles_path()
    text = io.StringIO()
    parser.write(text)
    with atomic_write(path, prefix=".profiles-", mode=0o600) as fh:  # 0600 before the secrets go in
        fh.write(text.getvalue().encode("utf-8"))
    return path
