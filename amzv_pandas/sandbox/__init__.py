"""The built-in sandbox: a local, SP-API-compatible server for tests, demos and notebooks.

>>> from amzv_pandas import sandbox
>>> with sandbox.serve(speed=100) as sb:            # doctest: +SKIP
...     client = sb.client()
...     client.request("GET", "/sellers/v1/marketplaceParticipations")

The server listens on 127.0.0.1 only. It answers Login with Amazon
(``/auth/o2/token`` and a consent-page stand-in), the Reports 2021-06-30,
Catalog Items 2022-04-01, Sellers v1 and Data Kiosk 2023-11-15 operations as
Amazon's models define them (validation, error format, pagination, rate limits
and the ``x-amzn-RateLimit-Limit`` header), and serves report and Data Kiosk
documents from presigned-URL-like links. Data Kiosk queries are validated
against the Vendor Analytics SDL and executed with graphql-core (see
:mod:`amzv_pandas.sandbox._services.datakiosk` for the behaviour a client can
rely on, e.g. the concurrent-query limit's 429 ``QuotaExceeded``). With ``static=True`` it answers only the models'
static examples, like Amazon's own sandbox hosts.

``serve(accounts=N)`` acts as N accounts of one app: N refresh tokens, each account with its
own quotas (rate-limit buckets) and its own data (seeded with ``seed + k`` for account
``k + 1``); ``sb.clients()`` gives one Client per account (``"sandbox-1"``...).

``import amzv_pandas`` never imports this package.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import threading
from typing import TYPE_CHECKING, Any, Mapping, Sequence

if TYPE_CHECKING:
    from ._http.server import SandboxServer

__all__ = ["Sandbox", "serve", "main"]


class Sandbox:
    """A running sandbox server; returned by :func:`serve`.

    Use it as a context manager (or call :meth:`close`). The built-in account's
    client id is fixed; its client secret and refresh token are random for each
    server and never appear in the repr.
    """

    def __init__(self, server: "SandboxServer") -> None:
        self._server = server

    def __repr__(self) -> str:
        mode = "static" if self._server.static else "dynamic"
        state = "closed" if self._server._closed else "running"
        many = f" accounts={len(self._server.accounts)}" if len(self._server.accounts) > 1 else ""
        return (f"<Sandbox {self.url} {mode} {self._server.account_type}{many} speed={self._server.speed:g} "
                f"{state}>")

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- addresses and credentials --------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL of the SP-API endpoint, e.g. ``http://127.0.0.1:54321``."""
        return self._server.url

    @property
    def token_url(self) -> str:
        """The LWA token endpoint."""
        return f"{self.url}/auth/o2/token"

    @property
    def consent_url(self) -> str:
        """The consent page stand-in; add ``application_id``, ``state`` and ``redirect_uri``."""
        return f"{self.url}/apps/authorize/consent"

    @property
    # Typed Any: the sandbox sits beside the client layers, not above them, so auth and
    # client are imported only inside these two functions (issue 11's layer rule).
    def credentials(self) -> Any:
        """:class:`amzv_pandas._transport.lwa.Credentials` of the built-in account."""
        from .._transport.lwa import Credentials

        lwa = self._server.lwa
        return Credentials(client_id=lwa.client_id, client_secret=lwa.client_secret,
                           refresh_token=lwa.refresh_token)

    @property
    def selling_partner_id(self) -> str:
        """The built-in account's selling partner id (vendor code)."""
        return self._server.lwa.selling_partner_id

    @property
    def data(self) -> Any:
        """The :class:`~amzv_pandas.sandbox.data.SandboxData` behind the server (account 1's)."""
        return self._server.data

    @property
    def accounts(self) -> int:
        """How many accounts the server acts as (``serve(accounts=)``)."""
        return len(self._server.accounts)

    def account_name(self, account: int = 1) -> str:
        """The name :meth:`clients` gives account ``account`` (1-based): ``"sandbox-1"``..."""
        return f"sandbox-{self._check_account(account)}"

    def _check_account(self, account: Any) -> int:
        if isinstance(account, bool) or not isinstance(account, int) or not 1 <= account <= self.accounts:
            raise ValueError(f"account must be 1 to {self.accounts}, got {account!r}")
        return account

    def account_credentials(self, account: int = 1) -> Any:
        """Account ``account``'s (1-based) :class:`~amzv_pandas._transport.lwa.Credentials`."""
        from .._transport.lwa import Credentials

        lwa = self._server.lwa
        return Credentials(client_id=lwa.client_id, client_secret=lwa.client_secret,
                           refresh_token=lwa.refresh_tokens[self._check_account(account) - 1])

    def account_data(self, account: int = 1) -> Any:
        """The :class:`~amzv_pandas.sandbox.data.SandboxData` of account ``account`` (1-based)."""
        return self._server.accounts[self._check_account(account) - 1].data

    def account_options(self, account: int = 1, **kwargs: Any) -> dict[str, Any]:
        """The ``Client`` keyword arguments of account ``account`` (1-based): a mapping item of
        ``accounts=`` that pickles (for a process or Dask executor). ``kwargs`` override them."""
        options: dict[str, Any] = {"credentials": self.account_credentials(account), "endpoint": self.url,
                                   "token_url": self.token_url, "marketplace": "US"}
        if self.accounts > 1:
            options["name"] = self.account_name(account)
        options.update(kwargs)
        return options

    def client(self, **kwargs: Any) -> Any:
        """An :class:`amzv_pandas.Client` pointed at this sandbox (marketplace US unless given).

        With several accounts it is account 1's (named ``"sandbox-1"``); pass ``account=k``
        for another.
        """
        from .._facade.client import Client

        account = kwargs.pop("account", 1)
        return Client(**self.account_options(account, **kwargs))

    def clients(self, **kwargs: Any) -> list[Any]:
        """One :class:`amzv_pandas.Client` per account, named ``"sandbox-1"``, ``"sandbox-2"``...

        ``kwargs`` go to every client (``marketplace=``, ``cache_dir=``...); ready for
        ``amzv.read_report(..., accounts=sb.clients())``.
        """
        from .._facade.client import Client

        return [Client(**self.account_options(k, **{"name": self.account_name(k), **kwargs}))
                for k in range(1, self.accounts + 1)]

    def stats_by_account(self) -> dict[str, dict[str, Any]]:
        """Each account's SP-API ``calls`` and ``throttled`` (429s) per operationId, by account name."""
        return {self.account_name(k + 1): s for k, s in enumerate(self._server.account_stats())}

    # -- observation and control ----------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counters since start (or :meth:`reset_stats`).

        Returns
        -------
        dict
            ``calls`` and ``throttled``: ``{operationId: n}`` (plus ``"token"``,
            ``"consent"`` and ``"downloadDocument"`` in ``calls``);
            ``documents_served`` (complete downloads) and ``bytes_served``.
        """
        return self._server.stats()

    def reset_stats(self) -> None:
        """Zero every counter."""
        self._server.reset_stats()

    def clear_faults(self) -> None:
        """Drop every fault injected and not yet used."""
        self._server.faults.clear()

    def inject(self, kind: str, *, operation: str | None = None, count: int | None = 1,
               probability: float | None = None, **options: Any) -> None:
        """Make the next ``count`` matching requests (or a random share of them) misbehave.

        Parameters
        ----------
        kind : str
            * ``"429"``, ``"500"``, ``"503"`` — answer with that status
              (QuotaExceeded / InternalFailure / ServiceUnavailable bodies;
              S3-style XML for ``downloadDocument``, LWA-style for ``token``);
            * ``"drop"`` — close the connection without answering;
            * ``"delay"`` — sleep ``seconds=`` (default 1) before answering normally;
            * ``"truncate"`` — a document download sends only ``fraction=`` (default
              0.5) of the body its Content-Length promises, then closes;
            * ``"expire_tokens"`` — every access token issued so far expires now;
            * ``"report_outcome"`` — the next created report (of ``report_type=``,
              if given) ends with ``status=`` ``"FATAL"`` (default) or
              ``"CANCELLED"`` and ``error_details=``;
            * ``"not_found_after_create"`` — getReport answers 404 NotFound; with
              ``seconds=``, the next ``count`` reports asked for while younger than
              that (sandbox clock, from their creation) answer 404 until they are
              that old;
            * ``"fail_after_create"`` — createReport really creates the report,
              then answers ``status=`` 500 (default) or 503, or with ``drop=True``
              closes the connection: the caller cannot know the report exists;
            * ``"redirect"`` — answer ``status=`` 302 (default; 301/303/307/308) with
              ``Location: location=`` (default ``http://127.0.0.2:9/elsewhere``),
              for any operation, ``"token"`` and ``"downloadDocument"`` included;
            * ``"body"`` — replace the answer's body (``downloadDocument`` or an SP-API
              operation, whose handler then does not run) with ``document=``:
              ``"null"``; ``"deep"`` (JSON objects nested ``depth=`` levels, default
              100000); ``"bomb"`` (downloads only: a gzip document expanding to about
              ``expanded_bytes=``, default 4 GiB, of ``fill=`` bytes — ``b"0,"`` inside
              a JSON array for JSON documents, ``b"a\tb\n"`` otherwise — generated
              while it is sent, a few MB on the wire); ``"oversized"`` (a non-JSON
              ``text/html`` body of ``size=`` bytes, default 1 GiB, streamed); or raw
              ``data=`` bytes, sent unchanged (gzip them yourself for a download).
              Documents ``null``/``deep`` are gzip-compressed like stored ones. An
              SP-API answer has ``status=`` (default 200); ``content_type=`` overrides
              the type. A replaced document ignores ``Range`` (a full 200);
            * ``"drip"`` — send the body (a document, an API or token answer) at
              ``bytes_per_second=`` (default 1), giving up and closing the connection
              after ``max_seconds=`` (default 600) or when the server closes;
            * ``"missing_status"`` — a getReport answer lacks ``processingStatus``
              (or the field named by ``field=``);
            * ``"query_outcome"`` — the next Data Kiosk query ends with ``status=``
              ``"FATAL"`` (default; its error document holds ``message=``, as a JSON
              array of GraphQL errors, or with ``error_shape="message"`` as
              ``{"errorMessage": ...}``), ``"CANCELLED"`` or ``"NO_DATA"`` (DONE with
              neither document id);
            * ``"query_limit"`` — the next createQuery is refused as if the account
              had reached its concurrent non-terminal query limit (429 QuotaExceeded);
            * ``"echo_credentials"`` — with ``operation="token"``, the token endpoint
              answers 401 repeating the posted form (client secret, refresh token) in
              ``error_description``; for an SP-API operation, 403 repeating the
              ``x-amz-access-token`` header in its message.
        operation : str, optional
            An operationId, ``"token"``, ``"consent"`` or ``"downloadDocument"``.
            None means any SP-API operation (not the token endpoint or downloads).
            Kinds bound to one operation (``truncate``, ``report_outcome``,
            ``not_found_after_create``, ``fail_after_create``, ``missing_status``,
            ``query_outcome``, ``query_limit``) ignore it.
        count : int or None
            How many requests the fault applies to; None: no limit (until
            :meth:`clear_faults`).
        probability : float, optional
            Apply the fault to each matching request with this probability, drawn
            from a generator seeded by ``serve(fault_seed=)``; ``count`` still
            limits the uses. See also ``serve(fault_rates=)``.

        Raises
        ------
        ValueError, TypeError
            An unknown kind or operation, or an option the kind does not take or
            cannot use.
        """
        self._server.inject(kind, operation=operation, count=count, probability=probability, **options)

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox clock forward (token, code and link expiry; report progress; buckets)."""
        self._server.clock.advance(seconds)

    def close(self) -> None:
        """Stop the server and delete its stored documents."""
        self._server.close()


def serve(
    *,
    port: int = 0,
    speed: float = 1.0,
    seed: int = 0,
    static: bool = False,
    token_lifetime: float = 3600,
    processing_seconds: float = 6.0,
    document_ttl: float = 300.0,
    rate_limits: Mapping[str, tuple[float, int]] | None = None,
    flat_rows: int = 500,
    vendor_asins: int = 50,
    account_type: str = "vendor",
    fault_rates: Mapping[str, Any] | None = None,
    fault_seed: int = 0,
    datakiosk_page_size: int = 1000,
    datakiosk_max_queries: int = 5,
    datakiosk_gzip: bool = True,
    datakiosk_marketplaces: Sequence[str] = ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"),
    accounts: int = 1,
    **data_options: Any,
) -> Sandbox:
    """Start a sandbox server in a background thread.

    Parameters
    ----------
    port : int
        Port on 127.0.0.1; 0 picks a free one.
    speed : float
        Time compression: multiplies every rate limit and divides
        ``processing_seconds``.
    seed : int
        Seed of the deterministic data (catalog, documents) and of report ids.
    static : bool
        Answer only the models' ``x-amzn-api-sandbox`` static examples.
    token_lifetime : float
        Seconds an LWA access token lives.
    processing_seconds : float
        Seconds from createReport (or createQuery) to a terminal status at speed 1.
    document_ttl : float
        Seconds a presigned document URL stays valid.
    rate_limits : mapping, optional
        ``{operationId: (rate, burst)}`` replacing the model defaults.
    flat_rows, vendor_asins : int
        Sizes of flat-file documents and of the vendor's ASIN list.
    account_type : {"vendor", "seller"}
        The built-in account's kind (only vendors may request ``vendorDetails``).
    fault_rates : mapping, optional
        Random faults for load tests: ``{kind: probability}``, e.g.
        ``{"500": 0.10, "truncate": 0.05, "fail_after_create": 0.05}``, each applied
        to that share of its matching requests with no count limit; a value may be a
        mapping ``{"probability": p, "operation": ..., **options}`` (see
        :meth:`Sandbox.inject`).
    fault_seed : int
        Seeds the draws of random faults: the same seed gives the same sequence
        of draws.
    datakiosk_page_size : int
        JSONL lines (view elements) per Data Kiosk data document; a longer result
        is paginated (``pagination.nextToken``).
    datakiosk_max_queries : int
        Concurrent non-terminal Data Kiosk queries per account; createQuery beyond
        it answers 429 ``QuotaExceeded``.
    datakiosk_gzip : bool
        Serve Data Kiosk documents with ``Content-Encoding: gzip`` (False: plain).
    datakiosk_marketplaces : sequence of str
        The vendor account's marketplaces: each period has one line per marketplace.
    accounts : int, default 1
        How many selling-partner accounts the server acts as: one refresh token each (one
        app), each account with its own rate-limit buckets, report/query state and data
        (account ``k`` seeded with ``seed + k - 1``). :meth:`Sandbox.clients` gives their clients;
        :meth:`Sandbox.client` stays account 1's.
    **data_options
        Passed to :class:`~amzv_pandas.sandbox.data.SandboxData`.

    Returns
    -------
    Sandbox
        Running; use ``with serve() as sb:`` or call ``sb.close()``.
    """
    from ._data.sandbox_data import SandboxData
    from ._http.server import SandboxServer

    if isinstance(accounts, bool) or not isinstance(accounts, int) or accounts < 1:
        raise ValueError(f"accounts must be an int >= 1, got {accounts!r}")
    data = SandboxData(seed, flat_rows=flat_rows, vendor_asins=vendor_asins, **data_options)

    def account_data(k: int) -> SandboxData:  # account k (0-based) has data of its own seed
        return SandboxData(seed + k, flat_rows=flat_rows, vendor_asins=vendor_asins, **data_options)

    server = SandboxServer(data, port=port, speed=speed, static=static, token_lifetime=token_lifetime,
                           processing_seconds=processing_seconds, document_ttl=document_ttl,
                           rate_limits=rate_limits, account_type=account_type, seed=seed,
                           fault_rates=fault_rates, fault_seed=fault_seed,
                           datakiosk={"page_size": datakiosk_page_size, "max_queries": datakiosk_max_queries,
                                      "gzip": datakiosk_gzip, "marketplaces": tuple(datakiosk_marketplaces)},
                           account_data=account_data, accounts=accounts)
    return Sandbox(server.start())


def _env_lines(sb: Sandbox) -> list[str]:
    creds = sb.credentials
    env = {
        "AMZV_ENDPOINT": sb.url,
        "AMZV_TOKEN_URL": sb.token_url,
        "LWA_APP_ID": creds.client_id,
        "LWA_CLIENT_SECRET": creds.client_secret,
        "SP_API_REFRESH_TOKEN": creds.refresh_token,
    }
    return [f"export {name}={shlex.quote(value)}" for name, value in env.items()]


def main(argv: Sequence[str] | None = None) -> int:
    """``amzv sandbox``: run a sandbox in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="amzv sandbox", description="Run the local SP-API sandbox server.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=("examples:\n  amzv sandbox --port 8123 --speed 50   # then paste the printed export lines "
                "into another shell\n\nexit codes:\n  0    stopped with Ctrl-C\n  2    bad usage"))
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free port)")
    parser.add_argument("--speed", type=float, default=1.0, help="time compression factor (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="data seed (default 0)")
    parser.add_argument("--static", action="store_true", help="answer only the models' static examples")
    parser.add_argument("--flat-rows", type=int, default=500, help="rows of flat-file report documents")
    parser.add_argument("--account-type", choices=("vendor", "seller"), default="vendor")
    parser.add_argument("--accounts", type=int, default=1,
                        help="how many accounts to act as (own refresh token, quotas and data each; default 1)")
    args = parser.parse_args(argv)
    if args.accounts < 1:
        parser.error(f"--accounts must be 1 or more, got {args.accounts}")

    sb = serve(port=args.port, speed=args.speed, seed=args.seed, static=args.static,
               flat_rows=args.flat_rows, account_type=args.account_type, accounts=args.accounts)
    try:
        mode = "static" if args.static else "dynamic"
        lines = [
            f"amzv sandbox ({mode}, {args.account_type} account, speed {args.speed:g}) listening on {sb.url}",
            f"  token URL:   {sb.token_url}",
            f"  consent URL: {sb.consent_url}",
            "",
            "Point a client at it (these credentials are throwaway, valid for this server only):",
            *(f"  {line}" for line in _env_lines(sb)),
            *([""] + [f"Account {k}: the same, with SP_API_REFRESH_TOKEN="
                      f"{shlex.quote(sb.account_credentials(k).refresh_token)}" for k in range(2, sb.accounts + 1)]
              if sb.accounts > 1 else []),
            "",
            "Press Ctrl-C to stop.",
        ]
        print("\n".join(lines), flush=True)
        stop = threading.Event()
        while not stop.wait(0.5):  # a timed wait stays interruptible by Ctrl-C
            pass
    except KeyboardInterrupt:
        print("\nstopping the sandbox", file=sys.stderr)
    finally:
        sb.close()
    return 0
