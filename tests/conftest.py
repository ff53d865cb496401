"""Test isolation: no real credentials, settings or caches leak into a test."""

from __future__ import annotations

import pytest

_ENV = (
    "LWA_APP_ID", "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN",
    "AMZV_ENDPOINT", "AMZV_TOKEN_URL", "AMZV_CACHE_DIR", "AMZV_MARKETPLACE", "AMZV_POLL_INTERVAL",
    "AMZV_PROFILE", "AMZV_CONFIG_DIR", "OAUTHLIB_INSECURE_TRANSPORT",
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    base = tmp_path_factory.mktemp("amzv-home")
    monkeypatch.setenv("AMZV_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("AMZV_CONFIG_DIR", str(base / "config"))
    from amzv_pandas._facade import api

    api.set_default_client(None)
