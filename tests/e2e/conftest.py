"""Sandbox-backed fixtures: one server per module, a clean view of it and a client per test.

A module changes the server by overriding ``sandbox_options`` (module scope) and the client by
overriding ``client_options`` (function scope, may use ``tmp_path``)::

    @pytest.fixture(scope="module")
    def sandbox_options():
        return {"speed": 1000, "processing_seconds": 2.0, "flat_rows": 300}

A module that needs something more (a pre-filled server, a check after each test) overrides
``server``, ``sb`` or ``client`` and may request the fixture it overrides. Servers come from
``make_sandbox`` / ``make_fresh_sandbox`` (``tests/conftest.py``), which stop them.
"""

from __future__ import annotations

import logging
from typing import Any, Iterator

import pytest

#: Reports finish within milliseconds; what most modules want.
DEFAULT_OPTIONS = {"speed": 1000, "processing_seconds": 1.0}


@pytest.fixture(scope="module")
def sandbox_options() -> dict[str, Any]:
    """Keyword arguments of ``sandbox.serve`` for this module's ``server``."""
    return dict(DEFAULT_OPTIONS)


@pytest.fixture(scope="module")
def server(make_sandbox: Any, sandbox_options: dict[str, Any]) -> Any:
    """The module's sandbox, shared by its tests (stopped when the module ends)."""
    return make_sandbox(**sandbox_options)


@pytest.fixture
def sb(server: Any) -> Any:
    """The module's sandbox with no fault left by an earlier test and its counters at zero."""
    server.clear_faults()
    server.reset_stats()
    return server


@pytest.fixture
def client_options() -> dict[str, Any]:
    """Keyword arguments of ``Sandbox.client`` for ``client``."""
    return {}


@pytest.fixture
def client(sb: Any, client_options: dict[str, Any]) -> Iterator[Any]:
    """A client of ``sb``, closed after the test."""
    with sb.client(**client_options) as c:
        yield c


@pytest.fixture
def resent(caplog: pytest.LogCaptureFixture) -> Any:
    """``resent(operation)``: how many calls the client sent again (after a 429, a timeout, a
    broken connection or a 5xx).

    The sandbox counts every request it answers as a call, a 429 too, and under load a request
    can time out after the server answered it; tests counting calls allow exactly those
    re-sends and nothing more.
    """
    caplog.set_level(logging.DEBUG, logger="amzv_pandas._transport.sending")

    def count(operation: str) -> int:
        return sum(1 for r in caplog.records
                   if r.getMessage().startswith(f"{operation}: ") and ", retry " in r.getMessage())

    return count
