"""The ``amzv`` command line: ``amzv sandbox``, ``amzv demo``, ``amzv authorize``, ``amzv profiles``, ``amzv sync``."""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any, Sequence

from .._version import __version__

__all__ = ["main", "sync_main", "sync_summary", "build_sync_parser", "build_parser", "cli_message"]

EXIT_CODES = """exit codes:
  0    success
  1    the run failed (an SP-API, network or report error; for sync: a window failed)
  2    bad usage: an unknown option, report type, date or setting (nothing was sent)
  130  interrupted (Ctrl-C)"""

# Library parameter -> the flag (or positional) this CLI spells it with, so an error
# names what the terminal user typed, not the Python keyword.
_FLAGS = {
    "report_type": "REPORT_TYPE", "path": "PATH", "start": "--start", "end": "--end",
    "marketplace": "--marketplace", "report_options": "--option", "budget": "--budget",
    "profile": "--profile", "speed": "--speed",
}
_PARAM_RE = re.compile(r"(?<![\w.])(" + "|".join(_FLAGS) + r")=(\S?)")

_NO_CREDENTIALS = (
    "no SP-API credentials found{where}. Save an account with "
    "`amzv authorize --app-id ID --client-id ID --client-secret SECRET --marketplace US "
    "--redirect-uri URL --profile NAME`, then pass --profile NAME (or set AMZV_PROFILE=NAME); "
    "or set LWA_APP_ID, LWA_CLIENT_SECRET and SP_API_REFRESH_TOKEN. To try it without an account: "
    "`amzv demo`, `amzv sandbox`, or add --sandbox to `amzv sync`"
)


def cli_message(exc: BaseException) -> str:
    """``exc``'s text in the CLI's words: flags instead of Python keywords, CLI advice.

    The library's exceptions keep their precise Python wording (``allow_unknown=True``,
    ``Pass credentials=``); a terminal user needs the flag or the command instead.
    """
    text = " ".join(str(exc).split())  # one clean line
    if getattr(exc, "parameter", None) == "credentials" and text.startswith("no SP-API credentials"):
        found = re.search(r"\((looked for profile [^)]*)\)", text)
        return _NO_CREDENTIALS.format(where=f" ({found.group(1)})" if found else "")
    text = text.replace("pass allow_unknown=True", "pass --allow-unknown")
    text = text.replace("allow_unknown=True", "--allow-unknown")
    text = text.replace("amzv.report_types() lists them", "amzv_pandas.report_types() (Python) lists them")
    text = re.sub(r"amzv\.authorize\(\)", "`amzv authorize`", text)
    text = re.sub(r"amzv\.sandbox\.serve\(\)", "`amzv sandbox` (or --sandbox)", text)
    # Python-only date forms mean nothing on a command line.
    text = text.replace(", a datetime.date/datetime, a pandas Timestamp or a numpy datetime64", "")
    # "start='x'" -> "--start 'x'"; "pass marketplace= (e.g. 'US')" -> "pass --marketplace (e.g. 'US')"
    text = _PARAM_RE.sub(lambda m: _FLAGS[m.group(1)] + (" " + m.group(2) if m.group(2) else ""), text)
    return text


def _exit_code(exc: BaseException) -> int:
    from ..exceptions import ConfigurationError

    # A bad argument or setting is a usage error, like argparse's own (exit 2): cron can tell
    # "fix the command" from "Amazon or the network failed this time" (exit 1).
    return 2 if isinstance(exc, ConfigurationError) else 1


def _sandbox(args: argparse.Namespace) -> int:
    from ..sandbox import main as sandbox_main

    return sandbox_main(args.rest) or 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run

    return run(marketplace=args.marketplace, speed=args.speed)


def _sync(args: argparse.Namespace) -> int:
    return sync_main(args.rest)


SYNC_EPILOG = f"""examples:
  amzv sync GET_VENDOR_SALES_REPORT ~/data/sales --start 2024-01-01 --budget 2h --profile acme
  amzv sync GET_VENDOR_TRAFFIC_REPORT ./traffic --start today-90 --sandbox   # no account needed
  crontab: 15 6 * * *  amzv sync GET_VENDOR_SALES_REPORT /data/sales --start 2024-01-01 --budget 2h

{EXIT_CODES}"""


def build_sync_parser() -> argparse.ArgumentParser:
    """The options of ``amzv sync`` (it owns its ``--help``)."""
    p = argparse.ArgumentParser(
        prog="amzv sync", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=SYNC_EPILOG,
        description="Append a report to a Parquet dataset: newest days first, then the historical backfill.\n"
                    "Run it once a day (cron); it resumes where the last run stopped.")
    p.add_argument("report_type", metavar="REPORT_TYPE", help="e.g. GET_VENDOR_SALES_REPORT")
    p.add_argument("path", metavar="PATH", help="dataset directory")
    p.add_argument("--start", required=True, help="oldest day of the backfill (2024-01-01, today-365...)")
    p.add_argument("--end", default="yesterday", help="newest day (default: yesterday)")
    p.add_argument("--marketplace", default=None, help="country code or marketplace id (default: the profile's)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="a reportOption, repeatable (e.g. --option reportPeriod=DAY)")
    p.add_argument("--budget", default=None, help="stop starting windows after this long (2h, 90m, 1h30m)")
    p.add_argument("--profile", default=None, help="credentials profile")
    p.add_argument("--allow-unknown", action="store_true",
                   help="send a report type this release does not list (one Amazon added since)")
    p.add_argument("--today", default=None, help=argparse.SUPPRESS)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--sandbox", action="store_true", help="run against the built-in sandbox (demos, tests)")
    p.add_argument("--sandbox-speed", type=float, default=500.0, help=argparse.SUPPRESS)
    p.add_argument("--sandbox-processing-seconds", type=float, default=0.2, help=argparse.SUPPRESS)
    return p


def sync_main(argv: Sequence[str] | None = None) -> int:
    """``amzv sync REPORT_TYPE PATH --start ...``: exit 0 when every window succeeded, 1 when one
    failed, 2 on bad usage (an unknown report type, date or setting), 130 on Ctrl-C."""
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
                                  progress_bar_type=progress, today=args.today,
                                  allow_unknown=args.allow_unknown)
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
        print(f"amzv sync: error: {cli_message(exc)}", file=sys.stderr)
        return _exit_code(exc)
    except KeyboardInterrupt:
        print("amzv sync: interrupted; the next run resumes where this one stopped", file=sys.stderr)
        return 130
    print(sync_summary(result))
    return 1 if result.failures else 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def sync_summary(result: Any) -> str:
    """What a :class:`SyncResult` means for the person at the terminal (or reading cron's mail)."""
    failed = [w for w in result.windows if w.get("status") == "failed"]
    secs = result.elapsed.total_seconds()
    lines = [
        f"{result.report_type} ({result.marketplace_id}) -> {result.path}: {result.status}",
        f"  added {_plural(result.days_added, 'day')} ({_plural(result.rows_added, 'row')}) from "
        f"{_plural(len(result.windows), 'window')}, {len(failed)} failed, "
        f"{_plural(sum(result.calls.values()), 'API call')}, {secs:.1f} s",
    ]
    for w in failed[:5]:
        span = f"{w['start']}" if w["start"] == w["end"] else f"{w['start']} to {w['end']}"
        lines.append(f"  failed {span}: {w.get('reason') or 'no reason given'}")
    if len(failed) > 5:
        lines.append(f"  ... {len(failed) - 5} more failed windows")
    if failed:
        nxt = "the failed windows are retried by the next run (same command)"
    elif result.days_remaining:
        nxt = (f"{_plural(result.days_remaining, 'day')} left to fetch: run the same command again "
               "(it resumes where this run stopped)")
    else:
        nxt = "up to date: nothing left to fetch"
    if result.days_pending:
        nxt += (f"; {_plural(result.days_pending, 'day')} inside the publication lag "
                "come once Amazon finalizes them (run it daily)")
    lines.append(f"  next: {nxt}")
    return "\n".join(lines)


def _authorize(args: argparse.Namespace) -> int:
    from .._transport.lwa import authorize

    authorize(args.app_id, args.client_id, args.client_secret, marketplace=args.marketplace,
              redirect_uri=args.redirect_uri, profile=args.profile, vendor=not args.seller,
              beta=args.beta, open_browser=args.open)
    from .._transport.profiles import profiles_path

    print(f"saved profile {args.profile!r} in {profiles_path()}")
    return 0


def _profiles(args: argparse.Namespace) -> int:
    from .._facade.accounts import profiles
    from .._transport.profiles import profiles_path

    frame = profiles()
    if frame.empty:
        print(f"no profiles saved in {profiles_path()}; save one with `amzv authorize ... --profile NAME`")
        return 0
    if args.names:
        print("\n".join(frame["name"]))
        return 0
    print(frame.fillna("").to_string(index=False))
    return 0


_PASS_THROUGH = {"sandbox": _sandbox, "sync": _sync}


def _epilog(*examples: str) -> str:
    return "examples:\n" + "\n".join(f"  {e}" for e in examples) + "\n\n" + EXIT_CODES


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="amzv", description="Amazon SP-API vendor data into pandas.", formatter_class=fmt,
        epilog=_epilog("amzv demo                      # the library end to end, no account needed",
                       "amzv authorize --help          # save an account's credentials as a profile",
                       "amzv sync --help               # a daily Parquet dataset of a report (cron)"))
    parser.add_argument("--version", action="version", version=f"amzv_pandas {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sandbox", help="run the built-in SP-API sandbox server in the foreground",
                       add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_sandbox)

    p = sub.add_parser(
        "demo", help="start the sandbox, authenticate, and pull data into DataFrames", formatter_class=fmt,
        description="Start the built-in sandbox, authenticate against it like a real account and print\n"
                    "the DataFrames the library returns (sales, dtypes, the cache, catalog, enrich).",
        epilog=_epilog("amzv demo", "amzv demo --marketplace DE --speed 500"))
    p.add_argument("--marketplace", default="US", help="marketplace country code (default US)")
    p.add_argument("--speed", type=float, default=200.0,
                   help="sandbox speed factor for processing time and rate limits (default 200)")
    p.set_defaults(func=_demo)

    p = sub.add_parser("sync", help="append-mode sync of a report into a Parquet dataset (for cron)",
                       add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_sync)

    p = sub.add_parser(
        "authorize", help="authorize an account with the website consent flow", formatter_class=fmt,
        description="Run the SP-API website authorization (consent) flow and save the refresh token\n"
                    "as a profile; then use --profile NAME (or AMZV_PROFILE=NAME) with the other commands.",
        epilog=_epilog("amzv authorize --app-id amzn1.sp.solution.XXX --client-id amzn1.application-oa2-client.XXX \\\n"
                       "      --client-secret SECRET --marketplace US --redirect-uri https://localhost:8080/cb \\\n"
                       "      --profile acme --open"))
    p.add_argument("--app-id", required=True, help="the app's id (amzn1.sp.solution...)")
    p.add_argument("--client-id", required=True, help="the LWA client id")
    p.add_argument("--client-secret", required=True, help="the LWA client secret")
    p.add_argument("--marketplace", required=True, help="country code or marketplace id")
    p.add_argument("--redirect-uri", required=True, help="the app's registered OAuth redirect URI")
    p.add_argument("--profile", default="default", help="profile name to save (default: default)")
    p.add_argument("--seller", action="store_true", help="Seller Central instead of Vendor Central")
    p.add_argument("--beta", action="store_true", help="the app is still in draft")
    p.add_argument("--open", action="store_true", help="open the consent page in a browser")
    p.set_defaults(func=_authorize)

    p = sub.add_parser(
        "profiles", help="list the saved accounts (name, marketplace, region, endpoint; never a secret)",
        formatter_class=fmt,
        description="List the profiles saved by `amzv authorize`: one account per line, without secrets.\n"
                    "In Python: amzv.profiles(), e.g. amzv.read_report(..., accounts=amzv.profiles().name).",
        epilog=_epilog("amzv profiles", "amzv profiles --names      # one name per line, for scripts"))
    p.add_argument("--names", action="store_true", help="print only the names, one per line")
    p.set_defaults(func=_profiles)
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
        command = getattr(args, "command", None)
        prog = f"amzv {command}" if command else "amzv"
        print(f"{prog}: error: {cli_message(exc)}", file=sys.stderr)
        return _exit_code(exc)
    except KeyboardInterrupt:
        return 130
