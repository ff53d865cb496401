"""Static mode: answer like Amazon's sandbox hosts, from the models' canned examples.

Every ``x-amzn-api-sandbox.static[*]`` entry of the four models pairs request
parameters with a response and its status. Like Amazon's sandbox, a request
matches an entry when every parameter the entry lists is present with the same
value; parameters the entry does not list (``pageSize``, ``createdSince``,
``pageToken``, parameters the model does not define...) take no part in the
match:

* path parameters compare as strings;
* query arrays compare as lists of values, order-insensitive (``csv`` or
  repeated parameters both work); scalars compare as strings (booleans as
  ``true``/``false``);
* the ``body`` parameter compares as parsed JSON, exactly.

When several entries match, the one listing the most parameters wins, then
the first in model order. Entries listing no parameters therefore act as the
operation's fallback (``cancelReport``'s 400). Sellers' ``getAccount`` has two
parameter-less entries; the first (200) always wins, so its 400 entry can never
be returned (see :func:`shadowed_examples`).

A request matching no entry gets a 404 (an unknown path parameter) or 400
whose message lists what the entries match on. No example lists a paging token,
so a ``nextToken``-only follow-up (``getReports``' second page) matches nothing,
on Amazon's sandbox hosts as here; the 400 says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from .._data.api_models import Operation, load_operations
from .._services.request import ApiError, QueryArgs, Response

__all__ = ["StaticExample", "StaticResponder", "examples", "shadowed_examples"]


@dataclass(frozen=True)
class StaticExample:
    """One canned request/response pair of a model."""

    operation: Operation
    status: int
    parameters: Mapping[str, Any]
    response: Any
    index: int

    def __repr__(self) -> str:
        return f"<StaticExample {self.operation.key} {self.status} {sorted(self.parameters)}>"

    @property
    def has_response(self) -> bool:
        return self.response is not None


def examples(operations: Iterable[Operation] | None = None) -> list[StaticExample]:
    """Every static example, in model order."""
    out: list[StaticExample] = []
    for op in operations if operations is not None else load_operations():
        for code, resp in op.spec["responses"].items():
            for entry in resp.get("x-amzn-api-sandbox", {}).get("static", []):
                params = {name: p["value"] for name, p in entry.get("request", {}).get("parameters", {}).items()}
                out.append(StaticExample(op, int(code), params, entry.get("response"), len(out)))
    return out


def _as_list(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [_scalar(v) for v in values]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class StaticResponder:
    """Matches requests to static examples.

    Parameters
    ----------
    operations : sequence of Operation, optional
        Restrict to these operations (default: all four models).
    """

    def __init__(self, operations: Sequence[Operation] | None = None) -> None:
        self._by_op: dict[str, list[StaticExample]] = {}
        for ex in examples(operations):
            self._by_op.setdefault(ex.operation.key, []).append(ex)

    def __repr__(self) -> str:
        return f"<StaticResponder examples={sum(map(len, self._by_op.values()))}>"

    def _matches(self, ex: StaticExample, path_params: Mapping[str, str], query: QueryArgs,
                 body: Any, body_ok: bool) -> bool:
        for name, expected in ex.parameters.items():
            where = ex.operation.parameters.get(name, {}).get("in")
            if where == "path":
                if path_params.get(name) != _scalar(expected):
                    return False
            elif where == "body":
                if not body_ok or body != expected:
                    return False
            else:
                spec = ex.operation.parameters.get(name, {})
                if spec.get("type") == "array":
                    got = query.array(name)
                    if got is None or sorted(got) != sorted(_as_list(expected)):
                        return False
                elif query.one(name) != _scalar(expected):
                    return False
        return True

    def find(self, op: Operation, path_params: Mapping[str, str], query: QueryArgs,
             raw_body: bytes) -> StaticExample | None:
        """The example answering this request, or None."""
        body_ok = True
        body: Any = None
        if raw_body:
            try:
                body = json.loads(raw_body)
            except ValueError:
                body_ok = False
        candidates = [ex for ex in self._by_op.get(op.key, [])
                      if self._matches(ex, path_params, query, body, body_ok)]
        if not candidates:
            return None
        return max(candidates, key=lambda ex: (len(ex.parameters), -ex.index))

    def respond(self, op: Operation, path_params: Mapping[str, str], query: QueryArgs, raw_body: bytes) -> Response:
        """The example's response, or raise the no-match 400/404."""
        ex = self.find(op, path_params, query, raw_body)
        if ex is not None:
            return Response(ex.status, ex.response)
        known = self._by_op.get(op.key, [])
        described = " | ".join(
            ", ".join(f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in ex.parameters.items()) or "(any)"
            for ex in known) or "none"
        message = f"No static sandbox example of {op.operation_id} matches this request."
        details = f"Static mode answers only the model's examples; they match on: {described}"
        listed = {name for ex in known for name in ex.parameters}
        paging = [n for n in ("nextToken", "pageToken") if query.one(n) is not None and n not in listed]
        if paging and known:
            details += (f". No example lists {paging[0]}: an example's response is a single page, so stop "
                        "after it instead of following its token")
        path_names = [n for n, p in op.parameters.items() if p.get("in") == "path"]
        path_known = any(all(ex.parameters.get(n) == path_params.get(n) for n in path_names)
                         for ex in known if all(n in ex.parameters for n in path_names))
        if path_names and not path_known:
            raise ApiError(404, "NotFound", message, details)
        raise ApiError(400, "InvalidInput", message, details)


def shadowed_examples() -> list[StaticExample]:
    """Examples no request can reach because an earlier, equally specific one wins."""
    responder = StaticResponder()
    out = []
    for ex in examples():
        path_params = {n: _scalar(v) for n, v in ex.parameters.items()
                       if ex.operation.parameters.get(n, {}).get("in") == "path"}
        query: dict[str, list[str]] = {}
        body = b""
        for name, value in ex.parameters.items():
            where = ex.operation.parameters.get(name, {}).get("in")
            if where == "query":
                query[name] = [",".join(_as_list(value))]
            elif where == "body":
                body = json.dumps(value).encode()
        chosen = responder.find(ex.operation, path_params, QueryArgs(query), body)
        if chosen is None or chosen.index != ex.index:
            out.append(ex)
    return out
