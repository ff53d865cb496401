"""Launcher: run ``amzv_pandas.sandbox.serve(**options)`` in this process, controlled over stdin.

``python benchmarks/_sandbox.py '{"speed": 60, "flat_rows": 2000000}'`` prints one JSON line
(url, token_url, credentials) once listening, then answers one JSON line per command read from
stdin: ``stats`` (``sb.stats()``), ``account_stats`` (each account's calls and 429s, a list),
``reset`` (``sb.reset_stats()``), ``quit``. EOF stops it too. The credentials are the throwaway
ones the sandbox generates for itself (``accounts``: every account's, for ``serve(accounts=N)``).
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    options = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    from amzv_pandas import sandbox

    with sandbox.serve(port=0, **options) as sb:
        creds = sb.credentials
        info = {"url": sb.url, "token_url": sb.token_url,
                "credentials": {"client_id": creds.client_id, "client_secret": creds.client_secret,
                                "refresh_token": creds.refresh_token},
                "accounts": [{"client_id": c.client_id, "client_secret": c.client_secret,
                              "refresh_token": c.refresh_token}
                             for c in (sb.account_credentials(k) for k in range(1, sb.accounts + 1))]}
        print(json.dumps(info), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                print(json.dumps(sb.stats()), flush=True)
            elif command == "account_stats":
                print(json.dumps(list(sb.stats_by_account().values())), flush=True)
            elif command == "reset":
                sb.reset_stats()
                print("{}", flush=True)
            elif command == "quit":
                print("{}", flush=True)
                break
            else:
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
