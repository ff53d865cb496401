"""What an operation handler sees of a request and what it answers: the services' interface.

The HTTP layer builds a :class:`Request` from the wire and sends the :class:`Response`
(or the :class:`ApiError`) a service returns (raises); services never see a socket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from .._data.api_models import Operation

__all__ = ["ApiError", "QueryArgs", "Request", "Response", "invalid_input"]


class ApiError(Exception):
    """An SP-API error answer: ``{"errors": [{"code", "message", "details"}]}``.

    Raised by operation handlers; the server turns it into the response.
    """

    def __init__(self, status: int, code: str, message: str, details: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, str] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"errors": [error]}


def invalid_input(message: str, details: str | None = None) -> ApiError:
    """The usual 400 of the Reports and Catalog APIs."""
    return ApiError(400, "InvalidInput", message, details)


@dataclass
class Response:
    """What a handler answers: status, a JSON-able body (or raw bytes / nothing) and extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, (bytes, bytearray)):
            return bytes(self.body)
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


class QueryArgs:
    """Parsed query string with the model's array rules.

    Arrays arrive comma-separated (``collectionFormat: csv``) or as repeated
    parameters; both are accepted. Parameters the model does not define are
    ignored, as the live service does.
    """

    def __init__(self, query: Mapping[str, list[str]]) -> None:
        self._query = query

    def __contains__(self, name: str) -> bool:
        return name in self._query

    def names(self) -> set[str]:
        return set(self._query)

    def raw(self, name: str) -> list[str] | None:
        return self._query.get(name)

    def one(self, name: str) -> str | None:
        """A scalar parameter (the last value when repeated)."""
        values = self._query.get(name)
        return None if not values else values[-1]

    def array(self, name: str) -> list[str] | None:
        """An array parameter split on commas, or None when absent."""
        values = self._query.get(name)
        if values is None:
            return None
        return [part for value in values for part in value.split(",")]


@dataclass
class Request:
    """What an operation handler sees of a request."""

    method: str
    path: str
    query: QueryArgs
    headers: Mapping[str, str]
    body: bytes
    path_params: dict[str, str]
    base_url: str
    operation: Operation | None = None

    def json_body(self) -> Any:
        """The parsed JSON body; 415 for a non-JSON Content-Type, 400 when unparsable."""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype and ctype != "application/json":
            raise ApiError(415, "UnsupportedMediaType", "The request payload is in an unsupported format.",
                           f"Content-Type {ctype} is not supported; send application/json")
        if not self.body:
            raise invalid_input("Invalid input", "A JSON request body is required.")
        try:
            return json.loads(self.body)
        except ValueError:
            raise invalid_input("Invalid input", "The request body is not valid JSON.") from None
