"""The ``amzv`` command line: ``amzv sandbox``, ``amzv demo``, ``amzv authorize``, ``amzv sync``."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .._version import __version__

__all__ = ["main"]


def _sandbox(args: argparse.Namespace) -> int:
    from ..sandbox import main as sandbox_main

    return sandbox_main(args.rest) or 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run

    return run(marketplace=args.marketplace, speed=args.speed)


def _sync(args: argparse.Namespace) -> int:
    from .._sync.sync import cli_main

    return cli_main(args.rest)


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
