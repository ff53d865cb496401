"""Fixtures for every suite: test isolation, and the one sandbox factory.

Test isolation: no real credentials, settings or caches leak into a test.

Sandbox servers: every test that needs one gets it from :class:`SandboxFactory`, through
``make_sandbox`` (servers live until the test module ends) or ``make_fresh_sandbox`` (servers
live for one test). ``tests/e2e/conftest.py`` builds the ``server``/``sb``/``client`` fixtures
on it; ``tests/sandbox/conftest.py`` builds its own servers on it too.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

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


class SandboxFactory:
    """``factory(**options)`` starts ``sandbox.serve(**options)`` and returns the running server.

    Every server it started is stopped by :meth:`close` (the fixtures call it at the end of
    their scope), so no test leaves a server running, even when it fails.
    """

    def __init__(self) -> None:
        self._servers = contextlib.ExitStack()

    def __call__(self, **options: Any) -> Any:
        from amzv_pandas import sandbox  # imported on first use: the unit suite never loads it

        return self._servers.enter_context(sandbox.serve(**options))

    def close(self) -> None:
        self._servers.close()


@pytest.fixture(scope="module")
def make_sandbox() -> Iterator[SandboxFactory]:
    """Start sandboxes that live until the test module ends: ``make_sandbox(speed=1000, ...)``."""
    factory = SandboxFactory()
    yield factory
    factory.close()


@pytest.fixture
def make_fresh_sandbox() -> Iterator[SandboxFactory]:
    """Start sandboxes that live for one test only (for tests that must not share a server)."""
    factory = SandboxFactory()
    yield factory
    factory.close()
