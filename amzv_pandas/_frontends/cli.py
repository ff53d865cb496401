"""The ``amzv`` command line: ``amzv sandbox``, ``amzv demo``, ``amzv authorize``, ``amzv sync``."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Sequence

from .._version import __version__

__all__ = ["main", "sync_main", "build_sync_parser", "build_parser"]


def _sandbox(args: argparse.Namespace) -> int:
    from ..sandbox import main as sandbox_main

    return sandbox_main(args.rest) or 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run

    return run(marketplace=args.marketplace, speed=args.speed)


def _sync(args: argparse.Namespace) -> int:
    return sync_main(args.rest)


def build_sync_parser() -> argparse.ArgumentParser:
    """The options of ``amzv sync`` (it owns its ``--help``)."""
    p = argparse.ArgumentParser(
        prog="amzv sync",
        description="Append a report to a Parquet dataset: newest days first, then the historical backfill. "
                    "Run it once a day (cron); it resumes where the last run stopped.")
    p.add_argument("report_type", help="e.g. GET_VENDOR_SALES_REPORT")
    p.add_argument("path", help="dataset directory")
    p.add_argument("--start", required=True, help="oldest day of the backfill (2024-01-01, today-365...)")
    p.add_argument("--end", default="yesterday", help="newest day (default: yesterday)")
    p.add_argument("--marketplace", default=None, help="country code or marketplace id (default: the profile's)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="a reportOption, repeatable (e.g. --option reportPeriod=DAY)")
    p.add_argument("--budget", default=None, help="stop starting windows after this long (2h, 90m, 1h30m)")
    p.add_argument("--profile", default=None, help="credentials profile")
    p.add_argument("--today", default=None, help=argparse.SUPPRESS)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--sandbox", action="store_true", help="run against the built-in sandbox (demos, tests)")
    p.add_argument("--sandbox-speed", type=float, default=500.0, help=argparse.SUPPRESS)
    p.add_argument("--sandbox-processing-seconds", type=float, default=0.2, help=argparse.SUPPRESS)
    return p


def sync_main(argv: Sequence[str] | None = None) -> int:
    """``amzv sync REPORT_TYPE PATH --start ...``: exit code 0 when every window succeeded, 1 otherwise."""
    from .._sync.sync import sync
    from ..exceptions import AmzvError

    parser = build_sync_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    options: dict[str, str] = {}
    for item in args.option:
        k, sep, v = item.partition("=")
        if not sep or not k:
            parser.error(f"--option {item!r} must look like KEY=VALUE")
        options[k.strip()] = v.strip()
    progress = None if args.no_progress or not sys.stderr.isatty() else "tqdm"
    kwargs: dict[str, Any] = dict(start=args.start, end=args.end, marketplace=args.marketplace,
                                  report_options=options or None, budget=args.budget,
                                  progress_bar_type=progress, today=args.today)
    try:
        if args.sandbox:
            from .. import sandbox

            # The sandbox processes a report in a fraction of a second: poll at its pace
            # (read_report's documented knob, for this run only).
            saved = os.environ.get("AMZV_POLL_INTERVAL")
            os.environ["AMZV_POLL_INTERVAL"] = str(max(0.02, args.sandbox_processing_seconds / 4))
            try:
                with sandbox.serve(speed=args.sandbox_speed,
                                   processing_seconds=args.sandbox_processing_seconds) as sb:
                    with sb.client(marketplace=args.marketplace or "US") as client:
                        result = sync(args.report_type, args.path, client=client, **kwargs)
            finally:
                if saved is None:
                    os.environ.pop("AMZV_POLL_INTERVAL", None)
                else:
                    os.environ["AMZV_POLL_INTERVAL"] = saved
        else:
            from .._facade.client import Client

            with Client(profile=args.profile, marketplace=args.marketplace) as client:
                result = sync(args.report_type, args.path, client=client, **kwargs)
    except AmzvError as exc:
        print(f"amzv sync: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(repr(result))
    return 1 if result.failures else 0


def _authorize(args: argparse.Namespace) -> int:
    from .._transport.lwa import authorize

    authorize(args.app_id, args.client_id, args.client_secret, marketplace=args.marketplace,
              redirect_uri=args.redirect_uri, profile=args.profile, vendor=not args.seller,
              beta=args.beta, open_browser=args.open)
    from .._transport.profiles import profiles_path

    print(f"saved profile {args.profile!r} in {profiles_path()}")
    return 0


_PASS_THROUGH = {"sandbox": _sandbox, "sync": _sync}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="amzv", description="Amazon SP-API vendor data into pandas.")
    parser.add_argument("--version", action="version", version=f"amzv_pandas {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sandbox", help="run the built-in SP-API sandbox server in the foreground",
                       add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_sandbox)

    p = sub.add_parser("demo", help="start the sandbox, authenticate, and pull data into DataFrames")
    p.add_argument("--marketplace", default="US", help="marketplace country code (default US)")
    p.add_argument("--speed", type=float, default=200.0,
                   help="sandbox speed factor for processing time and rate limits (default 200)")
    p.set_defaults(func=_demo)

    p = sub.add_parser("sync", help="append-mode sync of a report into a Parquet dataset (for cron)",
                       add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_sync)

    p = sub.add_parser("authorize", help="authorize an account with the website consent flow")
    p.add_argument("--app-id", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret", required=True)
    p.add_argument("--marketplace", required=True)
    p.add_argument("--redirect-uri", required=True)
    p.add_argument("--profile", default="default")
    p.add_argument("--seller", action="store_true", help="Seller Central instead of Vendor Central")
    p.add_argument("--beta", action="store_true", help="the app is still in draft")
    p.add_argument("--open", action="store_true", help="open the consent page in a browser")
    p.set_defaults(func=_authorize)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``amzv`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] in _PASS_THROUGH:
        # These subcommands own their options (and --help); hand them the rest verbatim.
        args = argparse.Namespace(func=_PASS_THROUGH[argv[0]], rest=argv[1:])
    else:
        args = parser.parse_args(argv)
    from ..exceptions import AmzvError

    try:
        return int(args.func(args) or 0)
    except AmzvError as exc:
        print(f"amzv: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
