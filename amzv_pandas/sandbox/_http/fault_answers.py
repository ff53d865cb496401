"""What an injected fault answers in place of the real handler (see :meth:`amzv_pandas.sandbox.Sandbox.inject`).

Each answer has the shape of the endpoint it replaces: SP-API error bodies for
operations, LWA errors for the token and consent endpoints, S3 XML for document
downloads.
"""

from __future__ import annotations

from typing import Mapping

from .._services.request import ApiError, Response
from .documents import s3_error
from .fault_bodies import FaultBody, fault_body
from .faults import Fault
from .lwa import basic_auth, lwa_error

__all__ = ["DROP", "SP_API_ERRORS", "fault_answer"]

#: Sentinel answer: close the connection without answering.
DROP = Response(0)
#: The bodies SP-API sends with these statuses.
SP_API_ERRORS = {
    429: ApiError(429, "QuotaExceeded", "You exceeded your quota for the requested resource."),
    500: ApiError(500, "InternalFailure", "We encountered an internal error. Please try again."),
    503: ApiError(503, "ServiceUnavailable", "Service temporarily unavailable. Please try again."),
}
_S3_ERRORS = {429: ("TooManyRequests", "Please reduce your request rate."),
              500: ("InternalError", "We encountered an internal error. Please try again."),
              503: ("SlowDown", "Please reduce your request rate.")}
_LWA_ERRORS = {429: "slow_down", 500: "server_error", 503: "temporarily_unavailable"}


def fault_answer(fault: Fault, name: str, headers: Mapping[str, str], body: bytes) -> Response | FaultBody:
    """The answer of an answer-kind fault (``ANSWER_KINDS`` or ``body``) for endpoint ``name``; ``DROP`` to hang up."""
    if fault.kind == "drop":
        return DROP
    if fault.kind == "redirect":
        return Response(int(fault.options["status"]), b"", headers={"Location": str(fault.options["location"])},
                        content_type="text/plain; charset=utf-8")
    if fault.kind == "body":
        return fault_body(fault.options, document=False, content_type="application/json")
    if fault.kind == "echo_credentials":
        return _echo(name, headers, body)
    status = int(fault.kind)
    if name == "downloadDocument":
        return s3_error(status, *_S3_ERRORS[status])
    if name in ("token", "consent"):
        return Response(status, {"error_description": "The authorization server is unavailable.",
                                 "error": _LWA_ERRORS[status]})
    return Response(status, SP_API_ERRORS[status].body())


def _echo(name: str, headers: Mapping[str, str], body: bytes) -> Response:
    """An error answer that repeats the credentials it was sent (careless servers do)."""
    if name == "token":
        said = body.decode("utf-8", "replace")
        basic = basic_auth(headers.get("Authorization"))
        if basic is not None:
            said += f" (basic auth {basic[0]}:{basic[1]})"
        return lwa_error(401, "invalid_client", f"Client authentication failed for request: {said}")
    token = headers.get("x-amz-access-token") or ""
    return Response(403, ApiError(403, "Unauthorized",
                                  f"Access to requested resource is denied for x-amz-access-token {token}.",
                                  f"The token {token} is not authorized.").body())
