"""Exceptions and warnings raised by amzv_pandas.

Everything the library raises on purpose derives from :class:`AmzvError`, so
``except amzv.exceptions.AmzvError`` catches all of it::

    AmzvError(Exception)
    ├── ConfigurationError(AmzvError, ValueError)    bad argument, missing credentials or marketplace
    │   ├── UnknownMarketplaceError                   marketplace code/id not in the registry
    │   ├── InsecureEndpointError                     plain http:// to a non-loopback host
    │   ├── UnknownReportTypeError                    a report type the registry does not know (did-you-mean)
    │   └── CachePathError                            a cache or dataset path that cannot be used
    ├── AuthError(AmzvError)                          Login with Amazon refused the credentials
    ├── SPAPIError(AmzvError)                         an SP-API error response: status, code, message, request id
    │   ├── BadRequest (400, 413, 415)
    │   │   └── InvalidSKUError                       seller SKUs rejected or not found in a lookup
    │   ├── Forbidden (401, 403)
    │   ├── NotFound (404)
    │   ├── RateLimited (429)
    │   └── ServerError (5xx)
    ├── TransportError(AmzvError, ConnectionError)    connection failed, timed out or body truncated after retries
    │   ├── ResponseTooLargeError                     an API answer larger than the client's limit
    │   └── DownloadStalledError                      a download past its deadline or below the minimum rate
    ├── ReportError(AmzvError)                        .report_id, .report_type, .processing_status
    │   ├── ReportFatalError                          FATAL, with Amazon's explanation and the fix
    │   │   └── QueryFatalError                       a Data Kiosk query ended FATAL (its error document's message)
    │   ├── ReportCancelledError                      CANCELLED (usually: no data)
    │   ├── ReportNotGeneratedError                   no finished report of that type exists
    │   └── ReportTimeout(ReportError, TimeoutError)  still processing when the timeout ran out
    ├── CacheIntegrityError(AmzvError)                cache entry failed verification (it is deleted)
    ├── ParseError(AmzvError, ValueError)             a document or answer is not what the model says
    │   └── DocumentTooLargeError                     a document expands beyond the size or ratio limit
    ├── SyncError(AmzvError)                          a sync run could not proceed (e.g. locked)
    └── AccountError(AmzvError)                       one account of a many-account call failed (.account,
                                                      .error, and the others' .results / .frames)

    AmzvWarning(UserWarning)
    ├── NoDataWarning        a report came back empty (CANCELLED), or a Data Kiosk query had no data
    ├── MissingItemsWarning  catalog items asked for but not returned
    ├── StaleCacheWarning    a cache entry was discarded and fetched again
    ├── ProgressBarWarning   the requested progress bar could not be shown
    └── AccountErrorWarning  an account of a many-account call failed; the others' rows are returned

Messages never contain secrets: tokens and client secrets are not part of any
exception's text or attributes.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ._util.redact import redact_errors, redact_secrets

__all__ = [
    "AmzvError",
    "ConfigurationError",
    "UnknownMarketplaceError",
    "InsecureEndpointError",
    "UnknownReportTypeError",
    "CachePathError",
    "AuthError",
    "SPAPIError",
    "BadRequest",
    "InvalidSKUError",
    "Forbidden",
    "NotFound",
    "RateLimited",
    "ServerError",
    "TransportError",
    "ResponseTooLargeError",
    "DownloadStalledError",
    "ReportError",
    "ReportFatalError",
    "QueryFatalError",
    "ReportCancelledError",
    "ReportNotGeneratedError",
    "ReportTimeout",
    "CacheIntegrityError",
    "ParseError",
    "DocumentTooLargeError",
    "SyncError",
    "AccountError",
    "AmzvWarning",
    "NoDataWarning",
    "MissingItemsWarning",
    "StaleCacheWarning",
    "ProgressBarWarning",
    "AccountErrorWarning",
    "error_for_status",
]


def _redact(text: str) -> str:
    return redact_secrets(text)


class AmzvError(Exception):
    """Root of every error amzv_pandas raises on purpose.

    Text arguments pass through :func:`amzv_pandas._util.redact.redact_secrets`, so nothing
    shaped like an LWA token or client secret (or a presigned signature) survives into
    a message, whoever builds it.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*(_redact(a) if isinstance(a, str) else a for a in args))


class ConfigurationError(AmzvError, ValueError):
    """A bad argument, option or setting, detected before any API call.

    ``parameter`` names the offending argument, ``value`` is what was given
    and ``allowed`` describes what is accepted (any may be ``None``).
    """

    def __init__(
        self,
        message: str,
        *,
        parameter: str | None = None,
        value: Any = None,
        allowed: Any = None,
    ) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.value = value
        self.allowed = allowed


class UnknownMarketplaceError(ConfigurationError):
    """The marketplace is neither a known country code nor a marketplace id."""


class InsecureEndpointError(ConfigurationError):
    """Plain ``http://`` was asked for a host that is not loopback."""


class UnknownReportTypeError(ConfigurationError):
    """A report type the registry does not know; ``suggestions`` holds close registry names.

    Pass ``allow_unknown=True`` to send a type Amazon added after this release.
    """

    def __init__(self, message: str, *, suggestions: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.suggestions = list(suggestions)


class CachePathError(ConfigurationError):
    """A cache or dataset path that cannot be used (a file, unwritable, a NUL or over-long part)."""


class AuthError(AmzvError):
    """Login with Amazon refused the credentials or the token call failed.

    ``error`` is LWA's error code (``invalid_client``, ``invalid_grant``...),
    ``part`` says which credential is at fault when that is known.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error: str | None = None,
        part: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error = _redact(error) if isinstance(error, str) else error
        self.part = part


class SPAPIError(AmzvError):
    """An error response from the Selling Partner API.

    Attributes
    ----------
    status_code : int
        HTTP status.
    code, message, details : str
        Amazon's first error (``errors[0]``).
    errors : list of dict
        Every error object Amazon sent.
    request_id : str or None
        The ``x-amzn-RequestId`` header, for Amazon support.
    operation : str or None
        The SP-API operationId that failed.
    """

    def __init__(
        self,
        status_code: int,
        errors: Sequence[Mapping[str, Any]] | None = None,
        *,
        request_id: str | None = None,
        operation: str | None = None,
        rate_limit: float | None = None,
    ) -> None:
        self.status_code = status_code
        # Error bodies may echo what was sent (headers, forms): nothing secret-shaped is kept.
        self.errors = redact_errors(errors or [])
        first = self.errors[0] if self.errors else {}
        self.code = str(first.get("code", "")) or None
        self.message = str(first.get("message", "")) or None
        self.details = first.get("details")
        self.request_id = request_id
        self.operation = operation
        self.rate_limit = rate_limit
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.operation}: " if self.operation else ""
        text = f"{where}HTTP {self.status_code}"
        if self.code:
            text += f" {self.code}"
        if self.message:
            text += f": {self.message}"
        if self.details:
            text += f" ({self.details})"
        for extra in self.errors[1:]:
            text += f"; {extra.get('code')}: {extra.get('message')}"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text


class BadRequest(SPAPIError):
    """400 (and 413/415): Amazon rejected the request's parameters."""


class InvalidSKUError(BadRequest):
    """Seller SKUs a catalog lookup could not answer (``on_invalid_sku="raise"``).

    Raised after every batch was checked, so it names all of them.

    Attributes
    ----------
    skus : list of str
        Every SKU that failed: ``rejected`` then ``not_found``.
    rejected : list of str
        SKUs Amazon refused as malformed (400 InvalidInput).
    not_found : list of str
        Well-formed SKUs for which Amazon returned no item.
    seller_id : str or None
        The seller the SKUs were looked up for.
    frame : DataFrame or None
        The rows of the SKUs that were found (the frame ``on_invalid_sku="skip"`` returns).
    """

    #: SKUs named in the message; the rest are counted (all are on ``skus``).
    SHOWN = 20

    def __init__(self, rejected: Sequence[str] = (), *, not_found: Sequence[str] = (),
                 seller_id: str | None = None, frame: Any = None) -> None:
        self.rejected = list(rejected)
        self.not_found = list(not_found)
        self.skus = self.rejected + self.not_found
        self.seller_id = seller_id
        self.frame = frame
        # Only a rejected SKU is Amazon's 400; an unknown one came back as "no item".
        errors = [{"code": "InvalidInput", "message": "Invalid Input"}] if self.rejected else []
        super().__init__(400, errors)

    @classmethod
    def _listed(cls, skus: Sequence[str]) -> str:
        text = ", ".join(skus[:cls.SHOWN])
        return text + (f" and {len(skus) - cls.SHOWN} more" if len(skus) > cls.SHOWN else "")

    def _text(self) -> str:
        parts = []
        if self.rejected:
            parts.append(f"{len(self.rejected)} rejected by Amazon as invalid: {self._listed(self.rejected)}")
        if self.not_found:
            parts.append(f"{len(self.not_found)} not found (no item returned): {self._listed(self.not_found)}")
        rows = "" if self.frame is None else f"; the {len(self.frame)} row(s) found are on this error's .frame"
        return (
            f"{len(self.skus)} seller SKU(s) for seller {self.seller_id!r} failed the lookup: "
            f"{'; '.join(parts)} (all on .skus). Pass on_invalid_sku=\"skip\" (the connector's "
            f"\"Skip Invalid SKUs\") to continue without them{rows}."
        )


class Forbidden(SPAPIError):
    """401/403: access denied (bad or expired token, missing role)."""


class NotFound(SPAPIError):
    """404: the resource does not exist."""


class RateLimited(SPAPIError):
    """429 QuotaExceeded, after the retries ran out.

    ``rate_limit`` is the rate Amazon reported (requests per second) and
    ``retry_after`` the seconds until its bucket holds a token again.
    """

    @property
    def retry_after(self) -> float | None:
        return 1.0 / self.rate_limit if self.rate_limit else None


class ServerError(SPAPIError):
    """5xx InternalFailure/ServiceUnavailable, after the retries ran out."""


class TransportError(AmzvError, ConnectionError):
    """The connection failed, timed out, or a body arrived truncated, after retries."""


class ResponseTooLargeError(TransportError):
    """An API answer was larger than the client's ``max_response_bytes``."""


class DownloadStalledError(TransportError):
    """A document download passed its deadline or fell below the minimum transfer rate."""


class ReportError(AmzvError):
    """A report could not be turned into a frame."""

    def __init__(
        self,
        message: str,
        *,
        report_id: str | Sequence[str] | None = None,
        report_type: str | None = None,
        processing_status: str | None = None,
    ) -> None:
        super().__init__(message)
        self.report_id = report_id
        self.report_type = report_type
        self.processing_status = processing_status

    @property
    def report_ids(self) -> list[str]:
        """The report id(s) as a list."""
        if self.report_id is None:
            return []
        if isinstance(self.report_id, str):
            return [self.report_id]
        return list(self.report_id)


class ReportFatalError(ReportError):
    """The report ended FATAL.

    ``reason`` is Amazon's own text from the error document, ``category`` one of
    ``"options"``, ``"not_available"``, ``"permission"``, ``"marketplace"``,
    ``"unknown"``; ``fix`` says what to do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        category: str = "unknown",
        fix: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, processing_status="FATAL", **kwargs)
        self.reason = reason
        self.category = category
        self.fix = fix


class QueryFatalError(ReportFatalError):
    """A Data Kiosk query ended FATAL.

    ``query_id`` is the query's id; ``reason`` Amazon's message from the error document
    (both shapes: a JSON array of GraphQL errors, or an object with ``errorMessage``);
    ``errors`` the parsed error document, when there was one.
    """

    def __init__(self, message: str, *, query_id: str | None = None, errors: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("report_type", "DATA_KIOSK_QUERY")
        super().__init__(message, report_id=query_id, **kwargs)
        self.query_id = query_id
        self.errors = errors


class ReportCancelledError(ReportError):
    """The report was CANCELLED, which Amazon does when there is no data."""


class ReportNotGeneratedError(ReportError):
    """No finished report of the asked type exists in the account."""


class ReportTimeout(ReportError, TimeoutError):
    """The report was still processing when the timeout ran out.

    ``report_ids`` can be passed to ``get_report`` later.
    """


class CacheIntegrityError(AmzvError):
    """A cache entry failed verification; it has been deleted."""


class ParseError(AmzvError, ValueError):
    """A report document could not be parsed; ``line`` is set when known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class DocumentTooLargeError(ParseError):
    """A document expands beyond the configured size or compression-ratio limit."""


class SyncError(AmzvError):
    """A sync run could not proceed (another run holds the lock, bad state...)."""


def _account_text(account: str, error: BaseException) -> str:
    return f"account {account!r} failed: {type(error).__name__}: {error}"


class AccountError(AmzvError):
    """One account of a many-account call (``accounts=``) failed (``on_account_error="raise"``).

    ``account`` names it and ``error`` is its exception (also the ``__cause__``); ``errors``
    maps every failing account to its error; ``results`` maps each account that succeeded to
    its result, and ``frames`` is the same for the DataFrame results (nothing is thrown away).
    """

    def __init__(self, message: str, *, account: str | None = None, error: BaseException | None = None,
                 results: Mapping[str, Any] | None = None, errors: Mapping[str, BaseException] | None = None) -> None:
        super().__init__(message)
        self.account = account
        self.error = error
        self.results = dict(results or {})
        self.errors = dict(errors or {})

    @property
    def frames(self) -> dict[str, Any]:
        """The results that are DataFrames, by account name."""
        return {k: v for k, v in self.results.items() if hasattr(v, "columns")}

    @classmethod
    def for_account(cls, account: str, error: BaseException, *, results: Mapping[str, Any] | None = None,
                    errors: Mapping[str, BaseException] | None = None,
                    also_failed: Sequence[str] = ()) -> "AccountError":
        text = _account_text(account, error)
        if also_failed:
            text += f" (also failed: {', '.join(repr(a) for a in also_failed)})"
        ok = list(results or {})
        text += (f"; the results of {', '.join(repr(a) for a in ok)} are in .results/.frames" if ok
                 else "; no account succeeded")
        return cls(text, account=account, error=error, results=results, errors=errors)


class AmzvWarning(UserWarning):
    """Root of the warnings amzv_pandas emits."""


class NoDataWarning(AmzvWarning):
    """A report came back without data (CANCELLED)."""


class MissingItemsWarning(AmzvWarning):
    """Catalog items were asked for but Amazon did not return them."""


class StaleCacheWarning(AmzvWarning):
    """A cache entry was unusable, was deleted and fetched again."""


class ProgressBarWarning(AmzvWarning):
    """The requested progress bar could not be shown."""


class AccountErrorWarning(AmzvWarning):
    """An account of a many-account call failed (``on_account_error="warn"``); the others' rows are returned.

    ``account`` names it and ``error`` is its exception.
    """

    def __init__(self, message: str, *, account: str | None = None, error: BaseException | None = None) -> None:
        super().__init__(redact_secrets(message))
        self.account = account
        self.error = error

    @classmethod
    def for_account(cls, account: str, error: BaseException) -> "AccountErrorWarning":
        return cls(_account_text(account, error) + "; its rows are left out, the other accounts' are returned",
                   account=account, error=error)


_STATUS_CLASSES: dict[int, type[SPAPIError]] = {
    400: BadRequest,
    401: Forbidden,
    403: Forbidden,
    404: NotFound,
    413: BadRequest,
    415: BadRequest,
    429: RateLimited,
}


def error_for_status(
    status_code: int,
    errors: Sequence[Mapping[str, Any]] | None = None,
    **kwargs: Any,
) -> SPAPIError:
    """Build the exception for an SP-API error response (the one place that maps status to class)."""
    cls = _STATUS_CLASSES.get(status_code)
    if cls is None:
        cls = ServerError if status_code >= 500 else SPAPIError
    return cls(status_code, errors, **kwargs)
