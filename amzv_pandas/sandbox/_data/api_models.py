"""Amazon's Swagger models, loaded once: the operation table the sandbox routes by.

Paths, parameters, default usage plans (rate and burst, read from each
operation's description table), the statuses whose responses declare
``x-amzn-RateLimit-Limit``, and the ``x-amzn-api-sandbox`` static examples all
come from ``sandbox/spapi/models/*.json`` so the sandbox cannot drift from them.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import unquote

__all__ = ["MODEL_FILES", "Operation", "load_model", "load_operations", "match_operation"]

#: The copied models, in the order the static examples are documented (Data Kiosk last).
MODEL_FILES: tuple[str, ...] = (
    "reports_2021-06-30.json",
    "catalogItems_2022-04-01.json",
    "catalogItems_2020-12-01.json",
    "sellers.json",
    "dataKiosk_2023-11-15.json",
)

# The "**Usage Plan:**" table of each operation's description: header, rule, one row.
_USAGE_PLAN = re.compile(
    r"\|\s*Rate \(requests per second\)\s*\|\s*Burst\s*\|\s*\n"
    r"\s*\|[-\s|]+\|\s*\n"
    r"\s*\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|"
)
_HTTP_METHODS = ("get", "post", "put", "delete", "patch")


@dataclass(frozen=True)
class Operation:
    """One SP-API operation as its model declares it."""

    operation_id: str
    method: str
    path: str
    model: str
    rate: float
    burst: int
    parameters: Mapping[str, Mapping[str, Any]]
    header_statuses: frozenset[int]
    spec: Mapping[str, Any]
    _regex: re.Pattern[str]

    def match(self, path: str) -> dict[str, str] | None:
        """Path parameters when ``path`` fits the template, else None."""
        m = self._regex.match(path)
        return None if m is None else {k: _unquote(v) for k, v in m.groupdict().items()}

    @property
    def key(self) -> str:
        """``model/operationId``; two catalog versions share operationIds."""
        return f"{self.model}/{self.operation_id}"


def _unquote(value: str) -> str:
    return unquote(value)


def _template_regex(template: str) -> re.Pattern[str]:
    # Empty path segments are allowed so that e.g. getCatalogItem's static
    # example with asin "" can be routed (the handler then rejects or matches it).
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]*)", re.escape(template))
    return re.compile(f"^{pattern}$")


def _model_stem(filename: str) -> str:
    return filename.rsplit(".", 1)[0]


@functools.lru_cache(maxsize=None)
def load_model(filename: str) -> dict[str, Any]:
    """One model as parsed JSON (cached; treat as read-only)."""
    path = Path(__file__).parents[1] / "spapi" / "models" / filename
    return json.loads(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def load_operations() -> tuple[Operation, ...]:
    """Every operation of the copied models."""
    ops: list[Operation] = []
    for filename in MODEL_FILES:
        model = load_model(filename)
        for path, item in model["paths"].items():
            shared = item.get("parameters", [])
            for method in _HTTP_METHODS:
                spec = item.get(method)
                if spec is None:
                    continue
                plan = _USAGE_PLAN.search(spec.get("description", ""))
                if plan is None:
                    raise RuntimeError(f"no usage plan in {filename} {spec['operationId']}")
                params = {p["name"]: p for p in [*shared, *spec.get("parameters", [])]}
                header_statuses = frozenset(
                    int(code) for code, resp in spec["responses"].items()
                    if code.isdigit() and "x-amzn-RateLimit-Limit" in resp.get("headers", {})
                )
                ops.append(Operation(
                    operation_id=spec["operationId"], method=method.upper(), path=path,
                    model=_model_stem(filename), rate=float(plan.group(1)), burst=int(plan.group(2)),
                    parameters=params, header_statuses=header_statuses, spec=spec,
                    _regex=_template_regex(path),
                ))
    return tuple(ops)


def match_operation(
    method: str, path: str, operations: Sequence[Operation]
) -> tuple[Operation | None, dict[str, str], bool]:
    """Find the operation for a request.

    Returns
    -------
    (operation, path_params, path_known)
        ``operation`` is None when nothing fits; ``path_known`` then says whether
        the path exists with another method (405 rather than 404).
    """
    path_known = False
    for op in operations:
        params = op.match(path)
        if params is None:
            continue
        if op.method == method:
            return op, params, True
        path_known = True
    return None, {}, path_known
