"""The Reports API's request checks, shared by the reports and the schedules services.

Each raises a 400 ``InvalidInput`` :class:`~.request.ApiError` naming the parameter.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from .common import check_marketplaces, parse_time
from .request import Request, invalid_input

__all__ = ["body_marketplaces", "body_options", "body_report_type", "json_body", "query_array", "string_time"]

_REPORT_TYPE = re.compile(r"^[A-Z][A-Z0-9_]*$")


def query_array(req: Request, name: str, *, max_items: int | None = None,
           enum: tuple[str, ...] | None = None) -> list[str] | None:
    """A query array of non-blank values (None when absent), checked for size and allowed values."""
    values = req.query.array(name)
    if values is None:
        return None
    values = [v.strip() for v in values if v.strip()]
    if not values:
        raise invalid_input(f"Invalid '{name}' provided.", f"{name} must contain at least 1 item")
    if max_items is not None and len(values) > max_items:
        raise invalid_input(f"Too many '{name}' provided.",
                            f"{name} may contain at most {max_items} items, got {len(values)}")
    if enum is not None:
        bad = [v for v in values if v not in enum]
        if bad:
            raise invalid_input(f"Invalid '{name}' provided.",
                                f"{', '.join(bad)} is not one of {', '.join(enum)}")
    return values

def json_body(req: Request) -> dict[str, Any]:
    """The request body, which must be a JSON object."""
    body = req.json_body()
    if not isinstance(body, dict):
        raise invalid_input("Invalid input", "the request body must be a JSON object")
    return body

def body_marketplaces(body: Mapping[str, Any]) -> list[str]:
    """The body's ``marketplaceIds``: 1 to 25 known ids, repeats dropped."""
    mps = body.get("marketplaceIds")
    if mps is None:
        raise invalid_input("Missing required 'marketplaceIds'.", "marketplaceIds is required")
    if not isinstance(mps, list) or not all(isinstance(m, str) and m for m in mps):
        raise invalid_input("Invalid 'marketplaceIds' provided.", "marketplaceIds must be a list of strings")
    if not 1 <= len(mps) <= 25:
        raise invalid_input("Invalid 'marketplaceIds' provided.",
                            f"marketplaceIds must have 1 to 25 items, got {len(mps)}")
    check_marketplaces(mps)
    return list(dict.fromkeys(mps))

def body_report_type(body: Mapping[str, Any]) -> str:
    """The body's ``reportType``: required, in the form of a report type name."""
    report_type = body.get("reportType")
    if report_type is None:
        raise invalid_input("Missing required 'reportType'.", "reportType is required")
    if not isinstance(report_type, str) or not _REPORT_TYPE.match(report_type):
        raise invalid_input("Invalid 'reportType' provided.", f"{report_type!r} is not a report type")
    return report_type

def body_options(body: Mapping[str, Any]) -> dict[str, str]:
    """The body's ``reportOptions`` (string values), ``{}`` when absent."""
    options = body.get("reportOptions")
    if options is None:
        return {}
    if not isinstance(options, dict) or not all(isinstance(v, str) for v in options.values()):
        raise invalid_input("Invalid 'reportOptions' provided.",
                            "reportOptions must be an object whose values are strings")
    return dict(options)


def string_time(value: Any, name: str) -> float:
    """A body field holding an ISO 8601 date-time string, as epoch seconds."""
    if not isinstance(value, str):
        raise invalid_input(f"Invalid '{name}' provided.", f"{name} must be an ISO 8601 date-time string")
    return parse_time(value, name)
