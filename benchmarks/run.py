#!/usr/bin/env python
"""Run the amzv_pandas benchmarks and print one table (see benchmarks/README.md).

    python benchmarks/run.py [--size small|full] [--only NAME[,NAME...]] [--json PATH]

``--size full`` is what the targets refer to; ``--size small`` finishes in under a minute and
only checks that every scenario still runs (tests/e2e/test_benchmarks.py). Results go to
``benchmarks/results-<size>.json`` unless ``--json`` says otherwise.
The exit status is 0 even when targets are missed, 1 when a scenario crashed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _harness import SIZES, Row, format_table, machine  # noqa: E402

#: Scenario modules in run order (module name -> benchmarks/<module>.py).
SCENARIOS = {
    "flat_ingest": "scenario_flat_ingest",
    "vendor_json": "scenario_vendor_json",
    "year": "scenario_year",
    "accounts": "scenario_accounts",
    "catalog": "scenario_catalog",
    "import": "scenario_import",
    "read_synced": "scenario_read_synced",
    "enrich": "scenario_enrich",
    "cache_formats": "scenario_cache_formats",
    "datakiosk": "datakiosk",
}


def render_markdown(results: dict) -> str:
    """The README's results section: the machine, then the table, then the notes."""
    m = results["machine"]
    load = results.get("loadavg", {})
    lines = [
        f"`--size {results['size']}`, {results['created']}, {results['seconds'] / 60:.1f} min. Machine: {m['cpu']}, "
        f"{m['cores']} cores, {m['ram']} RAM; Python {m['python']}, pandas {m['pandas']}, pyarrow {m['pyarrow']}, "
        f"requests {m['requests']}; {m['platform']}."
        + (f" Load average (1 min) {load['start'][0]:.1f} at the start, {load['end'][0]:.1f} at the end"
           " (the machine is shared)." if load else ""),
        "",
        results["table_markdown"],
    ]
    notes = [f"* {name}: {note}" for name, sc in results["scenarios"].items() for note in sc["notes"]]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--only", default=None,
                        help=f"comma-separated scenario names: {', '.join(SCENARIOS)}")
    parser.add_argument("--json", default=None, help="where to write the results (default benchmarks/results-<size>.json)")
    parser.add_argument("--quiet", action="store_true", help="no per-run progress lines")
    parser.add_argument("--markdown", metavar="RESULTS_JSON", default=None,
                        help="print the README section (machine + table) of a results file and exit")
    args = parser.parse_args(argv)
    if args.markdown:
        print(render_markdown(json.loads(Path(args.markdown).read_text())))
        return 0

    names = list(SCENARIOS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in SCENARIOS]
        if unknown:
            parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    json_path = Path(args.json) if args.json else HERE / f"results-{args.size}.json"

    def log(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    rows: list[Row] = []
    scenarios: dict[str, dict] = {}
    crashed = False
    t_all = time.perf_counter()
    load_start = os.getloadavg()
    for name in names:
        module = importlib.import_module(SCENARIOS[name])
        log(f"== {name}: {module.TITLE} ({args.size})")
        t0 = time.perf_counter()
        try:
            sc_rows, notes = module.run(args.size, log)
            error = None
        except Exception as exc:  # keep going: report the crash in the table and the exit status
            crashed = True
            error = "".join(traceback.format_exception(exc))
            log(error)
            sc_rows = [Row(name, "crashed", None, None, "", None, None, status="ERROR",
                           note=f"{type(exc).__name__}: {exc}"[:300])]
            notes = []
        elapsed = time.perf_counter() - t0
        log(f"   {name} took {elapsed:.1f} s")
        rows += sc_rows
        scenarios[name] = {"title": module.TITLE, "seconds": elapsed, "notes": notes, "error": error,
                           "rows": [r.to_json() for r in sc_rows]}

    table = format_table(rows)
    print(table)
    for name, sc in scenarios.items():
        for note in sc["notes"]:
            print(f"note ({name}): {note}")
    out = {"size": args.size, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
           "seconds": time.perf_counter() - t_all, "machine": machine(),
           "loadavg": {"start": load_start, "end": os.getloadavg()}, "scenarios": scenarios,
           "rows": [r.to_json() for r in rows], "table_markdown": format_table(rows, markdown=True)}
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(out, indent=2, default=str) + "\n")
    print(f"results written to {json_path}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
