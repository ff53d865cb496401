"""Sandbox servers (one per test module, from ``make_sandbox`` in tests/conftest.py) and a tiny
SP-API caller built on plain requests."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import requests

from amzv_pandas import sandbox
from amzv_pandas.sandbox._data.api_models import load_operations

US = "ATVPDKIKX0DER"

#: Generous limits for the functional tests; rate limiting has its own server.
#: searchCatalogItems keeps its model default so the speed factor shows in its header.
ROOMY_LIMITS = {op.operation_id: (1.0, 1000) for op in load_operations()
                if op.operation_id != "searchCatalogItems"}


class Api:
    """Calls one sandbox with an access token, like a minimal client."""

    def __init__(self, sb: sandbox.Sandbox) -> None:
        self.sb = sb
        self.session = requests.Session()
        self.token = self.new_token()

    def new_token(self) -> str:
        creds = self.sb.credentials
        resp = self.session.post(self.sb.token_url, data={
            "grant_type": "refresh_token", "refresh_token": creds.refresh_token,
            "client_id": creds.client_id, "client_secret": creds.client_secret}, timeout=10)
        resp.raise_for_status()
        return resp.json()["access_token"]

    def call(self, method: str, path: str, *, token: str | None = "", **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        token = self.token if token == "" else token
        if token is not None:
            headers["x-amz-access-token"] = token
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.sb.url + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)

    def close(self) -> None:
        self.session.close()


@pytest.fixture(scope="module")
def sb(make_sandbox: Any) -> sandbox.Sandbox:
    """A fast sandbox: reports finish in 6 ms, roomy rate limits."""
    return make_sandbox(speed=1000, rate_limits=ROOMY_LIMITS)


@pytest.fixture(scope="module")
def slow_sb(make_sandbox: Any) -> sandbox.Sandbox:
    """Real-time sandbox with the models' own rate limits (one override); reports take a minute."""
    return make_sandbox(speed=1.0, processing_seconds=60, rate_limits={"getReportSchedule": (0.1, 2)})


@pytest.fixture
def api(sb: sandbox.Sandbox) -> Iterator[Api]:
    caller = Api(sb)
    yield caller
    caller.close()
    sb.clear_faults()  # a failing test must not leave faults for the next one


@pytest.fixture
def slow_api(slow_sb: sandbox.Sandbox) -> Iterator[Api]:
    caller = Api(slow_sb)
    yield caller
    caller.close()
    slow_sb.clear_faults()
